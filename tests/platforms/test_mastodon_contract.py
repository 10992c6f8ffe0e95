"""MastodonAdapter against the requests and answers documented at docs.joinmastodon.org."""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import AmbiguousPublish, AuthExpired, RateLimited, RejectedByPlatform, TransientPlatformError
from platforms.mastodon import MastodonAdapter, MastodonConfig

INSTANCE = "https://social.example"
TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY = "postgate:p1:r2:c3"

STATUS: dict[str, Any] = {
    "id": "103270115826048975",
    "created_at": "2019-12-08T03:48:33.901Z",
    "in_reply_to_id": None,
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "public",
    "language": "en",
    "uri": "https://social.example/users/acme/statuses/103270115826048975",
    "url": "https://social.example/@acme/103270115826048975",
    "replies_count": 5,
    "reblogs_count": 6,
    "favourites_count": 11,
    "content": "<p>Spring sale starts today</p>",
    "media_attachments": [],
    "mentions": [],
    "tags": [],
}
PROCESSING = {
    "id": "22348641",
    "type": "image",
    "url": None,
    "preview_url": "https://files.social.example/media_attachments/files/022/348/641/small/cebc6d51.jpeg",
    "remote_url": None,
    "text_url": None,
    "meta": {"focus": {"x": 0.0, "y": 0.0}},
    "description": "A tabby cat asleep on a keyboard",
    "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
}
PROCESSED = {
    **PROCESSING,
    "url": "https://files.social.example/media_attachments/files/022/348/641/original/cebc6d51.jpeg",
}


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def adapter(http: httpx.AsyncClient, sleeps: Sleeps) -> MastodonAdapter:
    config = MastodonConfig(instance_url=f"{INSTANCE}/", access_token=TOKEN, media_poll_interval_s=0.5)
    return MastodonAdapter(http, config, sleep=sleeps, clock=lambda: NOW)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=INSTANCE, assert_all_called=False) as router:
        yield router


async def test_publish_posts_the_status_with_the_idempotency_key(
    adapter: MastodonAdapter, api: respx.MockRouter
) -> None:
    route = api.post("/api/v1/statuses").respond(200, json=STATUS)

    post = await adapter.publish(Variant(text="Spring sale starts today"), KEY)

    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Idempotency-Key"] == KEY
    assert json.loads(request.content) == {"status": "Spring sale starts today", "visibility": "public"}
    assert post == PublishedPost(
        external_id="103270115826048975",
        url="https://social.example/@acme/103270115826048975",
        created_at=datetime(2019, 12, 8, 3, 48, 33, 901000, tzinfo=UTC),
    )


async def test_a_retry_sends_the_same_key_so_the_instance_replays_the_first_status(
    adapter: MastodonAdapter, api: respx.MockRouter
) -> None:
    route = api.post("/api/v1/statuses").respond(200, json=STATUS)

    first = await adapter.publish(Variant(text="Spring sale starts today"), KEY)
    assert await adapter.find_by_key(KEY) is None
    again = await adapter.publish(Variant(text="Spring sale starts today"), KEY)

    assert again == first
    assert [call.request.headers["Idempotency-Key"] for call in route.calls] == [KEY, KEY]


