"""LinkedIn through the versioned Posts API (`/rest/posts`), posting as an organization or a member.

Reconciliation: LinkedIn has no idempotency key and no lookup by one, so `find_by_key` returns None and a
retry after `AmbiguousPublish` can publish twice; the caller decides whether to retry or ask a person.

Metrics: organization posts get impressions, likes, shares and comments from
`organizationalEntityShareStatistics`; member posts only likes and comments from `socialActions` (LinkedIn
gives member-post impressions to approved partners only), so their impressions and shares read 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, SecretStr, ValidationError

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, TokenSet, Variant
from platforms.errors import AmbiguousPublish, AuthExpired, RejectedByPlatform
from platforms.http_errors import retry_after_header
from platforms.media_types import content_type
from platforms.oauth2 import refresh_tokens
from platforms.platform_http import PlatformHttp, body_text

PLATFORM = "linkedin"
# Characters the "little" text format gives a meaning to; as plain text each needs a backslash before it.
MAX_IMAGES = 20
LITTLE_RESERVED = frozenset("|{}@[]()<>#\\*_~")


class LinkedInConfig(BaseModel):
    api_url: str = "https://api.linkedin.com"
    access_token: SecretStr
    author_urn: str = Field(pattern=r"^urn:li:(organization|person):.+$")
    # LinkedIn supports each monthly version for about a year: pin the one this channel was tested with.
    linkedin_version: str = Field(pattern=r"^\d{6}$")
    visibility: Literal["PUBLIC", "CONNECTIONS", "LOGGED_IN"] = "PUBLIC"
    keep_hashtags: bool = True
    web_url: str = "https://www.linkedin.com"
    # OAuth2 refresh (programmatic refresh tokens are granted to approved apps): all three or none.
    refresh_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_url: str = "https://www.linkedin.com/oauth/v2/accessToken"


def escape_commentary(text: str, keep_hashtags: bool = True) -> str:
    """`text` as little-format commentary that LinkedIn shows exactly as written.

    Unescaped, a reserved character starts markup, and LinkedIn silently cuts the post at the first one it
    cannot parse. With `keep_hashtags`, a '#' that starts a word followed by a letter stays a hashtag.
    """
    out = []
    for i, char in enumerate(text):
        hashtag = (
            keep_hashtags
            and char == "#"
            and (i == 0 or text[i - 1].isspace())
            and i + 1 < len(text)
            and text[i + 1].isalpha()
        )
        out.append("\\" + char if char in LITTLE_RESERVED and not hashtag else char)
    return "".join(out)


def linkedin_message(response: httpx.Response) -> str:
    """LinkedIn's own words: `{"status": ..., "serviceErrorCode"?: ..., "code"?: ..., "message": ...}`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        code = body.get("code") or body.get("serviceErrorCode")
        return body["message"] + (f" ({code})" if code else "")
    return body_text(response)


