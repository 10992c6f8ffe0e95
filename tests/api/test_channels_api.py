"""Channel management over the API: per-platform validation, pagination, the credentials check against the
sandbox and a Mastodon double over real HTTP, disable/enable/reconnect, roles and workspaces, and no
credential in any response."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api_client import as_user, setup_workspace, submitted_post, wait_status
from servers import ThreadedServer, free_port
from settings import Settings
from store.credentials import keyring_for, new_key, open_channel
from store.engine import transaction
from store.tables import Channel

TOKEN = "masto-token-0123456789-secret"
NEW_TOKEN = "masto-token-rotated-9876543210"
VALID: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "sandbox": ({}, None),
    "mastodon": ({"instance_url": "https://social.example"}, {"access_token": TOKEN}),
    "bluesky": ({"handle": "acme.bsky.social"}, {"app_password": "bsky-app-password-secret"}),
    "linkedin": (
        {"author_urn": "urn:li:organization:5515715", "client_id": "86abc"},
        {"access_token": TOKEN, "refresh_token": "li-refresh-secret", "client_secret": "li-client-secret"},
    ),
    "x": ({"username": "acme"}, {"access_token": TOKEN, "expires_at": "2030-01-01T00:00:00Z"}),
    "threads": ({"user_id": "7"}, {"access_token": TOKEN}),
    "instagram": ({"ig_user_id": "17841"}, {"access_token": TOKEN}),
    "facebook": ({"page_id": "1010"}, {"access_token": TOKEN}),
    "webhook": ({"url": "https://hooks.example/postgate"}, {"secret": "webhook-shared-secret-0123"}),
}
SECRETS = [
    TOKEN,
    NEW_TOKEN,
    "bsky-app-password-secret",
    "li-refresh-secret",
    "li-client-secret",
    "webhook-shared-secret",
]


@pytest.fixture(autouse=True)
def credential_keys(monkeypatch: pytest.MonkeyPatch) -> str:
    """The API (and its worker) seal with this key; read before the `api` fixture builds its settings."""
    keys = f"test={new_key()}"
    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEYS", keys)
    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEY_ID", "test")
    return keys


@pytest.fixture(scope="module")
def mastodon() -> Iterator[str]:
    """A Mastodon instance double that knows one valid token."""
    app = FastAPI()

    @app.get("/api/v1/accounts/verify_credentials", response_model=None)
    def verify(authorization: str = Header(default="")) -> dict[str, str] | JSONResponse:
        if authorization != f"Bearer {NEW_TOKEN}":
            return JSONResponse({"error": "The access token is invalid"}, status_code=401)
        return {"id": "1", "username": "acme", "acct": "acme"}

    @app.get("/api/v2/instance")
    def instance() -> dict[str, object]:
        statuses = {"max_characters": 1500, "characters_reserved_per_url": 23, "max_media_attachments": 4}
        return {"domain": "127.0.0.1", "configuration": {"statuses": statuses}}

    with ThreadedServer(app) as server:
        yield server.url


def no_secret_in(response: httpx.Response) -> httpx.Response:
    for secret in SECRETS:
        assert secret not in response.text, f"a secret leaked into {response.request.method} {response.request.url}"
    return response


def stored(engine: Engine, channel_id: str) -> Channel:
    with transaction(engine) as session:
        channel = session.get(Channel, {"workspace_id": "acme", "id": channel_id})
        assert channel is not None
        return channel


async def create(api: httpx.AsyncClient, channel_id: str, platform: str, **extra: Any) -> httpx.Response:
    settings, credentials = VALID[platform]
    body = {
        "id": channel_id,
        "name": channel_id,
        "platform": platform,
        "settings": settings,
        "credentials": credentials,
    }
    return no_secret_in(await api.post("/workspaces/acme/channels", json=body | extra, headers=as_user("ada")))


async def test_every_platform_is_created_with_its_settings_and_sealed_credentials(
    api: httpx.AsyncClient, engine: Engine
) -> None:
    await setup_workspace(api)
    for platform in VALID:
        r = await create(api, f"ch-{platform}", platform)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["platform"] == platform and body["state"] == "active"
        assert body["has_credentials"] is (VALID[platform][1] is not None)
        assert "credentials" not in body
    assert (await create(api, "ch-mastodon", "mastodon")).status_code == 409
    mastodon = (await api.get("/workspaces/acme/channels/ch-mastodon", headers=as_user("ada"))).json()
    assert mastodon["settings"] == {"instance_url": "https://social.example", "visibility": "public"}
    linkedin = (await api.get("/workspaces/acme/channels/ch-linkedin", headers=as_user("ada"))).json()
    assert linkedin["settings"]["linkedin_version"] and linkedin["settings"]["client_id"] == "86abc"
    x = (await api.get("/workspaces/acme/channels/ch-x", headers=as_user("ada"))).json()
    assert x["token_expires_at"] == "2030-01-01T00:00:00Z"
    row = stored(engine, "ch-linkedin")
    assert row.credentials is not None and TOKEN not in row.credentials
    opened = open_channel(row, keyring_for(Settings()))
    assert opened is not None and opened["refresh_token"] == "li-refresh-secret"


@pytest.mark.parametrize(
    ("platform", "settings", "credentials", "field"),
    [
        ("mastodon", {}, {"access_token": TOKEN}, "settings.instance_url"),
        ("mastodon", {"instance_url": "ftp://social.example"}, {"access_token": TOKEN}, "settings.instance_url"),
        (
            "mastodon",
            {"instance_url": "https://s.example", "access_token": TOKEN},
            {"access_token": TOKEN},
            "settings.access_token",
        ),
        ("mastodon", {"instance_url": "https://s.example"}, None, "credentials"),
        ("mastodon", {"instance_url": "https://s.example"}, {"access_token": " "}, "credentials.access_token"),
        ("bluesky", {}, {"app_password": "bsky-app-password-secret"}, "settings.handle"),
        ("linkedin", {"author_urn": "acme"}, {"access_token": TOKEN}, "settings.author_urn"),
        ("x", {}, {"token": TOKEN}, "credentials.access_token"),
        ("facebook", {"page_id": "1"}, {"access_token": TOKEN, "page_token": TOKEN}, "credentials.page_token"),
        ("webhook", {"url": "https://hooks.example"}, {"secret": "short"}, "credentials.secret"),
        ("sandbox", {}, {"access_token": TOKEN}, "credentials"),
        ("sandbox", {"base_url": "not a url"}, None, "settings.base_url"),
    ],
)
async def test_invalid_settings_or_credentials_are_422_naming_the_field(
    api: httpx.AsyncClient, platform: str, settings: dict, credentials: dict | None, field: str
) -> None:
    await setup_workspace(api)
    body = {"id": "bad", "name": "Bad", "platform": platform, "settings": settings, "credentials": credentials}
    r = no_secret_in(await api.post("/workspaces/acme/channels", json=body, headers=as_user("ada")))
    assert r.status_code == 422, r.text
    assert field in [d["field"] for d in r.json()["details"]] and field in r.json()["message"]


async def test_an_unknown_platform_is_refused(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    r = await api.post(
        "/workspaces/acme/channels", json={"id": "m", "name": "M", "platform": "myspace"}, headers=as_user("ada")
    )
    assert r.status_code == 422 and "platform" in r.json()["message"]


async def test_channels_are_listed_page_by_page(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    for n in range(5):
        assert (await create(api, f"page-{n}", "sandbox")).status_code == 201
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = no_secret_in(await api.get("/workspaces/acme/channels", params=params, headers=as_user("ed")))
        assert r.status_code == 200 and len(r.json()["channels"]) <= 2
        seen += [c["id"] for c in r.json()["channels"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(["page-0", "page-1", "page-2", "page-3", "page-4", "sbx"])
    assert (await api.get("/workspaces/acme/channels", params={"limit": 0}, headers=as_user("ada"))).status_code == 422


async def test_the_credentials_check_asks_the_sandbox(api: httpx.AsyncClient, sandbox: ThreadedServer) -> None:
    await setup_workspace(api)
    assert (await create(api, "sbx-check", "sandbox")).status_code == 201
    r = await api.post("/workspaces/acme/channels/sbx-check/test", headers=as_user("ada"))
    assert r.status_code == 200 and r.json() == {
        "ok": True,
        "account": "sandbox:sbx-check",
        "error": None,
        "message": None,
    }
    try:
        (await api.put(f"{sandbox.url}/api/channels/sbx-check/faults", json={"revoked": True})).raise_for_status()
        r = await api.post("/workspaces/acme/channels/sbx-check/test", headers=as_user("ada"))
        assert r.status_code == 200 and r.json()["ok"] is False
        assert r.json()["error"] == "AuthExpired" and "reconnect the account" in r.json()["message"]
    finally:
        await api.delete(f"{sandbox.url}/api/channels/sbx-check/faults")


async def test_reconnecting_replaces_credentials_and_the_check_uses_them(
    api: httpx.AsyncClient, engine: Engine, mastodon: str
) -> None:
    await setup_workspace(api)
    body = {"id": "masto", "name": "Masto", "platform": "mastodon", "settings": {"instance_url": mastodon}}
    r = await api.post(
        "/workspaces/acme/channels", json=body | {"credentials": {"access_token": TOKEN}}, headers=as_user("ada")
    )
    assert r.status_code == 201, r.text
    check = no_secret_in(await api.post("/workspaces/acme/channels/masto/test", headers=as_user("ada"))).json()
    assert check["ok"] is False and check["error"] == "AuthExpired" and "invalid" in check["message"]

    with transaction(engine) as session:
        row = session.get(Channel, {"workspace_id": "acme", "id": "masto"})
        assert row is not None
        row.state, row.state_reason = "needs_reconnection", "mastodon refused the credentials"
        session.add(row)
    refused = await api.post("/workspaces/acme/channels/masto/enable", headers=as_user("ada"))
    assert refused.status_code == 409 and "/reconnect" in refused.json()["message"]
    bad = await api.post("/workspaces/acme/channels/masto/reconnect", json={"credentials": {}}, headers=as_user("ada"))
    assert bad.status_code == 422 and "credentials.access_token" in bad.json()["message"]

    r = no_secret_in(
        await api.post(
            "/workspaces/acme/channels/masto/reconnect",
            json={"credentials": {"access_token": NEW_TOKEN}},
            headers=as_user("ada"),
        )
    )
    assert r.status_code == 200 and r.json()["state"] == "active" and r.json()["state_reason"] is None
    opened = open_channel(stored(engine, "masto"), keyring_for(Settings()))
    assert opened == {"access_token": NEW_TOKEN}
    assert r.json()["platform_limits"] is None
    check = (await api.post("/workspaces/acme/channels/masto/test", headers=as_user("ada"))).json()
    assert check == {"ok": True, "account": "@acme@127.0.0.1", "error": None, "message": None}
    # The test read the instance's own limits; the brand check counts against them from now on.
    limits = (await api.get("/workspaces/acme/channels/masto", headers=as_user("ada"))).json()["platform_limits"]
    assert limits == {"max_length": 1500, "counting": "graphemes", "url_length": 23, "max_media": 4}
    preview = await api.post(
        "/workspaces/acme/brand/check", json={"channel_id": "masto", "text": "m" * 1400}, headers=as_user("ada")
    )
    assert preview.status_code == 200, preview.text
    assert not [f for f in preview.json()["findings"] if f["rule"] == "Social.Length"]


async def test_a_check_against_an_unreachable_instance_says_so(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    body = {
        "id": "gone",
        "name": "Gone",
        "platform": "mastodon",
        "settings": {"instance_url": f"http://127.0.0.1:{free_port()}"},
    }
    r = await api.post(
        "/workspaces/acme/channels", json=body | {"credentials": {"access_token": TOKEN}}, headers=as_user("ada")
    )
    assert r.status_code == 201
    check = no_secret_in(await api.post("/workspaces/acme/channels/gone/test", headers=as_user("ada"))).json()
    assert (
        check["ok"] is False and check["error"] == "TransientPlatformError" and "could not connect" in check["message"]
    )


async def test_put_replaces_brand_options_and_keeps_what_it_is_not_given(
    api: httpx.AsyncClient, engine: Engine
) -> None:
    await setup_workspace(api)
    assert (await create(api, "masto", "mastodon")).status_code == 201
    before = stored(engine, "masto").credentials
    r = no_secret_in(
        await api.put(
            "/workspaces/acme/channels/masto",
            json={"name": "Our Mastodon", "counts_as": "mastodon"},
            headers=as_user("ada"),
        )
    )
    assert r.status_code == 200 and r.json()["name"] == "Our Mastodon"
    assert (
        r.json()["settings"]["instance_url"] == "https://social.example"
        and stored(engine, "masto").credentials == before
    )

    changed = {
        "name": "M",
        "settings": {"instance_url": "https://other.example"},
        "credentials": {"access_token": NEW_TOKEN},
    }
    r = no_secret_in(await api.put("/workspaces/acme/channels/masto", json=changed, headers=as_user("ada")))
    assert r.status_code == 200 and r.json()["settings"]["instance_url"] == "https://other.example"
    assert open_channel(stored(engine, "masto"), keyring_for(Settings())) == {"access_token": NEW_TOKEN}

    moved = await api.put(
        "/workspaces/acme/channels/masto", json={"name": "M", "platform": "x"}, headers=as_user("ada")
    )
    assert moved.status_code == 409 and "add a new channel" in moved.json()["message"]
    bad = await api.put("/workspaces/acme/channels/masto", json={"name": "M", "settings": {}}, headers=as_user("ada"))
    assert bad.status_code == 422 and "settings.instance_url" in bad.json()["message"]


async def test_only_admins_change_channels_and_other_workspaces_see_none(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g")
    editor = as_user("ed")
    routes = [
        ("POST", "/workspaces/acme/channels", {"id": "new", "name": "N"}),
        ("PUT", "/workspaces/acme/channels/sbx", {"name": "N"}),
        ("POST", "/workspaces/acme/channels/sbx/test", None),
        ("POST", "/workspaces/acme/channels/sbx/disable", None),
        ("POST", "/workspaces/acme/channels/sbx/enable", None),
        ("POST", "/workspaces/acme/channels/sbx/reconnect", {"credentials": None}),
    ]
    for method, path, body in routes:
        r = await api.request(method, path, json=body, headers=editor)
        assert r.status_code == 403, (method, path, r.text)
        outsider = await api.request(method, path, json=body, headers=as_user("gada"))
        assert outsider.status_code == 404, (method, path, outsider.text)
    assert (await api.get("/workspaces/acme/channels/sbx", headers=editor)).status_code == 200
    for path in ("/workspaces/acme/channels", "/workspaces/acme/channels/sbx"):
        assert (await api.get(path, headers=as_user("gada"))).status_code == 404
    # Another workspace's channel id under one's own workspace is not found either.
    for method, path in (
        ("GET", "/workspaces/globex/channels/sbx"),
        ("POST", "/workspaces/globex/channels/sbx/disable"),
    ):
        assert (await api.request(method, path, headers=as_user("gada"))).status_code == 404
    listed = (await api.get("/workspaces/globex/channels", headers=as_user("gada"))).json()["channels"]
    assert [c["id"] for c in listed] == ["gsbx"]


async def test_a_disabled_channel_fails_its_posts_with_what_to_do_until_enabled(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    r = await api.post("/workspaces/acme/channels/sbx/disable", json={"reason": "rebranding"}, headers=as_user("ada"))
    assert r.status_code == 200 and (r.json()["state"], r.json()["state_reason"]) == ("disabled", "rebranding")
    post = await submitted_post(api, "Held back by a disabled channel")
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    assert (await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))).status_code == 200
    failed = await wait_status(api, post["id"], "ed", "publish_failed")
    assert "disabled" in failed["failure"] and "/enable" in failed["failure"]

    r = await api.post("/workspaces/acme/channels/sbx/enable", headers=as_user("ada"))
    assert r.status_code == 200 and r.json()["state"] == "active"
    retried = await api.post(f"/posts/{post['id']}/retry-publish", json={}, headers=as_user("ed"))
    assert retried.status_code == 200, retried.text
    for _ in range(200):
        status = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()["status"]
        if status in ("published", "done"):
            break
        await asyncio.sleep(0.05)
    assert status in ("published", "done")
