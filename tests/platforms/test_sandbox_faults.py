"""The sandbox platform's injected faults over real HTTP, as one channel's adapter (SandboxChannel) meets
them: 5xx, 429 with Retry-After, an ambiguous 504 and a timeout after storing, a revoked token, slowness."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from platforms.base import Variant
from platforms.errors import AuthExpired, RateLimited, TransientPlatformError
from platforms.sandbox import create_sandbox_app
from platforms.sandbox_adapter import SandboxChannel
from servers import ThreadedServer


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    app = create_sandbox_app(Path(tmp_path_factory.mktemp("faults")) / "sandbox.db")
    with ThreadedServer(app) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.5)) as client:
        yield client


@pytest.fixture
def channel() -> str:
    return f"ch-{uuid.uuid4().hex[:8]}"


async def inject(http: httpx.AsyncClient, sandbox: ThreadedServer, channel: str, **faults: object) -> None:
    response = await http.put(f"{sandbox.url}/api/channels/{channel}/faults", json=faults)
    assert response.status_code == 200, response.text


async def held(http: httpx.AsyncClient, sandbox: ThreadedServer, channel: str) -> list[dict]:
    return (await http.get(f"{sandbox.url}/api/posts", params={"channel": channel})).json()["posts"]


async def test_5xx_and_429_store_nothing_and_say_how_long_to_wait(
    http: httpx.AsyncClient, sandbox: ThreadedServer, channel: str
) -> None:
    adapter = SandboxChannel(http, sandbox.url, channel)
    await inject(http, sandbox, channel, fail_5xx=1, rate_limit=1, retry_after=42)

    with pytest.raises(TransientPlatformError, match="unavailable"):
        await adapter.publish(Variant(text="Hello"), f"{channel}-1")
    with pytest.raises(RateLimited) as limited:
        await adapter.publish(Variant(text="Hello"), f"{channel}-1")
    assert limited.value.retry_after == 42
    assert await held(http, sandbox, channel) == []
    post = await adapter.publish(Variant(text="Hello"), f"{channel}-1")
    assert [p["id"] for p in await held(http, sandbox, channel)] == [post.external_id]


@pytest.mark.parametrize("fault", [{"ambiguous": 1}, {"hang": 1, "hang_ms": 1500}])
async def test_an_ambiguous_answer_or_a_timeout_after_storing_leaves_the_post_findable_by_key(
    http: httpx.AsyncClient, sandbox: ThreadedServer, channel: str, fault: dict
) -> None:
    adapter = SandboxChannel(http, sandbox.url, channel)
    await inject(http, sandbox, channel, **fault)

    with pytest.raises(TransientPlatformError):
        await adapter.publish(Variant(text="Maybe"), f"{channel}-amb")
    found = await adapter.find_by_key(f"{channel}-amb")
    assert found is not None
    assert [p["id"] for p in await held(http, sandbox, channel)] == [found.external_id]
    # The retry with the same key is answered with the stored post, not a second one.
    assert (await adapter.publish(Variant(text="Maybe"), f"{channel}-amb")).external_id == found.external_id


async def test_a_revoked_token_refuses_publishing_lookups_and_the_credentials_check(
    http: httpx.AsyncClient, sandbox: ThreadedServer, channel: str
) -> None:
    adapter = SandboxChannel(http, sandbox.url, channel)
    assert await adapter.check_credentials() == f"sandbox:{channel}"
    post = await adapter.publish(Variant(text="Before"), f"{channel}-rev")
    await inject(http, sandbox, channel, revoked=True)

    for call in (
        adapter.check_credentials(),
        adapter.publish(Variant(text="After"), f"{channel}-rev-2"),
        adapter.find_by_key(f"{channel}-rev"),
        adapter.metrics(post.external_id),
    ):
        with pytest.raises(AuthExpired, match="reconnect the account"):
            await call
    await http.delete(f"{sandbox.url}/api/channels/{channel}/faults")
    assert await adapter.check_credentials() == f"sandbox:{channel}"


async def test_slow_responses_slow_every_call_on_the_channel(
    http: httpx.AsyncClient, sandbox: ThreadedServer, channel: str
) -> None:
    adapter = SandboxChannel(http, sandbox.url, channel)
    post = await adapter.publish(Variant(text="Slowly"), f"{channel}-slow")
    await inject(http, sandbox, channel, slow_ms=1200)

    for call in (
        adapter.check_credentials(),
        adapter.metrics(post.external_id),
        adapter.find_by_key(f"{channel}-slow"),
    ):
        with pytest.raises(TransientPlatformError, match="timed out"):
            await call
    other = SandboxChannel(http, sandbox.url, f"{channel}-other")
    assert await other.check_credentials() == f"sandbox:{channel}-other"
