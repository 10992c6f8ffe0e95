"""The sandbox platform over real HTTP, and how SandboxAdapter turns platform answers into errors."""

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from platforms.errors import (
    AuthExpired,
    PlatformError,
    RateLimited,
    RejectedByPlatform,
    TransientPlatformError,
)
from platforms.sandbox import create_sandbox_app
from platforms.sandbox_adapter import PlatformMetrics, SandboxAdapter, parse_retry_after

# Every network wait in these tests is bounded by this, so a broken server fails a test instead of hanging it.
TIMEOUT = httpx.Timeout(5.0)
STARTED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand, so metrics can age by minutes without the test sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run `app` under a real uvicorn server on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Binding port 0 here, rather than asking uvicorn for a port, means the port is known before the
    # server starts and nothing else can take it in between.
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start within 10 seconds")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive(), "the sandbox server did not shut down within 10 seconds"


@dataclass
class Sandbox:
    base_url: str
    db_path: Path
    clock: FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(STARTED_AT)


@pytest.fixture
def sandbox(tmp_path: Path, clock: FakeClock) -> Iterator[Sandbox]:
    db_path = tmp_path / "state" / "sandbox.db"
    with serving(create_sandbox_app(db_path, clock=clock)) as base_url:
        yield Sandbox(base_url, db_path, clock)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        yield http


@pytest.fixture
def adapter(client: httpx.AsyncClient, sandbox: Sandbox) -> SandboxAdapter:
    return SandboxAdapter(client, sandbox.base_url)


async def all_posts(client: httpx.AsyncClient, base_url: str, channel: str | None = None) -> list[dict]:
    params = {"channel": channel} if channel is not None else {}
    response = await client.get(f"{base_url}/api/posts", params=params)
    assert response.status_code == 200
    return response.json()["posts"]


# --- the sandbox over real HTTP ---------------------------------------------------------------------------


