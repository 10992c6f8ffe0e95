"""Late publishes are recorded and announced; a published post can be taken down (unpublish). Time-skipping
server, real activities, SQLite, the sandbox over HTTP, a real webhook receiver for notices."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.service import create_draft, submit
from domain.lifecycle import (
    DecideRequest,
    LifecycleState,
    MetricsRequest,
    MetricsSnapshot,
    PostUnpublishInput,
    UnpublishRequest,
)
from domain.status import ChannelStatus, Decision, PostStatus
from history_recorder import keep_history
from lifecycle_waits import until
from notify_receivers import SECRET, WebhookReceiver, webhook_receiver
from settings import Settings
from store.audit_reconcile import reconcile_post
from store.credentials import keyring_for
from store.engine import transaction
from store.notifications import add_target
from store.posts import get_post
from store.publications import publications_of, snapshots_of
from store.records import audit_trail
from store.tables import NotificationTarget, Workspace
from workflows.lifecycle import PostLifecycle
from workflows.unpublish import PostUnpublish

HOUR, DAY = 3600, 86400


@pytest.fixture
def receiver(seeded: Engine) -> Iterator[WebhookReceiver]:
    with webhook_receiver() as (receiver, url):
        with transaction(seeded) as session:
            target = NotificationTarget(workspace_id="acme", kind="webhook", url=f"{url}/200/a")
            add_target(session, target, secret=SECRET, keyring=keyring_for(Settings()))
        yield receiver


def entries(engine: Engine, post_id: str) -> list[tuple[str, str, dict]]:
    with transaction(engine) as session:
        return [(e.action, e.status, json.loads(e.detail)) for e in audit_trail(session, post_id)]


async def approved(env, engine, tq, text, *, publish_at, offsets=(60,)):
    post = create_draft(engine, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=publish_at)
    handle = await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=list(offsets))
    state = await until(handle, env, PostStatus.AWAITING_APPROVAL)
    decision = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=state.revision.content_hash)
    await handle.execute_update(PostLifecycle.decide, decision)
    return post, handle


async def test_a_late_publish_says_how_late_and_tells_people(time_env, seeded, worker, receiver):
    # Due five minutes ago (the worker was down, or the approval came late): it goes out now.
    intended = datetime.now(UTC) - timedelta(minutes=5)
    post, handle = await approved(time_env, seeded, worker, "Better late than never.", publish_at=intended)
    final: LifecycleState = await handle.result()

    assert final.status is PostStatus.DONE
    published = next(d for action, _, d in entries(seeded, post.id) if action == "published")
    assert datetime.fromisoformat(published["intended_at"]) == intended
    actual = datetime.fromisoformat(published["actual_at"])
    assert published["late_by_s"] == pytest.approx((actual - intended).total_seconds(), abs=0.01)
    assert published["late_by_s"] >= 300
    assert final.publication is not None and final.publication.late_notice
    notices = [json.loads(c.body) for c in receiver.calls]
    assert [n["kind"] for n in notices] == ["published_late"]
    assert notices[0]["post_id"] == post.id and notices[0]["detail"]["late_by_s"] >= 300
    await keep_history(handle, "published_late_notified")


async def test_late_within_the_workspace_threshold_is_recorded_but_tells_nobody(time_env, seeded, worker, receiver):
    with transaction(seeded) as session:
        workspace = session.get(Workspace, "acme")
        assert workspace is not None
        workspace.late_notice_after_s = 3600
        session.add(workspace)
    intended = datetime.now(UTC) - timedelta(minutes=5)
    post, handle = await approved(time_env, seeded, worker, "Late, but not very.", publish_at=intended)
    final = await handle.result()

    published = next(d for action, _, d in entries(seeded, post.id) if action == "published")
    assert published["late_by_s"] >= 300
    assert final.publication is not None and not final.publication.late_notice
    assert receiver.calls == []


async def test_unpublish_takes_the_post_down_and_stops_its_follow_up(time_env, seeded, worker, sandbox):
    now = await time_env.get_current_time()
    post, handle = await approved(
        time_env, seeded, worker, "Oops, wrong price.", publish_at=now, offsets=(HOUR, DAY, 7 * DAY)
    )
    state = await until(handle, time_env, PostStatus.PUBLISHED)
    assert state.publication is not None
    external_id = state.publication.external_id

    # Nobody takes a post down without saying why.
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.unpublish, UnpublishRequest(actor="ed", reason=" "))
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "InvalidInput"

    after = await handle.execute_update(
        PostLifecycle.unpublish, UnpublishRequest(actor="ed", reason="wrong price in the text")
    )
    assert after.status is PostStatus.UNPUBLISHED
    assert after.channels[0].status is ChannelStatus.UNPUBLISHED
    final: LifecycleState = await handle.result()  # the week of follow-up stops at once
    assert final.status is PostStatus.UNPUBLISHED and final.metrics == []

    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{sandbox.url}/api/posts/{external_id}")).status_code == 404
    trail = entries(seeded, post.id)
    assert [a for a, _, _ in trail][-2:] == ["published", "unpublished"]
    assert trail[-1][1:] == ("unpublished", {"reason": "wrong price in the text", "channels": {"sbx": "deleted"}})
    with transaction(seeded) as session:
        [publication] = publications_of(session, post.id)
        assert publication.unpublished_at is not None and publication.unpublish_reason == "wrong price in the text"
        assert snapshots_of(session, post.id) == []
    await keep_history(handle, "unpublished_during_follow_up")
    # The act is in both the history and the trail: `postgate audit reconcile` agrees.
    reconciled = await reconcile_post(time_env.client, seeded, post.id)
    assert reconciled.ok, reconciled.differences

    # After the lifecycle: the short workflow answers a repeat, and records it too.
    again = await time_env.client.execute_workflow(
        PostUnpublish.run,
        PostUnpublishInput(
            post_id=post.id,
            workspace_id="acme",
            actor="ann",
            reason="again",
            revision=1,
            content_hash=final.revision.content_hash,
            publications=[("sbx", external_id, True)],
        ),
        id=f"unpublish-{post.id}",
        task_queue=worker,
    )
    assert again == {"sbx": "already_unpublished"}
    assert entries(seeded, post.id)[-1][0] == "unpublished"


async def test_only_a_published_post_can_be_unpublished(time_env, seeded, worker):
    now = await time_env.get_current_time()
    post = create_draft(
        seeded,
        workspace_id="acme",
        channel_ids=["sbx"],
        author="ed",
        text="Not yet",
        publish_at=now + timedelta(days=1),
    )
    handle = await submit(time_env.client, seeded, post.id, task_queue=worker, followup_offsets=[60])
    await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.unpublish, UnpublishRequest(actor="ed", reason="changed my mind"))
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidState"
    assert "awaiting_approval" in str(cause) and "withdraw" in str(cause)


async def test_a_snapshot_missed_because_of_an_unpublish_does_not_say_the_post_is_done(
    time_env, seeded, sandbox, task_queue, monkeypatch
):
    """The follow-up's last snapshot is being fetched when the post is taken down; the fetch then fails (the
    post is gone) and its `metrics_missed` entry, written after the `unpublished` one, must not move the
    post back to done in the store (found by bench/concurrent_edits.py)."""
    import worker as worker_module
    from activities import names

    started, release = asyncio.Event(), asyncio.Event()

    @activity.defn(name=names.COLLECT_METRICS)
    async def slow_metrics(req: MetricsRequest) -> MetricsSnapshot:
        started.set()
        await release.wait()
        raise ApplicationError("no such post on the platform", non_retryable=True)

    real = worker_module.lifecycle_activities

    def with_slow_metrics(*args, **kwargs):
        return [slow_metrics if activity._Definition.must_from_callable(a).name == names.COLLECT_METRICS else a
                for a in real(*args, **kwargs)]  # fmt: skip

    monkeypatch.setattr(worker_module, "lifecycle_activities", with_slow_metrics)
    settings = Settings(sandbox_url=sandbox.url, task_queue=task_queue)
    async with worker_module.running_worker(time_env.client, seeded, settings):
        now = await time_env.get_current_time()
        post, handle = await approved(time_env, seeded, task_queue, "Gone mid-count.", publish_at=now, offsets=(HOUR,))
        await until(handle, time_env, PostStatus.PUBLISHED)
        for _ in range(400):  # time moves only while something waits on the server
            if started.is_set():
                break
            await time_env.sleep(60)
        assert started.is_set(), "the follow-up never fetched its snapshot"
        after = await handle.execute_update(PostLifecycle.unpublish, UnpublishRequest(actor="ed", reason="recall"))
        assert after.status is PostStatus.UNPUBLISHED
        release.set()
        final: LifecycleState = await handle.result()
        await keep_history(handle, "unpublished_while_a_snapshot_was_fetched")

    assert final.status is PostStatus.UNPUBLISHED
    trail = entries(seeded, post.id)
    assert [a for a, _, _ in trail][-2:] == ["unpublished", "metrics_missed"]
    assert trail[-1][1] == "unpublished"  # the missed snapshot's entry says where the post stands now
    with transaction(seeded) as session:
        row = get_post(session, post.id)
        assert row is not None and row.status == "unpublished"  # the projection follows the workflow
