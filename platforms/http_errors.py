"""How an HTTP answer from a platform becomes one of the typed errors in `platforms.errors`.

Adapters extract the platform's own message from its documented error body and work out the wait it asks
for; this module decides which error that is, and makes sure no credential ends up in the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from platforms.errors import (
    AuthExpired,
    PlatformError,
    RateLimited,
    RejectedByPlatform,
    TransientPlatformError,
)
from platforms.sandbox_adapter import parse_retry_after

REDACTED = "[redacted]"


def seconds_until_epoch(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from now until a reset time given as Unix epoch seconds (X, Bluesky), or None if unreadable."""
    if value is None or not value.strip():
        return None
    try:
        reset = float(value)
    except ValueError:
        return None
    return max(0.0, reset - (now or datetime.now(UTC)).timestamp())


def seconds_until_iso(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from now until a reset time given as an ISO 8601 timestamp (Mastodon), or None if unreadable."""
    if value is None or not value.strip():
        return None
    try:
        reset = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if reset.tzinfo is None:
        reset = reset.replace(tzinfo=UTC)
    return max(0.0, (reset - (now or datetime.now(UTC))).total_seconds())


def retry_after_header(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a standard Retry-After header (a number of seconds or an HTTP-date)."""
    return parse_retry_after(value, now)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every credential replaced, so a platform echoing a token cannot leak it into an error."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def error_for_status(
    platform: str,
    status: int,
    message: str,
    *,
    retry_after: float | None = None,
    auth_statuses: Iterable[int] = (401, 403),
) -> PlatformError:
    """The typed error for an HTTP error status; `message` should already be the platform's own words."""
    if status == 429:
        return RateLimited(platform, message, retry_after)
    if status in set(auth_statuses):
        return AuthExpired(platform, message)
    # 408 is the server giving up on waiting for us: nothing about the request itself was wrong.
    if status >= 500 or status == 408:
        return TransientPlatformError(platform, message)
    return RejectedByPlatform(platform, message)
