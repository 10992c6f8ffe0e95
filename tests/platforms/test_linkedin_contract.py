"""LinkedInAdapter against the versioned Posts API as documented on learn.microsoft.com/linkedin."""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import AmbiguousPublish, AuthExpired, RateLimited, RejectedByPlatform, TransientPlatformError
from platforms.linkedin import LinkedInAdapter, LinkedInConfig, escape_commentary

API = "https://api.linkedin.example"
TOKEN = "AQXdSP_W41_UPs5ioT_t8HESyODB4FqbkJ8LrV_5mff4gPODzOYR"
ORG = "urn:li:organization:5515715"
SHARE = "urn:li:share:6844785523593134080"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY = "postgate:p1:r2:c3"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


def make(http: httpx.AsyncClient, author: str = ORG, **overrides: object) -> LinkedInAdapter:
    config = LinkedInConfig(api_url=API, access_token=TOKEN, author_urn=author, linkedin_version="202510", **overrides)
    return LinkedInAdapter(http, config, clock=lambda: NOW)


@pytest.fixture
def adapter(http: httpx.AsyncClient) -> LinkedInAdapter:
    return make(http)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


async def test_publish_creates_the_post_and_takes_its_urn_from_x_restli_id(
    adapter: LinkedInAdapter, api: respx.MockRouter
) -> None:
    route = api.post("/rest/posts").respond(201, headers={"x-restli-id": SHARE})

    post = await adapter.publish(Variant(text="Spring sale starts today"), KEY)

    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["LinkedIn-Version"] == "202510"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert json.loads(request.content) == {
        "author": ORG,
        "commentary": "Spring sale starts today",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert post == PublishedPost(
        external_id=SHARE, url=f"https://www.linkedin.com/feed/update/{SHARE}/", created_at=NOW
    )


async def test_commentary_escapes_every_little_text_reserved_character(
    adapter: LinkedInAdapter, api: respx.MockRouter
) -> None:
    route = api.post("/rest/posts").respond(201, headers={"x-restli-id": SHARE})
    text = r"Q3 (draft) *big* _news_ ~soon~ <b> [1] {x} a|b @team C:\temp #1 #launch"

    await adapter.publish(Variant(text=text), KEY)

    assert json.loads(route.calls.last.request.content)["commentary"] == (
        r"Q3 \(draft\) \*big\* \_news\_ \~soon\~ \<b\> \[1\] \{x\} a\|b \@team C:\\temp \#1 #launch"
    )


def test_hashtags_can_be_escaped_too() -> None:
    assert escape_commentary("#launch and a#b", keep_hashtags=True) == r"#launch and a\#b"
    assert escape_commentary("#launch", keep_hashtags=False) == r"\#launch"


async def test_a_success_without_an_id_is_ambiguous(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    api.post("/rest/posts").respond(201)

    with pytest.raises(AmbiguousPublish, match="x-restli-id"):
        await adapter.publish(Variant(text="hello"), KEY)


def initialized(n: int) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "value": {
                "uploadUrlExpiresAt": 1795687200000,
                "uploadUrl": f"https://www.linkedin.example/dms-uploads/sp/v2/D4E10AQ{n}/uploaded-image/0",
                "image": f"urn:li:image:D4E10AQ{n}",
            }
        },
    )


async def test_an_image_is_uploaded_through_the_images_api_and_attached_with_alt_text(
    adapter: LinkedInAdapter, api: respx.MockRouter
) -> None:
    api.get("https://cdn.example/cat.jpg").respond(200, content=b"\xff\xd8jpeg-bytes")
    init = api.post("/rest/images").mock(return_value=initialized(1))
    put = api.put("https://www.linkedin.example/dms-uploads/sp/v2/D4E10AQ1/uploaded-image/0").respond(201)
    posts = api.post("/rest/posts").respond(201, headers={"x-restli-id": SHARE})
    media = MediaRef(url="https://cdn.example/cat.jpg", alt_text="A tabby cat asleep")

    await adapter.publish(Variant(text="Meet Biscuit", media=[media]), KEY)

    assert init.calls.last.request.url.params["action"] == "initializeUpload"
    assert init.calls.last.request.headers["LinkedIn-Version"] == "202510"
    assert json.loads(init.calls.last.request.content) == {"initializeUploadRequest": {"owner": ORG}}
    assert put.calls.last.request.content == b"\xff\xd8jpeg-bytes"
    assert put.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(posts.calls.last.request.content)["content"] == {
        "media": {"id": "urn:li:image:D4E10AQ1", "altText": "A tabby cat asleep"}
    }


