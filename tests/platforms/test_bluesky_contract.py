"""BlueskyAdapter against the XRPC requests and answers documented at docs.bsky.app and in the lexicons."""

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from platforms.base import MediaRef, PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.bluesky import BlueskyAdapter, BlueskyConfig, record_key_for
from platforms.bluesky_richtext import find_spans
from platforms.errors import AmbiguousPublish, AuthExpired, RateLimited, RejectedByPlatform

PDS = "https://pds.example"
APPVIEW = "https://appview.example"
PASSWORD = "abcd-efgh-ijkl-mnop"
DID = "did:plc:z72i7hdynmk6r22z27h6tvur"
ALICE = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
NOW = datetime(2026, 11, 26, 9, 0, 0, 123000, tzinfo=UTC)
KEY = "postgate:p1:r2:c3"
RKEY = record_key_for(KEY)
URI = f"at://{DID}/app.bsky.feed.post/{RKEY}"


def session(n: int) -> dict:
    return {
        "did": DID,
        "handle": "acme.bsky.social",
        "email": "social@acme.example",
        "emailConfirmed": True,
        "accessJwt": f"eyJhbGciOiJFUzI1NksifQ.access{n}.sig",
        "refreshJwt": f"eyJhbGciOiJFUzI1NksifQ.refresh{n}.sig",
        "active": True,
    }


CREATED = {
    "uri": URI,
    "cid": "bafyreibjifzpqj6o6wcq3hejh7y4z4z2vmiklkvykc57tw3pcbx3kxifpm",
    "commit": {"cid": "bafyreid4dfgdqfwk6oi7knsxkgvyjxbldg2pqdfsywqvq4jhagphdmagme", "rev": "3lbtlnckgnk2r"},
    "validationStatus": "valid",
}


def xrpc_error(status: int, name: str, message: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": name, "message": message}, headers=headers)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def adapter(http: httpx.AsyncClient) -> BlueskyAdapter:
    config = BlueskyConfig(service_url=PDS, handle="acme.bsky.social", app_password=PASSWORD, appview_url=APPVIEW)
    return BlueskyAdapter(http, config, clock=lambda: NOW)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=PDS, assert_all_called=False) as router:
        router.post("/xrpc/com.atproto.server.createSession", name="login").respond(200, json=session(1))
        yield router


def test_record_keys_are_stable_tids_that_only_their_key_maps_to() -> None:
    assert record_key_for(KEY) == RKEY
    assert re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", RKEY)
    assert re.fullmatch(r"[A-Za-z0-9._:~-]{1,512}", RKEY)
    assert len({record_key_for(f"postgate:p{i}:r1:c1") for i in range(2000)}) == 2000


async def test_publish_logs_in_once_and_writes_the_post_at_the_keys_rkey(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    create = api.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)

    post = await adapter.publish(Variant(text="Spring sale starts today"), KEY)
    await adapter.publish(Variant(text="Another one"), "postgate:p9:r1:c3")

    assert json.loads(api["login"].calls.last.request.content) == {
        "identifier": "acme.bsky.social",
        "password": PASSWORD,
    }
    assert api["login"].call_count == 1
    request = create.calls[0].request
    assert request.headers["Authorization"] == "Bearer eyJhbGciOiJFUzI1NksifQ.access1.sig"
    assert json.loads(request.content) == {
        "repo": DID,
        "collection": "app.bsky.feed.post",
        "rkey": RKEY,
        "validate": True,
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "Spring sale starts today",
            "createdAt": "2026-11-26T09:00:00.123Z",
        },
    }
    # pds.example is not one of Bluesky's own PDS hosts and no web client is configured: the at:// URI.
    assert post == PublishedPost(external_id=URI, url=URI, created_at=NOW)


async def test_concurrent_calls_share_one_login(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    api.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)

    await asyncio.gather(*(adapter.publish(Variant(text=f"post {i}"), f"postgate:p{i}:r1:c3") for i in range(5)))

    assert api["login"].call_count == 1


