"""Sign-in with an OpenID provider, over HTTP against the real API and a local provider (tests/oidc_provider.py).

The browser's redirects are followed by hand: our login answers a redirect to the provider, the provider
(consenting at once) answers a redirect back to our callback, and the callback opens the session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

import api.oidc_client
from api.app import create_app
from embedded import http_server
from oidc_provider import OpenIDProvider, running_provider
from servers import free_port
from settings import Settings
from store.accounts import create_user, get_user, memberships_of, set_membership, user_by_email
from store.engine import transaction
from store.tables import OidcSignIn, Workspace
from store.workspaces import add_workspace

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def idp() -> Iterator[OpenIDProvider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def provider(idp: OpenIDProvider) -> OpenIDProvider:
    idp.reset()
    return idp


@asynccontextmanager
async def serving(engine: Engine, port: int | None = None, **settings: Any) -> AsyncIterator[str]:
    """The real API app, served over HTTP (without Temporal: signing in does not need it); its base URL."""
    port = port or free_port()
    app = create_app(Settings(api_port=port, **settings), engine, None)  # type: ignore[arg-type]
    server = http_server(app, "127.0.0.1", port)
    serving_task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving_task


@asynccontextmanager
async def oidc_api(engine: Engine, provider: OpenIDProvider, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A browser (a cookie jar; redirects followed by hand) on an API configured for the provider."""
    port = free_port()
    callback = f"http://127.0.0.1:{port}/auth/oidc/callback"
    provider.redirect_uris[:] = [callback]
    settings = {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": provider.client_id,
        "oidc_client_secret": provider.client_secret,
        "oidc_redirect_url": callback,
        **overrides,
    }
    async with serving(engine, port, **settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as browser:
        yield browser


def pending_sign_ins(engine: Engine) -> int:
    with transaction(engine) as session:
        return len(session.exec(select(OidcSignIn)).all())


@pytest.fixture
def eve(engine: Engine) -> Engine:
    """Eve has an account (e-mail eve@acme.example) and edits in workspace acme."""
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
        create_user(session, "eve", "Eve", email="Eve@Acme.example")
        set_membership(session, "eve", "acme", "editor")
    return engine


async def to_provider(browser: httpx.AsyncClient) -> str:
    """Start signing in; the URL of the provider's authorization endpoint we are sent to."""
    start = await browser.get("/auth/oidc/login")
    assert start.status_code == 302, start.text
    return start.headers["location"]


async def consent(authorize_url: str) -> str:
    """What the provider sends the browser back to (our callback, with a code and the state)."""
    async with httpx.AsyncClient() as tab:
        answer = await tab.get(authorize_url)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def sign_in(browser: httpx.AsyncClient, headers: dict[str, str] | None = None) -> httpx.Response:
    return await browser.get(await consent(await to_provider(browser)), headers=headers or {})


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


async def test_an_account_signs_in_and_gets_a_session_like_a_password_login(
    eve: Engine, provider: OpenIDProvider
) -> None:
    async with oidc_api(eve, provider) as browser:
        authorize_url = await to_provider(browser)
        asked = parse_qs(urlsplit(authorize_url).query)
        assert authorize_url.startswith(f"{provider.issuer}/authorize?")
        assert asked["response_type"] == ["code"] and asked["client_id"] == ["postgate"]
        assert asked["scope"] == ["openid email profile"] and asked["code_challenge_method"] == ["S256"]
        assert len(asked["state"][0]) >= 40 and len(asked["nonce"][0]) >= 40
        [binding] = [c for c in browser.cookies.jar if c.name == "postgate_oidc"]
        assert binding.path == "/auth/oidc" and binding.value and binding.value not in authorize_url

        r = await browser.get(await consent(authorize_url))

        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/"
        [session_cookie] = [c for c in r.headers.get_list("set-cookie") if c.startswith("postgate_session=")]
        assert {"httponly", "samesite=lax", "path=/"} <= {p.strip().lower() for p in session_cookie.split(";")[1:]}
        assert "postgate_oidc" not in browser.cookies  # spent
        # The provider got the PKCE verifier matching the challenge, and our client credentials.
        [exchange] = provider.token_requests
        assert exchange["grant_type"] == "authorization_code" and len(exchange["code_verifier"]) >= 43
        assert "client_secret" not in exchange  # sent in the Authorization header (client_secret_basic)

        me = await browser.get("/me")
        assert me.status_code == 200, me.text
        assert me.json()["id"] == "eve" and me.json()["authenticated_with"] == "session"
        assert me.json()["memberships"] == [{"workspace_id": "acme", "role": "editor"}]
        # Changes need the CSRF token, exactly as after a password login.
        refused = await browser.post("/me/tokens", json={"name": "cli"})
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["message"]
        made = await browser.post(
            "/me/tokens", json={"name": "cli"}, headers={"X-CSRF-Token": browser.cookies["postgate_csrf"]}
        )
        assert made.status_code == 201, made.text


async def test_a_client_that_asks_for_json_gets_the_user_and_the_csrf_token(
    eve: Engine, provider: OpenIDProvider
) -> None:
    provider.user.email = "EVE@acme.example"  # matched case-insensitively
    provider.user.email_verified = "true"  # some providers send a string
    async with oidc_api(eve, provider) as browser:
        r = await sign_in(browser, JSON)

        assert r.status_code == 200, r.text
        body = r.json()
        assert body["user"]["id"] == "eve" and body["user"]["email"] == "eve@acme.example"
        assert body["user"]["memberships"] == [{"workspace_id": "acme", "role": "editor"}]
        assert body["csrf_token"] == browser.cookies["postgate_csrf"]
        logout = await browser.post("/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
        assert logout.status_code == 204
        assert (await browser.get("/me")).status_code == 401


async def test_an_unknown_email_is_refused_unless_signup_is_on(eve: Engine, provider: OpenIDProvider) -> None:
    provider.user.email, provider.user.name = "zed@acme.example", "Zed Zimmer"
    async with oidc_api(eve, provider) as browser:
        r = await sign_in(browser)
        assert r.status_code == 403 and r.headers["content-type"] == "application/json"
        assert r.json()["error"] == "no_account" and "zed@acme.example" in r.json()["message"]
        assert "postgate_session" not in browser.cookies
    with transaction(eve) as session:
        assert user_by_email(session, "zed@acme.example") is None

    async with oidc_api(eve, provider, oidc_allow_signup=True) as browser:
        r = await sign_in(browser, JSON)
        assert r.status_code == 200, r.text
        assert r.json()["user"]["id"] == "zed" and r.json()["user"]["memberships"] == []
    with transaction(eve) as session:
        zed = user_by_email(session, "zed@acme.example")
        assert zed is not None and zed.name == "Zed Zimmer" and zed.password_hash is None
        assert memberships_of(session, zed.id) == {}  # an administrator still decides where zed works


async def test_an_unverified_email_and_a_disabled_account_are_refused(eve: Engine, provider: OpenIDProvider) -> None:
    async with oidc_api(eve, provider, oidc_allow_signup=True) as browser:
        provider.user.email_verified = False
        r = await sign_in(browser)
        assert r.status_code == 403 and r.json()["error"] == "email_not_verified"
        assert "eve@acme.example" in r.json()["message"]

        provider.user.email_verified = True
        with transaction(eve) as session:
            user = get_user(session, "eve")
            assert user is not None
            user.disabled = True
        r = await sign_in(browser)
        assert r.status_code == 403 and r.json()["error"] == "account_disabled"
        assert "postgate_session" not in browser.cookies


@pytest.mark.parametrize(
    ("misbehaviour", "says"),
    [
        ({"nonce": "a-nonce-from-another-sign-in"}, "nonce"),
        ({"audience": "another-client"}, "another client (aud)"),
        ({"issuer": "https://evil.example"}, "another provider (iss)"),
        ({"foreign_key": True}, "signature does not verify"),
        ({"unknown_kid": True}, "a key the provider does not publish"),
        ({"expired": True}, "expired"),
    ],
)
async def test_a_bad_id_token_is_refused(
    eve: Engine, provider: OpenIDProvider, misbehaviour: dict[str, Any], says: str
) -> None:
    for name, value in misbehaviour.items():
        setattr(provider.misbehave, name, value)
    async with oidc_api(eve, provider) as browser:
        r = await sign_in(browser)

        assert r.status_code == 401, r.text
        assert r.json()["error"] == "oidc_rejected" and says in r.json()["message"], r.json()
        assert "postgate_session" not in browser.cookies
        assert (await browser.get("/me")).status_code == 401


async def test_a_rotated_provider_key_is_fetched_again(
    eve: Engine, provider: OpenIDProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with oidc_api(eve, provider) as browser:
        assert (await sign_in(browser)).status_code == 303  # the old key is cached now
        provider.rotate_key()
        monkeypatch.setattr(api.oidc_client, "KEYS_REFRESH_INTERVAL", 0.0)
        r = await sign_in(browser)
        assert r.status_code == 303, r.text


async def test_a_tampered_replayed_or_foreign_state_is_refused(eve: Engine, provider: OpenIDProvider) -> None:
    async with oidc_api(eve, provider) as browser:
        back = await consent(await to_provider(browser))
        state = parse_qs(urlsplit(back).query)["state"][0]
        tampered = await browser.get(with_query(back, state=state[:-2] + ("AA" if state[-2:] != "AA" else "BB")))
        assert tampered.status_code == 400 and tampered.json()["error"] == "oidc_callback_invalid"
        assert "unknown or was already used" in tampered.json()["message"]

        # The callback, with this browser's cookie, works once; the same again is refused before the provider
        # is asked (the code is spent there too).
        binding = browser.cookies["postgate_oidc"]
        assert (await browser.get(back)).status_code == 303
        async with httpx.AsyncClient() as replay:
            replayed = await replay.get(back, headers={"Cookie": f"postgate_oidc={binding}"})
        assert replayed.status_code == 400 and "already used" in replayed.json()["message"]
        assert len(provider.token_requests) == 1

        # Someone else's callback (their state and code) cannot be finished in this browser (login CSRF),
        # even while this browser has a sign-in of its own under way.
        async with httpx.AsyncClient() as attacker:
            theirs = await consent((await attacker.get(browser.base_url.join("/auth/oidc/login"))).headers["location"])
        await to_provider(browser)
        r = await browser.get(theirs)
        assert r.status_code == 400 and "another browser" in r.json()["message"]
        assert "postgate_session=" not in r.headers.get("set-cookie", "")

        missing = await browser.get("/auth/oidc/callback", params={"code": "x"})
        assert missing.status_code == 400 and missing.json()["error"] == "oidc_callback_invalid"
    assert pending_sign_ins(eve) == 1  # only this browser's own, unfinished: every other was used up once


async def test_a_refusal_at_the_provider_is_a_clear_403(eve: Engine, provider: OpenIDProvider) -> None:
    provider.misbehave.deny = "access_denied"
    async with oidc_api(eve, provider) as browser:
        r = await sign_in(browser)
        assert r.status_code == 403 and r.json()["error"] == "oidc_denied"
        assert "access_denied" in r.json()["message"] and "/auth/oidc/login" in r.json()["message"]
    assert provider.token_requests == []


async def test_the_provider_refusing_our_client_credentials_is_refused(eve: Engine, provider: OpenIDProvider) -> None:
    async with oidc_api(eve, provider, oidc_client_secret="not-the-secret") as browser:
        r = await sign_in(browser)
        assert r.status_code == 401 and "invalid_client" in r.json()["message"]


async def test_an_unreachable_provider_is_a_502(engine: Engine) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with serving(engine, oidc_issuer=nowhere, oidc_client_id="postgate") as url:
        async with httpx.AsyncClient(base_url=url) as browser:
            r = await browser.get("/auth/oidc/login")
    assert r.status_code == 502 and r.json()["error"] == "oidc_provider_unavailable"
    assert "discovery document" in r.json()["message"]
    assert pending_sign_ins(engine) == 0  # nothing stored for a sign-in that never started


@pytest.mark.parametrize("path", ["/auth/oidc/login", "/auth/oidc/callback?code=c&state=s"])
async def test_without_oidc_settings_both_routes_are_404(engine: Engine, path: str) -> None:
    async with serving(engine) as url, httpx.AsyncClient(base_url=url) as client:
        r = await client.get(path)
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"] == "oidc_not_configured" and "not configured" in body["message"], json.dumps(body)
    assert "POSTGATE_OIDC_ISSUER" in body["message"]
