"""Helpers for tests that drive the API over HTTP.

Every user a test creates gets an API token, recorded in TOKENS by user id; `as_user(id)` is the
Authorization header that acts as them. The first admin of a workspace is created in the database, as
`postgate admin create-user` does (nobody can create an account over the API without one); everyone
else through the API. The `api` fixture points ACCOUNTS at its database and forgets earlier tokens.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from sqlalchemy.engine import Engine

from commands.admin import create_account


@dataclass
class Accounts:
    engine: Engine | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def use(self, engine: Engine) -> None:
        self.engine = engine
        self.tokens.clear()


ACCOUNTS = Accounts()
TOKENS = ACCOUNTS.tokens  # user id -> bearer token


def bootstrap_user(
    user_id: str, name: str | None = None, *, email: str | None = None, password: str | None = None
) -> str:
    """An account made in the database, in no workspace yet, as `postgate admin create-user` does; its token."""
    assert ACCOUNTS.engine is not None, "the `api` fixture sets up the accounts database"
    created = create_account(ACCOUNTS.engine, user_id, name or user_id.title(), email=email, password=password)
    TOKENS[user_id] = created.token
    return created.token


async def add_user(http: httpx.AsyncClient, ws: str, user_id: str, role: str, admin: str = "ada", **extra: str) -> dict:
    """A new account in the workspace, created by its admin over the API (its token recorded)."""
    body = {"id": user_id, "name": user_id.title(), "role": role, **extra}
    r = await http.post(f"/workspaces/{ws}/users", json=body, headers=as_user(admin))
    assert r.status_code == 201, r.text
    TOKENS[user_id] = r.json()["token"]
    return r.json()


async def join(http: httpx.AsyncClient, ws: str, user_id: str, role: str, admin: str = "ada") -> dict:
    """An existing account joins the workspace the only way the API allows: its admin invites, it accepts."""
    r = await http.post(
        f"/workspaces/{ws}/invitations", json={"user_id": user_id, "role": role}, headers=as_user(admin)
    )
    assert r.status_code == 202, r.text
    r = await http.post(f"/me/invitations/{r.json()['id']}/accept", headers=as_user(user_id))
    assert r.status_code == 200, r.text
    return r.json()


async def setup_workspace(http: httpx.AsyncClient, ws: str = "acme", prefix: str = "") -> None:
    """Workspace `ws` with admin {prefix}ada, editor {prefix}ed, approver {prefix}ann, channel {prefix}sbx."""
    admin = f"{prefix}ada"
    bootstrap_user(admin, "Ada")
    body = {"id": ws, "name": ws.title(), "banned_words": ["guaranteed"]}
    r = await http.post("/workspaces", json=body, headers=as_user(admin))
    assert r.status_code == 201, r.text
    for uid, role in (("ed", "editor"), ("ann", "approver")):
        await add_user(http, ws, f"{prefix}{uid}", role, admin=admin)
    r = await http.post(
        f"/workspaces/{ws}/channels",
        json={"id": f"{prefix}sbx", "name": "Sandbox", "max_length": 280},
        headers=as_user(admin),
    )
    assert r.status_code == 201, r.text


def as_user(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


async def wait_status(http: httpx.AsyncClient, post_id: str, user: str, status: str) -> dict:
    for _ in range(200):
        post = (await http.get(f"/posts/{post_id}", headers=as_user(user))).json()
        if post["status"] == status:
            return post
        await asyncio.sleep(0.05)
    raise AssertionError(f"post stayed {post['status']}, never {status}")


async def submitted_post(http: httpx.AsyncClient, text: str = "Fresh coffee, every morning.") -> dict:
    r = await http.post("/posts", json={"channel_id": "sbx", "text": text, "submit": True}, headers=as_user("ed"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] in ("brand_check", "awaiting_approval")
    return await wait_status(http, r.json()["id"], "ed", "awaiting_approval")


async def approved_post(http: httpx.AsyncClient, body: dict, *, prefix: str = "", until: str = "scheduled") -> dict:
    """A post `{prefix}ed` creates and submits with `body`, approved by `{prefix}ann`; once it reaches `until`."""
    r = await http.post("/posts", json={**body, "submit": True}, headers=as_user(f"{prefix}ed"))
    assert r.status_code == 201, r.text
    post = await wait_status(http, r.json()["id"], f"{prefix}ed", "awaiting_approval")
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    r = await http.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user(f"{prefix}ann"))
    assert r.status_code == 200, r.text
    return await wait_status(http, post["id"], f"{prefix}ed", until)


async def add_people(http: httpx.AsyncClient, prefix: str, roles: dict[str, str], password: str) -> None:
    """Members of {prefix}acme (added by {prefix}ada) who sign in with `password` as {prefix}<id>@example.com."""
    for uid, role in roles.items():
        await add_user(
            http, f"{prefix}acme", f"{prefix}{uid}", role, admin=f"{prefix}ada",
            email=f"{prefix}{uid}@example.com", password=password,
        )  # fmt: skip
