"""The client side of the sandbox platform, as the publish activity sees it.

Every failure surfaces as one of the errors in `platforms.errors`, so callers decide whether to retry by
type alone. Timeouts and connection pooling belong to the `httpx.AsyncClient` the caller passes in.
"""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from platforms.base import PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import (
    AuthExpired,
    RateLimited,
    RejectedByPlatform,
    TransientPlatformError,
)

PLATFORM = "sandbox"

__all__ = ["PlatformMetrics", "PublishedPost", "SandboxAdapter", "SandboxChannel", "parse_retry_after"]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, which is either a number of seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # RFC 9110 HTTP-dates are always GMT, even when the parser cannot tell.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _platform_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    text = response.text.strip()
    return f"HTTP {response.status_code}" + (f": {text[:500]}" if text else "")


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    message = _platform_message(response)
    if status == 429:
        raise RateLimited(PLATFORM, message, parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        raise AuthExpired(PLATFORM, message)
    # 408 is the server saying it gave up waiting for us: nothing about the request itself was wrong.
    if status >= 500 or status == 408:
        raise TransientPlatformError(PLATFORM, message)
    raise RejectedByPlatform(PLATFORM, message)


class SandboxAdapter:
    """Publishes to and reads from a sandbox platform at `base_url` through the caller's client."""

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")

    async def publish(self, channel: str, text: str, idempotency_key: str) -> PublishedPost:
        """Publish once per key: resending a key returns the post it already created."""
        response = await self._send(
            "POST",
            "/api/posts",
            json={"channel": channel, "text": text},
            headers={"Idempotency-Key": idempotency_key},
        )
        _raise_for_status(response)
        return self._published_post(response)

    async def find_by_key(self, idempotency_key: str, channel: str | None = None) -> PublishedPost | None:
        """The post created under the key, or None: how to settle a publish whose outcome is unknown.

        With `channel`, the lookup meets that channel's injected faults (a revoked token, slowness).
        """
        params = {"channel": channel} if channel is not None else None
        response = await self._send("GET", f"/api/posts/by-key/{quote(idempotency_key, safe='')}", params=params)
        if response.status_code == 404:
            return None
        _raise_for_status(response)
        return self._published_post(response)

    async def delete(self, external_id: str) -> None:
        """Delete the post; one that is already gone (404) is what a delete wants."""
        response = await self._send("DELETE", f"/api/posts/{quote(external_id, safe='')}")
        if response.status_code != 404:
            _raise_for_status(response)

    async def metrics(self, external_id: str) -> PlatformMetrics:
        response = await self._send("GET", f"/api/posts/{quote(external_id, safe='')}/metrics")
        _raise_for_status(response)
        body = self._json(response)
        try:
            return PlatformMetrics.model_validate(body)
        except ValidationError as exc:
            raise TransientPlatformError(PLATFORM, f"Unexpected metrics response: {exc}") from exc

    async def check_credentials(self, channel: str) -> str:
        """Who the channel posts as; AuthExpired while the sandbox has its token revoked."""
        response = await self._send("GET", f"/api/channels/{quote(channel, safe='')}/account")
        _raise_for_status(response)
        body = self._json(response)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str):
            raise TransientPlatformError(PLATFORM, f"Unexpected account response: {body!r:.200}")
        return name

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, f"{self._base_url}{path}", **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientPlatformError(PLATFORM, f"{method} {path} timed out: {exc!r}") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise TransientPlatformError(PLATFORM, f"{method} {path} could not reach the sandbox: {exc!r}") from exc

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            # A garbled success may still mean the post exists; retrying with the same key is what settles it.
            raise TransientPlatformError(
                PLATFORM, f"HTTP {response.status_code} with a body that is not JSON: {response.text[:200]!r}"
            ) from exc

    def _published_post(self, response: httpx.Response) -> PublishedPost:
        body = self._json(response)
        try:
            return PublishedPost(external_id=body["id"], url=body["url"], created_at=body["created_at"])
        except (TypeError, KeyError, ValidationError) as exc:
            raise TransientPlatformError(PLATFORM, f"Unexpected post response: {body!r:.200}") from exc


class SandboxChannel:
    """One channel on the sandbox platform, behind the same interface as every real platform's adapter."""

    platform = PLATFORM
    # The sandbox stores every post under its key and answers lookups by it.
    reconciles_by_key = True

    def __init__(self, client: httpx.AsyncClient, base_url: str, channel: str) -> None:
        self._sandbox = SandboxAdapter(client, base_url)
        self.channel = channel

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        # The sandbox keeps text only; media references are the real platforms' business.
        return await self._sandbox.publish(self.channel, variant.text, idempotency_key)

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        return await self._sandbox.find_by_key(idempotency_key, channel=self.channel)

    async def delete(self, external_id: str) -> None:
        await self._sandbox.delete(external_id)

    async def metrics(self, external_id: str) -> PlatformMetrics:
        return await self._sandbox.metrics(external_id)

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=20_000, counting="chars")

    async def check_credentials(self) -> str:
        return await self._sandbox.check_credentials(self.channel)
