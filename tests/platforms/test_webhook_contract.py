"""The signed webhook channel: what it sends, how receivers verify it, and how answers map to errors."""

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, Variant
from platforms.errors import AmbiguousPublish, AuthExpired, RateLimited, RejectedByPlatform, TransientPlatformError
from platforms.webhook import WebhookAdapter, WebhookConfig, verify_signature

URL = "https://hooks.acme.example/postgate"
SECRET = "whsec_5f0c9d1e7a2b4c6d8e0f1a3b5c7d9e1f"
NOW = datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC)
KEY = "postgate:p1:r2:c3"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def adapter(http: httpx.AsyncClient) -> WebhookAdapter:
    return WebhookAdapter(http, WebhookConfig(url=URL, secret=SECRET), clock=lambda: NOW)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def test_publish_posts_signed_json_that_the_receiver_can_verify(
    adapter: WebhookAdapter, api: respx.MockRouter
) -> None:
    route = api.post(URL).respond(201, json={"id": "evt_981", "url": "https://intranet.acme.example/news/981"})
    media = MediaRef(url="https://cdn.example/cat.jpg", alt_text="A tabby cat")

    post = await adapter.publish(Variant(text="Café opens — 9 am", media=[media]), KEY)

    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["X-Postgate-Timestamp"] == "1795683600"
    assert json.loads(request.content) == {
        "idempotency_key": KEY,
        "text": "Café opens — 9 am",
        "media": [{"url": "https://cdn.example/cat.jpg", "mime_type": "image/jpeg", "alt_text": "A tabby cat"}],
        "post": {"attempted_at": "2026-11-26T09:00:00Z"},
    }
    expected = hmac.new(SECRET.encode(), b"1795683600." + request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Postgate-Signature"] == f"sha256={expected}"
    assert verify_signature(SECRET, "1795683600", request.content, request.headers["X-Postgate-Signature"], now=NOW)
    assert post == PublishedPost(external_id="evt_981", url="https://intranet.acme.example/news/981", created_at=NOW)


async def test_an_empty_2xx_is_accepted_under_the_idempotency_key(
    adapter: WebhookAdapter, api: respx.MockRouter
) -> None:
    api.post(URL).respond(204)

    assert await adapter.publish(Variant(text="hello"), KEY) == PublishedPost(external_id=KEY, url="", created_at=NOW)


def test_verify_signature_refuses_tampering_wrong_secrets_stale_times_and_bad_headers() -> None:
    body = b'{"idempotency_key":"k","text":"hi","media":[],"post":{}}'
    timestamp = str(int(NOW.timestamp()))
    good = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    assert verify_signature(SECRET, timestamp, body, good, now=NOW)
    assert verify_signature(SECRET.encode(), timestamp, body, good, now=NOW + timedelta(seconds=299))
    assert not verify_signature(SECRET, timestamp, body.replace(b"hi", b"ho"), good, now=NOW)
    assert not verify_signature("another-secret", timestamp, body, good, now=NOW)
    assert not verify_signature(SECRET, timestamp, body, good, now=NOW + timedelta(seconds=301))
    assert not verify_signature(SECRET, timestamp, body, good, now=NOW - timedelta(seconds=301))
    assert verify_signature(SECRET, timestamp, body, good, tolerance_s=600, now=NOW + timedelta(seconds=301))
    assert not verify_signature(SECRET, timestamp, body, good.removeprefix("sha256="), now=NOW)
    assert not verify_signature(SECRET, "not-a-time", body, good, now=NOW)
    assert not verify_signature(SECRET, str(int(NOW.timestamp()) + 1), body, good, now=NOW)


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(401, json={"error": "bad signature"}), AuthExpired, "bad signature"),
        (httpx.Response(422, json={"message": "text too long for the intranet"}), RejectedByPlatform, "too long"),
        (httpx.Response(503, text="upstream down"), TransientPlatformError, "upstream down"),
        (httpx.Response(429, headers={"Retry-After": "30"}), RateLimited, "HTTP 429"),
    ],
)
async def test_receiver_answers_become_typed_errors(
    adapter: WebhookAdapter, api: respx.MockRouter, response: httpx.Response, error: type, message: str
) -> None:
    api.post(URL).mock(return_value=response)

    with pytest.raises(error, match=message) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert type(raised.value) is error
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 30


async def test_a_timeout_after_sending_is_ambiguous(adapter: WebhookAdapter, api: respx.MockRouter) -> None:
    api.post(URL).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(AmbiguousPublish):
        await adapter.publish(Variant(text="hello"), KEY)
    assert await adapter.find_by_key(KEY) is None


async def test_the_secret_never_appears_in_an_error(adapter: WebhookAdapter, api: respx.MockRouter) -> None:
    api.post(URL).respond(401, json={"error": f"expected secret {SECRET}"})

    with pytest.raises(AuthExpired) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert SECRET not in str(raised.value)


async def test_webhooks_cannot_delete_and_report_no_metrics(adapter: WebhookAdapter, api: respx.MockRouter) -> None:
    with pytest.raises(RejectedByPlatform, match="cannot delete"):
        await adapter.delete("evt_981")
    assert await adapter.metrics("evt_981") == PlatformMetrics()
    assert not api.calls
