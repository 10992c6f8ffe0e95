"""Runs the brand engine on a revision and records the result with its audit entries."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from temporalio import activity

import brand
from activities import names
from domain.lifecycle import BrandCheckRequest, BrandCheckResult
from domain.status import PostStatus
from store.engine import transaction
from store.records import record_transitions
from store.workspaces import brand_rules


class BrandActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name=names.CHECK_BRAND)
    async def check_brand(self, req: BrandCheckRequest) -> BrandCheckResult:
        return await asyncio.to_thread(self._check, req)

    def _check(self, req: BrandCheckRequest) -> BrandCheckResult:
        with transaction(self._engine) as session:
            rules = brand_rules(session, req.workspace_id, req.channel_id)
            findings = brand.check(req.revision.text, rules)
            blocking = any(f.blocks_approval for f in findings)
            status = PostStatus.CHANGES_NEEDED if blocking else PostStatus.AWAITING_APPROVAL
            checked = req.checked.model_copy(
                update={
                    "status": status,
                    "detail": {
                        "blocking": blocking,
                        "findings": [f.model_dump(mode="json") for f in findings],
                    },
                }
            )
            record_transitions(session, [*req.before, checked])
        return BrandCheckResult(findings=findings, blocking=blocking, status=status)
