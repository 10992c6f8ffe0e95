"""Threads, Instagram and Facebook Pages through Meta's Graph APIs.

Threads and Instagram publish in two steps: create a media container, wait until Meta has processed it,
then publish it. A Facebook Page post is one call.

Reconciliation: none of the three has an idempotency key or a lookup by one, so `find_by_key` returns None
and a retry after `AmbiguousPublish` (the publish call itself timed out) can post twice. A timeout while
creating the container is harmless: an unpublished container expires after 24 hours.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import RejectedByPlatform
from platforms.meta_graph import GraphApi

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
_URL = re.compile(r"https?://\S+")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ThreadsConfig(BaseModel):
    api_url: str = "https://graph.threads.net/v1.0"
    user_id: str
    access_token: SecretStr
    poll_interval_s: float = 2.0
    poll_attempts: int = 30


class InstagramConfig(BaseModel):
    api_url: str = "https://graph.facebook.com/v23.0"
    ig_user_id: str
    access_token: SecretStr
    poll_interval_s: float = 5.0
    poll_attempts: int = 24


class FacebookPageConfig(BaseModel):
    api_url: str = "https://graph.facebook.com/v23.0"
    page_id: str
    page_access_token: SecretStr
    attach_first_link: bool = True


def _one_media(platform: str, variant: Variant) -> MediaRef | None:
    if len(variant.media) > 1:
        raise RejectedByPlatform(platform, f"This {platform} channel takes one image or video per post, not a carousel")
    return variant.media[0] if variant.media else None


def _is_video(media: MediaRef) -> bool:
    return media.mime_type.startswith("video/")


def _object(path_id: str) -> str:
    return quote(path_id, safe="")


class ThreadsAdapter:
    platform = "threads"
    reconciles_by_key = False

    def __init__(
        self, client: httpx.AsyncClient, config: ThreadsConfig, *, clock: Clock = _utc_now, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._config = config
        token = config.access_token.get_secret_value()
        self._graph = GraphApi(client, self.platform, config.api_url, token, clock=clock, sleep=sleep)

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        media = _one_media(self.platform, variant)
        form: dict[str, Any] = {"media_type": "TEXT", "text": variant.text}
        if media is not None:
            kind = "VIDEO" if _is_video(media) else "IMAGE"
            form |= {"media_type": kind, f"{kind.lower()}_url": media.url, "alt_text": media.alt_text}
        # Threads reports a container's state in `status` (Instagram calls it `status_code`).
        return await self._graph.publish_container(
            _object(self._config.user_id),
            "threads",
            form,
            status_field="status",
            error_field="error_message",
            interval_s=self._config.poll_interval_s,
            attempts=self._config.poll_attempts,
        )

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """Always None: Threads cannot look a post up by anything we chose before publishing it."""
        return None

    async def delete(self, external_id: str) -> None:
        await self._graph.delete(_object(external_id))

    async def metrics(self, external_id: str) -> PlatformMetrics:
        body = await self._graph.call(
            "GET", f"/{_object(external_id)}/insights", params={"metric": "views,likes,replies,reposts,quotes"}
        )
        counts = _insight_values(body)
        return PlatformMetrics(
            impressions=counts.get("views", 0),
            likes=counts.get("likes", 0),
            shares=counts.get("reposts", 0) + counts.get("quotes", 0),
            replies=counts.get("replies", 0),
        )

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=500, counting="chars")

    async def check_credentials(self) -> str:
        return await _graph_name(self._graph, self._config.user_id, "username")


async def _graph_name(graph: GraphApi, account_id: str, field: str) -> str:
    """The account's name as Graph gives it to this token: proof that the token can read the account."""
    body = await graph.call("GET", f"/{_object(account_id)}", params={"fields": f"id,{field}"})
    name = graph.field(body, field, "account")
    return f"@{name}" if field == "username" else name


def _insight_values(body: Any) -> dict[str, int]:
    """`{"data": [{"name", "values": [{"value"}]} | {"name", "total_value": {"value"}}]}` as name -> count."""
    counts: dict[str, int] = {}
    for item in body.get("data", []) if isinstance(body, dict) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        values = item.get("values")
        total = item.get("total_value")
        value = values[0].get("value") if isinstance(values, list) and values and isinstance(values[0], dict) else None
        if value is None and isinstance(total, dict):
            value = total.get("value")
        if isinstance(value, int):
            counts[item["name"]] = value
    return counts


