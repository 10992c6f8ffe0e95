"""A channel's publishing rate holds under concurrent publishes: each publisher reserves its own slot.

Many publish activities on one channel run at once (asyncio.gather over ActivityEnvironment) against the
sandbox platform over real HTTP; the sandbox's own creation times show when each post went out.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.channel_limits import TokenBucket
from activities.channels import ChannelAdapters
from activities.publish import PublishActivities
from domain.content import content_hash
from domain.lifecycle import PublishRequest, RevisionRef, TransitionRecord
from domain.status import AuditAction, PostStatus
from servers import ThreadedServer
from settings import Settings
from store.credentials import new_key
from store.engine import transaction
from store.tables import Channel, Workspace
from store.workspaces import add_channel, add_workspace

PER_MINUTE = 60.0  # one a second, a burst of ten
BURST = 10
POSTS = 14  # the four beyond the burst wait at most four seconds: every one of them is reserved a slot


def _request(post_id: str, channel_id: str) -> PublishRequest:
    text = f"Post {post_id}"
    record = TransitionRecord(
        workflow_id=f"post-{post_id}",
        post_id=post_id,
        workspace_id="acme",
        seq=5,
        action=AuditAction.PUBLISHED,
        actor="system",
        revision=1,
        content_hash=content_hash(text, None),
        status=PostStatus.PUBLISHED,
        at=datetime.now(UTC),
    )
    revision = RevisionRef(number=1, text=text, content_hash=content_hash(text, None), author="ed")
    return PublishRequest(post_id=post_id, workspace_id="acme", channel_id=channel_id, revision=revision, record=record)


def test_a_reservation_is_owned_by_the_caller_that_waits() -> None:
    now = [0.0]
    bucket = TokenBucket(60.0, clock=lambda: now[0])  # one a second, ten at most
    waits = [bucket.take(max_wait=5.0) for _ in range(16)]
    # Ten go now; the next five each own the next free second; the sixteenth is told to come back.
    assert waits[:10] == [(0.0, True)] * 10
    assert [round(w, 6) for w, _ in waits[10:15]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert all(reserved for _, reserved in waits[10:15])
    assert waits[15][1] is False and round(waits[15][0], 6) == 6.0
    # Refused callers reserved nothing: after six seconds exactly one slot is free again.
    now[0] = 6.0
    assert bucket.take(max_wait=0.0) == (0.0, True)
    assert bucket.take(max_wait=0.0)[1] is False


async def test_concurrent_publishes_on_one_channel_keep_to_its_rate(
    engine: Engine, sandbox: ThreadedServer, tmp_path: Any
) -> None:
    channel_id = f"rated-{time.time_ns()}"
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
        add_channel(session, Channel(id=channel_id, workspace_id="acme", name="Rated", platform="sandbox"))
    settings = Settings(
        credential_keys=f"test={new_key()}", data_dir=tmp_path, publish_rate_per_minute={"sandbox": PER_MINUTE}
    )
    started = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        publisher = PublishActivities(engine, ChannelAdapters(http, sandbox.url, settings=settings))
        publications = await asyncio.gather(
            *(ActivityEnvironment().run(publisher.publish, _request(f"p{n}", channel_id)) for n in range(POSTS))
        )
        listed = (await http.get(f"{sandbox.url}/api/posts", params={"channel": channel_id})).json()["posts"]

    assert len({p.external_id for p in publications}) == POSTS and len(listed) == POSTS
    created = sorted(datetime.fromisoformat(post["created_at"]) for post in listed)
    # The k-th post to go out (from 0) owns the slot (k - burst + 1) seconds after the first call at the
    # earliest: the sandbox cannot have created it sooner, however slow or fast the machine.
    for k, at in enumerate(created):
        earliest = max(0.0, (k - BURST + 1) * 60.0 / PER_MINUTE)
        assert (at - started).total_seconds() >= earliest - 0.05, (k, (at - started).total_seconds())
