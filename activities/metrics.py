"""Fetches a metrics snapshot of a published post and stores it with its audit entry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from activities.channel_access import ChannelAccess
from activities.channels import ChannelAdapters, classified
from domain.lifecycle import MetricsRequest, MetricsSnapshot
from store.engine import transaction
from store.publications import add_snapshot
from store.records import record_transitions
from store.tables import Channel
from store.workspaces import get_channel


class MetricsActivities:
    def __init__(self, engine: Engine, adapters: ChannelAdapters) -> None:
        self._engine = engine
        self._adapters = adapters

    @activity.defn(name=names.COLLECT_METRICS)
    async def collect_metrics(self, req: MetricsRequest) -> MetricsSnapshot:
        channel = await asyncio.to_thread(self._channel, req.record.workspace_id, req.channel_id)
        # A disabled channel still reports on what it published; one that needs reconnecting cannot.
        access = await ChannelAccess.open(self._adapters, self._engine, channel, publishing=False)
        metrics = await classified(access.call(lambda adapter: adapter.metrics(req.external_id)))
        snapshot = MetricsSnapshot(
            channel_id=req.channel_id,
            external_id=req.external_id,
            offset_seconds=req.offset_seconds,
            collected_at=datetime.now(UTC),
            impressions=metrics.impressions,
            likes=metrics.likes,
            shares=metrics.shares,
            replies=metrics.replies,
        )
        await asyncio.to_thread(self._store, req, snapshot)
        return snapshot

    def _channel(self, workspace_id: str, channel_id: str) -> Channel:
        with transaction(self._engine) as session:
            channel = get_channel(session, workspace_id, channel_id)
            if channel is None:
                raise ApplicationError(f"channel {channel_id} no longer exists", non_retryable=True)
            return channel

    def _store(self, req: MetricsRequest, snapshot: MetricsSnapshot) -> None:
        record = req.record.model_copy(
            update={"detail": snapshot.model_dump(mode="json", exclude={"channel_id", "external_id"})}
        )
        with transaction(self._engine) as session:
            add_snapshot(session, req.post_id, snapshot)
            record_transitions(session, [record])