async def test_publish_returns_an_id_and_a_url_that_shows_the_post(
    adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    post = await adapter.publish("acme-x", "Spring sale starts <today>", "key-1")

    assert post.external_id
    assert post.url == f"{sandbox.base_url}/p/{post.external_id}"
    assert post.created_at == STARTED_AT
    page = await client.get(post.url)
    assert page.status_code == 200
    assert "Spring sale starts &lt;today&gt;" in page.text
    stored = (await client.get(f"{sandbox.base_url}/api/posts/{post.external_id}")).json()
    assert stored == {
        "id": post.external_id,
        "url": post.url,
        "channel": "acme-x",
        "text": "Spring sale starts <today>",
        "created_at": "2025-03-01T12:00:00Z",
    }


async def test_same_key_replays_the_stored_post_and_creates_no_second_one(
    adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    first = await adapter.publish("acme-x", "hello", "key-1")
    sandbox.clock.advance(30)
    again = await adapter.publish("acme-x", "hello", "key-1")

    assert again == first
    assert [p["id"] for p in await all_posts(client, sandbox.base_url)] == [first.external_id]


async def test_replay_answers_200_with_the_replayed_header(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    async def send() -> httpx.Response:
        return await client.post(
            f"{sandbox.base_url}/api/posts",
            json={"channel": "acme-x", "text": "hello"},
            headers={"Idempotency-Key": "key-1"},
        )

    created = await send()
    replayed = await send()

    assert created.status_code == 201
    assert "Idempotent-Replayed" not in created.headers
    assert replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == created.json()


async def test_thirty_concurrent_publishes_with_one_key_create_one_post(
    adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    async with asyncio.timeout(20):
        posts = await asyncio.gather(*(adapter.publish("acme-x", "launch", "launch-key") for _ in range(30)))

    assert len({post.external_id for post in posts}) == 1
    assert len(await all_posts(client, sandbox.base_url)) == 1


async def test_thirty_concurrent_raw_requests_with_one_key_get_exactly_one_201(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    async def send() -> httpx.Response:
        return await client.post(
            f"{sandbox.base_url}/api/posts",
            json={"channel": "acme-x", "text": "launch"},
            headers={"Idempotency-Key": "launch-key"},
        )

    async with asyncio.timeout(20):
        responses = await asyncio.gather(*(send() for _ in range(30)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 29 + [201]


async def test_concurrent_publishes_with_distinct_keys_all_land_in_creation_order(
    adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    async with asyncio.timeout(20):
        posts = await asyncio.gather(*(adapter.publish("acme-x", f"post {i}", f"key-{i}") for i in range(20)))
    later = await adapter.publish("acme-x", "the last one", "key-last")

    listed = [p["id"] for p in await all_posts(client, sandbox.base_url)]
    assert sorted(listed[:-1]) == sorted(post.external_id for post in posts)
    assert listed[-1] == later.external_id


async def test_listing_filters_by_channel(adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    on_x = await adapter.publish("acme-x", "one", "key-1")
    await adapter.publish("acme-linkedin", "two", "key-2")

    assert [p["id"] for p in await all_posts(client, sandbox.base_url, "acme-x")] == [on_x.external_id]
    assert await all_posts(client, sandbox.base_url, "nobody") == []


@pytest.mark.parametrize(("channel", "text"), [("acme-x", "different text"), ("acme-linkedin", "hello")])
async def test_same_key_with_different_content_is_rejected(
    adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox, channel: str, text: str
) -> None:
    original = await adapter.publish("acme-x", "hello", "key-1")

    with pytest.raises(RejectedByPlatform) as raised:
        await adapter.publish(channel, text, "key-1")

    assert "different content" in raised.value.message
    assert raised.value.platform == "sandbox"
    assert [p["id"] for p in await all_posts(client, sandbox.base_url)] == [original.external_id]


async def test_publish_without_idempotency_key_is_a_400_json_error(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    response = await client.post(f"{sandbox.base_url}/api/posts", json={"channel": "acme-x", "text": "hi"})

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "idempotency_key_required"
    assert "Idempotency-Key" in body["message"]
    assert await all_posts(client, sandbox.base_url) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "acme-x", "text": ""}, "text"),
        ({"channel": "acme-x", "text": "x" * 20001}, "text"),
        ({"channel": "", "text": "hi"}, "channel"),
        ({"channel": "c" * 65, "text": "hi"}, "channel"),
        ({"text": "hi"}, "channel"),
    ],
)
async def test_invalid_posts_are_422_json_errors_naming_the_field(
    client: httpx.AsyncClient, sandbox: Sandbox, payload: dict, field: str
) -> None:
    response = await client.post(f"{sandbox.base_url}/api/posts", json=payload, headers={"Idempotency-Key": "key-1"})

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert f"body.{field}" in body["message"]


async def test_adapter_reports_invalid_content_as_rejected_with_the_platform_message(
    adapter: SandboxAdapter,
) -> None:
    with pytest.raises(RejectedByPlatform) as raised:
        await adapter.publish("acme-x", "", "key-1")

    assert "body.text" in raised.value.message


async def test_unknown_post_and_unknown_route_are_404_json_errors(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    for path in ("/api/posts/sbx_missing", "/api/posts/sbx_missing/metrics", "/no/such/route"):
        response = await client.get(f"{sandbox.base_url}{path}")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert response.json()["message"]


async def test_healthz(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    response = await client.get(f"{sandbox.base_url}/healthz")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


def as_tuple(metrics: PlatformMetrics) -> tuple[int, int, int, int]:
    return (metrics.impressions, metrics.likes, metrics.shares, metrics.replies)


async def test_metrics_grow_as_the_post_ages(adapter: SandboxAdapter, sandbox: Sandbox) -> None:
    post = await adapter.publish("acme-x", "hello", "key-1")
    fresh = await adapter.metrics(post.external_id)
    sandbox.clock.advance(600)
    aged = await adapter.metrics(post.external_id)

    assert all(later >= earlier for earlier, later in zip(as_tuple(fresh), as_tuple(aged), strict=True))
    assert aged.impressions > fresh.impressions
    assert aged.likes > fresh.likes


async def test_metrics_never_shrink_when_the_clock_steps_back(adapter: SandboxAdapter, sandbox: Sandbox) -> None:
    post = await adapter.publish("acme-x", "hello", "key-1")
    sandbox.clock.advance(600)
    before = await adapter.metrics(post.external_id)
    sandbox.clock.advance(-300)
    after = await adapter.metrics(post.external_id)

    assert as_tuple(after) == as_tuple(before)


async def test_metrics_grow_with_the_real_clock(tmp_path: Path, client: httpx.AsyncClient) -> None:
    with serving(create_sandbox_app(tmp_path / "sandbox.db")) as base_url:
        adapter = SandboxAdapter(client, base_url)
        post = await adapter.publish("acme-x", "hello", "key-1")
        fresh = await adapter.metrics(post.external_id)
        await asyncio.sleep(1.1)
        aged = await adapter.metrics(post.external_id)

    assert aged.impressions > fresh.impressions


async def test_metrics_for_an_unknown_post_are_rejected(adapter: SandboxAdapter) -> None:
    with pytest.raises(RejectedByPlatform):
        await adapter.metrics("sbx_missing")


async def test_delete_takes_the_post_away_from_every_reader_like_a_real_platform(
    adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    post = await adapter.publish("acme-x", "Wrong price", "key-del")
    url = f"{sandbox.base_url}/api/posts/{post.external_id}"

    assert (await client.delete(url)).status_code == 204
    # Gone for every reader, as Mastodon answers for a deleted status: and a second delete is a 404.
    assert (await client.get(url)).status_code == 404
    assert (await client.get(f"{url}/metrics")).status_code == 404
    assert (await client.get(post.url)).status_code == 404
    assert await adapter.find_by_key("key-del") is None
    assert await all_posts(client, sandbox.base_url, "acme-x") == []
    second = await client.delete(url)
    assert second.status_code == 404 and second.json()["error"] == "not_found"
    # The adapter's delete treats a post already gone as deleted.
    await adapter.delete(post.external_id)
    # Its key stays spent: publishing it again is refused, not a silent resurrection.
    with pytest.raises(RejectedByPlatform, match="deleted"):
        await adapter.publish("acme-x", "Wrong price", "key-del")


async def test_delete_meets_the_channels_revoked_token_and_injected_failures(
    adapter: SandboxAdapter, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    post = await adapter.publish("acme-x", "Hello", "key-del-2")
    faults = f"{sandbox.base_url}/api/channels/acme-x/faults"
    await client.put(faults, json={"revoked": True})
    with pytest.raises(AuthExpired):
        await adapter.delete(post.external_id)
    await client.put(faults, json={"fail_delete": 1})
    with pytest.raises(TransientPlatformError):
        await adapter.delete(post.external_id)
    await adapter.delete(post.external_id)
    assert await adapter.find_by_key("key-del-2") is None


async def test_find_by_key_returns_the_post_or_none(adapter: SandboxAdapter) -> None:
    published = await adapter.publish("acme-x", "hello", "campaign/42:post")

    assert await adapter.find_by_key("campaign/42:post") == published
    assert await adapter.find_by_key("never-used") is None
    assert await adapter.find_by_key("campaign/42") is None


async def test_a_restarted_sandbox_keeps_its_posts_and_its_keys(tmp_path: Path, client: httpx.AsyncClient) -> None:
    db_path = tmp_path / "sandbox.db"
    clock = FakeClock(STARTED_AT)
    with serving(create_sandbox_app(db_path, clock=clock)) as base_url:
        adapter = SandboxAdapter(client, base_url)
        published = [await adapter.publish("acme-x", f"post {i}", f"key-{i}") for i in range(3)]
        clock.advance(600)
        metrics_before = await adapter.metrics(published[0].external_id)

    clock.advance(-600)  # the restarted host's clock is behind; metrics must not go back with it
    with serving(create_sandbox_app(db_path, clock=clock)) as base_url:
        adapter = SandboxAdapter(client, base_url)
        listed = await all_posts(client, base_url)
        replayed = await adapter.publish("acme-x", "post 1", "key-1")
        found = await adapter.find_by_key("key-2")
        metrics_after = await adapter.metrics(published[0].external_id)

    assert [p["id"] for p in listed] == [post.external_id for post in published]
    assert replayed == published[1]
    assert found == published[2]
    assert as_tuple(metrics_after) == as_tuple(metrics_before)


async def test_an_unreachable_sandbox_is_a_transient_error(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    adapter = SandboxAdapter(client, f"http://127.0.0.1:{closed_port}")

    with pytest.raises(TransientPlatformError):
        await adapter.publish("acme-x", "hello", "key-1")


# --- error mapping, through a mock transport ----------------------------------------------------------------


Handler = Callable[[httpx.Request], httpx.Response]
AdapterFactory = Callable[[Handler], SandboxAdapter]


@pytest.fixture
async def adapter_answering() -> AsyncIterator[AdapterFactory]:
    """Build adapters whose every request is answered by a handler; their clients close after the test."""
    clients: list[httpx.AsyncClient] = []

    def build(handler: Handler) -> SandboxAdapter:
        clients.append(httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=TIMEOUT))
        return SandboxAdapter(clients[-1], "http://sandbox.test")

    yield build
    for http in clients:
        await http.aclose()


def answer(
    status: int, *, json: object = None, text: str | None = None, headers: dict[str, str] | None = None
) -> Handler:
    return lambda request: httpx.Response(status, json=json, text=text, headers=headers)


async def test_server_errors_are_transient(adapter_answering: AdapterFactory) -> None:
    adapter = adapter_answering(answer(503, json={"error": "unavailable", "message": "down for upkeep"}))

    with pytest.raises(TransientPlatformError) as raised:
        await adapter.publish("acme-x", "hello", "key-1")

    assert not isinstance(raised.value, RateLimited)
    assert raised.value.message == "down for upkeep"


async def test_429_is_rate_limited_with_retry_after_in_seconds(adapter_answering: AdapterFactory) -> None:
    adapter = adapter_answering(answer(429, headers={"Retry-After": "7"}, json={"message": "slow down"}))

    with pytest.raises(RateLimited) as raised:
        await adapter.publish("acme-x", "hello", "key-1")

    assert raised.value.retry_after == 7
    assert isinstance(raised.value, TransientPlatformError)


async def test_429_without_retry_after_leaves_the_wait_to_the_caller(
    adapter_answering: AdapterFactory,
) -> None:
    adapter = adapter_answering(answer(429, text="Too Many Requests"))

    with pytest.raises(RateLimited) as raised:
        await adapter.metrics("sbx_1")

    assert raised.value.retry_after is None
    assert "Too Many Requests" in raised.value.message


def test_retry_after_accepts_an_http_date() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    assert parse_retry_after("Sat, 01 Mar 2025 12:01:30 GMT", now=now) == 90
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("2.5", now=now) == 2.5
    assert parse_retry_after("soon", now=now) is None


@pytest.mark.parametrize("status", [401, 403])
async def test_401_and_403_mean_the_account_must_reconnect(adapter_answering: AdapterFactory, status: int) -> None:
    adapter = adapter_answering(answer(status, json={"error": "auth", "message": "token revoked"}))

    with pytest.raises(AuthExpired) as raised:
        await adapter.publish("acme-x", "hello", "key-1")

    assert raised.value.message == "token revoked"


async def test_422_is_rejected_carrying_the_platform_message(adapter_answering: AdapterFactory) -> None:
    message = "Text contains a link the platform does not allow; remove it."
    adapter = adapter_answering(answer(422, json={"error": "invalid_request", "message": message}))

    with pytest.raises(RejectedByPlatform) as raised:
        await adapter.publish("acme-x", "hello", "key-1")

    assert raised.value.message == message
    assert not isinstance(raised.value, TransientPlatformError)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ConnectError("refused"),
    ],
)
async def test_timeouts_and_connection_failures_are_transient(
    adapter_answering: AdapterFactory, failure: httpx.TransportError
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(TransientPlatformError):
        await adapter_answering(fail).publish("acme-x", "hello", "key-1")


async def test_a_garbled_success_is_transient_so_a_retry_with_the_same_key_settles_it(
    adapter_answering: AdapterFactory,
) -> None:
    adapter = adapter_answering(answer(201, text="<html>proxy says hi</html>"))

    with pytest.raises(TransientPlatformError):
        await adapter.publish("acme-x", "hello", "key-1")


async def test_adapter_sends_the_idempotency_key_and_the_content(adapter_answering: AdapterFactory) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201,
            json={
                "id": "sbx_1",
                "url": "http://sandbox.test/p/sbx_1",
                "channel": "acme-x",
                "text": "hello",
                "created_at": "2025-03-01T13:00:00+01:00",
            },
        )

    post = await adapter_answering(record).publish("acme-x", "hello", "key-1")

    assert seen[0].headers["Idempotency-Key"] == "key-1"
    assert seen[0].url == "http://sandbox.test/api/posts"
    assert post.created_at == STARTED_AT
    assert post.created_at.utcoffset() == timedelta(0)


def test_every_platform_error_says_which_platform_and_what_happened() -> None:
    error = RateLimited("sandbox", "slow down", 7)

    assert isinstance(error, PlatformError)
    assert str(error) == "sandbox: slow down"
    assert (error.platform, error.message, error.retry_after) == ("sandbox", "slow down", 7)
