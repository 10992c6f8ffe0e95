"""Long lives: continue-as-new carries the whole state, decisions stay idempotent across runs, and the
PublishAt search attribute follows the publish time. Time-skipping server, real activities, SQLite, sandbox."""

from __future__ import annotations

from datetime import timedelta

import httpx

from api.service import create_draft, submit
from domain.lifecycle import DecideRequest, LifecycleState, RescheduleRequest, ReviseRequest
from domain.status import Decision, PostStatus
from history_recorder import keep_history
from lifecycle_waits import until
from store.audit_reconcile import reconcile_post
from store.engine import transaction
from store.publications import publications_of
from store.records import audit_trail
from workflows.lifecycle import PostLifecycle
from workflows.search_attributes import POST_STATUS, PUBLISH_AT

HOUR, DAY = 3600, 86400


async def test_a_long_life_continues_as_new_keeping_every_field_and_each_decision_once(
    time_env, seeded, worker, sandbox
):
    now = await time_env.get_current_time()
    text = "Long-lived post: our winter range, announced a month ahead."
    post = create_draft(seeded, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=now)
    started = await submit(
        time_env.client,
        seeded,
        post.id,
        task_queue=worker,
        followup_offsets=[HOUR, DAY, 7 * DAY],
        history_limit=20,  # a few dozen events per run instead of the server's thousands
    )
    assert started.run_id is None  # the handle addresses the latest run, whichever it is
    handle = started
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    # Revisions grow the history past the limit while the post rests awaiting approval.
    for n in range(3):
        await handle.execute_update(PostLifecycle.revise, ReviseRequest(actor="ed", text=f"{text} ({n + 1})"))
        state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    assert state.run_number >= 2, "the lifecycle should have continued as new by now"
    await handle.execute_update(
        PostLifecycle.reschedule, RescheduleRequest(actor="ed", publish_at=now + timedelta(days=30))
    )
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(PUBLISH_AT) == now + timedelta(days=30)
    before = await handle.query(PostLifecycle.current)

    decision = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=before.revision.content_hash)
    first = await handle.execute_update(PostLifecycle.decide, decision, id="decide-key-1")
    # More life in between: a reschedule, and whatever runs the history limit starts.
    await handle.execute_update(
        PostLifecycle.reschedule, RescheduleRequest(actor="ed", publish_at=now + timedelta(days=31))
    )
    await handle.execute_update(
        PostLifecycle.reschedule, RescheduleRequest(actor="ed", publish_at=now + timedelta(days=32))
    )
    runs_before_repeat = (await handle.query(PostLifecycle.current)).run_number
    # The client retries the decision with the same idempotency key after the run changed.
    again = await handle.execute_update(PostLifecycle.decide, decision, id="decide-key-1")
    assert again == first

    final = await handle.result()
    assert isinstance(final, LifecycleState)

    assert final.run_number > runs_before_repeat >= 2
    assert final.status is PostStatus.DONE
    # Every field came through every run.
    assert final.revision == before.revision and final.last_editor == "ed" and final.author == "ed"
    assert final.findings == before.findings and final.approval == before.approval
    assert final.decisions == [first]
    assert final.publish_at == now + timedelta(days=32)
    assert [m.offset_seconds for m in final.metrics] == [HOUR, DAY, 7 * DAY]
    assert final.publication is not None and final.channels[0].publication == final.publication
    async with httpx.AsyncClient() as http:
        held = (await http.get(f"{sandbox.url}/api/posts", params={"channel": "sbx"})).json()["posts"]
    assert [p["id"] for p in held if p["text"] == final.revision.text] == [final.publication.external_id]
    with transaction(seeded) as session:
        actions = [e.action for e in audit_trail(session, post.id)]
        assert len(publications_of(session, post.id)) == 1
    assert actions.count("approved") == 1 and actions.count("published") == 1
    assert actions.count("metrics_collected") == 3 and actions.count("revised") == 3
    # The history (every run) and the audit trail agree, the repeated decision counted once.
    agreement = await reconcile_post(time_env.client, seeded, post.id)
    assert agreement.differences == [], agreement.differences
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(POST_STATUS) == "done"
    assert desc.typed_search_attributes.get(PUBLISH_AT) == now + timedelta(days=32)
    await keep_history(handle, "continued_as_new")
