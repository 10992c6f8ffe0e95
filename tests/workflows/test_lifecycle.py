"""PostLifecycle under the time-skipping server, with the real activities, SQLite and sandbox over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.service import create_draft, submit
from domain.content import content_hash
from domain.lifecycle import (
    DecideRequest,
    LifecycleState,
    RescheduleRequest,
    RetryRequest,
    ReviseRequest,
    WithdrawRequest,
)
from domain.status import AuditAction, Decision, LatePolicy, PostStatus
from history_recorder import keep_history
from lifecycle_waits import until
from store.engine import transaction
from store.publications import publications_of, snapshots_of
from store.records import audit_trail
from store.tables import Post
from workflows.lifecycle import PostLifecycle
from workflows.search_attributes import POST_STATUS

HOUR, DAY = 3600, 86400


async def start(env: WorkflowEnvironment, engine: Engine, tq: str, text: str, *, publish_in: timedelta, offsets=None):
    now = await env.get_current_time()
    post = create_draft(
        engine, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=now + publish_in
    )
    handle = await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=offsets or [HOUR, DAY, 7 * DAY])
    return post, handle


def refusal(err: WorkflowUpdateFailedError) -> ApplicationError:
    assert isinstance(err.cause, ApplicationError), err
    return err.cause


def approve(state: LifecycleState, actor: str = "ann") -> DecideRequest:
    return DecideRequest(actor=actor, decision=Decision.APPROVE, content_hash=state.revision.content_hash)


async def test_publish_a_day_ahead_then_a_week_of_follow_up(time_env, seeded, worker, sandbox):
    post, handle = await start(time_env, seeded, worker, "Our spring line is here.", publish_in=timedelta(hours=24))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    outcome = await handle.execute_update(PostLifecycle.decide, approve(state))
    assert outcome.status is PostStatus.SCHEDULED

    final: LifecycleState = await handle.result()

    assert final.status is PostStatus.DONE
    assert [m.offset_seconds for m in final.metrics] == [HOUR, DAY, 7 * DAY]
    assert final.publication is not None
    async with httpx.AsyncClient() as http:
        held = (await http.get(f"{sandbox.url}/api/posts", params={"channel": "sbx"})).json()["posts"]
    assert [p["text"] for p in held if p["id"] == final.publication.external_id] == ["Our spring line is here."]
    with transaction(seeded) as session:
        entries = audit_trail(session, post.id)
        trail = [(e.action, e.actor, e.status) for e in entries]
        assert len(publications_of(session, post.id)) == 1
        assert len(snapshots_of(session, post.id)) == 3
    assert trail == [
        ("created", "ed", "draft"),
        ("submitted", "ed", "brand_check"),
        ("brand_checked", "system", "awaiting_approval"),
        ("approved", "ann", "scheduled"),
        ("published", "system", "published"),
        ("metrics_collected", "system", "published"),
        ("metrics_collected", "system", "published"),
        ("metrics_collected", "system", "done"),
    ]
    # Durable timers: published no earlier than planned, the last snapshot a week after publishing.
    published_at = next(e.at for e in entries if e.action == "published")
    assert published_at >= final.publish_at
    assert entries[-1].at >= published_at + timedelta(days=7)
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(POST_STATUS) == "done"
    await keep_history(handle, "publish_ahead_with_follow_up")
    # The same path after the brand check became a local activity and the status index moved to rest points.
    await keep_history(handle, "typical_post_local_brand_check_indexed_at_rest")


async def test_brand_failure_then_revision_then_approval(time_env, seeded, worker):
    post, handle = await start(
        time_env,
        seeded,
        worker,
        "Results guaranteed or your money back!",
        publish_in=timedelta(0),
        offsets=[60],
    )
    state = await until(handle, time_env, PostStatus.CHANGES_NEEDED)
    assert [f.rule for f in state.findings] == ["Social.Claims"]
    assert state.findings[0].match == "guaranteed"

    # Nobody can approve a post whose brand check failed.
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.decide, approve(state))
    assert refusal(refused.value).type == "InvalidState"

    revision = await handle.execute_update(
        PostLifecycle.revise, ReviseRequest(actor="ed", text="Results you will love, or your money back!")
    )
    assert revision.number == 2
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    assert state.findings == []
    await handle.execute_update(PostLifecycle.decide, approve(state))
    final = await handle.result()
    assert final.status is PostStatus.DONE and final.revision.number == 2
    with transaction(seeded) as session:
        actions = [e.action for e in audit_trail(session, post.id)]
    assert actions == [
        "created",
        "submitted",
        "brand_checked",
        "revised",
        "brand_checked",
        "approved",
        "published",
        "metrics_collected",
    ]
    await keep_history(handle, "brand_failure_revision_approval")


async def test_length_limit_blocks(time_env, seeded, worker):
    _, handle = await start(time_env, seeded, worker, "x" * 281, publish_in=timedelta(0))
    state = await until(handle, time_env, PostStatus.CHANGES_NEEDED)
    assert [f.rule for f in state.findings] == ["Social.Length"]
    await handle.terminate("test over")


async def test_author_cannot_approve_own_post(time_env, seeded, worker):
    _, handle = await start(time_env, seeded, worker, "Hello", publish_in=timedelta(0))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.decide, approve(state, actor="ed"))
    assert refusal(refused.value).type == "SeparationOfDuties"
    assert "cannot approve" in str(refused.value.cause)
    # The refusal left no trace in history: the validator rejected it before it was accepted.
    history = await handle.fetch_history()
    assert not [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    await handle.terminate("test over")


async def test_last_editor_cannot_approve(time_env, seeded, worker):
    _, handle = await start(time_env, seeded, worker, "Hello", publish_in=timedelta(0))
    await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.revise, ReviseRequest(actor="bob", text="Hello there"))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.decide, approve(state, actor="bob"))
    assert refusal(refused.value).type == "SeparationOfDuties"
    await handle.terminate("test over")


async def test_decision_on_stale_content_is_refused(time_env, seeded, worker):
    _, handle = await start(time_env, seeded, worker, "Version one", publish_in=timedelta(0))
    old = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.revise, ReviseRequest(actor="ed", text="Version two"))
    await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.decide, approve(old))
    assert refusal(refused.value).type == "StaleContent"
    assert content_hash("Version two") in str(refused.value.cause)
    await handle.terminate("test over")


async def test_reject_ends_the_post_unpublished(time_env, seeded, worker, sandbox):
    post, handle = await start(time_env, seeded, worker, "Maybe not", publish_in=timedelta(0))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    # Operators find posts waiting for people by the PostStatus search attribute.
    assert (await handle.describe()).typed_search_attributes.get(POST_STATUS) == "awaiting_approval"
    await handle.execute_update(
        PostLifecycle.decide,
        DecideRequest(
            actor="ann",
            decision=Decision.REJECT,
            content_hash=state.revision.content_hash,
            comment="off-brand",
        ),
    )
    final = await handle.result()
    assert final.status is PostStatus.REJECTED and final.publication is None
    with transaction(seeded) as session:
        trail = audit_trail(session, post.id)
        assert publications_of(session, post.id) == []
    assert trail[-1].action == AuditAction.REJECTED.value and '"off-brand"' in trail[-1].detail
    await keep_history(handle, "rejected")


async def test_revision_while_scheduled_voids_approval_and_publishes_new_text(time_env, seeded, worker, sandbox):
    post, handle = await start(time_env, seeded, worker, "Launch at noon", publish_in=timedelta(hours=5), offsets=[60])
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))
    await handle.execute_update(PostLifecycle.revise, ReviseRequest(actor="ed", text="Launch at one"))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    assert state.decisions == []
    await handle.execute_update(PostLifecycle.decide, approve(state, actor="bob"))
    final = await handle.result()
    assert final.revision.text == "Launch at one"
    with transaction(seeded) as session:
        pubs = publications_of(session, post.id)
        revised = [e for e in audit_trail(session, post.id) if e.action == "revised"]
    assert [p.revision for p in pubs] == [2]
    assert '"voided_approvals": ["ann"]' in revised[0].detail
    await keep_history(handle, "revision_while_scheduled")


def set_platform(engine: Engine, platform: str) -> None:
    from store.tables import Channel

    with transaction(engine) as session:
        channel = session.get(Channel, {"workspace_id": "acme", "id": "sbx"})
        assert channel is not None
        channel.platform = platform
        session.add(channel)


async def test_publish_failure_is_visible_and_a_retry_publishes_once(time_env, seeded, worker, sandbox):
    """A permanent failure leaves the post publish_failed with the reason; once fixed, a retry publishes it."""
    set_platform(seeded, "carrier-pigeon")
    post, handle = await start(time_env, seeded, worker, "Nowhere to go", publish_in=timedelta(0), offsets=[60])
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))
    failed = await until(handle, time_env, PostStatus.PUBLISH_FAILED)
    assert failed.failure is not None and "carrier-pigeon" in failed.failure
    with transaction(seeded) as session:
        assert audit_trail(session, post.id)[-1].action == "publish_failed"

    set_platform(seeded, "sandbox")
    await handle.execute_update(PostLifecycle.retry_publish, RetryRequest(actor="ed"))
    final = await handle.result()
    assert final.status is PostStatus.DONE and final.failure is None and final.publication is not None
    with transaction(seeded) as session:
        actions = [e.action for e in audit_trail(session, post.id)]
        assert len(publications_of(session, post.id)) == 1
    assert actions[-4:] == ["publish_failed", "publish_retried", "published", "metrics_collected"]
    # The seq reserved for the first `published` entry never held one: the failure entry says it took its place.
    with transaction(seeded) as session:
        trail = [e for e in audit_trail(session, post.id) if e.workflow_id == f"post-{post.id}"]
    failed_entry = next(e for e in trail if e.action == "publish_failed")
    assert json.loads(failed_entry.detail)["in_place_of_seq"] == failed_entry.seq - 1
    assert {e.seq for e in trail} | {failed_entry.seq - 1} == set(range(1, max(e.seq for e in trail) + 1))
    async with httpx.AsyncClient() as http:
        held = (await http.get(f"{sandbox.url}/api/posts", params={"channel": "sbx"})).json()["posts"]
    assert [p["text"] for p in held].count("Nowhere to go") == 1
    await keep_history(handle, "publish_failed_then_retried")


async def test_a_failed_post_can_be_withdrawn(time_env, seeded, worker):
    set_platform(seeded, "carrier-pigeon")
    _, handle = await start(time_env, seeded, worker, "Give up", publish_in=timedelta(0))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))
    await until(handle, time_env, PostStatus.PUBLISH_FAILED)
    with pytest.raises(WorkflowUpdateFailedError):  # nothing to decide any more
        await handle.execute_update(PostLifecycle.decide, approve(state))
    await handle.execute_update(PostLifecycle.withdraw, WithdrawRequest(actor="ed", reason="campaign cancelled"))
    assert (await handle.result()).status is PostStatus.WITHDRAWN


async def test_workspace_style_errors_block_and_warnings_do_not(time_env, seeded, worker):
    """The brand activity runs the workspace's Vale style; its version is recorded with the check."""
    from brand.engine import compile_style
    from store.brand_styles import add_style
    from store.tables import Workspace

    files = {
        "Acme/Hype.yml": b"extends: existence\nlevel: error\nmessage: \"Drop '%s'.\"\ntokens: [synergy]\n",
        "Acme/Bang.yml": b"extends: existence\nlevel: warning\nmessage: One '!' is enough.\nnonword: true\n"
        b"tokens: ['!{2,}']\n",
    }
    style = compile_style(files)
    with transaction(seeded) as session:
        add_style(session, "acme", version=style.version, names=["Acme"], files=files, rule_count=2, uploaded_by="ed")
        workspace = session.get(Workspace, "acme")
        assert workspace is not None
        workspace.style_version = style.version
    post, handle = await start(time_env, seeded, worker, "Pure synergy!!", publish_in=timedelta(0), offsets=[60])
    state = await until(handle, time_env, PostStatus.CHANGES_NEEDED)
    assert sorted(f.rule for f in state.findings) == ["Acme.Bang", "Acme.Hype"]
    hype = next(f for f in state.findings if f.rule == "Acme.Hype")
    assert (hype.match, hype.line, hype.column, hype.message) == ("synergy", 1, 6, "Drop 'synergy'.")

    await handle.execute_update(PostLifecycle.revise, ReviseRequest(actor="ed", text="Pure focus!!"))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    assert [(f.rule, f.level.value) for f in state.findings] == [("Acme.Bang", "warning")]
    with transaction(seeded) as session:
        checks = [e for e in audit_trail(session, post.id) if e.action == "brand_checked"]
    assert all(f'"style_version": "{style.version}"' in e.detail for e in checks)
    await handle.terminate("test over")


