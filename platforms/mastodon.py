"""Mastodon (any instance) over its REST API.

Reconciliation: Mastodon has no lookup by idempotency key, so `find_by_key` returns None and the retry
publishes again with the same `Idempotency-Key`; the instance keeps each key for one hour and answers a
replay with the status the first request created. A status's HTML `content` cannot be matched reliably
against our text, which rules out scanning the account's timeline. The consequence: an ambiguous publish
that is retried more than an hour later can publish twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import TransientPlatformError
from platforms.http_errors import retry_after_header, seconds_until_iso
from platforms.media_types import content_type, upload_name
from platforms.platform_http import PlatformHttp, body_text

PLATFORM = "mastodon"


class MastodonConfig(BaseModel):
    instance_url: str
    access_token: SecretStr
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    language: str | None = None
    media_poll_interval_s: float = 1.0
    media_poll_attempts: int = 30


def mastodon_message(response: httpx.Response) -> str:
    """Mastodon's own words: `{"error": ..., "error_description"?: ...}`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return body["error"] + (f" ({description})" if isinstance(description, str) else "")
    return body_text(response)


class MastodonAdapter:
    platform = PLATFORM
    # A repeated Idempotency-Key is replayed for an hour: re-posting with it is the reconciliation.
    reconciles_by_key = True

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: MastodonConfig,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        token = config.access_token.get_secret_value()
        self._http = PlatformHttp(client, PLATFORM, config.instance_url, secrets=(token,))
        self._config = config
        self._auth = {"Authorization": f"Bearer {token}"}
        self._sleep = sleep
        self._clock = clock

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        media_ids = [await self._upload(media) for media in variant.media]
        body: dict[str, Any] = {"status": variant.text, "visibility": self._config.visibility}
        if media_ids:
            body["media_ids"] = media_ids
        if self._config.language:
            body["language"] = self._config.language
        response = await self._call(
            "POST",
            "/api/v1/statuses",
            publishing=True,
            json=body,
            headers={**self._auth, "Idempotency-Key": idempotency_key},
        )
        return self._published(self._http.json(response))

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """Always None: a re-POST with the same Idempotency-Key within an hour is the reconciliation."""
        return None

    async def delete(self, external_id: str) -> None:
        response = await self._send("DELETE", f"/api/v1/statuses/{quote(external_id, safe='')}", headers=self._auth)
        # A status that is already gone is what a delete wants.
        if response.status_code != 404:
            self._raise_for_status(response)

    async def metrics(self, external_id: str) -> PlatformMetrics:
        response = await self._call("GET", f"/api/v1/statuses/{quote(external_id, safe='')}", headers=self._auth)
        body = self._http.json(response)
        try:
            # Mastodon does not count impressions; 0 means unknown.
            return PlatformMetrics(
                likes=body["favourites_count"], shares=body["reblogs_count"], replies=body["replies_count"]
            )
        except (TypeError, KeyError, ValidationError) as exc:
            raise self._http.unexpected("status", body) from exc

    async def limits(self) -> TextLimits:
        """The instance's own limits (`GET /api/v2/instance`, no token needed): its `max_characters`, what a
        link counts (`characters_reserved_per_url`), attachments per status and the media it takes."""
        response = await self._call("GET", "/api/v2/instance")
        body = self._http.json(response)
        try:
            configuration = body["configuration"]
            statuses = configuration["statuses"]
            media = configuration.get("media_attachments") or {}
            return TextLimits(
                max_length=statuses["max_characters"],
                counting="graphemes",
                url_length=statuses.get("characters_reserved_per_url"),
                max_media=statuses.get("max_media_attachments"),
                media_types=media.get("supported_mime_types"),
                image_size_limit=media.get("image_size_limit"),
                video_size_limit=media.get("video_size_limit"),
            )
        except (TypeError, KeyError, AttributeError, ValidationError) as exc:
            raise self._http.unexpected("instance", body) from exc

    async def check_credentials(self) -> str:
        """The account the token acts as, from `verify_credentials`, as @user@instance."""
        response = await self._call("GET", "/api/v1/accounts/verify_credentials", headers=self._auth)
        account = self._http.json(response)
        acct = self._field(account, "acct", "account")
        host = urlsplit(self._http.base_url).hostname or ""
        return f"@{acct}" if "@" in acct or not host else f"@{acct}@{host}"

    async def _upload(self, media: MediaRef) -> str:
        content = await self._http.fetch_media(media)
        kind = content_type(media, content)
        response = await self._call(
            "POST",
            "/api/v2/media",
            headers=self._auth,
            files={"file": (upload_name(kind), content, kind)},
            data={"description": media.alt_text},
        )
        attachment = self._http.json(response)
        media_id = self._field(attachment, "id", "media")
        # 202 means the instance is still processing the file: a status may only use it once it has a URL.
        attempts = 0
        # GET answers 206 while processing and 200 with the URL once done.
        while response.status_code in (202, 206) or not attachment.get("url"):
            if attempts >= self._config.media_poll_attempts:
                raise TransientPlatformError(PLATFORM, f"Media {media_id} was still processing after {attempts} checks")
            attempts += 1
            await self._sleep(self._config.media_poll_interval_s)
            response = await self._call("GET", f"/api/v1/media/{quote(media_id, safe='')}", headers=self._auth)
            attachment = self._http.json(response)
        return media_id

    def _published(self, status: Any) -> PublishedPost:
        try:
            return PublishedPost(
                external_id=status["id"], url=status.get("url") or status["uri"], created_at=status["created_at"]
            )
        except (TypeError, KeyError, AttributeError, ValidationError) as exc:
            raise self._http.unexpected("status", status) from exc

    def _field(self, body: Any, name: str, what: str) -> str:
        if isinstance(body, dict) and isinstance(body.get(name), str):
            return str(body[name])
        raise self._http.unexpected(what, body)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self._http.send(method, path, **kwargs)

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._send(method, path, **kwargs)
        self._raise_for_status(response)
        return response

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        # Mastodon sends X-RateLimit-Reset as an ISO 8601 time; some proxies in front of it add Retry-After.
        retry_after = retry_after_header(response.headers.get("Retry-After"), self._clock())
        if retry_after is None:
            retry_after = seconds_until_iso(response.headers.get("X-RateLimit-Reset"), self._clock())
        raise self._http.error(response, mastodon_message(response), retry_after=retry_after)
