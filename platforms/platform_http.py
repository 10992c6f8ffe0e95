"""One platform's side of the worker's shared `httpx.AsyncClient`: requests, transport failures, credentials.

Every adapter sends through a `PlatformHttp`, so a timeout, a refused connection or a garbled body surfaces
as the same typed error everywhere, and no message can carry a credential the adapter registered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from platforms.base import MediaRef
from platforms.errors import AmbiguousPublish, PlatformError, RejectedByPlatform, TransientPlatformError
from platforms.http_errors import error_for_status, scrub
from platforms.outbound import UNREACHABLE, is_refused

# These fail after the request may have reached the platform; a connect error or connect/pool timeout cannot.
_AFTER_SENDING = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


class PlatformHttp:
    def __init__(self, client: httpx.AsyncClient, platform: str, base_url: str, secrets: tuple[str, ...] = ()) -> None:
        self.client = client
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self._secrets = set(secrets)

    def add_secret(self, secret: str) -> None:
        """Register a credential obtained at run time (a session token) so messages never show it."""
        self._secrets.add(secret)

    def scrubbed(self, text: str) -> str:
        return scrub(text, self._secrets)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    async def send(self, method: str, path: str, *, publishing: bool = False, **kwargs: Any) -> httpx.Response:
        """Send one request. With `publishing`, a failure after sending raises `AmbiguousPublish`."""
        where = f"{method} {urlsplit(path).path or path}"
        try:
            return await self.client.request(method, self.url(path), **kwargs)
        except httpx.ConnectError as exc:
            raise unreachable(self.platform, where, exc) from exc
        except _AFTER_SENDING as exc:
            if publishing:
                raise AmbiguousPublish(
                    self.platform,
                    self.scrubbed(f"{where} got no answer ({type(exc).__name__}); the post may or may not exist"),
                ) from exc
            raise TransientPlatformError(self.platform, self.scrubbed(f"{where} failed: {exc!r}")) from exc
        except httpx.TimeoutException as exc:
            raise TransientPlatformError(self.platform, self.scrubbed(f"{where} timed out: {exc!r}")) from exc
        except httpx.TransportError as exc:
            raise TransientPlatformError(
                self.platform, self.scrubbed(f"{where} could not reach {self.platform}: {exc!r}")
            ) from exc

    def error(
        self,
        response: httpx.Response,
        message: str,
        *,
        retry_after: float | None = None,
        auth_statuses: tuple[int, ...] = (401, 403),
    ) -> PlatformError:
        return error_for_status(
            self.platform,
            response.status_code,
            self.scrubbed(message),
            retry_after=retry_after,
            auth_statuses=auth_statuses,
        )

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            # A garbled success may still mean the post exists; retrying with the same key is what settles it.
            raise TransientPlatformError(
                self.platform,
                self.scrubbed(f"HTTP {response.status_code} with a body that is not JSON: {response.text[:200]!r}"),
            ) from exc

    def unexpected(self, what: str, body: Any) -> TransientPlatformError:
        return TransientPlatformError(self.platform, self.scrubbed(f"Unexpected {what} response: {body!r:.300}"))

    async def fetch_media(self, media: MediaRef) -> bytes:
        """The bytes of an attachment, fetched from where the media library keeps it."""
        try:
            response = await self.client.get(media.url)
        except httpx.ConnectError as exc:
            raise unreachable(self.platform, "Fetching media", exc) from exc
        except httpx.TransportError as exc:
            raise TransientPlatformError(self.platform, f"Could not fetch media {media.url}: {exc!r}") from exc
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise TransientPlatformError(self.platform, f"Fetching media {media.url} failed: HTTP {status}")
        if status >= 400:
            raise RejectedByPlatform(
                self.platform, f"Media {media.url} cannot be fetched (HTTP {status}); replace the attachment"
            )
        return response.content


def unreachable(platform: str, where: str, exc: httpx.ConnectError) -> PlatformError:
    """One message for every failure to connect (platforms/outbound.py); an address postgate may not reach
    is refused for good, anything else may pass on a retry."""
    if is_refused(exc):
        return RejectedByPlatform(platform, f"{where}: {UNREACHABLE}; an admin corrects the channel's URL")
    return TransientPlatformError(platform, f"{where}: {UNREACHABLE}")


def body_text(response: httpx.Response) -> str:
    """The start of a response body, for messages when the platform's error shape is unrecognised."""
    text = response.text.strip()
    return f"HTTP {response.status_code}" + (f": {text[:500]}" if text else "")
