"""Runs the brand engine on a revision and records the result with its audit entries."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from temporalio import activity

from activities import names
from brand.engine import Budget
from brand.workspace import check_with
from domain.lifecycle import BrandCheckRequest, BrandCheckResult
from domain.status import PostStatus
from store.brand_styles import brand_settings
from store.engine import transaction
from store.records import record_transitions

if TYPE_CHECKING:
    from settings import Settings


def brand_budget(settings: Settings) -> Budget:
    return Budget(rule_seconds=settings.brand_rule_timeout, check_seconds=settings.brand_check_timeout)


class BrandActivities:
    def __init__(self, engine: Engine, budget: Budget | None = None) -> None:
        self._engine = engine
        # A rule over its budget is a finding, not an exception: nothing here can time out and be retried.
        self._budget = budget

    @activity.defn(name=names.CHECK_BRAND)
    async def check_brand(self, req: BrandCheckRequest) -> BrandCheckResult:
        return await asyncio.to_thread(self._check, req)

    def _check(self, req: BrandCheckRequest) -> BrandCheckResult:
        with transaction(self._engine) as session:
            findings = []
            style_version = None  # the workspace's: the same for every channel
            # A post on several channels: each channel's variant against that channel's rules.
            for channel_id in req.channel_ids or [req.channel_id]:
                settings = brand_settings(session, req.workspace_id, channel_id)
                style_version = settings.style_version
                text = req.revision.text_for(channel_id)
                findings += [
                    f.to_domain().model_copy(update={"channel_id": channel_id})
                    for f in check_with(settings, text, budget=self._budget)
                ]
            blocking = any(f.blocks_approval for f in findings)
            status = PostStatus.CHANGES_NEEDED if blocking else PostStatus.AWAITING_APPROVAL
            checked = req.checked.model_copy(
                update={
                    "status": status,
                    "detail": {
                        "blocking": blocking,
                        # Which rules judged this revision: the style version is kept, so is the style.
                        "style_version": style_version,
                        "findings": [f.model_dump(mode="json") for f in findings],
                    },
                }
            )
            record_transitions(session, [*req.before, checked])
        return BrandCheckResult(findings=findings, blocking=blocking, status=status)
