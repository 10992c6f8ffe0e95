"""SSRF: notification targets and channel URLs cannot make postgate reach loopback, private or metadata
addresses, unless the operator allows them (POSTGATE_OUTBOUND_ALLOW); a test answer never tells an open
port from a closed one."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api_client import as_user, setup_workspace
from notify_receivers import SECRET, WebhookReceiver, webhook_receiver
from servers import free_port

TARGETS = "/workspaces/acme/notification-targets"
CHANNELS = "/workspaces/acme/channels"


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before the `api` fixture builds its Settings: the default policy, with no local doubles allowed.
    monkeypatch.setenv("POSTGATE_OUTBOUND_ALLOW", "")


async def add_hook(api: httpx.AsyncClient, url: str) -> httpx.Response:
    return await api.post(TARGETS, json={"kind": "webhook", "url": url, "secret": SECRET}, headers=as_user("ada"))


async def fire(api: httpx.AsyncClient, target_id: int) -> dict:
    r = await api.post(f"{TARGETS}/{target_id}/test", headers=as_user("ada"))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.usefixtures("strict")
async def test_a_literal_internal_address_is_refused_when_the_target_is_created(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    for url in ("http://127.0.0.1:8233/", "http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/"):
        r = await add_hook(api, url)
        assert r.status_code == 422 and r.json()["error"] == "invalid_request", (url, r.text)
        assert "loopback, private, link-local or metadata" in r.json()["details"][0]["problem"]
    assert (await api.get(TARGETS, headers=as_user("ada"))).json()["targets"] == []


@pytest.mark.usefixtures("strict")
async def test_a_name_resolving_to_loopback_is_refused_and_open_and_closed_ports_look_alike(
    api: httpx.AsyncClient, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    await setup_workspace(api)
    open_port = url.rsplit(":", 1)[1]
    opened = (await add_hook(api, f"http://localhost:{open_port}/200/ssrf")).json()["id"]
    closed = (await add_hook(api, f"http://localhost:{free_port()}/200/ssrf")).json()["id"]

    to_open, to_closed = await fire(api, opened), await fire(api, closed)

    assert hooks.to("/200/ssrf") == []  # nothing reached the server listening on loopback
    assert to_open["status"] == to_closed["status"] == "failed"
    assert to_open["error"] == to_closed["error"] and "could not connect" in to_open["error"]
    assert to_open["retryable"] is to_closed["retryable"] is False
    assert open_port not in to_open["error"]


@pytest.mark.usefixtures("strict")
async def test_a_channel_url_at_an_internal_address_is_refused(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    body = {
        "id": "masto",
        "name": "Mastodon",
        "platform": "mastodon",
        "settings": {"instance_url": "http://169.254.169.254"},
        "credentials": {"access_token": "t0ken"},
    }
    r = await api.post(CHANNELS, json=body, headers=as_user("ada"))
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["field"].endswith("instance_url")
    # A name is checked when used: the credentials check reaches nothing internal and says so.
    body["settings"] = {"instance_url": f"http://localhost:{free_port()}"}
    assert (await api.post(CHANNELS, json=body, headers=as_user("ada"))).status_code == 201
    check = (await api.post(f"{CHANNELS}/masto/test", headers=as_user("ada"))).json()
    assert check["ok"] is False and "could not connect" in check["message"]


async def test_an_allowed_address_works(api: httpx.AsyncClient, receiver: tuple[WebhookReceiver, str]) -> None:
    hooks, url = receiver  # the suite allows loopback (tests/conftest.py), as an operator would
    await setup_workspace(api)
    target = (await add_hook(api, f"{url}/200/allowed")).json()["id"]
    assert (await fire(api, target))["status"] == "sent"
    assert [call.verified for call in hooks.to("/200/allowed")] == [True]
