"""What the worker logs: one line per failed activity attempt that postgate expected, tracebacks for the rest.

temporalio logs every failed attempt as "Completing activity as failed" with its traceback (two, chained, when
our code wraps a platform error). For the failures postgate raises on purpose (an `ApplicationError`: a
platform answering 503, a rate limit, a refused post, a notification not delivered yet) the traceback says
nothing the message does not, and a few flaky minutes printed hundreds of them for posts that all ended well.
So an interceptor writes one line per such attempt (what, which post and channel, the reason, what happens
next), and a filter drops temporalio's record for exactly those attempts. Anything else (a bug, a database
error) keeps temporalio's record and its traceback.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

log = logging.getLogger("postgate.activity")
_LOGGED = "__postgate_attempt_logged__"  # set on an exception whose attempt has its line already
_FAILED_ATTEMPT = "Completing activity as failed"


def configure_logging(level: int = logging.INFO) -> None:
    """Timestamped lines on stderr for the long-running commands; every HTTP request and migration step is not
    news."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "httpcore", "alembic"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))


class AttemptLog(Interceptor):
    """Add to a Worker's interceptors; also installs the filter on temporalio's activity logger."""

    def __init__(self) -> None:
        temporal = logging.getLogger("temporalio.activity")
        if not any(isinstance(f, _DropLoggedAttempts) for f in temporal.filters):
            temporal.addFilter(_DropLoggedAttempts())

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _AttemptLogInbound(next)


class _AttemptLogInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except ApplicationError as err:
            final = _is_final(err, activity.info())
            log.log(logging.WARNING if final else logging.INFO, attempt_line(input.args, err))
            setattr(err, _LOGGED, True)
            raise


class _DropLoggedAttempts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or not str(record.msg).startswith(_FAILED_ATTEMPT):
            return True
        return not getattr(record.exc_info[1], _LOGGED, False)


def attempt_line(args: Any, err: ApplicationError) -> str:
    """e.g. "publish post 7f3a channel sbx attempt 3: sandbox: unavailable (503), retrying in 8 s"."""
    info = activity.info()
    subject = [info.activity_type]
    first = args[0] if args else None
    post_id = getattr(first, "post_id", None)
    if post_id:
        subject.append(f"post {post_id}")
    elif info.workflow_id:
        subject.append(f"workflow {info.workflow_id}")
    channel_id = getattr(first, "channel_id", None)
    if channel_id:
        subject.append(f"channel {channel_id}")
    subject.append(f"attempt {info.attempt}")
    reason = err.message.rstrip(". ")
    return f"{' '.join(subject)}: {reason}, {_next_step(err, info)}"


def _is_final(err: ApplicationError, info: activity.Info) -> bool:
    policy = info.retry_policy
    if err.non_retryable or (policy and err.type in (policy.non_retryable_error_types or ())):
        return True
    return bool(policy and policy.maximum_attempts and info.attempt >= policy.maximum_attempts)


def _next_step(err: ApplicationError, info: activity.Info) -> str:
    policy = info.retry_policy
    if err.non_retryable or (policy and err.type in (policy.non_retryable_error_types or ())):
        return "not retried"
    if policy and policy.maximum_attempts and info.attempt >= policy.maximum_attempts:
        return f"giving up after {info.attempt} attempts"
    delay = err.next_retry_delay or _backoff(info)
    return f"retrying in {_seconds(delay)}" if delay is not None else "retrying"


def _backoff(info: activity.Info) -> timedelta | None:
    """The server's delay before the next attempt, from the activity's retry policy."""
    policy = info.retry_policy
    if policy is None:
        return None
    delay = policy.initial_interval * (policy.backoff_coefficient ** (info.attempt - 1))
    ceiling = policy.maximum_interval or policy.initial_interval * 100  # Temporal's default ceiling
    return min(delay, ceiling)


def _seconds(delay: timedelta) -> str:
    seconds = delay.total_seconds()
    return f"{seconds:.0f} s" if seconds >= 10 else f"{round(seconds, 2):g} s"