class LinkedInAdapter:
    platform = PLATFORM
    reconciles_by_key = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: LinkedInConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        token = config.access_token.get_secret_value()
        self._http = PlatformHttp(client, PLATFORM, config.api_url, secrets=(token,))
        self._config = config
        self._clock = clock
        self._headers = {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": config.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        if len(variant.media) > MAX_IMAGES or any(m.mime_type.startswith("video/") for m in variant.media):
            raise RejectedByPlatform(PLATFORM, f"This LinkedIn channel attaches up to {MAX_IMAGES} images, no video")
        body: dict[str, Any] = {
            "author": self._config.author_urn,
            "commentary": escape_commentary(variant.text, self._config.keep_hashtags),
            "visibility": self._config.visibility,
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [{"id": await self._upload(media), "altText": media.alt_text} for media in variant.media]
        if len(images) == 1:
            body["content"] = {"media": images[0]}
        elif images:
            body["content"] = {"multiImage": {"images": images}}
        response = await self._call("POST", "/rest/posts", publishing=True, json=body)
        urn = response.headers.get("x-restli-id")
        if not urn:
            # LinkedIn answered success, so the post most likely exists, but without its id we cannot point to it.
            raise AmbiguousPublish(PLATFORM, f"LinkedIn answered HTTP {response.status_code} without an x-restli-id")
        return PublishedPost(
            external_id=urn,
            url=f"{self._config.web_url.rstrip('/')}/feed/update/{urn}/",
            created_at=self._clock(),
        )

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """Always None: LinkedIn cannot look a post up by anything we chose before publishing it."""
        return None

    async def delete(self, external_id: str) -> None:
        response = await self._send(
            "DELETE", f"/rest/posts/{quote(external_id, safe='')}", headers={"X-RestLi-Method": "DELETE"}
        )
        # A post that is already gone is what a delete wants.
        if response.status_code != 404:
            self._raise_for_status(response)

    async def metrics(self, external_id: str) -> PlatformMetrics:
        if self._config.author_urn.startswith("urn:li:organization:"):
            return await self._organization_metrics(external_id)
        response = await self._call("GET", f"/rest/socialActions/{quote(external_id, safe='')}")
        body = self._http.json(response)
        try:
            return PlatformMetrics(
                likes=body["likesSummary"]["totalLikes"],
                replies=body["commentsSummary"]["aggregatedTotalComments"],
            )
        except (TypeError, KeyError, ValidationError) as exc:
            raise self._http.unexpected("socialActions", body) from exc

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=3000, counting="chars")

    async def check_credentials(self) -> str:
        """The organization's name, or the member's; a token for someone other than the author is refused."""
        kind, _, author_id = self._config.author_urn.removeprefix("urn:li:").partition(":")
        if kind == "organization":
            body = self._http.json(await self._call("GET", f"/rest/organizations/{quote(author_id, safe='')}"))
            name = body.get("localizedName") if isinstance(body, dict) else None
            return name if isinstance(name, str) else self._config.author_urn
        body = self._http.json(await self._call("GET", "/v2/userinfo"))
        member = body.get("sub") if isinstance(body, dict) else None
        if member != author_id:
            raise RejectedByPlatform(
                PLATFORM,
                f"the token acts as member {member!r}, not the channel's author {self._config.author_urn}; "
                "reconnect with the author's account or fix the author URN",
            )
        name = body.get("name")
        return name if isinstance(name, str) else self._config.author_urn

    @property
    def can_refresh(self) -> bool:
        return bool(self._config.refresh_token and self._config.client_id and self._config.client_secret)

    async def refresh(self) -> TokenSet:
        """A new access token from the refresh token; LinkedIn's refresh token keeps its own expiry."""
        if not self.can_refresh:
            raise AuthExpired(PLATFORM, "this channel has no refresh token and client credentials; reconnect it")
        assert self._config.refresh_token is not None and self._config.client_secret is not None
        return await refresh_tokens(
            self._http,
            self._config.token_url,
            refresh_token=self._config.refresh_token.get_secret_value(),
            client_id=str(self._config.client_id),
            client_secret=self._config.client_secret.get_secret_value(),
            secret_in="body",
            clock=self._clock,
        )

    async def _organization_metrics(self, external_id: str) -> PlatformMetrics:
        # Rest.li 2.0 lists are `List(...)` with each URN percent-encoded inside, so the query is built by hand.
        kind = "ugcPosts" if external_id.startswith("urn:li:ugcPost:") else "shares"
        path = (
            "/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={quote(self._config.author_urn, safe='')}"
            f"&{kind}=List({quote(external_id, safe='')})"
        )
        response = await self._call("GET", path)
        body = self._http.json(response)
        try:
            elements = body["elements"]
            if not elements:
                raise RejectedByPlatform(PLATFORM, f"LinkedIn has no statistics for {external_id} (deleted?)")
            stats = elements[0]["totalShareStatistics"]
            return PlatformMetrics(
                impressions=stats.get("impressionCount", 0),
                likes=stats.get("likeCount", 0),
                shares=stats.get("shareCount", 0),
                replies=stats.get("commentCount", 0),
            )
        except (TypeError, KeyError, AttributeError, ValidationError) as exc:
            raise self._http.unexpected("organizationalEntityShareStatistics", body) from exc

    async def _upload(self, media: MediaRef) -> str:
        """Upload one image through the Images API; returns its `urn:li:image:` URN."""
        content = await self._http.fetch_media(media)
        request = {"initializeUploadRequest": {"owner": self._config.author_urn}}
        response = await self._call("POST", "/rest/images", params={"action": "initializeUpload"}, json=request)
        body = self._http.json(response)
        try:
            upload_url, image = body["value"]["uploadUrl"], body["value"]["image"]
        except (TypeError, KeyError) as exc:
            raise self._http.unexpected("initializeUpload", body) from exc
        headers = {"Authorization": self._headers["Authorization"], "Content-Type": content_type(media, content)}
        uploaded = await self._http.send("PUT", upload_url, content=content, headers=headers)
        self._raise_for_status(uploaded)
        return str(image)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self._headers | kwargs.pop("headers", {})
        return await self._http.send(method, path, headers=headers, **kwargs)

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._send(method, path, **kwargs)
        self._raise_for_status(response)
        return response

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            retry_after = retry_after_header(response.headers.get("Retry-After"), self._clock())
            raise self._http.error(response, linkedin_message(response), retry_after=retry_after)