async def test_facets_index_utf8_bytes_so_an_emoji_shifts_the_link(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    resolve = api.get("/xrpc/com.atproto.identity.resolveHandle").respond(200, json={"did": ALICE})
    create = api.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)
    text = "🎉 Launch day! https://example.com/launch?ref=bsky. Thanks @alice.bsky.social #postgate"

    await adapter.publish(Variant(text=text), KEY)

    assert resolve.calls.last.request.url.params["handle"] == "alice.bsky.social"
    facets = json.loads(create.calls.last.request.content)["record"]["facets"]
    # The emoji is one character but four bytes: the link starts at byte 17, character 14.
    assert facets == [
        {
            "index": {"byteStart": 17, "byteEnd": 52},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/launch?ref=bsky"}],
        },
        {
            "index": {"byteStart": 61, "byteEnd": 79},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": ALICE}],
        },
        {
            "index": {"byteStart": 80, "byteEnd": 89},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "postgate"}],
        },
    ]
    encoded = text.encode("utf-8")
    assert encoded[17:52] == b"https://example.com/launch?ref=bsky"
    assert encoded[61:79] == b"@alice.bsky.social"


async def test_a_handle_that_resolves_to_no_one_stays_plain_text(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    api.get("/xrpc/com.atproto.identity.resolveHandle").mock(
        return_value=xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
    )
    create = api.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)

    await adapter.publish(Variant(text="cc @nobody.example.com"), KEY)

    assert "facets" not in json.loads(create.calls.last.request.content)["record"]


def test_spans_leave_out_emails_numbers_and_closing_punctuation() -> None:
    text = (
        "Mail me@acme.example (see https://en.wikipedia.org/wiki/Tabby_(cat)). We're #1! #sale, https://x.example/#frag"
    )
    spans = [(span.kind, span.value) for span in find_spans(text)]
    assert spans == [
        ("link", "https://en.wikipedia.org/wiki/Tabby_(cat)"),
        ("tag", "sale"),
        ("link", "https://x.example/#frag"),
    ]


async def test_images_are_uploaded_as_blobs_and_embedded_with_alt_text(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    blob = {
        "$type": "blob",
        "ref": {"$link": "bafkreibabalobzn6cd366ukcsjycp4yymjymgfxcv6xczmlgpemzkz3cfa"},
        "mimeType": "image/png",
        "size": 760898,
    }
    api.get("https://cdn.example/chart.png").respond(200, content=b"\x89PNG-bytes")
    upload = api.post("/xrpc/com.atproto.repo.uploadBlob").respond(200, json={"blob": blob})
    create = api.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)
    media = MediaRef(url="https://cdn.example/chart.png", mime_type="image/png", alt_text="Sales by month, rising")

    await adapter.publish(Variant(text="Q3 in one chart", media=[media]), KEY)

    sent = upload.calls.last.request
    assert sent.content == b"\x89PNG-bytes"
    assert sent.headers["Content-Type"] == "image/png"
    assert sent.headers["Authorization"] == "Bearer eyJhbGciOiJFUzI1NksifQ.access1.sig"
    assert json.loads(create.calls.last.request.content)["record"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": "Sales by month, rising", "image": blob}],
    }


