"""Bluesky (or any AT Protocol PDS) over XRPC.

Reconciliation: each post is written at a record key derived from the idempotency key (`record_key_for`),
so `find_by_key` is a `getRecord` and a retry that finds the key taken returns the record already there.
The key has TID syntax because the PDS validates `app.bsky.feed.post` keys as TIDs; its timestamp part is
a hash of the idempotency key placed in 2023, so it is stable across attempts and never in the future.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.bluesky_richtext import facet, find_spans
from platforms.errors import AuthExpired, PlatformError, RateLimited, RejectedByPlatform
from platforms.http_errors import retry_after_header, seconds_until_epoch
from platforms.media_types import content_type
from platforms.platform_http import PlatformHttp, body_text

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
MAX_IMAGES = 4
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_EPOCH_US = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
# Errors that mean the credentials themselves are refused, after any refresh.
_AUTH_ERRORS = {"AuthenticationRequired", "InvalidToken", "ExpiredToken", "AccountTakedown", "AuthFactorTokenRequired"}


# PDS hosts of Bluesky's own network, whose posts the bsky.app web client shows.
BLUESKY_PDS_HOSTS = ("bsky.social", "bsky.network")
BLUESKY_WEB = "https://bsky.app"


class BlueskyConfig(BaseModel):
    service_url: str = "https://bsky.social"
    handle: str
    app_password: SecretStr
    appview_url: str | None = None
    # Where a post is seen on the web; none: bsky.app for a PDS of Bluesky's own, else the at:// URI.
    web_url: str | None = None
    # The record's `langs` (BCP-47, at most 3): what feeds and readers filter by.
    langs: list[str] = []


def record_key_for(idempotency_key: str) -> str:
    """A TID-syntax record key (13 base32-sortable characters) that only this idempotency key maps to."""
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big")
    timestamp_us = _TID_EPOCH_US + ((digest >> 10) % (1 << 44))
    value = (timestamp_us << 10) | (digest & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def xrpc_error(response: httpx.Response) -> tuple[str | None, str]:
    """The XRPC error name and message from `{"error": ..., "message": ...}`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        name = body["error"]
        message = body.get("message")
        return name, f"{name}: {message}" if isinstance(message, str) else name
    return None, body_text(response)


@dataclass
class _Session:
    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str


