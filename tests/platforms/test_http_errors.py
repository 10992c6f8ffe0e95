"""The shared status-to-error mapping, reset-time parsing and credential scrubbing every adapter relies on."""

import inspect
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from platforms.base import PlatformAdapter
from platforms.bluesky import BlueskyAdapter
from platforms.errors import AmbiguousPublish, AuthExpired, RateLimited, RejectedByPlatform, TransientPlatformError
from platforms.http_errors import error_for_status, scrub, seconds_until_epoch, seconds_until_iso
from platforms.linkedin import LinkedInAdapter
from platforms.mastodon import MastodonAdapter
from platforms.meta import FacebookPageAdapter, InstagramAdapter, ThreadsAdapter
from platforms.platform_http import PlatformHttp
from platforms.webhook import WebhookAdapter
from platforms.x import XAdapter

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ADAPTERS = [
    MastodonAdapter,
    BlueskyAdapter,
    LinkedInAdapter,
    XAdapter,
    ThreadsAdapter,
    InstagramAdapter,
    FacebookPageAdapter,
    WebhookAdapter,
]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, RateLimited),
        (401, AuthExpired),
        (403, AuthExpired),
        (500, TransientPlatformError),
        (502, TransientPlatformError),
        (408, TransientPlatformError),
        (400, RejectedByPlatform),
        (404, RejectedByPlatform),
        (422, RejectedByPlatform),
    ],
)
def test_statuses_map_to_the_error_that_says_what_to_do(status: int, error: type) -> None:
    raised = error_for_status("mastodon", status, "the platform's words", retry_after=12)
    assert type(raised) is error
    assert str(raised) == "mastodon: the platform's words"


def test_a_platform_can_say_403_is_a_refusal_rather_than_lost_access() -> None:
    assert type(error_for_status("x", 403, "duplicate", auth_statuses=(401,))) is RejectedByPlatform


def test_rate_limit_keeps_the_wait() -> None:
    raised = error_for_status("x", 429, "slow down", retry_after=12.5)
    assert isinstance(raised, RateLimited) and raised.retry_after == 12.5


def test_reset_times_become_seconds_from_now_and_never_negative() -> None:
    assert seconds_until_epoch(str(int(NOW.timestamp()) + 90), NOW) == 90
    assert seconds_until_epoch(str(int(NOW.timestamp()) - 90), NOW) == 0
    assert seconds_until_epoch("soon", NOW) is None
    assert seconds_until_epoch(None, NOW) is None
    assert seconds_until_iso("2026-11-26T09:01:30.000Z", NOW) == 90
    assert seconds_until_iso("2026-11-26T10:01:30+01:00", NOW) == 90
    assert seconds_until_iso("yesterday", NOW) is None


def test_scrub_replaces_every_secret_and_ignores_empty_ones() -> None:
    assert scrub("token abc and abc again", ["abc", ""]) == "token [redacted] and [redacted] again"


def test_ambiguous_publish_is_retried_like_any_transient_error() -> None:
    assert issubclass(AmbiguousPublish, TransientPlatformError)


async def test_connect_failures_are_transient_and_name_no_url_query() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        http = PlatformHttp(client, "mastodon", "https://social.example", secrets=("s3cret",))
        with pytest.raises(TransientPlatformError) as raised:
            await http.send("GET", "/api/v1/statuses/1?token=s3cret", publishing=True)
    assert not isinstance(raised.value, AmbiguousPublish)
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_every_adapter_offers_the_whole_protocol_asynchronously(adapter: Any) -> None:
    assert isinstance(adapter.platform, str)
    for name in ("publish", "find_by_key", "delete", "metrics", "limits"):
        assert inspect.iscoroutinefunction(getattr(adapter, name)), name
        expected = list(inspect.signature(getattr(PlatformAdapter, name)).parameters)
        assert list(inspect.signature(getattr(adapter, name)).parameters) == expected, name
