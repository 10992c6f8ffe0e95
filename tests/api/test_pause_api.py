"""Crisis pause over the API against the dev server: one call holds every post of the workspace."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from api_client import as_user, setup_workspace, wait_status


async def approved_post(api: httpx.AsyncClient, text: str, publish_in: timedelta) -> str:
    body = {
        "channel_id": "sbx",
        "text": text,
        "submit": True,
        "publish_at": (datetime.now(UTC) + publish_in).isoformat(),
    }
    post_id = (await api.post("/posts", json=body, headers=as_user("ed"))).json()["id"]
    post = await wait_status(api, post_id, "ed", "awaiting_approval")
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    assert (await api.post(f"/posts/{post_id}/decisions", json=decision, headers=as_user("ann"))).status_code == 200
    return post_id


async def test_pause_holds_everything_and_resume_publishes_what_was_missed(api: httpx.AsyncClient, sandbox) -> None:
    await setup_workspace(api)
    admin = as_user("ada")
    early = await approved_post(api, "Due in two seconds", timedelta(seconds=2))
    r = await api.post("/workspaces/acme/pause", json={"reason": "breaking news"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["posts_signalled"] >= 1
    assert (await api.post("/workspaces/acme/pause", json={"reason": "again"}, headers=admin)).status_code == 409
    assert (await api.post("/workspaces/acme/pause", json={"reason": "x"}, headers=as_user("ed"))).status_code == 403
    late = await approved_post(api, "Submitted during the pause", timedelta(0))  # starts paused

    await asyncio.sleep(4)
    for post_id in (early, late):
        post = (await api.get(f"/posts/{post_id}", headers=as_user("ed"))).json()
        assert post["status"] == "scheduled" and post["publication"] is None
    held = (await api.get(f"{sandbox.url}/api/posts", params={"channel": "sbx"})).json()["posts"]
    assert not [p for p in held if p["text"] in ("Due in two seconds", "Submitted during the pause")]

    r = await api.post("/workspaces/acme/resume", json={"policy": "publish", "reason": "all clear"}, headers=admin)
    assert r.status_code == 200 and r.json()["posts_signalled"] >= 2
    for post_id in (early, late):
        await wait_status(api, post_id, "ed", "done")
    assert (await api.get("/workspaces/acme/pause", headers=as_user("ed"))).json()["paused"] is False
