"""XAdapter against API v2 (`/2/tweets`) as documented on docs.x.com."""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import AmbiguousPublish, AuthExpired, RateLimited, RejectedByPlatform, TransientPlatformError
from platforms.x import XAdapter, XConfig

API = "https://api.x.example"
TOKEN = "bWRjZXhhbXBsZXRva2VuOjE3MzI2MTI4MDAwMDA6MToxOmF0OjE"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY = "postgate:p1:r2:c3"
TWEET_ID = "1445880548472328192"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def adapter(http: httpx.AsyncClient) -> XAdapter:
    return XAdapter(http, XConfig(api_url=API, access_token=TOKEN, username="acme"), clock=lambda: NOW)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


async def test_publish_posts_the_text_and_reads_the_id(adapter: XAdapter, api: respx.MockRouter) -> None:
    route = api.post("/2/tweets").respond(
        201, json={"data": {"id": TWEET_ID, "edit_history_tweet_ids": [TWEET_ID], "text": "Spring sale starts today"}}
    )

    post = await adapter.publish(Variant(text="Spring sale starts today"), KEY)

    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"text": "Spring sale starts today"}
    assert post == PublishedPost(external_id=TWEET_ID, url=f"https://x.com/acme/status/{TWEET_ID}", created_at=NOW)


async def test_without_a_username_the_url_uses_the_web_status_path(
    http: httpx.AsyncClient, api: respx.MockRouter
) -> None:
    adapter = XAdapter(http, XConfig(api_url=API, access_token=TOKEN))
    api.post("/2/tweets").respond(201, json={"data": {"id": TWEET_ID, "text": "hi"}})

    assert (await adapter.publish(Variant(text="hi"), KEY)).url == f"https://x.com/i/web/status/{TWEET_ID}"


async def test_rate_limit_waits_until_x_rate_limit_reset(adapter: XAdapter, api: respx.MockRouter) -> None:
    api.post("/2/tweets").respond(
        429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        headers={
            "x-rate-limit-limit": "200",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(NOW.timestamp()) + 900),
        },
    )

    with pytest.raises(RateLimited, match="Too Many Requests") as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert raised.value.retry_after == 900


