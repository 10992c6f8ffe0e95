"""Authentication over HTTP: API tokens, password login with a session cookie and CSRF, throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine

from api_client import ACCOUNTS, TOKENS, add_user, as_user, bootstrap_user, join, setup_workspace
from store.accounts import get_user
from store.authentication import THROTTLE_FREE, issue_token, record_login_failure
from store.engine import transaction

PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def past_token(user_id: str, *, days_ago: int, lifetime_days: int) -> str:
    """A token issued in the past, straight in the database."""
    assert ACCOUNTS.engine is not None
    with transaction(ACCOUNTS.engine) as session:
        _, plain = issue_token(
            session,
            user_id,
            "old",
            now=datetime.now(UTC) - timedelta(days=days_ago),
            lifetime=timedelta(days=lifetime_days),
        )
    return plain


async def test_tokens_are_created_listed_used_and_revoked(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)

    r = await api.post("/me/tokens", json={"name": "ci", "expires_in_days": 30}, headers=as_user("ed"))

    assert r.status_code == 201, r.text
    created = r.json()
    token = created["token"]
    assert token.startswith(f"pg_{created['id']}_") and len(token) > 50
    assert token.startswith(created["prefix"]) and len(created["prefix"]) <= 20
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=29, hours=23) < expires - datetime.now(UTC) <= timedelta(days=30)
    me = (await api.get("/me", headers=bearer(token))).json()
    assert me["id"] == "ed" and me["authenticated_with"] == "token"
    assert me["memberships"] == [{"workspace_id": "acme", "role": "editor"}]

    listed = await api.get("/me/tokens", headers=as_user("ed"))
    tokens = listed.json()["tokens"]
    assert [t["name"] for t in tokens] == ["created by ada", "ci"] and listed.json()["next_cursor"] is None
    assert token not in listed.text and token.split("_", 2)[2] not in listed.text
    assert tokens[1]["last_used_at"] is not None and tokens[1]["revoked_at"] is None
    first = (await api.get("/me/tokens", params={"limit": 1}, headers=as_user("ed"))).json()
    assert [t["name"] for t in first["tokens"]] == ["created by ada"] and first["next_cursor"]
    rest = await api.get("/me/tokens", params={"limit": 1, "cursor": first["next_cursor"]}, headers=as_user("ed"))
    assert [t["name"] for t in rest.json()["tokens"]] == ["ci"] and rest.json()["next_cursor"] is None

    # Nobody else can see or revoke it.
    assert (await api.delete(f"/me/tokens/{created['id']}", headers=as_user("ada"))).status_code == 404
    assert created["id"] not in (await api.get("/me/tokens", headers=as_user("ada"))).text

    assert (await api.delete(f"/me/tokens/{created['id']}", headers=as_user("ed"))).status_code == 204
    refused = await api.get("/me", headers=bearer(token))
    assert refused.status_code == 401 and refused.json()["error"] == "unauthenticated"
    assert "revoked" in refused.json()["message"]
    assert (await api.get("/me/tokens", headers=as_user("ed"))).json()["tokens"][1]["revoked_at"] is not None
    # The other token of the same user still works.
    assert (await api.get("/me", headers=as_user("ed"))).status_code == 200


async def test_token_lifetimes_are_bounded_and_expired_tokens_refused(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    too_long = await api.post("/me/tokens", json={"name": "forever", "expires_in_days": 366}, headers=as_user("ed"))
    assert too_long.status_code == 422 and too_long.json()["details"][0]["field"] == "expires_in_days"
    default = (await api.post("/me/tokens", json={"name": "default"}, headers=as_user("ed"))).json()
    lifetime = datetime.fromisoformat(default["expires_at"]) - datetime.fromisoformat(default["created_at"])
    assert lifetime == timedelta(days=90)

    expired = past_token("ed", days_ago=31, lifetime_days=30)
    r = await api.get("/me", headers=bearer(expired))
    assert r.status_code == 401 and "expired" in r.json()["message"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert (await api.get("/me", headers=bearer(past_token("ed", days_ago=29, lifetime_days=30)))).status_code == 200


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Bearer", "must be 'Bearer pg_<id>_<secret>'"),
        ("Basic ZWQ6cGFzc3dvcmQ=", "must be 'Bearer pg_<id>_<secret>'"),
        ("Bearer not-a-token", "not a postgate token"),
        ("Bearer pg_onlyid", "not a postgate token"),
        ("Bearer pg_0123456789ab_guessed", "unknown token"),
    ],
)
async def test_a_bad_authorization_header_is_a_json_401(api: httpx.AsyncClient, header: str, says: str) -> None:
    await setup_workspace(api)
    r = await api.get("/workspaces/acme/users", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["error"] == "unauthenticated" and says in r.json()["message"], r.json()


async def test_a_guessed_secret_for_a_real_token_id_is_refused(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    _, token_id, secret = TOKENS["ed"].split("_", 2)
    forged = f"pg_{token_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    assert (await api.get("/me", headers=bearer(forged))).status_code == 401


async def test_a_disabled_account_is_refused(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    assert ACCOUNTS.engine is not None
    with transaction(ACCOUNTS.engine) as session:
        user = get_user(session, "ed")
        assert user is not None
        user.disabled = True
    r = await api.get("/me", headers=as_user("ed"))
    assert r.status_code == 401 and "disabled" in r.json()["message"]


async def test_creating_a_workspace_needs_an_account_and_makes_you_its_admin(api: httpx.AsyncClient) -> None:
    anonymous = await api.post("/workspaces", json={"id": "acme", "name": "Acme"})
    assert anonymous.status_code == 401
    bootstrap_user("zoe")
    assert (await api.get("/me", headers=as_user("zoe"))).json()["memberships"] == []
    assert (await api.get("/posts", headers=as_user("zoe"))).json()["posts"] == []

    r = await api.post("/workspaces", json={"id": "zed", "name": "Zed"}, headers=as_user("zoe"))

    assert r.status_code == 201, r.text
    assert (await api.get("/me", headers=as_user("zoe"))).json()["memberships"] == [
        {"workspace_id": "zed", "role": "admin"}
    ]


async def test_one_account_in_two_workspaces(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    # globex's admin invites acme's editor as an approver there, and ed accepts.
    await join(api, "globex", "ed", "approver", admin="g-ada")
    me = (await api.get("/me", headers=as_user("ed"))).json()
    assert me["memberships"] == [
        {"workspace_id": "acme", "role": "editor"},
        {"workspace_id": "globex", "role": "approver"},
    ]

    ambiguous = await api.get("/posts", headers=as_user("ed"))
    assert ambiguous.status_code == 422 and ambiguous.json()["error"] == "workspace_required"
    assert (await api.get("/posts", params={"workspace_id": "globex"}, headers=as_user("ed"))).status_code == 200
    # An editor in acme only: globex's channel is not ed's to post on, acme's is.
    r = await api.post("/posts", json={"channel_id": "g-sbx", "text": "hi"}, headers=as_user("ed"))
    assert r.status_code == 403 and "editor" in r.json()["message"]
    r = await api.post(
        "/posts", json={"workspace_id": "globex", "channel_id": "sbx", "text": "hi"}, headers=as_user("ed")
    )
    assert r.status_code == 403
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "hi"}, headers=as_user("ed"))
    assert r.status_code == 201 and r.json()["workspace_id"] == "acme"

    # Out of globex again: its objects are gone for ed.
    assert (await api.delete("/workspaces/globex/members/ed", headers=as_user("g-ada"))).status_code == 204
    assert (await api.get("/posts", params={"workspace_id": "globex"}, headers=as_user("ed"))).status_code == 404


async def test_a_workspace_keeps_one_admin(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    alone = await api.put("/workspaces/acme/members/ada", json={"role": "editor"}, headers=as_user("ada"))
    assert alone.status_code == 409 and alone.json()["error"] == "last_admin"
    assert (await api.delete("/workspaces/acme/members/ada", headers=as_user("ada"))).status_code == 409
    assert (
        await api.put("/workspaces/acme/members/ann", json={"role": "admin"}, headers=as_user("ada"))
    ).status_code == 200
    assert (await api.delete("/workspaces/acme/members/ada", headers=as_user("ann"))).status_code == 204
    assert (
        await api.put("/workspaces/acme/members/nobody", json={"role": "viewer"}, headers=as_user("ann"))
    ).status_code == 404


# ---- password login, session cookie, CSRF ---------------------------------------------------------------


async def login(api: httpx.AsyncClient, email: str, password: str, browser: httpx.AsyncClient | None = None):
    return await (browser or api).post("/auth/login", json={"email": email, "password": password})


async def test_login_sets_a_session_cookie_and_changes_need_the_csrf_token(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await add_user(api, "acme", "eve", "editor", email="Eve@Acme.example", password=PASSWORD)
    async with httpx.AsyncClient(base_url=api.base_url) as browser:
        wrong = await login(api, "eve@acme.example", "not it", browser)
        assert wrong.status_code == 401 and wrong.json()["message"] == "wrong e-mail or password"
        assert "set-cookie" not in wrong.headers

        r = await login(api, "EVE@acme.example ", PASSWORD, browser)

        assert r.status_code == 200, r.text
        csrf = r.json()["csrf_token"]
        [session_cookie] = [c for c in r.headers.get_list("set-cookie") if c.startswith("postgate_session=")]
        attributes = {part.strip().lower() for part in session_cookie.split(";")[1:]}
        assert {"httponly", "samesite=lax", "path=/"} <= attributes
        assert browser.cookies["postgate_csrf"] == csrf
        me = (await browser.get("/me")).json()
        assert me["id"] == "eve" and me["authenticated_with"] == "session"
        assert (await browser.get("/posts")).status_code == 200  # reading needs no CSRF token

        post = {"channel_id": "sbx", "text": "From the browser"}
        refused = await browser.post("/posts", json=post)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["message"]
        forged = await browser.post("/posts", json=post, headers={"X-CSRF-Token": "guess"})
        assert forged.status_code == 403
        made = await browser.post("/posts", json=post, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201 and made.json()["author"] == "eve"
        assert (await api.get("/posts", headers=as_user("ed"))).json()["posts"][0]["author"] == "eve"

        assert (await browser.post("/auth/logout")).status_code == 403
        assert (await browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 204
        assert "postgate_session" not in browser.cookies
        # The old cookie is worth nothing now.
        again = await api.get("/me", headers={"Cookie": session_cookie.split(";")[0]})
        assert again.status_code == 401 and "log in again" in again.json()["message"]


async def test_the_password_is_stored_as_an_argon2id_hash(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    created = await add_user(api, "acme", "eve", "editor", email="eve@acme.example", password=PASSWORD)
    assert PASSWORD not in str(created)
    assert ACCOUNTS.engine is not None
    with transaction(ACCOUNTS.engine) as session:
        user = get_user(session, "eve")
    assert user is not None and user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert user.email == "eve@acme.example"
    taken = await api.post(
        "/workspaces/acme/users",
        json={"id": "eve2", "name": "Eve", "role": "viewer", "email": "EVE@acme.example"},
        headers=as_user("ada"),
    )
    assert taken.status_code == 409


@pytest.fixture
def behind_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before the `api` fixture builds its Settings: the test client (127.0.0.1) is a trusted proxy.
    monkeypatch.setenv("POSTGATE_TRUSTED_PROXIES", "127.0.0.1/32")


def from_address(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


async def test_an_attacker_elsewhere_cannot_lock_the_user_out(behind_proxy: None, api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await add_user(api, "acme", "eve", "editor", email="eve@acme.example", password=PASSWORD)
    attacker = {"email": "eve@acme.example", "password": "guess"}
    answers = []
    for _ in range(12):  # the waits double (1 s, 2 s, 4 s ...): a storm meets one soon, however slow the run
        r = await api.post("/auth/login", json=attacker, headers=from_address("203.0.113.66"))
        answers.append(r.status_code)
        if r.status_code == 429:
            assert 0 < int(r.headers["retry-after"]) <= 15 * 60 and "try again in" in r.json()["message"]
            break
    assert answers[:3] == [401, 401, 401] and answers[-1] == 429, answers

    real_user = await api.post(
        "/auth/login", json={"email": "eve@acme.example", "password": PASSWORD}, headers=from_address("198.51.100.7")
    )
    assert real_user.status_code == 200, real_user.text


def seed_failures(engine: Engine, email: str, ip: str) -> None:
    # Enough failures of (email, ip) just now that its next try waits minutes.
    with transaction(engine) as session:
        for _ in range(THROTTLE_FREE + 12):
            record_login_failure(session, email, ip, now=datetime.now(UTC))


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(api: httpx.AsyncClient, engine: Engine) -> None:
    await setup_workspace(api)
    await add_user(api, "acme", "eve", "editor", email="eve@acme.example", password=PASSWORD)
    seed_failures(engine, "eve@acme.example", "127.0.0.1")
    right = {"email": "eve@acme.example", "password": PASSWORD}
    # Claiming another address does not escape the throttle of the address the request really comes from.
    assert (await api.post("/auth/login", json=right, headers=from_address("198.51.100.7"))).status_code == 429


async def test_x_forwarded_for_from_a_trusted_proxy_names_the_caller(
    behind_proxy: None, api: httpx.AsyncClient, engine: Engine
) -> None:
    await setup_workspace(api)
    await add_user(api, "acme", "eve", "editor", email="eve@acme.example", password=PASSWORD)
    seed_failures(engine, "eve@acme.example", "203.0.113.66")
    right = {"email": "eve@acme.example", "password": PASSWORD}
    assert (await api.post("/auth/login", json=right, headers=from_address("203.0.113.66"))).status_code == 429
    # The proxy appends the address it saw; what the caller wrote before it is not believed.
    spoofed = from_address("198.51.100.7, 203.0.113.66")
    assert (await api.post("/auth/login", json=right, headers=spoofed)).status_code == 429
    assert (await api.post("/auth/login", json=right, headers=from_address("198.51.100.7"))).status_code == 200


async def test_a_successful_login_forgets_earlier_failures(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await add_user(api, "acme", "eve", "editor", email="eve@acme.example", password=PASSWORD)
    for _ in range(2):
        assert (await login(api, "eve@acme.example", "guess")).status_code == 401
    assert (await login(api, "eve@acme.example", PASSWORD)).status_code == 200
    for _ in range(2):
        assert (await login(api, "eve@acme.example", "guess")).status_code == 401
    assert (await login(api, "eve@acme.example", PASSWORD)).status_code == 200
