"""A post on several channels: a variant per channel, a brand check per variant, each channel publishing on its
own, a partial failure visible per channel, and one channel retried. Time-skipping server, real activities,
SQLite, and the sandbox platform over HTTP (it counts what it holds)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateFailedError

from api.service import create_draft, submit
from domain.content import Variant
from domain.lifecycle import (
    DecideRequest,
    LifecycleState,
    RetryRequest,
    ReviseRequest,
    UnpublishRequest,
    WithdrawRequest,
)
from domain.status import ChannelStatus, Decision, PostStatus
from history_recorder import keep_history
from lifecycle_waits import until
from store.engine import transaction
from store.posts import get_post
from store.publications import publications_of, snapshots_of
from store.records import audit_trail
from store.tables import Channel
from store.workspaces import add_channel
from workflows.lifecycle import PostLifecycle

HOUR = 3600


@pytest.fixture
def channels(seeded: Engine, request: pytest.FixtureRequest) -> list[str]:
    """Three sandbox channels of their own (the sandbox is shared by the session), one limited to 60."""
    prefix = request.node.name[-12:].replace("_", "")
    ids = [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    with transaction(seeded) as session:
        add_channel(session, Channel(id=ids[0], workspace_id="acme", name="Wide", max_length=500))
        add_channel(session, Channel(id=ids[1], workspace_id="acme", name="Short", max_length=60))
        add_channel(session, Channel(id=ids[2], workspace_id="acme", name="Third", max_length=500))
    return ids


@pytest.fixture
def platform(sandbox, channels: list[str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http
        for channel in channels:
            http.delete(f"/api/channels/{channel}/faults")


def held(http: httpx.Client, channel: str) -> list[str]:
    return [p["text"] for p in http.get("/api/posts", params={"channel": channel}).json()["posts"]]


async def start(env, engine, tq, channels, text, variants=(), offsets=(HOUR,)):
    now = await env.get_current_time()
    post = create_draft(
        engine,
        workspace_id="acme",
        channel_ids=channels,
        author="ed",
        text=text,
        publish_at=now,
        variants=list(variants),
    )
    return post, await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=list(offsets))


def approve(state: LifecycleState) -> DecideRequest:
    return DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=state.revision.content_hash)


async def test_one_channel_fails_the_others_publish_and_a_retry_of_that_channel_publishes_it_once(
    time_env, seeded, worker, channels, platform
):
    wide, short, third = channels
    platform.put(f"/api/channels/{third}/faults", json={"revoked": True})
    post, handle = await start(
        time_env,
        seeded,
        worker,
        channels,
        "Our spring line is here: twelve colours, recycled cotton, made to last for years.",
        variants=[Variant(channel_id=short, text="Spring line: out now.")],
    )
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))

    failed = await until(handle, time_env, PostStatus.PUBLISH_FAILED)
    by_channel = {c.channel_id: c for c in failed.channels}
    assert by_channel[wide].status in (ChannelStatus.PUBLISHED, ChannelStatus.DONE)
    assert by_channel[short].status in (ChannelStatus.PUBLISHED, ChannelStatus.DONE)
    assert by_channel[third].status is ChannelStatus.PUBLISH_FAILED
    assert "revoked" in (by_channel[third].failure or "").lower()
    assert held(platform, wide) == ["Our spring line is here: twelve colours, recycled cotton, made to last for years."]
    assert held(platform, short) == ["Spring line: out now."]  # its own variant
    assert held(platform, third) == []

    # A retry names a channel that did not fail: refused by the validator, nothing changes.
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.retry_publish, RetryRequest(actor="ed", channel_id=wide))
    assert "no failed publication" in str(refused.value.cause)

    platform.delete(f"/api/channels/{third}/faults")  # the account is reconnected
    await handle.execute_update(PostLifecycle.retry_publish, RetryRequest(actor="ed", channel_id=third))
    final: LifecycleState = await handle.result()

    assert final.status is PostStatus.DONE
    assert {c.channel_id: c.status for c in final.channels} == {ch: ChannelStatus.DONE for ch in channels}
    for channel in channels:
        assert len(held(platform, channel)) == 1, channel  # exactly once on every channel
    assert sorted(m.channel_id for m in final.metrics) == sorted(channels)
    with transaction(seeded) as session:
        assert sorted(p.channel_id for p in publications_of(session, post.id)) == sorted(channels)
        assert len(snapshots_of(session, post.id)) == 3
        trail = [(e.action, e.status) for e in audit_trail(session, post.id)]
        row = get_post(session, post.id)
        assert row is not None
        row_status = row.status  # the projection
    actions = [a for a, _ in trail]
    assert actions.count("channel_published") == 3
    assert actions.count("channel_publish_failed") == 1
    assert ("publish_failed", "publish_failed") in trail  # the post-level summary of the partial failure
    # The retried channel's entry comes after the retry and brings the post back to published.
    retried = actions.index("publish_retried")
    assert ("channel_published", "published") in trail[retried:], trail
    # The trail ends with the post done: on the last snapshot's entry, or on a `completed` entry when the
    # last snapshots of two channels were taken while the other was still out (a matter of timing).
    assert trail[-1] in (("metrics_collected", "done"), ("completed", "done")), trail
    assert row_status == "done"
    await keep_history(handle, "many_channels_partial_failure_retry")


async def test_each_variant_is_checked_against_its_own_channel(time_env, seeded, worker, channels, platform):
    wide, short, _ = channels
    long_text = "Our spring line is here: twelve colours, recycled cotton, made to last for years."
    _, handle = await start(time_env, seeded, worker, channels, long_text)
    state = await until(handle, time_env, PostStatus.CHANGES_NEEDED)
    # Too long only for the 60-character channel, and said so for that channel alone.
    blocking = [f for f in state.findings if f.level == "error"]
    assert blocking and {f.channel_id for f in blocking} == {short}

    # A variant for a channel the post does not target is refused before it reaches history.
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            PostLifecycle.revise,
            ReviseRequest(actor="ed", text=long_text, variants=[Variant(channel_id="elsewhere", text="Hi")]),
        )
    assert "does not target" in str(refused.value.cause)

    revised = await handle.execute_update(
        PostLifecycle.revise,
        ReviseRequest(actor="ed", text=long_text, variants=[Variant(channel_id=short, text="Spring line: out now.")]),
    )
    assert revised.text_for(short) == "Spring line: out now." and revised.text_for(wide) == long_text
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    assert not [f for f in state.findings if f.level == "error"]
    # The approver signs the variants too: the hash covers them.
    assert state.revision.content_hash == revised.content_hash
    await handle.execute_update(PostLifecycle.withdraw, WithdrawRequest(actor="ed", reason="test done"))
    assert (await handle.result()).status is PostStatus.WITHDRAWN


async def test_withdrawing_after_a_partial_failure_gives_up_that_channel_only(
    time_env, seeded, worker, channels, platform
):
    wide, _, third = channels
    platform.put(f"/api/channels/{third}/faults", json={"revoked": True})
    _, handle = await start(time_env, seeded, worker, [wide, third], "Back in stock today.", offsets=(HOUR,))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))
    await until(handle, time_env, PostStatus.PUBLISH_FAILED)

    after = await handle.execute_update(PostLifecycle.withdraw, WithdrawRequest(actor="ed", reason="account closed"))

    assert after.status is PostStatus.PUBLISHED  # what went out stays out, and is followed up
    final: LifecycleState = await handle.result()
    assert final.status is PostStatus.DONE
    assert {c.channel_id: c.status for c in final.channels} == {
        wide: ChannelStatus.DONE,
        third: ChannelStatus.WITHDRAWN,
    }
    assert held(platform, wide) == ["Back in stock today."] and held(platform, third) == []


async def test_channels_published_together_end_the_post_done_in_the_projection_too(
    time_env, seeded, worker, channels, platform
):
    wide, _, third = channels
    post, handle = await start(time_env, seeded, worker, [wide, third], "Two channels, one moment.")
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))
    final = await handle.result()

    assert final.status is PostStatus.DONE
    with transaction(seeded) as session:
        trail = [(e.action, e.status) for e in audit_trail(session, post.id)]
        row = get_post(session, post.id)
        assert row is not None and row.status == "done"  # the projection agrees with the workflow
    # Both last snapshots were taken while the other channel was still out: one entry says the post is done.
    assert trail[-1] == ("completed", "done"), trail


async def test_unpublishing_one_channel_leaves_the_others_out_and_followed_up(
    time_env, seeded, worker, channels, platform
):
    wide, _, third = channels
    post, handle = await start(time_env, seeded, worker, [wide, third], "Out on two, down on one.")
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    await handle.execute_update(PostLifecycle.decide, approve(state))
    await until(handle, time_env, PostStatus.PUBLISHED)

    after = await handle.execute_update(
        PostLifecycle.unpublish, UnpublishRequest(actor="ann", reason="wrong audience", channel_id=wide)
    )
    assert after.status is PostStatus.PUBLISHED  # still out on the third channel
    assert [c.status for c in after.channels] == [ChannelStatus.UNPUBLISHED, ChannelStatus.PUBLISHED]
    final = await handle.result()

    assert final.status is PostStatus.DONE
    assert [c.status for c in final.channels] == [ChannelStatus.UNPUBLISHED, ChannelStatus.DONE]
    assert held(platform, wide) == [] and held(platform, third) == ["Out on two, down on one."]
    with transaction(seeded) as session:
        snapshots = snapshots_of(session, post.id)
        trail = [(e.action, e.status) for e in audit_trail(session, post.id)]
    assert {s.channel_id for s in snapshots} == {third}
    assert ("unpublished", "published") in trail and trail[-1][1] == "done"
    await keep_history(handle, "many_channels_one_unpublished")