class BlueskyAdapter:
    platform = PLATFORM
    # The record key is derived from the idempotency key: `find_by_key` sees an earlier attempt.
    reconciles_by_key = True

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: BlueskyConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._http = PlatformHttp(
            client, PLATFORM, config.service_url, secrets=(config.app_password.get_secret_value(),)
        )
        self._config = config
        self._clock = clock
        self._session: _Session | None = None
        # One login or refresh at a time: createSession is rate limited per account, and a refresh token is single use.
        self._session_lock = asyncio.Lock()

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        if len(variant.media) > MAX_IMAGES:
            raise RejectedByPlatform(
                PLATFORM, f"A Bluesky post takes at most {MAX_IMAGES} images, not {len(variant.media)}"
            )
        session = await self._ensure_session()
        rkey = record_key_for(idempotency_key)
        created_at = self._clock().astimezone(UTC)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": variant.text,
            "createdAt": created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if self._config.langs:
            record["langs"] = list(self._config.langs)
        facets = await self._facets(variant.text)
        if facets:
            record["facets"] = facets
        if variant.media:
            images = [{"alt": media.alt_text, "image": await self._upload(media)} for media in variant.media]
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
        body = {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey, "validate": True, "record": record}
        response = await self._xrpc("POST", "com.atproto.repo.createRecord", publishing=True, json=body)
        if response.status_code >= 400:
            error = self._error(response)
            if not isinstance(error, AuthExpired | RateLimited):
                # A key already taken means an earlier attempt got through: the PDS refuses the duplicate
                # (HTTP 500 on the reference PDS today, 409 RecordAlreadyExists on newer ones).
                existing = await self.find_by_key(idempotency_key)
                if existing is not None:
                    return existing
            raise error
        created = self._http.json(response)
        uri = created.get("uri") if isinstance(created, dict) else None
        if not isinstance(uri, str):
            raise self._http.unexpected("createRecord", created)
        return PublishedPost(external_id=uri, url=self._post_url(session, rkey), created_at=created_at)

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        session = await self._ensure_session()
        rkey = record_key_for(idempotency_key)
        params = {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey}
        response = await self._xrpc("GET", "com.atproto.repo.getRecord", params=params)
        if response.status_code == 400:
            name, message = xrpc_error(response)
            # Older PDS versions answer InvalidRequest "Could not locate record" instead of RecordNotFound.
            if name == "RecordNotFound" or "Could not locate record" in message:
                return None
        self._raise_for_status(response)
        body = self._http.json(response)
        try:
            return PublishedPost(
                external_id=body["uri"], url=self._post_url(session, rkey), created_at=body["value"]["createdAt"]
            )
        except (TypeError, KeyError, ValidationError) as exc:
            raise self._http.unexpected("getRecord", body) from exc

    async def delete(self, external_id: str) -> None:
        repo, collection, rkey = _parse_at_uri(external_id)
        body = {"repo": repo, "collection": collection, "rkey": rkey}
        # deleteRecord succeeds whether or not the record still exists.
        self._raise_for_status(await self._xrpc("POST", "com.atproto.repo.deleteRecord", json=body))

    async def metrics(self, external_id: str) -> PlatformMetrics:
        """Counts from the AppView: the configured one directly, or through the PDS, which proxies app.bsky."""
        params = {"uris": external_id}
        if self._config.appview_url:
            url = f"{self._config.appview_url.rstrip('/')}/xrpc/app.bsky.feed.getPosts"
            response = await self._http.send("GET", url, params=params)
        else:
            response = await self._xrpc("GET", "app.bsky.feed.getPosts", params=params)
        self._raise_for_status(response)
        body = self._http.json(response)
        posts = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(posts, list):
            raise self._http.unexpected("getPosts", body)
        if not posts:
            raise RejectedByPlatform(PLATFORM, f"{external_id} is not on Bluesky any more (deleted or taken down)")
        try:
            post = posts[0]
            return PlatformMetrics(
                likes=post.get("likeCount", 0),
                shares=post.get("repostCount", 0) + post.get("quoteCount", 0),
                replies=post.get("replyCount", 0),
            )
        except (TypeError, KeyError, AttributeError, ValidationError) as exc:
            raise self._http.unexpected("getPosts", body) from exc

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=300, counting="graphemes")

    async def check_credentials(self) -> str:
        """Log in afresh with the app password (createSession); the handle it answers with."""
        async with self._session_lock:
            self._session = await self._create_session()
            return f"@{self._session.handle}"

    # --- records ------------------------------------------------------------------------------------------

    async def _facets(self, text: str) -> list[dict[str, Any]]:
        facets = []
        for span in find_spans(text):
            if span.kind != "mention":
                facets.append(facet(text, span))
                continue
            did = await self._resolve_handle(span.value)
            if did is not None:
                facets.append(facet(text, span, did))
        return facets

    async def _resolve_handle(self, handle: str) -> str | None:
        """The DID a handle points to, or None if it resolves to no one (the mention then stays plain text)."""
        response = await self._http.send("GET", "/xrpc/com.atproto.identity.resolveHandle", params={"handle": handle})
        if response.status_code == 400:
            return None
        self._raise_for_status(response)
        body = self._http.json(response)
        did = body.get("did") if isinstance(body, dict) else None
        return did if isinstance(did, str) else None

    async def _upload(self, media: MediaRef) -> Any:
        content = await self._http.fetch_media(media)
        headers = {"Content-Type": content_type(media, content)}
        response = await self._xrpc("POST", "com.atproto.repo.uploadBlob", content=content, headers=headers)
        self._raise_for_status(response)
        body = self._http.json(response)
        if not isinstance(body, dict) or not isinstance(body.get("blob"), dict):
            raise self._http.unexpected("uploadBlob", body)
        return body["blob"]

    def _post_url(self, session: _Session, rkey: str) -> str:
        """The post on the configured web client, on bsky.app for a PDS of Bluesky's own network, or its
        at:// URI when no web client is known to show this PDS's posts (a private network, a test PDS)."""
        web = self._config.web_url
        host = (urlsplit(self._config.service_url).hostname or "").lower()
        if web is None and any(host == known or host.endswith("." + known) for known in BLUESKY_PDS_HOSTS):
            web = BLUESKY_WEB
        if web is None:
            return f"at://{session.did}/{POST_COLLECTION}/{rkey}"
        return f"{web.rstrip('/')}/profile/{session.handle}/post/{rkey}"

    # --- sessions -----------------------------------------------------------------------------------------

    async def _xrpc(self, method: str, nsid: str, *, publishing: bool = False, **kwargs: Any) -> httpx.Response:
        """An authenticated XRPC call; an expired access token is refreshed once and the call repeated."""
        headers = kwargs.pop("headers", {})

        async def send(session: _Session) -> httpx.Response:
            auth = {"Authorization": f"Bearer {session.access_jwt}"}
            return await self._http.send(
                method, f"/xrpc/{nsid}", publishing=publishing, headers=headers | auth, **kwargs
            )

        session = await self._ensure_session()
        response = await send(session)
        if response.status_code in (400, 401) and xrpc_error(response)[0] == "ExpiredToken":
            response = await send(await self._refresh(session))
        return response

    async def _ensure_session(self) -> _Session:
        if self._session is not None:
            return self._session
        async with self._session_lock:
            if self._session is None:
                self._session = await self._create_session()
            return self._session

    async def _refresh(self, expired: _Session) -> _Session:
        async with self._session_lock:
            if self._session is not None and self._session is not expired:
                return self._session  # another call refreshed it while we waited
            response = await self._http.send(
                "POST",
                "/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {expired.refresh_jwt}"},
            )
            if response.status_code in (400, 401) and xrpc_error(response)[0] in _AUTH_ERRORS:
                # The refresh token has expired or was revoked too; the app password still logs in.
                self._session = await self._create_session()
            else:
                self._raise_for_status(response)
                self._session = self._session_from(response)
            return self._session

    async def _create_session(self) -> _Session:
        body = {"identifier": self._config.handle, "password": self._config.app_password.get_secret_value()}
        response = await self._http.send("POST", "/xrpc/com.atproto.server.createSession", json=body)
        self._raise_for_status(response)
        return self._session_from(response)

    def _session_from(self, response: httpx.Response) -> _Session:
        body = self._http.json(response)
        try:
            session = _Session(body["did"], body["handle"], body["accessJwt"], body["refreshJwt"])
        except (TypeError, KeyError) as exc:
            raise self._http.unexpected("session", {"keys": sorted(body) if isinstance(body, dict) else None}) from exc
        self._http.add_secret(session.access_jwt)
        self._http.add_secret(session.refresh_jwt)
        return session

    # --- errors -------------------------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> PlatformError:
        name, message = xrpc_error(response)
        if name in _AUTH_ERRORS:
            return AuthExpired(PLATFORM, self._http.scrubbed(message))
        now = self._clock()
        # The PDS sends RateLimit-Reset as Unix epoch seconds.
        retry_after = retry_after_header(response.headers.get("Retry-After"), now)
        if retry_after is None:
            retry_after = seconds_until_epoch(response.headers.get("RateLimit-Reset"), now)
        return self._http.error(response, message, retry_after=retry_after)

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise self._error(response)


def _parse_at_uri(uri: str) -> tuple[str, str, str]:
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3 or not all(parts):
        raise RejectedByPlatform(PLATFORM, f"{uri!r} is not a Bluesky post URI (at://did/collection/rkey)")
    return parts[0], parts[1], parts[2]
