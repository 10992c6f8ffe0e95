"""How hard one worker presses each platform: a concurrency cap per platform, a token bucket per channel.

Concurrency: one `asyncio.Semaphore` per platform bounds the platform calls this worker has in flight
(publishes with their uploads, lookups, metrics, credential checks). Sizes come from
`POSTGATE_PLATFORM_CONCURRENCY` (JSON, e.g. `{"x": 2}`), else `DEFAULT_CONCURRENCY`.

Rate: one token bucket per channel meters publishes only, refilling at the platform's publishes per minute
(`POSTGATE_PUBLISH_RATE_PER_MINUTE`, else `DEFAULT_PUBLISH_RATE`; a platform missing from both is not
metered) and holding ten seconds' worth (at least one). A publish that finds the bucket empty reserves the
next free slot and waits for it when the wait is short (up to `MAX_WAIT_S`): concurrent publishers queue
one slot each rather than all going together. A longer wait reserves nothing and the activity is retried
after it (`next_retry_delay`), so a burst of scheduled posts does not hold worker slots while it drains.

Both are per worker process: N workers allow N times as much. They keep us polite; the platforms' own 429
answers (with Retry-After honoured) stay the authority.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

DEFAULT_CONCURRENCY = {
    "sandbox": 100,
    "webhook": 20,
    "mastodon": 8,
    "bluesky": 8,
    "linkedin": 4,
    "x": 4,
    "threads": 4,
    "instagram": 4,
    "facebook": 4,
}
FALLBACK_CONCURRENCY = 4
# Publishes per minute per channel; comfortably inside each platform's documented posting limits.
DEFAULT_PUBLISH_RATE = {
    "mastodon": 30.0,
    "bluesky": 30.0,
    "linkedin": 10.0,
    "x": 10.0,
    "threads": 10.0,
    "instagram": 10.0,
    "facebook": 10.0,
}
MAX_WAIT_S = 5.0


class TokenBucket:
    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._capacity = max(1.0, self._rate * 10)
        self._tokens = self._capacity
        self._clock = clock
        self._at = clock()

    def take(self, max_wait: float = MAX_WAIT_S) -> tuple[float, bool]:
        """Reserve the next token if it comes within `max_wait` seconds: (seconds until it is ours, True).
        Otherwise reserve nothing: (seconds until one would be there, False).

        A reservation is taken at once (the count may go below zero), so a caller that must wait still owns
        its slot and callers arriving meanwhile queue behind it instead of sharing it.
        """
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        wait = max(0.0, (1.0 - self._tokens) / self._rate)
        if wait > max_wait:
            return wait, False
        self._tokens -= 1.0
        return wait, True


class PlatformLimits:
    def __init__(
        self,
        concurrency: Mapping[str, int] | None = None,
        publish_rate: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._concurrency = {**DEFAULT_CONCURRENCY, **(concurrency or {})}
        self._rates = {**DEFAULT_PUBLISH_RATE, **(publish_rate or {})}
        self._clock = clock
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._buckets: dict[str, TokenBucket] = {}

    def semaphore(self, platform: str) -> asyncio.Semaphore:
        if platform not in self._semaphores:
            size = max(1, self._concurrency.get(platform, FALLBACK_CONCURRENCY))
            self._semaphores[platform] = asyncio.Semaphore(size)
        return self._semaphores[platform]

    def publish_wait(self, platform: str, channel_id: str) -> tuple[float, bool]:
        """(seconds, reserved): with `reserved`, this publish owns a slot and goes after `seconds`
        (0 = now); without, the slot is further off than `MAX_WAIT_S` and the caller retries after `seconds`."""
        rate = self._rates.get(platform)
        if not rate or rate <= 0:
            return 0.0, True
        bucket = self._buckets.get(channel_id)
        if bucket is None:
            bucket = self._buckets[channel_id] = TokenBucket(rate, self._clock)
        return bucket.take(MAX_WAIT_S)