class InstagramAdapter:
    platform = "instagram"
    reconciles_by_key = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: InstagramConfig,
        *,
        clock: Clock = _utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        token = config.access_token.get_secret_value()
        self._graph = GraphApi(client, self.platform, config.api_url, token, clock=clock, sleep=sleep)

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        media = _one_media(self.platform, variant)
        if media is None:
            raise RejectedByPlatform(self.platform, "An Instagram post needs an image or a video; add one")
        form: dict[str, Any] = {"caption": variant.text}
        if _is_video(media):
            form |= {"media_type": "REELS", "video_url": media.url}
        else:
            form |= {"image_url": media.url, "alt_text": media.alt_text}
        return await self._graph.publish_container(
            _object(self._config.ig_user_id),
            "media",
            form,
            status_field="status_code",
            error_field="status",
            interval_s=self._config.poll_interval_s,
            attempts=self._config.poll_attempts,
        )

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """Always None: Instagram cannot look a post up by anything we chose before publishing it."""
        return None

    async def delete(self, external_id: str) -> None:
        raise RejectedByPlatform(
            self.platform, f"Instagram's API cannot delete posts; delete {external_id} in the Instagram app"
        )

    async def metrics(self, external_id: str) -> PlatformMetrics:
        """Likes and comments; Instagram's reach figures need the insights permission and are left at 0."""
        body = await self._graph.call("GET", f"/{_object(external_id)}", params={"fields": "like_count,comments_count"})
        if not isinstance(body, dict):
            raise self._graph.http.unexpected("media", body)
        return PlatformMetrics(likes=body.get("like_count", 0), replies=body.get("comments_count", 0))

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=2200, counting="chars")

    async def check_credentials(self) -> str:
        return await _graph_name(self._graph, self._config.ig_user_id, "username")


class FacebookPageAdapter:
    platform = "facebook"
    reconciles_by_key = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: FacebookPageConfig,
        *,
        clock: Clock = _utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        token = config.page_access_token.get_secret_value()
        self._graph = GraphApi(client, self.platform, config.api_url, token, clock=clock, sleep=sleep)

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        media = _one_media(self.platform, variant)
        page = _object(self._config.page_id)
        if media is not None:
            if _is_video(media):
                raise RejectedByPlatform(self.platform, "This Facebook Page channel posts images, not videos")
            body = await self._graph.call(
                "POST", f"/{page}/photos", publishing=True, data={"url": media.url, "message": variant.text}
            )
            post_id = self._graph.field(body, "post_id", "photo")
        else:
            form = {"message": variant.text}
            link = _URL.search(variant.text) if self._config.attach_first_link else None
            if link:
                form["link"] = link.group(0).rstrip(".,;:!?)")
            body = await self._graph.call("POST", f"/{page}/feed", publishing=True, data=form)
            post_id = self._graph.field(body, "id", "feed")
        url, created_at = await self._graph.permalink(post_id, "permalink_url", "created_time")
        return PublishedPost(external_id=post_id, url=url, created_at=created_at)

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """Always None: a Page cannot look a post up by anything we chose before publishing it."""
        return None

    async def delete(self, external_id: str) -> None:
        await self._graph.delete(_object(external_id))

    async def metrics(self, external_id: str) -> PlatformMetrics:
        """Reactions, shares and comments; impressions need Page insights and are left at 0."""
        fields = "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
        body = await self._graph.call("GET", f"/{_object(external_id)}", params={"fields": fields})
        if not isinstance(body, dict):
            raise self._graph.http.unexpected("post", body)
        return PlatformMetrics(
            likes=_summary_count(body.get("reactions")),
            shares=(body.get("shares") or {}).get("count", 0),
            replies=_summary_count(body.get("comments")),
        )

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=63206, counting="chars")

    async def check_credentials(self) -> str:
        return await _graph_name(self._graph, self._config.page_id, "name")


def _summary_count(edge: Any) -> int:
    summary = edge.get("summary") if isinstance(edge, dict) else None
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) else 0