async def approved(env, engine, tq, text, *, publish_in, late_policy=None, offsets=(60,)):
    """A post approved `publish_in` from now (negative: approved after its time)."""

    now = await env.get_current_time()
    post = create_draft(
        engine, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=now + publish_in
    )
    handle = await submit(
        env.client, engine, post.id, task_queue=tq, followup_offsets=list(offsets), late_policy=late_policy
    )
    state = await until(handle, env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))
    return post, handle


async def test_reschedule_moves_the_publish_time(time_env, seeded, worker):
    post, handle = await approved(time_env, seeded, worker, "Later please", publish_in=timedelta(hours=2))
    later = (await time_env.get_current_time()) + timedelta(days=3)
    await handle.execute_update(
        PostLifecycle.reschedule, RescheduleRequest(actor="ed", publish_at=later, zone="Asia/Jakarta")
    )
    before = await time_env.get_current_time()
    final = await handle.result()
    assert final.status is PostStatus.DONE
    assert await time_env.get_current_time() - before >= timedelta(days=3)
    with transaction(seeded) as session:
        trail = audit_trail(session, post.id)
        row = session.get(Post, post.id)
    moved = next(e for e in trail if e.action == "rescheduled")
    assert '"zone": "Asia/Jakarta"' in moved.detail
    assert row is not None and row.publish_at == later
    await keep_history(handle, "rescheduled")