async def test_several_images_become_a_multi_image_post(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    api.get("https://cdn.example/a.jpg").respond(200, content=b"a")
    api.post("/rest/images").mock(side_effect=[initialized(1), initialized(2)])
    for n in (1, 2):
        api.put(f"https://www.linkedin.example/dms-uploads/sp/v2/D4E10AQ{n}/uploaded-image/0").respond(201)
    posts = api.post("/rest/posts").respond(201, headers={"x-restli-id": SHARE})
    media = [MediaRef(url="https://cdn.example/a.jpg", alt_text="first"), MediaRef(url="https://cdn.example/a.jpg")]

    await adapter.publish(Variant(text="Two views", media=media), KEY)

    assert json.loads(posts.calls.last.request.content)["content"] == {
        "multiImage": {
            "images": [
                {"id": "urn:li:image:D4E10AQ1", "altText": "first"},
                {"id": "urn:li:image:D4E10AQ2", "altText": ""},
            ]
        }
    }


async def test_video_is_refused_before_anything_is_sent(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    video = MediaRef(url="https://cdn.example/a.mp4", mime_type="video/mp4")

    with pytest.raises(RejectedByPlatform, match="no video"):
        await adapter.publish(Variant(text="x", media=[video]), KEY)
    assert not api.calls


async def test_delete_sends_the_encoded_urn_with_the_restli_method(
    adapter: LinkedInAdapter, api: respx.MockRouter
) -> None:
    route = api.delete("/rest/posts/urn%3Ali%3Ashare%3A6844785523593134080").respond(204)

    await adapter.delete(SHARE)

    request = route.calls.last.request
    assert request.url.raw_path == b"/rest/posts/urn%3Ali%3Ashare%3A6844785523593134080"
    assert request.headers["X-RestLi-Method"] == "DELETE"
    assert request.headers["LinkedIn-Version"] == "202510"


async def test_organization_metrics_come_from_share_statistics(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    route = api.get("/rest/organizationalEntityShareStatistics").respond(
        200,
        json={
            "paging": {"count": 10, "start": 0, "links": []},
            "elements": [
                {
                    "totalShareStatistics": {
                        "uniqueImpressionsCount": 910,
                        "shareCount": 7,
                        "engagement": 0.04,
                        "clickCount": 31,
                        "likeCount": 42,
                        "impressionCount": 1200,
                        "commentCount": 5,
                    },
                    "share": SHARE,
                    "organizationalEntity": ORG,
                }
            ],
        },
    )

    assert await adapter.metrics(SHARE) == PlatformMetrics(impressions=1200, likes=42, shares=7, replies=5)
    assert route.calls.last.request.url.raw_path == (
        b"/rest/organizationalEntityShareStatistics?q=organizationalEntity"
        b"&organizationalEntity=urn%3Ali%3Aorganization%3A5515715"
        b"&shares=List(urn%3Ali%3Ashare%3A6844785523593134080)"
    )


async def test_member_metrics_come_from_social_actions(http: httpx.AsyncClient, api: respx.MockRouter) -> None:
    adapter = make(http, author="urn:li:person:8675309")
    api.get("/rest/socialActions/urn%3Ali%3Ashare%3A6844785523593134080").respond(
        200,
        json={
            "commentsSummary": {"selectedComments": [], "totalFirstLevelComments": 2, "aggregatedTotalComments": 3},
            "likesSummary": {"selectedLikes": [], "likedByCurrentUser": False, "totalLikes": 17},
            "target": SHARE,
        },
    )

    assert await adapter.metrics(SHARE) == PlatformMetrics(likes=17, replies=3)


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            401,
            {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            },
            AuthExpired,
            "Invalid access token (INVALID_ACCESS_TOKEN)",
        ),
        (
            403,
            {
                "status": 403,
                "serviceErrorCode": 100,
                "code": "ACCESS_DENIED",
                "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE.20251001",
            },
            AuthExpired,
            "Not enough permissions",
        ),
        (
            422,
            {
                "status": 422,
                "message": "ERROR :: /commentary :: length of 3001 exceeds the maximum allowed length of 3000\n",
            },
            RejectedByPlatform,
            "exceeds the maximum allowed length",
        ),
        (500, {"status": 500, "message": "Internal Server Error"}, TransientPlatformError, "Internal Server Error"),
    ],
)
async def test_error_answers_become_typed_errors_with_linkedins_message(
    adapter: LinkedInAdapter, api: respx.MockRouter, status: int, body: dict, error: type, message: str
) -> None:
    api.post("/rest/posts").respond(status, json=body)

    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert type(raised.value) is error


async def test_throttling_is_rate_limited_with_retry_after(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    api.post("/rest/posts").respond(
        429,
        json={
            "status": 429,
            "serviceErrorCode": 101,
            "code": "TOO_MANY_REQUESTS",
            "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
        },
        headers={"Retry-After": "3600"},
    )

    with pytest.raises(RateLimited, match="throttle") as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert raised.value.retry_after == 3600


async def test_a_timeout_after_sending_is_ambiguous(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    api.post("/rest/posts").mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(AmbiguousPublish):
        await adapter.publish(Variant(text="hello"), KEY)
    assert await adapter.find_by_key(KEY) is None


async def test_the_token_never_appears_in_an_error(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    api.post("/rest/posts").respond(401, json={"status": 401, "message": f"Token {TOKEN} has been revoked"})

    with pytest.raises(AuthExpired) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert TOKEN not in str(raised.value)


def test_the_version_must_be_yyyymm() -> None:
    with pytest.raises(ValueError, match="linkedin_version"):
        LinkedInConfig(access_token=TOKEN, author_urn=ORG, linkedin_version="2025-10")


async def test_limits_are_3000_characters(adapter: LinkedInAdapter) -> None:
    assert await adapter.limits() == TextLimits(max_length=3000, counting="chars")


async def test_an_image_upload_declares_its_content_type(adapter: LinkedInAdapter, api: respx.MockRouter) -> None:
    api.get("https://cdn.example/cat.jpg").respond(200, content=b"\xff\xd8\xff\xe0jpeg-bytes")
    api.post("/rest/images", params={"action": "initializeUpload"}).mock(return_value=initialized(1))
    put = api.put("https://www.linkedin.example/dms-uploads/sp/v2/D4E10AQ1/uploaded-image/0").respond(201)
    api.post("/rest/posts").respond(201, headers={"x-restli-id": "urn:li:share:7"})

    await adapter.publish(Variant(text="Biscuit", media=[MediaRef(url="https://cdn.example/cat.jpg")]), KEY)

    assert put.calls.last.request.headers["Content-Type"] == "image/jpeg"
