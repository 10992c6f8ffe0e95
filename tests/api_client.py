"""Helpers for tests that drive the API over HTTP."""

from __future__ import annotations

import asyncio

import httpx


async def setup_workspace(http: httpx.AsyncClient, ws: str = "acme", prefix: str = "") -> None:
    body = {
        "id": ws,
        "name": ws.title(),
        "banned_words": ["guaranteed"],
        "admin": {"id": f"{prefix}ada", "name": "Ada"},
    }
    assert (await http.post("/workspaces", json=body)).status_code == 201
    admin = {"X-Postgate-User": f"{prefix}ada"}
    for uid, role in (("ed", "editor"), ("ann", "approver")):
        r = await http.post(
            f"/workspaces/{ws}/users", json={"id": f"{prefix}{uid}", "name": uid, "role": role}, headers=admin
        )
        assert r.status_code == 201, r.text
    r = await http.post(
        f"/workspaces/{ws}/channels",
        json={"id": f"{prefix}sbx", "name": "Sandbox", "max_length": 280},
        headers=admin,
    )
    assert r.status_code == 201, r.text


def as_user(user: str) -> dict[str, str]:
    return {"X-Postgate-User": user}


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