async def test_publish_now(time_env, seeded, worker, sandbox):
    post, handle = await approved(time_env, seeded, worker, "Right away", publish_in=timedelta(days=30))
    planned = (await handle.query(PostLifecycle.current)).publish_at
    await handle.execute_update(PostLifecycle.reschedule, RescheduleRequest(actor="ann"))
    final = await handle.result()
    assert final.publication is not None
    with transaction(seeded) as session:
        published = next(e for e in audit_trail(session, post.id) if e.action == "published")
    assert published.at < planned - timedelta(days=29)


async def test_withdraw_before_publishing(time_env, seeded, worker):
    post, handle = await approved(time_env, seeded, worker, "Never mind", publish_in=timedelta(hours=5))
    await handle.execute_update(PostLifecycle.withdraw, WithdrawRequest(actor="ed", reason="product recall"))
    final = await handle.result()
    assert final.status is PostStatus.WITHDRAWN and final.publication is None
    with transaction(seeded) as session:
        assert publications_of(session, post.id) == []
        assert audit_trail(session, post.id)[-1].action == "withdrawn"
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):  # the lifecycle has ended
        await handle.execute_update(PostLifecycle.withdraw, WithdrawRequest(actor="ed"))
    await keep_history(handle, "withdrawn")


async def test_withdraw_while_awaiting_approval(time_env, seeded, worker):
    _, handle = await start(time_env, seeded, worker, "Second thoughts", publish_in=timedelta(0))
    await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.withdraw, WithdrawRequest(actor="ed"))
    assert (await handle.result()).status is PostStatus.WITHDRAWN