async def test_an_expired_access_token_is_refreshed_once_and_the_call_repeated(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    create = api.post("/xrpc/com.atproto.repo.createRecord").mock(
        side_effect=[xrpc_error(400, "ExpiredToken", "Token has expired"), httpx.Response(200, json=CREATED)]
    )
    refresh = api.post("/xrpc/com.atproto.server.refreshSession").respond(200, json=session(2))

    await adapter.publish(Variant(text="hello"), KEY)

    assert refresh.calls.last.request.headers["Authorization"] == "Bearer eyJhbGciOiJFUzI1NksifQ.refresh1.sig"
    assert [c.request.headers["Authorization"] for c in create.calls] == [
        "Bearer eyJhbGciOiJFUzI1NksifQ.access1.sig",
        "Bearer eyJhbGciOiJFUzI1NksifQ.access2.sig",
    ]
    assert api["login"].call_count == 1


async def test_an_expired_refresh_token_logs_in_again(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    api["login"].mock(side_effect=[httpx.Response(200, json=session(1)), httpx.Response(200, json=session(3))])
    create = api.post("/xrpc/com.atproto.repo.createRecord").mock(
        side_effect=[xrpc_error(400, "ExpiredToken", "Token has expired"), httpx.Response(200, json=CREATED)]
    )
    api.post("/xrpc/com.atproto.server.refreshSession").mock(
        return_value=xrpc_error(400, "ExpiredToken", "Token has expired")
    )

    await adapter.publish(Variant(text="hello"), KEY)

    assert create.calls.last.request.headers["Authorization"] == "Bearer eyJhbGciOiJFUzI1NksifQ.access3.sig"
    assert api["login"].call_count == 2


@pytest.mark.parametrize(
    "refusal",
    [
        xrpc_error(500, "InternalServerError", "Internal Server Error"),
        xrpc_error(409, "RecordAlreadyExists", "Record already exists"),
    ],
)
async def test_a_taken_rkey_means_an_earlier_attempt_published_and_returns_that_post(
    adapter: BlueskyAdapter, api: respx.MockRouter, refusal: httpx.Response
) -> None:
    api.post("/xrpc/com.atproto.repo.createRecord").mock(return_value=refusal)
    get = api.get("/xrpc/com.atproto.repo.getRecord").respond(
        200,
        json={
            "uri": URI,
            "cid": CREATED["cid"],
            "value": {"$type": "app.bsky.feed.post", "text": "hello", "createdAt": "2026-11-26T08:58:00.000Z"},
        },
    )

    post = await adapter.publish(Variant(text="hello"), KEY)

    assert dict(get.calls.last.request.url.params) == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": RKEY}
    assert post.external_id == URI
    assert post.created_at == datetime(2026, 11, 26, 8, 58, tzinfo=UTC)


async def test_a_refused_post_that_does_not_exist_stays_refused(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    api.post("/xrpc/com.atproto.repo.createRecord").mock(
        return_value=xrpc_error(
            400,
            "InvalidRequest",
            "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
        )
    )
    api.get("/xrpc/com.atproto.repo.getRecord").mock(
        return_value=xrpc_error(400, "RecordNotFound", f"Could not locate record: {URI}")
    )

    with pytest.raises(RejectedByPlatform, match="must not be longer than 300 graphemes"):
        await adapter.publish(Variant(text="x" * 301), KEY)


async def test_find_by_key_gets_the_record_at_the_keys_rkey(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    api.get("/xrpc/com.atproto.repo.getRecord").mock(
        side_effect=[
            xrpc_error(400, "RecordNotFound", f"Could not locate record: {URI}"),
            httpx.Response(
                200, json={"uri": URI, "cid": "bafy", "value": {"text": "hi", "createdAt": "2026-11-26T08:58:00Z"}}
            ),
        ]
    )

    assert await adapter.find_by_key(KEY) is None
    found = await adapter.find_by_key(KEY)
    assert found is not None and found.url == URI


async def test_a_timeout_after_sending_the_record_is_ambiguous(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    api.post("/xrpc/com.atproto.repo.createRecord").mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(AmbiguousPublish):
        await adapter.publish(Variant(text="hello"), KEY)


async def test_metrics_come_from_the_appview_without_credentials(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    route = api.get(f"{APPVIEW}/xrpc/app.bsky.feed.getPosts").respond(
        200,
        json={
            "posts": [
                {
                    "uri": URI,
                    "cid": "bafy",
                    "author": {"did": DID, "handle": "acme.bsky.social"},
                    "record": {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-11-26T09:00:00Z"},
                    "replyCount": 3,
                    "repostCount": 4,
                    "likeCount": 20,
                    "quoteCount": 1,
                    "indexedAt": "2026-11-26T09:00:01Z",
                }
            ]
        },
    )

    assert await adapter.metrics(URI) == PlatformMetrics(likes=20, shares=5, replies=3)
    assert route.calls.last.request.url.params["uris"] == URI
    assert "Authorization" not in route.calls.last.request.headers


async def test_without_an_appview_metrics_go_through_the_pds(http: httpx.AsyncClient, api: respx.MockRouter) -> None:
    adapter = BlueskyAdapter(http, BlueskyConfig(service_url=PDS, handle="acme.bsky.social", app_password=PASSWORD))
    route = api.get("/xrpc/app.bsky.feed.getPosts").respond(200, json={"posts": []})

    with pytest.raises(RejectedByPlatform, match="not on Bluesky any more"):
        await adapter.metrics(URI)
    assert route.calls.last.request.headers["Authorization"] == "Bearer eyJhbGciOiJFUzI1NksifQ.access1.sig"


async def test_delete_removes_the_record_named_by_the_uri(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    route = api.post("/xrpc/com.atproto.repo.deleteRecord").respond(200, json={})

    await adapter.delete(URI)

    assert json.loads(route.calls.last.request.content) == {
        "repo": DID,
        "collection": "app.bsky.feed.post",
        "rkey": RKEY,
    }
    with pytest.raises(RejectedByPlatform):
        await adapter.delete("https://bsky.app/profile/acme/post/1")


async def test_rate_limit_waits_until_the_epoch_reset(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    reset = int(NOW.timestamp()) + 120
    api.post("/xrpc/com.atproto.repo.createRecord").mock(
        return_value=xrpc_error(
            429,
            "RateLimitExceeded",
            "Rate Limit Exceeded",
            {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "5000;w=3600",
            },
        )
    )

    with pytest.raises(RateLimited) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert raised.value.retry_after == pytest.approx(120 - 0.123)


async def test_a_refused_login_is_auth_expired_without_the_password(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    api["login"].mock(
        return_value=xrpc_error(401, "AuthenticationRequired", f"Invalid identifier or password {PASSWORD}")
    )

    with pytest.raises(AuthExpired, match="Invalid identifier or password") as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert PASSWORD not in str(raised.value)


async def test_session_tokens_never_appear_in_an_error(adapter: BlueskyAdapter, api: respx.MockRouter) -> None:
    token = session(1)["accessJwt"]
    api.post("/xrpc/com.atproto.repo.createRecord").mock(
        return_value=xrpc_error(400, "InvalidRequest", f"bad auth header Bearer {token}")
    )
    api.get("/xrpc/com.atproto.repo.getRecord").mock(
        return_value=xrpc_error(400, "RecordNotFound", "Could not locate record")
    )

    with pytest.raises(RejectedByPlatform) as raised:
        await adapter.publish(Variant(text="hello"), KEY)
    assert token not in str(raised.value)


async def test_limits_are_300_graphemes(adapter: BlueskyAdapter) -> None:
    assert await adapter.limits() == TextLimits(max_length=300, counting="graphemes")


async def test_records_carry_the_channels_languages(http: httpx.AsyncClient, api: respx.MockRouter) -> None:
    config = BlueskyConfig(service_url=PDS, handle="acme.bsky.social", app_password=PASSWORD, langs=["id", "en"])
    create = api.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)

    await BlueskyAdapter(http, config, clock=lambda: NOW).publish(Variant(text="Promo musim semi"), KEY)

    assert json.loads(create.calls.last.request.content)["record"]["langs"] == ["id", "en"]


@pytest.mark.parametrize(
    ("service_url", "web_url", "expected"),
    [
        ("https://bsky.social", None, f"https://bsky.app/profile/acme.bsky.social/post/{RKEY}"),
        ("https://morel.us-east.host.bsky.network", None, f"https://bsky.app/profile/acme.bsky.social/post/{RKEY}"),
        (PDS, "https://deer.example/", f"https://deer.example/profile/acme.bsky.social/post/{RKEY}"),
        (PDS, None, URI),
    ],
)
async def test_the_post_url_is_on_the_web_client_that_shows_this_pds_or_the_at_uri(
    http: httpx.AsyncClient, service_url: str, web_url: str | None, expected: str
) -> None:
    config = BlueskyConfig(service_url=service_url, handle="acme.bsky.social", app_password=PASSWORD, web_url=web_url)
    with respx.mock(base_url=service_url) as router:
        router.post("/xrpc/com.atproto.server.createSession").respond(200, json=session(1))
        router.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)
        post = await BlueskyAdapter(http, config, clock=lambda: NOW).publish(Variant(text="hi"), KEY)
    assert post.url == expected


async def test_a_blob_is_uploaded_with_the_content_type_its_bytes_have(
    adapter: BlueskyAdapter, api: respx.MockRouter
) -> None:
    blob = {"$type": "blob", "ref": {"$link": "bafkrei"}, "mimeType": "image/png", "size": 20}
    # A PNG behind a URL without an extension: declared (guessed) as JPEG.
    api.get("https://cdn.example/media/123").respond(200, content=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-bytes")
    upload = api.post("/xrpc/com.atproto.repo.uploadBlob").respond(200, json={"blob": blob})
    api.post("/xrpc/com.atproto.repo.createRecord").respond(200, json=CREATED)
    media = MediaRef(url="https://cdn.example/media/123", mime_type="image/jpeg", alt_text="A chart")

    await adapter.publish(Variant(text="Q3", media=[media]), KEY)

    assert upload.calls.last.request.headers["Content-Type"] == "image/png"
