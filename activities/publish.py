"""Publishes one revision on one channel, exactly once per (post, revision, channel).

Guards, in order: our own publication record; what an earlier attempt of this activity heartbeated (it
published but failed before recording, or was cut off mid-call); then the platform. Where the platform can
settle an ambiguous attempt by our idempotency key (sandbox, Mastodon, Bluesky, webhook), a retry looks
before it posts; where it cannot (LinkedIn, X, Threads, Instagram, Facebook), an attempt whose outcome is
unknown fails for good with `AmbiguousPublish`, asking a person to check the platform.

The heartbeat details say where the attempt is: {"stage": "publishing"} while the platform call is in
flight (repeated every few seconds, so long uploads show in the UI), "not_published" after a clean
refusal, "published" with the publication once the platform answered. Temporal keeps the last details of
a failed attempt (they are sent with the failure, unthrottled) and hands them to the next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from activities.channel_access import ChannelAccess
from activities.channels import ChannelAdapters, classified
from domain.content import MediaRef as ContentMedia
from domain.lifecycle import Publication, PublishRequest
from platforms.base import MediaRef, PlatformAdapter, PublishedPost, Variant
from platforms.errors import AmbiguousPublish
from store.engine import transaction
from store.publications import add_publication, find_publication, idempotency_key
from store.records import record_transitions
from store.tables import Channel
from store.workspaces import get_channel, get_workspace

PUBLISHING = "publishing"
NOT_PUBLISHED = "not_published"
PUBLISHED = "published"
HEARTBEAT_EVERY_S = 5.0
DEFAULT_LATE_NOTICE_S = 60


class PublishActivities:
    def __init__(self, engine: Engine, adapters: ChannelAdapters) -> None:
        self._engine = engine
        self._adapters = adapters

    @activity.defn(name=names.PUBLISH)
    async def publish(self, req: PublishRequest) -> Publication:
        key = idempotency_key(req.post_id, req.revision.number, req.channel_id)
        channel, earlier, late_after = await asyncio.to_thread(self._load, req, key)
        earlier = earlier or _published_by_earlier_attempt(key)
        if earlier is not None:
            # An earlier attempt published; make sure the record and the audit entry are there too.
            earlier = with_lateness(earlier, req, late_after)
            await asyncio.to_thread(self._store, req, key, earlier)
            return earlier
        cut_off = _earlier_attempt_cut_off(key)
        access = await ChannelAccess.open(self._adapters, self._engine, channel, publishing=True)
        wait, reserved = self._adapters.limits.publish_wait(channel.platform, channel.id)
        if wait > 0:
            await _wait_for_turn(channel, wait, reserved)
        variant = variant_for(req)
        async with _heartbeating({"stage": PUBLISHING, "key": key}):
            try:
                posted = await classified(
                    access.call(lambda adapter: _post(adapter, variant, key, cut_off)),
                    reconciles_by_key=access.adapter.reconciles_by_key,
                )
            except ApplicationError as err:
                if err.type != "AmbiguousPublish":
                    activity.heartbeat({"stage": NOT_PUBLISHED, "key": key})
                raise
        publication = Publication(
            channel_id=channel.id,
            external_id=posted.external_id,
            url=posted.url,
            published_at=posted.created_at,
        )
        publication = with_lateness(publication, req, late_after)
        activity.heartbeat({"stage": PUBLISHED, "key": key, "publication": publication.model_dump(mode="json")})
        await asyncio.to_thread(self._store, req, key, publication)
        return publication

    def _load(self, req: PublishRequest, key: str) -> tuple[Channel, Publication | None, int]:
        with transaction(self._engine) as session:
            channel = get_channel(session, req.workspace_id, req.channel_id)
            if channel is None:
                raise ApplicationError(f"channel {req.channel_id} no longer exists", non_retryable=True)
            workspace = get_workspace(session, req.workspace_id)
            late_after = workspace.late_notice_after_s if workspace is not None else DEFAULT_LATE_NOTICE_S
            return channel, find_publication(session, key), late_after

    def _store(self, req: PublishRequest, key: str, publication: Publication) -> None:
        # `at` stays the workflow's time of the transition; the platform's own clock goes in the detail.
        detail: dict[str, Any] = {
            "channel_id": publication.channel_id,
            "external_id": publication.external_id,
            "url": publication.url,
            "platform_published_at": publication.published_at.isoformat(),
        }
        if publication.intended_at is not None:
            # Intended against actual: a post that went out late (downtime, a late approval) says so.
            detail |= {
                "intended_at": publication.intended_at.isoformat(),
                "actual_at": publication.published_at.isoformat(),
                "late_by_s": publication.late_by_s,
            }
        record = req.record.model_copy(update={"detail": detail})
        with transaction(self._engine) as session:
            if find_publication(session, key) is None:
                add_publication(session, key, req.post_id, req.revision.number, publication)
            record_transitions(session, [record])


def with_lateness(publication: Publication, req: PublishRequest, late_after_s: int) -> Publication:
    """The publication with how late it went out: the platform's time of the post against the publish time."""
    if req.intended_at is None:
        return publication
    late = max(0.0, round((publication.published_at - req.intended_at).total_seconds(), 3))
    return publication.model_copy(
        update={"intended_at": req.intended_at, "late_by_s": late, "late_notice": late > late_after_s}
    )