async def test_late_policy_publish_goes_out_at_once(time_env, seeded, worker):
    _, handle = await approved(time_env, seeded, worker, "Late but fine", publish_in=timedelta(hours=-1))
    final = await handle.result()
    assert final.status is PostStatus.DONE and final.publication is not None


async def test_late_policy_expire_ends_without_publishing(time_env, seeded, worker):
    post, handle = await approved(
        time_env, seeded, worker, "Too late", publish_in=timedelta(hours=-1), late_policy=LatePolicy.EXPIRE
    )
    final = await handle.result()
    assert final.status is PostStatus.EXPIRED and final.publication is None
    with transaction(seeded) as session:
        assert audit_trail(session, post.id)[-1].action == "expired"
    await keep_history(handle, "late_expired")


async def test_late_policy_hold_waits_for_a_new_time(time_env, seeded, worker):
    post, handle = await approved(
        time_env, seeded, worker, "Hold it", publish_in=timedelta(hours=-1), late_policy=LatePolicy.HOLD
    )
    await until(handle, time_env, PostStatus.ON_HOLD)
    await time_env.sleep(timedelta(days=2))
    assert (await handle.query(PostLifecycle.current)).status is PostStatus.ON_HOLD
    new_time = (await time_env.get_current_time()) + timedelta(hours=1)
    state = await handle.execute_update(PostLifecycle.reschedule, RescheduleRequest(actor="ed", publish_at=new_time))
    assert state.status is PostStatus.SCHEDULED
    final = await handle.result()
    assert final.status is PostStatus.DONE
    with transaction(seeded) as session:
        actions = [e.action for e in audit_trail(session, post.id)]
    assert actions[-4:] == ["held", "rescheduled", "published", "metrics_collected"]
    await keep_history(handle, "late_hold_rescheduled")


async def test_schedule_across_a_dst_change(time_env, seeded, worker):
    """09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC after the clocks go forward (last Sunday of March)."""
    from zoneinfo import ZoneInfo

    now = await time_env.get_current_time()
    post, handle = await approved(time_env, seeded, worker, "Spring forward", publish_in=timedelta(days=400))
    winter = datetime(now.year + 1, 3, 20, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert winter.astimezone(UTC).hour == 8
    local = datetime(now.year + 1, 4, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    await handle.execute_update(
        PostLifecycle.reschedule, RescheduleRequest(actor="ed", publish_at=local.astimezone(UTC), zone="Europe/Berlin")
    )
    final = await handle.result()
    assert final.publish_at == local and final.publish_at.astimezone(UTC).hour == 7
    with transaction(seeded) as session:
        published = next(e for e in audit_trail(session, post.id) if e.action == "published")
    assert published.at >= local
