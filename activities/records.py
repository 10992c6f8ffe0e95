"""Audit entries with their projection change, and revisions: small DB writes run as local activities."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from temporalio import activity

from activities import names
from domain.lifecycle import StoreRevisionRequest, TransitionRecord
from store.engine import transaction
from store.posts import add_revision
from store.records import record_transitions


class RecordActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name=names.RECORD_TRANSITIONS)
    async def record_transitions(self, records: list[TransitionRecord]) -> int:
        return await asyncio.to_thread(self._record, records)

    def _record(self, records: list[TransitionRecord]) -> int:
        with transaction(self._engine) as session:
            return record_transitions(session, records)

    @activity.defn(name=names.STORE_REVISION)
    async def store_revision(self, req: StoreRevisionRequest) -> None:
        await asyncio.to_thread(self._store_revision, req)

    def _store_revision(self, req: StoreRevisionRequest) -> None:
        with transaction(self._engine) as session:
            add_revision(session, req.post_id, req.revision)
            record_transitions(session, [req.record])
