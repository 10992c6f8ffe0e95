"""Which adapter talks to a channel, and how platform errors become Temporal retry decisions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TypeVar

import httpx
from temporalio.exceptions import ApplicationError

from platforms.errors import AuthExpired, PlatformError, RateLimited, RejectedByPlatform
from platforms.sandbox_adapter import SandboxAdapter
from store.tables import Channel

T = TypeVar("T")


class ChannelAdapters:
    """Holds the worker's one shared HTTP client and hands out the adapter for a channel."""

    def __init__(self, http: httpx.AsyncClient, sandbox_url: str) -> None:
        self._sandbox = SandboxAdapter(http, sandbox_url)

    def for_channel(self, channel: Channel) -> SandboxAdapter:
        if channel.platform == "sandbox":
            return self._sandbox
        raise ApplicationError(
            f"channel {channel.id} uses platform '{channel.platform}', which this worker cannot publish to",
            type="UnsupportedPlatform",
            non_retryable=True,
        )


async def classified(call: Awaitable[T]) -> T:
    """Await a platform call, turning its typed errors into the retry behaviour each one needs."""
    try:
        return await call
    except RateLimited as err:
        delay = timedelta(seconds=err.retry_after) if err.retry_after else None
        raise ApplicationError(f"rate limited: {err.message}", type="RateLimited", next_retry_delay=delay) from err
    except (RejectedByPlatform, AuthExpired) as err:
        raise ApplicationError(
            f"{err.platform} refused: {err.message}", type=type(err).__name__, non_retryable=True
        ) from err
    except PlatformError as err:
        raise ApplicationError(f"{err.platform}: {err.message}", type=type(err).__name__) from err


@asynccontextmanager
async def shared_http_client() -> AsyncIterator[httpx.AsyncClient]:
    timeout = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        yield client