async def test_duplicate_content_is_refused_with_a_hint_about_earlier_attempts(
    adapter: XAdapter, api: respx.MockRouter
) -> None:
    api.post("/2/tweets").respond(
        403,
        json={
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    )

    with pytest.raises(RejectedByPlatform, match="duplicate content") as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert "check the account" in raised.value.message


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            401,
            {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
            AuthExpired,
            "Unauthorized",
        ),
        (
            403,
            {
                "client_id": "27427617",
                "detail": (
                    "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens"
                    " from a Twitter developer App that is attached to a Project."
                ),
                "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
                "title": "Client Forbidden",
                "required_enrollment": "Appropriate Level of API Access",
                "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden",
            },
            AuthExpired,
            "attached to a Project",
        ),
        (
            400,
            {
                "errors": [{"parameters": {"text": [""]}, "message": "Tweet text must not be empty"}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            RejectedByPlatform,
            "Tweet text must not be empty",
        ),
        (
            503,
            {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503},
            TransientPlatformError,
            "Service Unavailable",
        ),
    ],
)
async def test_error_answers_become_typed_errors_with_xs_detail(
    adapter: XAdapter, api: respx.MockRouter, status: int, body: dict, error: type, message: str
) -> None:
    api.post("/2/tweets").respond(status, json=body)

    with pytest.raises(error, match=message) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert type(raised.value) is error


async def test_metrics_read_public_metrics(adapter: XAdapter, api: respx.MockRouter) -> None:
    route = api.get(f"/2/tweets/{TWEET_ID}").respond(
        200,
        json={
            "data": {
                "id": TWEET_ID,
                "text": "Spring sale starts today",
                "edit_history_tweet_ids": [TWEET_ID],
                "public_metrics": {
                    "retweet_count": 4,
                    "reply_count": 2,
                    "like_count": 31,
                    "quote_count": 1,
                    "bookmark_count": 3,
                    "impression_count": 1500,
                },
            }
        },
    )

    assert await adapter.metrics(TWEET_ID) == PlatformMetrics(impressions=1500, likes=31, shares=5, replies=2)
    assert route.calls.last.request.url.params["tweet.fields"] == "public_metrics"


async def test_metrics_of_a_deleted_tweet_are_refused(adapter: XAdapter, api: respx.MockRouter) -> None:
    api.get(f"/2/tweets/{TWEET_ID}").respond(
        200,
        json={
            "errors": [
                {
                    "value": TWEET_ID,
                    "detail": f"Could not find tweet with id: [{TWEET_ID}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "id",
                    "resource_id": TWEET_ID,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ]
        },
    )

    with pytest.raises(RejectedByPlatform, match="Could not find tweet"):
        await adapter.metrics(TWEET_ID)


async def test_delete_removes_the_tweet(adapter: XAdapter, api: respx.MockRouter) -> None:
    route = api.delete(f"/2/tweets/{TWEET_ID}").respond(200, json={"data": {"deleted": True}})

    await adapter.delete(TWEET_ID)

    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_a_timeout_after_sending_is_ambiguous_and_connect_errors_are_not(
    adapter: XAdapter, api: respx.MockRouter
) -> None:
    route = api.post("/2/tweets").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(AmbiguousPublish):
        await adapter.publish(Variant(text="hello"), KEY)

    route.mock(side_effect=httpx.ConnectTimeout("timed out"))
    with pytest.raises(TransientPlatformError) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert not isinstance(raised.value, AmbiguousPublish)


async def test_images_are_uploaded_given_alt_text_and_attached(adapter: XAdapter, api: respx.MockRouter) -> None:
    api.get("https://cdn.example/cat.jpg").respond(200, content=b"\xff\xd8jpeg-bytes")
    upload = api.post("/2/media/upload").respond(
        200,
        json={
            "data": {
                "id": "1880028106020515840",
                "media_key": "3_1880028106020515840",
                "size": 12,
                "expires_after_secs": 86400,
                "image": {"image_type": "image/jpeg", "w": 800, "h": 600},
            }
        },
    )
    metadata = api.post("/2/media/metadata").respond(
        200, json={"data": {"associated_metadata": {"alt_text": {"text": "A tabby cat asleep"}}}}
    )
    tweet = api.post("/2/tweets").respond(201, json={"data": {"id": TWEET_ID, "text": "Meet Biscuit"}})
    media = MediaRef(url="https://cdn.example/cat.jpg", alt_text="A tabby cat asleep")

    await adapter.publish(Variant(text="Meet Biscuit", media=[media]), KEY)

    sent = upload.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert b'name="media_category"\r\n\r\ntweet_image' in sent.content
    assert b'name="media"' in sent.content and b"\xff\xd8jpeg-bytes" in sent.content
    assert json.loads(metadata.calls.last.request.content) == {
        "id": "1880028106020515840",
        "metadata": {"alt_text": {"text": "A tabby cat asleep"}},
    }
    assert json.loads(tweet.calls.last.request.content) == {
        "text": "Meet Biscuit",
        "media": {"media_ids": ["1880028106020515840"]},
    }


async def test_video_is_refused_before_anything_is_sent(adapter: XAdapter, api: respx.MockRouter) -> None:
    video = MediaRef(url="https://cdn.example/a.mp4", mime_type="video/mp4")

    with pytest.raises(RejectedByPlatform, match="no video"):
        await adapter.publish(Variant(text="x", media=[video]), KEY)
    assert not api.calls


async def test_the_token_never_appears_in_an_error(adapter: XAdapter, api: respx.MockRouter) -> None:
    api.post("/2/tweets").respond(
        401, json={"title": "Unauthorized", "detail": f"Token {TOKEN} is invalid", "status": 401}
    )

    with pytest.raises(AuthExpired) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert TOKEN not in str(raised.value)


async def test_limits_are_280_weighted_with_23_per_url(adapter: XAdapter) -> None:
    assert await adapter.limits() == TextLimits(max_length=280, counting="twitter-weighted", url_length=23)


async def test_an_upload_part_declares_the_type_its_bytes_have(adapter: XAdapter, api: respx.MockRouter) -> None:
    api.get("https://cdn.example/anim").respond(200, content=b"GIF89a-bytes")
    upload = api.post("/2/media/upload").respond(200, json={"data": {"id": "710511363345354753"}})
    api.post("/2/tweets").respond(201, json={"data": {"id": "1", "text": "x"}})

    await adapter.publish(Variant(text="Look", media=[MediaRef(url="https://cdn.example/anim")]), "k")

    sent = upload.calls.last.request.content
    assert b'filename="upload.gif"\r\nContent-Type: image/gif\r\n' in sent
    assert b'name="media_category"\r\n\r\ntweet_gif' in sent
