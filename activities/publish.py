"""Publishes one revision on one channel, exactly once per (post, revision, channel)."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from activities.channels import ChannelAdapters, classified
from domain.lifecycle import Publication, PublishRequest
from store.engine import transaction
from store.publications import add_publication, find_publication, idempotency_key
from store.records import record_transitions
from store.tables import Channel
from store.workspaces import get_channel


class PublishActivities:
    def __init__(self, engine: Engine, adapters: ChannelAdapters) -> None:
        self._engine = engine
        self._adapters = adapters

    @activity.defn(name=names.PUBLISH)
    async def publish(self, req: PublishRequest) -> Publication:
        key = idempotency_key(req.post_id, req.revision.number, req.channel_id)
        channel, earlier = await asyncio.to_thread(self._load, req.channel_id, key)
        if earlier is not None:
            # An earlier attempt published and recorded it; make sure the audit entry is there too.
            await asyncio.to_thread(self._store, req, key, earlier)
            return earlier
        adapter = self._adapters.for_channel(channel)
        posted = None
        if activity.info().attempt > 1:
            # The previous attempt may have reached the platform before it failed: look before posting.
            posted = await classified(adapter.find_by_key(key))
        if posted is None:
            posted = await classified(adapter.publish(channel.id, req.revision.text_for(channel.id), key))
        publication = Publication(
            channel_id=channel.id,
            external_id=posted.external_id,
            url=posted.url,
            published_at=posted.created_at,
        )
        await asyncio.to_thread(self._store, req, key, publication)
        return publication

    def _load(self, channel_id: str, key: str) -> tuple[Channel, Publication | None]:
        with transaction(self._engine) as session:
            channel = get_channel(session, channel_id)
            if channel is None:
                raise ApplicationError(f"channel {channel_id} no longer exists", non_retryable=True)
            return channel, find_publication(session, key)

    def _store(self, req: PublishRequest, key: str, publication: Publication) -> None:
        # `at` stays the workflow's time of the transition; the platform's own clock goes in the detail.
        record = req.record.model_copy(
            update={
                "detail": {
                    "channel_id": publication.channel_id,
                    "external_id": publication.external_id,
                    "url": publication.url,
                    "platform_published_at": publication.published_at.isoformat(),
                }
            }
        )
        with transaction(self._engine) as session:
            if find_publication(session, key) is None:
                add_publication(session, key, req.post_id, req.revision.number, publication)
            record_transitions(session, [record])
