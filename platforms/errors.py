"""What can go wrong when talking to a platform, sorted by what the caller should do about it.

Transient errors are worth retrying with the same idempotency key; the others are permanent and need a
person (fix the content, reconnect the account) before another attempt can succeed.
"""


class PlatformError(Exception):
    """A platform call failed; `message` says what happened in words a person can act on."""

    def __init__(self, platform: str, message: str) -> None:
        # Passing every field to Exception keeps `args` complete, so the error pickles and copies intact.
        super().__init__(platform, message)
        self.platform = platform
        self.message = message

    def __str__(self) -> str:
        return f"{self.platform}: {self.message}"


class TransientPlatformError(PlatformError):
    """The platform was unreachable, timed out or failed on its side (5xx); retrying may succeed."""


class RateLimited(TransientPlatformError):
    """The platform asked us to slow down; `retry_after` is its requested wait in seconds, if it gave one."""

    def __init__(self, platform: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(platform, message)
        self.args = (platform, message, retry_after)
        self.retry_after = retry_after


class RejectedByPlatform(PlatformError):
    """The platform refused the request as invalid (4xx); the same request will be refused again."""


class AuthExpired(PlatformError):
    """The platform refuses our credentials (401/403); nothing will work until the account reconnects."""


class AmbiguousPublish(TransientPlatformError):
    """The publish request went out but no answer came back, so the post may or may not exist.

    Retrying is safe only where the platform replays an idempotency key or `find_by_key` can see the earlier
    attempt; elsewhere a retry may publish twice.
    """