async def test_images_are_uploaded_with_alt_text_and_waited_for_until_processed(
    adapter: MastodonAdapter, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    api.get("https://cdn.example/cat.jpg").respond(200, content=b"\xff\xd8jpeg-bytes")
    upload = api.post("/api/v2/media").respond(202, json=PROCESSING)
    poll = api.get("/api/v1/media/22348641").mock(
        side_effect=[httpx.Response(206, json=PROCESSING), httpx.Response(200, json=PROCESSED)]
    )
    status = api.post("/api/v1/statuses").respond(200, json=STATUS)
    media = MediaRef(url="https://cdn.example/cat.jpg", alt_text="A tabby cat asleep on a keyboard")

    await adapter.publish(Variant(text="Meet Biscuit", media=[media]), KEY)

    sent = upload.calls.last.request
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="description"\r\n\r\nA tabby cat asleep on a keyboard' in sent.content
    assert b'name="file"' in sent.content and b"\xff\xd8jpeg-bytes" in sent.content
    assert b"Content-Type: image/jpeg" in sent.content
    assert poll.call_count == 2
    assert sleeps.waits == [0.5, 0.5]
    assert json.loads(status.calls.last.request.content)["media_ids"] == ["22348641"]


async def test_media_that_never_finishes_processing_is_a_transient_failure(
    http: httpx.AsyncClient, api: respx.MockRouter
) -> None:
    config = MastodonConfig(instance_url=INSTANCE, access_token=TOKEN, media_poll_attempts=3)
    adapter = MastodonAdapter(http, config, sleep=Sleeps())
    api.get("https://cdn.example/cat.jpg").respond(200, content=b"jpeg")
    api.post("/api/v2/media").respond(202, json=PROCESSING)
    api.get("/api/v1/media/22348641").respond(206, json=PROCESSING)
    status = api.post("/api/v1/statuses")

    with pytest.raises(TransientPlatformError, match="still processing after 3 checks"):
        await adapter.publish(Variant(text="x", media=[MediaRef(url="https://cdn.example/cat.jpg")]), KEY)
    assert not status.called


async def test_metrics_read_the_status_counts(adapter: MastodonAdapter, api: respx.MockRouter) -> None:
    route = api.get("/api/v1/statuses/103270115826048975").respond(200, json=STATUS)

    assert await adapter.metrics("103270115826048975") == PlatformMetrics(impressions=0, likes=11, shares=6, replies=5)
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_delete_removes_the_status_and_a_missing_one_counts_as_deleted(
    adapter: MastodonAdapter, api: respx.MockRouter
) -> None:
    route = api.delete("/api/v1/statuses/103270115826048975").mock(
        side_effect=[httpx.Response(200, json=STATUS), httpx.Response(404, json={"error": "Record not found"})]
    )

    await adapter.delete("103270115826048975")
    await adapter.delete("103270115826048975")
    assert route.call_count == 2


async def test_limits_come_from_the_instance_configuration(adapter: MastodonAdapter, api: respx.MockRouter) -> None:
    api.get("/api/v2/instance").respond(
        200,
        json={
            "domain": "social.example",
            "version": "4.3.0",
            "configuration": {
                "statuses": {"max_characters": 1000, "max_media_attachments": 4, "characters_reserved_per_url": 23},
                "media_attachments": {
                    "image_size_limit": 16777216,
                    "video_size_limit": 103809024,
                    "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                },
            },
        },
    )

    assert await adapter.limits() == TextLimits(
        max_length=1000,
        counting="graphemes",
        url_length=23,
        max_media=4,
        media_types=["image/jpeg", "image/png", "video/mp4"],
        image_size_limit=16777216,
        video_size_limit=103809024,
    )


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (401, {"error": "The access token is invalid"}, AuthExpired, "The access token is invalid"),
        (403, {"error": "This action is not allowed"}, AuthExpired, "This action is not allowed"),
        (
            422,
            {"error": "Validation failed: Text character limit of 500 exceeded"},
            RejectedByPlatform,
            "Validation failed: Text character limit of 500 exceeded",
        ),
        (503, None, TransientPlatformError, "HTTP 503"),
    ],
)
async def test_error_answers_become_typed_errors_with_mastodons_message(
    adapter: MastodonAdapter, api: respx.MockRouter, status: int, body: dict | None, error: type, message: str
) -> None:
    response = httpx.Response(status, json=body) if body else httpx.Response(status, text="<html>Bad gateway</html>")
    api.post("/api/v1/statuses").mock(return_value=response)

    with pytest.raises(error) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert message in str(raised.value)
    assert type(raised.value) is error


async def test_rate_limit_waits_until_the_iso_reset_time(adapter: MastodonAdapter, api: respx.MockRouter) -> None:
    api.post("/api/v1/statuses").respond(
        429,
        json={"error": "Too many requests"},
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "2026-11-26T09:05:00.000Z",
        },
    )

    with pytest.raises(RateLimited) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert raised.value.retry_after == 300
    assert "Too many requests" in raised.value.message


async def test_a_timeout_after_sending_the_status_is_ambiguous_but_not_before_or_on_reads(
    adapter: MastodonAdapter, api: respx.MockRouter
) -> None:
    post = api.post("/api/v1/statuses").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(AmbiguousPublish):
        await adapter.publish(Variant(text="hello"), KEY)

    post.mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(TransientPlatformError) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert not isinstance(raised.value, AmbiguousPublish)

    api.get("/api/v1/statuses/1").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(TransientPlatformError) as raised:
        await adapter.metrics("1")
    assert not isinstance(raised.value, AmbiguousPublish)


async def test_the_access_token_never_appears_in_an_error(adapter: MastodonAdapter, api: respx.MockRouter) -> None:
    api.post("/api/v1/statuses").respond(401, json={"error": f"The access token {TOKEN} was revoked"})

    with pytest.raises(AuthExpired) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert TOKEN not in str(raised.value)
    assert TOKEN not in repr(raised.value.args)
    assert "[redacted]" in str(raised.value)
    assert TOKEN not in repr(MastodonConfig(instance_url=INSTANCE, access_token=TOKEN))


async def test_media_are_uploaded_with_their_real_content_type_and_a_matching_file_name(
    adapter: MastodonAdapter, api: respx.MockRouter
) -> None:
    api.get("https://cdn.example/media/123").respond(200, content=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-bytes")
    upload = api.post("/api/v2/media").respond(200, json=PROCESSED)
    api.post("/api/v1/statuses").respond(200, json=STATUS)
    media = MediaRef(url="https://cdn.example/media/123", alt_text="A chart")  # declared: the default, JPEG

    await adapter.publish(Variant(text="Q3", media=[media]), KEY)

    sent = upload.calls.last.request.content
    assert b'name="file"; filename="upload.png"\r\nContent-Type: image/png\r\n' in sent
    assert b"application/octet-stream" not in sent
