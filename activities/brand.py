"""Runs the brand engine on a revision and records the result with its audit entries.

Before checking, a channel whose platform reports its own limits (a Mastodon instance: `max_characters`,
`characters_reserved_per_url`, media) has them read when they are missing (never read, or cleared when the
channel was connected again) or older than `LIMITS_MAX_AGE`, and stored on the channel. A platform that
cannot be reached then leaves the last stored limits, or the platform's defaults, in force.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from activities.channel_access import ChannelAccess
from activities.channels import ChannelAdapters
from activities.publish import media_refs
from brand.engine import Budget
from brand.workspace import check_with
from domain.lifecycle import BrandCheckRequest, BrandCheckResult
from domain.status import PostStatus
from platforms.base import TextLimits
from platforms.channel_settings import LIVE_LIMITS
from platforms.errors import PlatformError
from store.brand_styles import brand_settings
from store.channels import store_platform_limits
from store.engine import transaction
from store.records import record_transitions
from store.tables import Channel
from store.workspaces import get_channel

log = logging.getLogger(__name__)
LIMITS_MAX_AGE = timedelta(days=1)


def limits_due(channel: Channel, now: datetime) -> bool:
    if channel.platform not in LIVE_LIMITS:
        return False
    read = channel.platform_limits_at
    return channel.platform_limits is None or read is None or now - read > LIMITS_MAX_AGE


if TYPE_CHECKING:
    from settings import Settings


def brand_budget(settings: Settings) -> Budget:
    return Budget(rule_seconds=settings.brand_rule_timeout, check_seconds=settings.brand_check_timeout)


class BrandActivities:
    def __init__(self, engine: Engine, adapters: ChannelAdapters | None = None, budget: Budget | None = None) -> None:
        self._engine = engine
        self._adapters = adapters
        # A rule over its budget is a finding, not an exception: nothing here can time out and be retried.
        self._budget = budget

    @activity.defn(name=names.CHECK_BRAND)
    async def check_brand(self, req: BrandCheckRequest) -> BrandCheckResult:
        if self._adapters is not None:
            await self._read_limits(req.workspace_id, req.channel_ids or [req.channel_id])
        return await asyncio.to_thread(self._check, req)

    async def _read_limits(self, workspace_id: str, channel_ids: list[str]) -> None:
        now = datetime.now(UTC)
        channels = await asyncio.to_thread(self._channels, workspace_id, channel_ids)
        for channel in channels:
            if limits_due(channel, now):
                await read_platform_limits(self._adapters, self._engine, channel)  # type: ignore[arg-type]

    def _channels(self, workspace_id: str, channel_ids: list[str]) -> list[Channel]:
        with transaction(self._engine) as session:
            return [c for c in (get_channel(session, workspace_id, cid) for cid in channel_ids) if c is not None]

    def _check(self, req: BrandCheckRequest) -> BrandCheckResult:
        with transaction(self._engine) as session:
            findings = []
            style_version = None  # the workspace's: the same for every channel
            # A post on several channels: each channel's variant against that channel's rules.
            for channel_id in req.channel_ids or [req.channel_id]:
                settings = brand_settings(session, req.workspace_id, channel_id)
                style_version = settings.style_version
                text = req.revision.text_for(channel_id)
                media = media_refs(req.revision.variant_for(channel_id).media)
                findings += [
                    f.to_domain().model_copy(update={"channel_id": channel_id})
                    for f in check_with(settings, text, media=media, budget=self._budget)
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


async def read_platform_limits(adapters: ChannelAdapters, engine: Engine, channel: Channel) -> TextLimits | None:
    """Ask the channel's platform for its limits and store them; None (and a log line) when it cannot say."""
    try:
        access = await ChannelAccess.open(adapters, engine, channel, publishing=False)
        limits = await access.call(lambda adapter: adapter.limits())
    except (PlatformError, ApplicationError) as err:
        log.warning("limits of channel %s not read, the last known apply: %s", channel.id, err)
        return None

    def store() -> None:
        with transaction(engine) as session:
            store_platform_limits(
                session, channel.workspace_id, channel.id, limits.model_dump_json(exclude_none=True), datetime.now(UTC)
            )

    await asyncio.to_thread(store)
    return limits
