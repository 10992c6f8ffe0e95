"""X (Twitter) through API v2 with an OAuth 2.0 user-context bearer token.

Reconciliation: X has no idempotency key and no lookup by one, so `find_by_key` returns None. A retry after
`AmbiguousPublish` usually cannot publish twice all the same: X refuses a tweet identical to a recent one
("duplicate content"), and that refusal names the likely cause so a person can check the account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, SecretStr, ValidationError

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, TokenSet, Variant
from platforms.errors import AuthExpired, PlatformError, RejectedByPlatform
from platforms.http_errors import retry_after_header, seconds_until_epoch
from platforms.media_types import content_type, upload_name
from platforms.oauth2 import refresh_tokens
from platforms.platform_http import PlatformHttp, body_text

PLATFORM = "x"
# 403 problem types that mean the app or token cannot post at all, rather than that this tweet was refused.
MAX_IMAGES = 4
_AUTH_PROBLEMS = ("client-forbidden", "unsupported-authentication", "not-authorized-for-resource")


class XConfig(BaseModel):
    api_url: str = "https://api.x.com"
    access_token: SecretStr
    username: str | None = None
    web_url: str = "https://x.com"
    # OAuth2 refresh (scope offline.access); X rotates the refresh token on every use. A confidential
    # client sends its secret with HTTP Basic, a public client only its id.
    refresh_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_url: str | None = Field(default=None, description="default: <api_url>/2/oauth2/token")


def x_problem(response: httpx.Response) -> tuple[str, str]:
    """(problem type, message) from an API v2 problem body or a v1.1-style `{"errors": [{"message"}]}`."""
    try:
        body = response.json()
    except ValueError:
        return "", body_text(response)
    if not isinstance(body, dict):
        return "", body_text(response)
    kind = body.get("type") if isinstance(body.get("type"), str) else ""
    detail = body.get("detail") or body.get("title")
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0].get("message") or errors[0].get("detail")
        if isinstance(first, str) and (not isinstance(detail, str) or detail.startswith("One or more parameters")):
            detail = first
    return str(kind), detail if isinstance(detail, str) else body_text(response)


class XAdapter:
    platform = PLATFORM
    reconciles_by_key = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: XConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        token = config.access_token.get_secret_value()
        self._http = PlatformHttp(client, PLATFORM, config.api_url, secrets=(token,))
        self._config = config
        self._clock = clock
        self._auth = {"Authorization": f"Bearer {token}"}

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        if len(variant.media) > MAX_IMAGES or any(m.mime_type.startswith("video/") for m in variant.media):
            raise RejectedByPlatform(PLATFORM, f"This X channel attaches up to {MAX_IMAGES} images or GIFs, no video")
        body: dict[str, Any] = {"text": variant.text}
        if variant.media:
            body["media"] = {"media_ids": [await self._upload(media) for media in variant.media]}
        response = await self._call("POST", "/2/tweets", publishing=True, json=body)
        created = self._http.json(response)
        data = created.get("data") if isinstance(created, dict) else None
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(tweet_id, str):
            raise self._http.unexpected("create tweet", created)
        return PublishedPost(external_id=tweet_id, url=self._url(tweet_id), created_at=self._clock())

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """Always None: X cannot look a tweet up by anything we chose before publishing it."""
        return None

    async def delete(self, external_id: str) -> None:
        response = await self._http.send("DELETE", f"/2/tweets/{quote(external_id, safe='')}", headers=self._auth)
        # A tweet that is already gone is what a delete wants.
        if response.status_code != 404:
            self._raise_for_status(response)

    async def metrics(self, external_id: str) -> PlatformMetrics:
        response = await self._call(
            "GET", f"/2/tweets/{quote(external_id, safe='')}", params={"tweet.fields": "public_metrics"}
        )
        body = self._http.json(response)
        if isinstance(body, dict) and "data" not in body and body.get("errors"):
            # X answers 200 with only `errors` for a tweet that was deleted or cannot be seen.
            raise RejectedByPlatform(PLATFORM, self._http.scrubbed(x_problem(response)[1]))
        try:
            counts = body["data"]["public_metrics"]
            return PlatformMetrics(
                impressions=counts.get("impression_count", 0),
                likes=counts.get("like_count", 0),
                shares=counts.get("retweet_count", 0) + counts.get("quote_count", 0),
                replies=counts.get("reply_count", 0),
            )
        except (TypeError, KeyError, AttributeError, ValidationError) as exc:
            raise self._http.unexpected("tweet lookup", body) from exc

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=280, counting="twitter-weighted", url_length=23)

    async def check_credentials(self) -> str:
        """The account the token acts as, from `GET /2/users/me`."""
        body = self._http.json(await self._call("GET", "/2/users/me"))
        data = body.get("data") if isinstance(body, dict) else None
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str):
            raise self._http.unexpected("users/me", body)
        return f"@{username}"

    @property
    def can_refresh(self) -> bool:
        return bool(self._config.refresh_token and self._config.client_id)

    async def refresh(self) -> TokenSet:
        if not self.can_refresh:
            raise AuthExpired(PLATFORM, "this channel has no refresh token and client id; reconnect it")
        assert self._config.refresh_token is not None
        secret = self._config.client_secret
        return await refresh_tokens(
            self._http,
            self._config.token_url or f"{self._http.base_url}/2/oauth2/token",
            refresh_token=self._config.refresh_token.get_secret_value(),
            client_id=str(self._config.client_id),
            client_secret=secret.get_secret_value() if secret else None,
            secret_in="basic",
            clock=self._clock,
        )

    def _url(self, tweet_id: str) -> str:
        base = self._config.web_url.rstrip("/")
        if self._config.username:
            return f"{base}/{self._config.username}/status/{tweet_id}"
        return f"{base}/i/web/status/{tweet_id}"

    async def _upload(self, media: MediaRef) -> str:
        """Upload one image in a single request and give it its alt text; returns the media id."""
        content = await self._http.fetch_media(media)
        kind = content_type(media, content)
        category = "tweet_gif" if kind == "image/gif" else "tweet_image"
        response = await self._call(
            "POST",
            "/2/media/upload",
            files={"media": (upload_name(kind), content, kind)},
            data={"media_category": category},
        )
        body = self._http.json(response)
        data = body.get("data") if isinstance(body, dict) else None
        media_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(media_id, str):
            raise self._http.unexpected("media upload", body)
        if media.alt_text:
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": media.alt_text}}}
            await self._call("POST", "/2/media/metadata", json=metadata)
        return media_id

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._http.send(method, path, headers=self._auth, **kwargs)
        self._raise_for_status(response)
        return response

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise self._error(response)

    def _error(self, response: httpx.Response) -> PlatformError:
        kind, message = x_problem(response)
        if response.status_code == 403 and kind.endswith(_AUTH_PROBLEMS):
            return AuthExpired(PLATFORM, self._http.scrubbed(message))
        if response.status_code == 403 and "duplicate content" in message:
            message += " If an earlier attempt timed out, it probably published this tweet: check the account."
        now = self._clock()
        retry_after = retry_after_header(response.headers.get("Retry-After"), now)
        if retry_after is None:
            retry_after = seconds_until_epoch(response.headers.get("x-rate-limit-reset"), now)
        # 403 on X is a refusal of this tweet (duplicate, not allowed), not an expired token.
        return self._http.error(response, message, retry_after=retry_after, auth_statuses=(401,))
