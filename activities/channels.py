"""Which adapter talks to a channel, and how platform errors become Temporal retry decisions."""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from activities.channel_limits import PlatformLimits
from platforms.base import PlatformAdapter
from platforms.channel_settings import SPECS, ConfigInvalid, build_adapter
from platforms.errors import AmbiguousPublish, AuthExpired, PlatformError, RateLimited, RejectedByPlatform
from platforms.outbound import OutboundPolicy, guarded_client
from store.channels import settings_of
from store.credentials import CredentialError, KeyRing, keyring_for
from store.tables import Channel

if TYPE_CHECKING:
    from settings import Settings

T = TypeVar("T")


class ChannelAdapters:
    """The worker's one shared HTTP client, the adapters built over it, the platform limits and the key ring.

    An adapter is built once per channel and version of its settings and credentials, and reused: a
    Bluesky session or a refreshed token outlives the activity that made it. A channel whose settings or
    credentials change (an admin's edit, a token refresh) gets a new adapter on its next call.
    """

    def __init__(self, http: httpx.AsyncClient, sandbox_url: str, *, settings: Settings | None = None) -> None:
        self.http = http
        self._sandbox_url = sandbox_url
        self._settings = settings
        self.limits = PlatformLimits(
            settings.platform_concurrency if settings else None,
            settings.publish_rate_per_minute if settings else None,
        )
        self._adapters: dict[str, tuple[str, PlatformAdapter]] = {}
        self._keyring: KeyRing | None = None
        # One refresh per channel at a time: X refresh tokens are single use.
        self.refresh_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def keyring(self) -> KeyRing:
        if self._keyring is None:
            from settings import Settings

            try:
                self._keyring = keyring_for(self._settings or Settings())
            except CredentialError as err:
                raise ApplicationError(str(err), type="CredentialsUnreadable", non_retryable=True) from None
        return self._keyring

    def for_channel(self, channel: Channel, credentials: Mapping[str, Any] | None) -> PlatformAdapter:
        """The channel's adapter; `credentials` are its opened secrets (None for the sandbox)."""
        version = _version(channel)
        cached = self._adapters.get(channel.id)
        if cached is not None and cached[0] == version:
            return cached[1]
        spec = SPECS.get(channel.platform)
        if spec is None:
            raise ApplicationError(
                f"channel {channel.id} uses platform '{channel.platform}', which this worker cannot publish to",
                type="UnsupportedPlatform",
                non_retryable=True,
            )
        if spec.credentials is not None and credentials is None:
            raise ApplicationError(
                f"channel '{channel.id}' has no {channel.platform} credentials: an admin reconnects it "
                f"(POST /workspaces/{channel.workspace_id}/channels/{channel.id}/reconnect), then retry publishing",
                type="ChannelNeedsReconnection",
                non_retryable=True,
            )
        try:
            adapter = build_adapter(
                self.http,
                channel.platform,
                channel.id,
                settings_of(channel),
                credentials,
                sandbox_url=self._sandbox_url,
            )
        except (ConfigInvalid, ValidationError, KeyError, TypeError) as err:
            # Never the error's text: a validation error may quote the secret it rejected.
            raise ApplicationError(
                f"channel '{channel.id}' is misconfigured for {channel.platform} ({type(err).__name__}): "
                "an admin corrects its settings or reconnects it, then retry publishing",
                type="ChannelMisconfigured",
                non_retryable=True,
            ) from None
        self._adapters[channel.id] = (version, adapter)
        return adapter


def _version(channel: Channel) -> str:
    material = "\0".join((channel.platform, channel.settings or "", channel.credentials or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


async def classified(call: Awaitable[T], *, reconciles_by_key: bool = True) -> T:
    """Await a platform call, turning its typed errors into the retry behaviour each one needs.

    An ambiguous publish is retried only where the platform can settle it by our idempotency key; elsewhere
    a retry could publish twice, so a person must look first.
    """
    try:
        return await call
    except RateLimited as err:
        delay = timedelta(seconds=err.retry_after) if err.retry_after else None
        raise ApplicationError(f"rate limited: {err.message}", type="RateLimited", next_retry_delay=delay) from err
    except AmbiguousPublish as err:
        if reconciles_by_key:
            raise ApplicationError(f"{err.platform}: {err.message}", type="AmbiguousPublish") from err
        raise ApplicationError(
            f"{err.platform}: {err.message}. {err.platform} cannot look a post up by our key, so retrying could "
            f"publish it twice: check the account on {err.platform}; retry publishing only if the post is not there",
            type="AmbiguousPublish",
            non_retryable=True,
        ) from err
    except (RejectedByPlatform, AuthExpired) as err:
        raise ApplicationError(
            f"{err.platform} refused: {err.message}", type=type(err).__name__, non_retryable=True
        ) from err
    except PlatformError as err:
        raise ApplicationError(f"{err.platform}: {err.message}", type=type(err).__name__) from err


@asynccontextmanager
async def shared_http_client(policy: OutboundPolicy) -> AsyncIterator[httpx.AsyncClient]:
    """The worker's one client; it reaches only what `policy` allows (platforms/outbound.py)."""
    timeout = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with guarded_client(policy, timeout=timeout, limits=limits) as client:
        yield client
