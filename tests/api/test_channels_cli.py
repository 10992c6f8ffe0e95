"""`postgate channels` against the running API over HTTP, and `rotate-key` on its database."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from api_client import TOKENS, setup_workspace
from cli import app
from servers import free_port
from store.credentials import keyring_from, new_key, open_channel
from store.engine import transaction
from store.tables import Channel

OLD_KEY = new_key()


@pytest.fixture(autouse=True)
def credential_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEYS", f"old={OLD_KEY}")
    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEY_ID", "old")


async def postgate(api: httpx.AsyncClient, *args: str, api_url: str | None = None) -> tuple[int, str]:
    """Run the command in a thread: the API it calls is served by this test's event loop."""
    options = ["--api-url", api_url or str(api.base_url), "--token", TOKENS["ada"], "-w", "acme"]
    command, *rest = args
    argv = ["channels", command, *rest] + (options if command != "rotate-key" else [])
    result = await asyncio.to_thread(CliRunner().invoke, app, argv)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


async def test_channels_are_added_listed_checked_disabled_and_enabled(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    code, out = await postgate(
        api,
        "add",
        "masto",
        "--platform",
        "mastodon",
        "--setting",
        "instance_url=https://social.example",
        "--credential",
        "access_token=cli-secret-token",
    )
    assert code == 0, out
    assert out.split("\t")[:3] == ["masto", "mastodon", "active"]

    code, out = await postgate(api, "list")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["masto", "sbx"]
    assert "cli-secret-token" not in out

    code, out = await postgate(api, "test", "sbx")
    assert code == 0 and "acting as sandbox:sbx" in out

    code, out = await postgate(api, "disable", "sbx", "--reason", "rebranding")
    assert code == 0 and "disabled (rebranding)" in out
    code, out = await postgate(api, "enable", "sbx")
    assert code == 0 and "\tactive\t" in out


async def test_mistakes_are_explained_without_a_stack_trace(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    code, out = await postgate(api, "add", "masto", "--platform", "mastodon", "--credential", "access_token=t")
    assert code == 1 and "settings.instance_url" in out
    code, out = await postgate(api, "add", "masto", "--setting", "no-equals-sign")
    assert code == 1 and "KEY=VALUE" in out
    code, out = await postgate(api, "test", "nope")
    assert code == 1 and "channel 'nope' not found (HTTP 404)" in out
    code, out = await postgate(api, "list", api_url=f"http://127.0.0.1:{free_port()}")
    assert code == 2 and "cannot reach the API" in out


async def test_rotate_key_reseals_every_channel_under_the_new_key(
    api: httpx.AsyncClient, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    await setup_workspace(api)
    code, out = await postgate(
        api, "add", "masto", "--platform", "mastodon", "--setting", "instance_url=https://social.example",
        "--credential", "access_token=cli-secret-token",
    )  # fmt: skip
    assert code == 0, out
    new = new_key()
    monkeypatch.setenv("POSTGATE_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEYS", f"old={OLD_KEY},new={new}")
    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEY_ID", "new")
    monkeypatch.setenv("POSTGATE_DATA_DIR", str(tmp_path))

    code, out = await postgate(api, "rotate-key")

    assert code == 0 and "1 channel(s) re-encrypted under key 'new'" in out
    with transaction(engine) as session:
        channel = session.get(Channel, {"workspace_id": "acme", "id": "masto"})
        assert channel is not None and channel.credentials_key_id == "new"
    assert open_channel(channel, keyring_from(f"new={new}", "new", tmp_path)) == {"access_token": "cli-secret-token"}

    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEY_ID", "missing")
    code, out = await postgate(api, "rotate-key")
    assert code == 1 and "POSTGATE_CREDENTIAL_KEY_ID is 'missing'" in out and new not in out
