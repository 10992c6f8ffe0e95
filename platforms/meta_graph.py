"""Meta's Graph APIs (Threads, Instagram, Facebook Pages): requests, error codes and media containers.

Graph errors come as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`, mostly with
HTTP 400 whatever went wrong, so the `code` decides what kind of failure it is.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from platforms.base import PublishedPost
from platforms.errors import AuthExpired, PlatformError, RateLimited, RejectedByPlatform, TransientPlatformError
from platforms.http_errors import retry_after_header
from platforms.platform_http import PlatformHttp, body_text

AUTH_CODES = {102, 190}  # session or access token invalid or expired
PERMISSION_CODES = {10, *range(200, 300)}  # a permission is missing: someone must reconnect and grant it
RATE_LIMIT_CODES = {4, 17, 32, 613, *range(80001, 80015)}  # app, user, page, custom and business-use-case limits
TRANSIENT_CODES = {1, 2}  # unknown error, service temporarily unavailable


def graph_error_fields(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def business_use_case_wait(response: httpx.Response) -> float | None:
    """Seconds until access returns, from `X-Business-Use-Case-Usage` (minutes per business use case)."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    try:
        usage = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(usage, dict):
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entries in usage.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    waits = [float(m) for m in minutes if isinstance(m, int | float) and m > 0]
    return max(waits) * 60 if waits else None


class GraphApi:
    """One Graph API account: bearer-authenticated calls, error mapping and the container lifecycle."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        platform: str,
        api_url: str,
        access_token: str,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.http = PlatformHttp(client, platform, api_url, secrets=(access_token,))
        self.platform = platform
        self._auth = {"Authorization": f"Bearer {access_token}"}
        self._clock = clock
        self._sleep = sleep

    async def call(self, method: str, path: str, *, publishing: bool = False, **kwargs: Any) -> Any:
        response = await self.http.send(method, path, publishing=publishing, headers=self._auth, **kwargs)
        if response.status_code >= 400:
            raise self.error(response)
        return self.http.json(response)

    async def delete(self, object_id: str) -> None:
        """Delete an object; one that no longer exists is what a delete wants, so that succeeds too."""
        response = await self.http.send("DELETE", f"/{object_id}", headers=self._auth)
        fields = graph_error_fields(response) or {}
        # Graph says "does not exist" as code 100 with subcode 33 (HTTP 400), or plainly as HTTP 404.
        gone = response.status_code == 404 or (fields.get("code") == 100 and fields.get("error_subcode") == 33)
        if response.status_code >= 400 and not gone:
            raise self.error(response)

    def error(self, response: httpx.Response) -> PlatformError:
        fields = graph_error_fields(response)
        if fields is None:
            retry_after = retry_after_header(response.headers.get("Retry-After"), self._clock())
            return self.http.error(response, body_text(response), retry_after=retry_after, auth_statuses=(401,))
        code = fields.get("code")
        text = fields.get("error_user_msg") or fields.get("message") or "Graph API error"
        detail = [f"code {code}" + (f"/{fields['error_subcode']}" if fields.get("error_subcode") else "")]
        if fields.get("fbtrace_id"):
            detail.append(f"fbtrace_id {fields['fbtrace_id']}")
        message = self.http.scrubbed(f"{text} ({', '.join(detail)})")
        if code in AUTH_CODES or code in PERMISSION_CODES:
            return AuthExpired(self.platform, message)
        if code in RATE_LIMIT_CODES:
            retry_after = retry_after_header(response.headers.get("Retry-After"), self._clock())
            return RateLimited(self.platform, message, retry_after or business_use_case_wait(response))
        if code in TRANSIENT_CODES or fields.get("is_transient") is True:
            return TransientPlatformError(self.platform, message)
        return self.http.error(response, message, auth_statuses=(401,))

    def field(self, body: Any, name: str, what: str) -> str:
        value = body.get(name) if isinstance(body, dict) else None
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
        raise self.http.unexpected(what, body)

    async def wait_for_container(
        self, container_id: str, status_field: str, error_field: str, *, interval_s: float, attempts: int
    ) -> None:
        """Poll a media container until it can be published; its media is fetched and processed meanwhile."""
        for attempt in range(attempts):
            body = await self.call("GET", f"/{container_id}", params={"fields": f"{status_field},{error_field}"})
            status = body.get(status_field) if isinstance(body, dict) else None
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "ERROR":
                reason = body.get(error_field) or "no reason given"
                raise RejectedByPlatform(self.platform, f"Container {container_id} failed to process: {reason}")
            if status == "EXPIRED":
                # A container lives 24 hours; a new attempt creates a fresh one.
                raise TransientPlatformError(self.platform, f"Container {container_id} expired before publishing")
            if status != "IN_PROGRESS":
                raise self.http.unexpected("container status", body)
            if attempt + 1 < attempts:
                await self._sleep(interval_s)
        raise TransientPlatformError(
            self.platform, f"Container {container_id} was still processing after {attempts} checks"
        )

    async def publish_container(
        self,
        user: str,
        edge: str,
        form: dict[str, Any],
        *,
        status_field: str,
        error_field: str,
        interval_s: float,
        attempts: int,
    ) -> PublishedPost:
        """Graph's two-step publish: create a container on `edge`, wait until it is processed, publish it
        through `<edge>_publish`, and look up where it lives."""
        created = await self.call("POST", f"/{user}/{edge}", data=form)
        container = self.field(created, "id", "container")
        await self.wait_for_container(container, status_field, error_field, interval_s=interval_s, attempts=attempts)
        published = await self.call(
            "POST", f"/{user}/{edge}_publish", publishing=True, params={"creation_id": container}
        )
        media_id = self.field(published, "id", f"{edge}_publish")
        url, created_at = await self.permalink(media_id, "permalink", "timestamp")
        return PublishedPost(external_id=media_id, url=url, created_at=created_at)

    async def permalink(self, object_id: str, url_field: str, time_field: str) -> tuple[str, datetime]:
        """Where a just-published object lives and when it was made; the clock and "" if Graph cannot say.

        The post exists by now, so a failure here must not fail the publish (a retry would post it again).
        """
        try:
            body = await self.call("GET", f"/{object_id}", params={"fields": f"{url_field},{time_field}"})
        except PlatformError:
            return "", self._clock()
        url = body.get(url_field) if isinstance(body, dict) else None
        created = parse_graph_time(body.get(time_field)) if isinstance(body, dict) else None
        return (url if isinstance(url, str) else ""), created or self._clock()


def parse_graph_time(value: Any) -> datetime | None:
    """Graph timestamps look like `2024-07-01T12:00:00+0000`."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
