"""Takes one channel's publication of a post down: the platform's delete, then our own record of it.

Idempotent: a publication we already recorded as unpublished is not deleted again, and a post the platform
has lost already (its 404) counts as deleted, as every adapter's `delete()` treats it. Transient platform
errors are retried by Temporal; a refusal (a revoked token, a platform that cannot delete) fails for good.
The audit entry is written by the caller, once for every channel of the request.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from activities.channel_access import ChannelAccess
from activities.channels import ChannelAdapters, classified
from domain.lifecycle import TransitionRecord, UnpublishChannelRequest, UnpublishChannelResult
from domain.status import PostStatus
from store.engine import transaction
from store.posts import get_post
from store.publications import mark_unpublished, publications_of
from store.records import record_transitions
from store.tables import Channel, Post
from store.workspaces import get_channel

DELETED = "deleted"
ALREADY_UNPUBLISHED = "already_unpublished"


class UnpublishActivities:
    def __init__(self, engine: Engine, adapters: ChannelAdapters) -> None:
        self._engine = engine
        self._adapters = adapters

    @activity.defn(name=names.UNPUBLISH)
    async def unpublish(self, req: UnpublishChannelRequest) -> UnpublishChannelResult:
        channel, done = await asyncio.to_thread(self._load, req)
        if done:
            return UnpublishChannelResult(channel_id=req.channel_id, outcome=ALREADY_UNPUBLISHED)
        # A disabled channel may still take down what it published; one needing reconnection cannot.
        access = await ChannelAccess.open(self._adapters, self._engine, channel, publishing=False)
        await classified(access.call(lambda adapter: adapter.delete(req.external_id)))
        await asyncio.to_thread(self._mark, req)
        return UnpublishChannelResult(channel_id=req.channel_id, outcome=DELETED)

    def _load(self, req: UnpublishChannelRequest) -> tuple[Channel, bool]:
        with transaction(self._engine) as session:
            # Channel ids are the workspace's own: the post says which workspace.
            post = get_post(session, req.post_id)
            channel = get_channel(session, post.workspace_id, req.channel_id) if post is not None else None
            if channel is None:
                raise ApplicationError(f"channel {req.channel_id} no longer exists", non_retryable=True)
            rows = [r for r in publications_of(session, req.post_id) if r.channel_id == req.channel_id]
            return channel, bool(rows) and all(r.unpublished_at is not None for r in rows)

    def _mark(self, req: UnpublishChannelRequest) -> None:
        with transaction(self._engine) as session:
            mark_unpublished(session, req.post_id, req.channel_id, req.reason, datetime.now(UTC))

    @activity.defn(name=names.RECORD_UNPUBLISHED)
    async def record_unpublished(self, record: TransitionRecord) -> None:
        """The entry of an unpublish after the lifecycle ended: in its own sequence (its workflow id), and
        the projection follows when every publication of the post is down."""
        await asyncio.to_thread(self._record, record)

    def _record(self, record: TransitionRecord) -> None:
        with transaction(self._engine) as session:
            record_transitions(session, [record])
            post = session.get(Post, record.post_id)
            rows = publications_of(session, record.post_id)
            if post is not None and rows and all(r.unpublished_at is not None for r in rows):
                post.status = PostStatus.UNPUBLISHED.value
                post.updated_at = record.at
                session.add(post)
