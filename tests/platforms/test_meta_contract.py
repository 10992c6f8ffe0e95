"""Threads, Instagram and Facebook Page adapters against Meta's documented Graph API requests and errors."""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import AmbiguousPublish, AuthExpired, RateLimited, RejectedByPlatform, TransientPlatformError
from platforms.meta import (
    FacebookPageAdapter,
    FacebookPageConfig,
    InstagramAdapter,
    InstagramConfig,
    ThreadsAdapter,
    ThreadsConfig,
)

THREADS = "https://graph.threads.example/v1.0"
GRAPH = "https://graph.facebook.example/v23.0"
TOKEN = "THAAGsZBZCMZBFpBaQbE9o1ZBZAmZCZBHdNnlRkYd3ZCVf4bfakE"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY = "postgate:p1:r2:c3"
CONTAINER = "17889615691921648"
MEDIA_ID = "18019448587456098"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    status: int = 400,
    headers: dict | None = None,
) -> httpx.Response:
    error: dict = {"message": message, "type": kind, "code": code, "fbtrace_id": "AWswcVwbcqfgrSgjG80MtqJ"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return httpx.Response(status, json={"error": error}, headers=headers)


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def threads(http: httpx.AsyncClient, sleeps: Sleeps) -> ThreadsAdapter:
    config = ThreadsConfig(api_url=THREADS, user_id="1234567", access_token=TOKEN, poll_interval_s=2)
    return ThreadsAdapter(http, config, clock=lambda: NOW, sleep=sleeps)


@pytest.fixture
def instagram(http: httpx.AsyncClient, sleeps: Sleeps) -> InstagramAdapter:
    config = InstagramConfig(api_url=GRAPH, ig_user_id="17841405822304914", access_token=TOKEN, poll_interval_s=5)
    return InstagramAdapter(http, config, clock=lambda: NOW, sleep=sleeps)


@pytest.fixture
def page(http: httpx.AsyncClient) -> FacebookPageAdapter:
    config = FacebookPageConfig(api_url=GRAPH, page_id="109876543210", page_access_token=TOKEN)
    return FacebookPageAdapter(http, config, clock=lambda: NOW)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def threads_flow(api: respx.MockRouter) -> dict[str, respx.Route]:
    return {
        "create": api.post(f"{THREADS}/1234567/threads").respond(200, json={"id": CONTAINER}),
        "status": api.get(f"{THREADS}/{CONTAINER}").mock(
            side_effect=[
                httpx.Response(200, json={"status": "IN_PROGRESS", "id": CONTAINER}),
                httpx.Response(200, json={"status": "FINISHED", "id": CONTAINER}),
            ]
        ),
        "publish": api.post(f"{THREADS}/1234567/threads_publish").respond(200, json={"id": MEDIA_ID}),
        "permalink": api.get(f"{THREADS}/{MEDIA_ID}").respond(
            200,
            json={
                "permalink": "https://www.threads.net/@acme/post/C8zX1abcDEF",
                "timestamp": "2026-11-26T09:00:05+0000",
                "id": MEDIA_ID,
            },
        ),
    }


async def test_threads_creates_a_text_container_waits_for_it_and_publishes_it(
    threads: ThreadsAdapter, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    routes = threads_flow(api)

    post = await threads.publish(Variant(text="Spring sale starts today"), KEY)

    create = routes["create"].calls.last.request
    assert create.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in str(create.url)
    assert form(create) == {"media_type": "TEXT", "text": "Spring sale starts today"}
    assert routes["status"].calls.last.request.url.params["fields"] == "status,error_message"
    assert sleeps.waits == [2]
    assert dict(routes["publish"].calls.last.request.url.params) == {"creation_id": CONTAINER}
    assert routes["permalink"].calls.last.request.url.params["fields"] == "permalink,timestamp"
    assert post == PublishedPost(
        external_id=MEDIA_ID,
        url="https://www.threads.net/@acme/post/C8zX1abcDEF",
        created_at=datetime(2026, 11, 26, 9, 0, 5, tzinfo=UTC),
    )


async def test_threads_images_carry_their_url_and_alt_text(threads: ThreadsAdapter, api: respx.MockRouter) -> None:
    routes = threads_flow(api)
    media = MediaRef(url="https://cdn.example/cat.jpg", alt_text="A tabby cat asleep")

    await threads.publish(Variant(text="Meet Biscuit", media=[media]), KEY)

    assert form(routes["create"].calls.last.request) == {
        "media_type": "IMAGE",
        "text": "Meet Biscuit",
        "image_url": "https://cdn.example/cat.jpg",
        "alt_text": "A tabby cat asleep",
    }


async def test_a_failed_container_is_refused_with_metas_reason(threads: ThreadsAdapter, api: respx.MockRouter) -> None:
    routes = threads_flow(api)
    routes["status"].mock(
        side_effect=None,
        return_value=httpx.Response(
            200, json={"status": "ERROR", "id": CONTAINER, "error_message": "FAILED_DOWNLOADING_VIDEO"}
        ),
    )

    with pytest.raises(RejectedByPlatform, match="FAILED_DOWNLOADING_VIDEO"):
        await threads.publish(Variant(text="x"), KEY)
    assert not routes["publish"].called


async def test_an_expired_container_is_transient(threads: ThreadsAdapter, api: respx.MockRouter) -> None:
    routes = threads_flow(api)
    routes["status"].mock(
        side_effect=None, return_value=httpx.Response(200, json={"status": "EXPIRED", "id": CONTAINER})
    )

    with pytest.raises(TransientPlatformError, match="expired"):
        await threads.publish(Variant(text="x"), KEY)


async def test_only_a_timeout_on_the_publish_call_is_ambiguous(threads: ThreadsAdapter, api: respx.MockRouter) -> None:
    routes = threads_flow(api)
    routes["create"].mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(TransientPlatformError) as raised:
        await threads.publish(Variant(text="x"), KEY)
    assert not isinstance(raised.value, AmbiguousPublish)

    routes = threads_flow(api)
    routes["publish"].mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(AmbiguousPublish):
        await threads.publish(Variant(text="x"), KEY)


async def test_a_failed_permalink_lookup_does_not_fail_a_published_post(
    threads: ThreadsAdapter, api: respx.MockRouter
) -> None:
    routes = threads_flow(api)
    routes["permalink"].mock(return_value=graph_error(2, "Service temporarily unavailable", status=500))

    post = await threads.publish(Variant(text="x"), KEY)

    assert post == PublishedPost(external_id=MEDIA_ID, url="", created_at=NOW)


async def test_threads_metrics_read_media_insights(threads: ThreadsAdapter, api: respx.MockRouter) -> None:
    def metric(name: str, value: int) -> dict:
        return {
            "name": name,
            "period": "lifetime",
            "values": [{"value": value}],
            "title": name.title(),
            "id": f"{MEDIA_ID}/insights/{name}/lifetime",
        }

    route = api.get(f"{THREADS}/{MEDIA_ID}/insights").respond(
        200,
        json={
            "data": [
                metric("views", 900),
                metric("likes", 40),
                metric("replies", 6),
                metric("reposts", 3),
                metric("quotes", 2),
            ]
        },
    )

    assert await threads.metrics(MEDIA_ID) == PlatformMetrics(impressions=900, likes=40, shares=5, replies=6)
    assert route.calls.last.request.url.params["metric"] == "views,likes,replies,reposts,quotes"


async def test_threads_delete_removes_the_post(threads: ThreadsAdapter, api: respx.MockRouter) -> None:
    route = api.delete(f"{THREADS}/{MEDIA_ID}").respond(200, json={"success": True, "deleted_id": MEDIA_ID})

    await threads.delete(MEDIA_ID)

    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_instagram_publishes_an_image_container_with_caption_and_alt_text(
    instagram: InstagramAdapter, api: respx.MockRouter, sleeps: Sleeps
) -> None:
    create = api.post(f"{GRAPH}/17841405822304914/media").respond(200, json={"id": CONTAINER})
    status = api.get(f"{GRAPH}/{CONTAINER}").mock(
        side_effect=[
            httpx.Response(200, json={"status_code": "IN_PROGRESS", "id": CONTAINER}),
            httpx.Response(200, json={"status_code": "FINISHED", "id": CONTAINER}),
        ]
    )
    publish = api.post(f"{GRAPH}/17841405822304914/media_publish").respond(200, json={"id": MEDIA_ID})
    api.get(f"{GRAPH}/{MEDIA_ID}").respond(
        200,
        json={
            "permalink": "https://www.instagram.com/p/C8zX1abcDEF/",
            "timestamp": "2026-11-26T09:00:07+0000",
            "id": MEDIA_ID,
        },
    )
    media = MediaRef(url="https://cdn.example/cat.jpg", alt_text="A tabby cat asleep")

    post = await instagram.publish(Variant(text="Meet Biscuit #caturday", media=[media]), KEY)

    assert form(create.calls.last.request) == {
        "caption": "Meet Biscuit #caturday",
        "image_url": "https://cdn.example/cat.jpg",
        "alt_text": "A tabby cat asleep",
    }
    assert status.calls.last.request.url.params["fields"] == "status_code,status"
    assert sleeps.waits == [5]
    assert dict(publish.calls.last.request.url.params) == {"creation_id": CONTAINER}
    assert post.url == "https://www.instagram.com/p/C8zX1abcDEF/"


async def test_instagram_needs_an_image_and_cannot_delete(instagram: InstagramAdapter, api: respx.MockRouter) -> None:
    with pytest.raises(RejectedByPlatform, match="needs an image"):
        await instagram.publish(Variant(text="text only"), KEY)
    with pytest.raises(RejectedByPlatform, match="cannot delete"):
        await instagram.delete(MEDIA_ID)
    assert not api.calls


async def test_instagram_metrics_read_likes_and_comments(instagram: InstagramAdapter, api: respx.MockRouter) -> None:
    api.get(f"{GRAPH}/{MEDIA_ID}").respond(200, json={"like_count": 120, "comments_count": 9, "id": MEDIA_ID})

    assert await instagram.metrics(MEDIA_ID) == PlatformMetrics(likes=120, replies=9)


async def test_a_page_post_sends_message_and_first_link(page: FacebookPageAdapter, api: respx.MockRouter) -> None:
    feed = api.post(f"{GRAPH}/109876543210/feed").respond(200, json={"id": "109876543210_987654321098765"})
    api.get(f"{GRAPH}/109876543210_987654321098765").respond(
        200,
        json={
            "permalink_url": "https://www.facebook.com/109876543210/posts/987654321098765",
            "created_time": "2026-11-26T09:00:03+0000",
            "id": "109876543210_987654321098765",
        },
    )

    post = await page.publish(Variant(text="Sale! Details: https://acme.example/sale."), KEY)

    assert form(feed.calls.last.request) == {
        "message": "Sale! Details: https://acme.example/sale.",
        "link": "https://acme.example/sale",
    }
    assert post == PublishedPost(
        external_id="109876543210_987654321098765",
        url="https://www.facebook.com/109876543210/posts/987654321098765",
        created_at=datetime(2026, 11, 26, 9, 0, 3, tzinfo=UTC),
    )


async def test_a_page_photo_post_uses_the_photos_edge(page: FacebookPageAdapter, api: respx.MockRouter) -> None:
    photos = api.post(f"{GRAPH}/109876543210/photos").respond(
        200, json={"id": "1122334455", "post_id": "109876543210_5566778899"}
    )
    api.get(f"{GRAPH}/109876543210_5566778899").respond(200, json={"id": "109876543210_5566778899"})

    post = await page.publish(Variant(text="Meet Biscuit", media=[MediaRef(url="https://cdn.example/cat.jpg")]), KEY)

    assert form(photos.calls.last.request) == {"url": "https://cdn.example/cat.jpg", "message": "Meet Biscuit"}
    assert post.external_id == "109876543210_5566778899"


async def test_page_metrics_and_delete(page: FacebookPageAdapter, api: respx.MockRouter) -> None:
    post_id = "109876543210_987654321098765"
    api.get(f"{GRAPH}/{post_id}").respond(
        200,
        json={
            "shares": {"count": 4},
            "reactions": {"data": [], "summary": {"total_count": 57, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": 8, "can_comment": True}},
            "id": post_id,
        },
    )
    delete = api.delete(f"{GRAPH}/{post_id}").mock(
        side_effect=[
            httpx.Response(200, json={"success": True}),
            graph_error(100, "Unsupported delete request. Object does not exist", subcode=33),
            graph_error(200, "Permissions error"),
        ]
    )

    assert await page.metrics(post_id) == PlatformMetrics(likes=57, shares=4, replies=8)
    await page.delete(post_id)
    await page.delete(post_id)  # already gone: nothing left to do
    with pytest.raises(AuthExpired):
        await page.delete(post_id)
    assert delete.call_count == 3


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (
            graph_error(
                190,
                "Error validating access token: Session has expired on Tuesday, 24-Nov-26 10:00:00 PST.",
                subcode=463,
            ),
            AuthExpired,
            "Session has expired",
        ),
        (
            graph_error(10, "Application does not have permission for this action", kind="OAuthException"),
            AuthExpired,
            "permission",
        ),
        (graph_error(1, "An unknown error occurred", status=500), TransientPlatformError, "unknown error"),
        (
            graph_error(2, "Service temporarily unavailable", status=503),
            TransientPlatformError,
            "temporarily unavailable",
        ),
        (
            graph_error(100, "Invalid parameter", subcode=2207052, kind="OAuthException"),
            RejectedByPlatform,
            r"Invalid parameter \(code 100/2207052, fbtrace_id AWswcVwbcqfgrSgjG80MtqJ\)",
        ),
    ],
)
async def test_graph_error_codes_decide_the_error(
    page: FacebookPageAdapter, api: respx.MockRouter, response: httpx.Response, error: type, message: str
) -> None:
    api.post(f"{GRAPH}/109876543210/feed").mock(return_value=response)

    with pytest.raises(error, match=message) as raised:
        await page.publish(Variant(text="hello"), KEY)
    assert type(raised.value) is error


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
async def test_graph_rate_limits_wait_as_long_as_the_usage_header_says(
    page: FacebookPageAdapter, api: respx.MockRouter, code: int
) -> None:
    usage = {
        "109876543210": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 25,
                "total_time": 25,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    api.post(f"{GRAPH}/109876543210/feed").mock(
        return_value=graph_error(
            code, "(#32) Page request limit reached", headers={"X-Business-Use-Case-Usage": json.dumps(usage)}
        )
    )

    with pytest.raises(RateLimited, match="limit reached") as raised:
        await page.publish(Variant(text="hello"), KEY)
    assert raised.value.retry_after == 420


async def test_the_token_never_appears_in_an_error(threads: ThreadsAdapter, api: respx.MockRouter) -> None:
    api.post(f"{THREADS}/1234567/threads").mock(
        return_value=graph_error(190, f"Invalid OAuth access token - Cannot parse access token {TOKEN}")
    )

    with pytest.raises(AuthExpired) as raised:
        await threads.publish(Variant(text="hello"), KEY)
    assert TOKEN not in str(raised.value)


async def test_limits(threads: ThreadsAdapter, instagram: InstagramAdapter, page: FacebookPageAdapter) -> None:
    assert await threads.limits() == TextLimits(max_length=500, counting="chars")
    assert await instagram.limits() == TextLimits(max_length=2200, counting="chars")
    assert await page.limits() == TextLimits(max_length=63206, counting="chars")