def variant_for(req: PublishRequest) -> Variant:
    """The text and media this channel publishes: its own variant, or the revision's base text."""
    own = req.revision.variant_for(req.channel_id)
    return Variant(text=req.revision.text_for(req.channel_id), media=media_refs(own.media))


def media_refs(media: Sequence[ContentMedia]) -> list[MediaRef]:
    """A variant's media as the adapters (and the brand check) see them: each with a declared type."""
    return [MediaRef(url=m.url, alt_text=m.alt_text, mime_type=m.mime_type or _guess_type(m.url)) for m in media]


def _guess_type(url: str) -> str:
    return mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"


async def _post(adapter: PlatformAdapter, variant: Variant, key: str, cut_off: bool) -> PublishedPost:
    if activity.info().attempt > 1 and adapter.reconciles_by_key:
        # The previous attempt may have reached the platform before it failed: look before posting.
        found = await adapter.find_by_key(key)
        if found is not None:
            return found
    elif cut_off:
        raise AmbiguousPublish(
            adapter.platform,
            "an earlier attempt was cut off while publishing (the worker stopped or the attempt timed out), "
            "so the post may or may not exist",
        )
    return await adapter.publish(variant, key)


def _last_heartbeat(key: str) -> dict[str, Any] | None:
    info = activity.info()
    if info.attempt <= 1 or not info.heartbeat_details:
        return None
    details = info.heartbeat_details[-1]
    return details if isinstance(details, dict) and details.get("key") == key else None


def _published_by_earlier_attempt(key: str) -> Publication | None:
    details = _last_heartbeat(key)
    if details is None or details.get("stage") != PUBLISHED:
        return None
    return Publication.model_validate(details["publication"])


def _earlier_attempt_cut_off(key: str) -> bool:
    details = _last_heartbeat(key)
    return details is not None and details.get("stage") == PUBLISHING


async def _wait_for_turn(channel: Channel, wait: float, reserved: bool) -> None:
    if not reserved:
        raise ApplicationError(
            f"channel '{channel.id}' is at its publishing rate; trying again in {wait:.0f} s",
            type="RateLimited",
            next_retry_delay=timedelta(seconds=wait),
        )
    await asyncio.sleep(wait)


@contextlib.asynccontextmanager
async def _heartbeating(details: dict[str, Any]) -> AsyncIterator[None]:
    """Heartbeat `details` now and every few seconds until the block ends."""
    activity.heartbeat(details)

    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY_S)
            activity.heartbeat(details)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
