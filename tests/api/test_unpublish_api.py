"""Unpublish over real HTTP (dev server, real worker, the sandbox platform), and what a post shows per
channel while its publish is being retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from api_client import add_user, as_user, setup_workspace, submitted_post, wait_status


async def approved(api: httpx.AsyncClient, text: str) -> dict:
    post = await submitted_post(api, text)
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    r = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    assert r.status_code == 200, r.text
    return post


@asynccontextmanager
async def faults(sandbox, channel: str, **injected: object) -> AsyncIterator[None]:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        assert (await http.put(f"/api/channels/{channel}/faults", json=injected)).status_code == 200
        try:
            yield
        finally:
            await http.delete(f"/api/channels/{channel}/faults")


async def audit(api: httpx.AsyncClient, post_id: str) -> list[dict]:
    return (await api.get(f"/posts/{post_id}/audit", headers=as_user("ann"))).json()["entries"]


async def test_unpublish_after_the_lifecycle_deletes_once_and_a_repeat_is_fine(api, sandbox) -> None:
    await setup_workspace(api)
    await add_user(api, "acme", "vic", "viewer")
    post = await approved(api, "Prices slashed by 90%!")
    done = await wait_status(api, post["id"], "ed", "done")  # published, followed up: the lifecycle ended
    external_id = done["channels"][0]["publication"]["external_id"]
    url = f"/posts/{post['id']}/unpublish"

    r = await api.post(url, json={}, headers=as_user("ed"))
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"  # a reason is required
    r = await api.post(url, json={"reason": "typo"}, headers=as_user("vic"))
    assert r.status_code == 403

    r = await api.post(url, json={"reason": "the price was wrong"}, headers=as_user("ed"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unpublished"
    assert r.json()["channels"][0]["status"] == "unpublished"
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        assert (await http.get(f"/api/posts/{external_id}")).status_code == 404

    # A second call (another approver) is fine, and is in the trail too.
    r = await api.post(url, json={"reason": "making sure", "channel_id": "sbx"}, headers=as_user("ann"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unpublished"
    unpublished = [e for e in await audit(api, post["id"]) if e["action"] == "unpublished"]
    assert [(e["actor"], e["detail"]["reason"], e["detail"]["channels"]) for e in unpublished] == [
        ("ed", "the price was wrong", {"sbx": "deleted"}),
        ("ann", "making sure", {"sbx": "already_unpublished"}),
    ]
    listed = (await api.get("/posts", headers=as_user("ed"))).json()["posts"]
    assert [p["status"] for p in listed if p["id"] == post["id"]] == ["unpublished"]


async def test_a_post_the_platform_lost_counts_as_unpublished(api, sandbox) -> None:
    await setup_workspace(api)
    post = await approved(api, "Gone already")
    done = await wait_status(api, post["id"], "ed", "done")
    external_id = done["channels"][0]["publication"]["external_id"]
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        assert (await http.delete(f"/api/posts/{external_id}")).status_code == 204  # deleted on the platform
    r = await api.post(f"/posts/{post['id']}/unpublish", json={"reason": "cleanup"}, headers=as_user("ed"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unpublished"


async def test_who_may_unpublish_is_the_workspaces_setting_and_a_draft_is_409(api) -> None:
    await setup_workspace(api)
    r = await api.patch("/workspaces/acme/settings", json={"unpublish_roles": ["admin"]}, headers=as_user("ed"))
    assert r.status_code == 403
    r = await api.patch(
        "/workspaces/acme/settings",
        json={"unpublish_roles": ["admin"], "late_notice_after_s": 300},
        headers=as_user("ada"),
    )
    assert r.status_code == 200, r.text
    settings = (await api.get("/workspaces/acme/settings", headers=as_user("ed"))).json()
    assert settings["unpublish_roles"] == ["admin"] and settings["late_notice_after_s"] == 300
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "Draft"}, headers=as_user("ed"))
    draft = r.json()
    r = await api.post(f"/posts/{draft['id']}/unpublish", json={"reason": "x"}, headers=as_user("ed"))
    assert r.status_code == 403
    r = await api.post(f"/posts/{draft['id']}/unpublish", json={"reason": "x"}, headers=as_user("ada"))
    assert r.status_code == 409 and r.json()["error"] == "invalid_state"
    post = await submitted_post(api, "Waiting for approval")
    r = await api.post(f"/posts/{post['id']}/unpublish", json={"reason": "x"}, headers=as_user("ada"))
    assert r.status_code == 409 and "awaiting_approval" in r.json()["message"]


async def test_a_platform_refusing_the_delete_is_502_and_in_the_trail(api, sandbox) -> None:
    await setup_workspace(api)
    post = await approved(api, "Stuck up there")
    await wait_status(api, post["id"], "ed", "done")
    async with faults(sandbox, "sbx", revoked=True):
        r = await api.post(f"/posts/{post['id']}/unpublish", json={"reason": "legal"}, headers=as_user("ed"))
    assert r.status_code == 502 and r.json()["error"] == "unpublish_failed", r.text
    assert "sbx" in r.json()["message"]
    assert (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()["status"] == "done"
    [entry] = [e for e in await audit(api, post["id"]) if e["action"] == "unpublished"]
    assert entry["detail"]["channels"]["sbx"].startswith("failed: ")
    # Once the cause is fixed, it goes.
    r = await api.post(f"/posts/{post['id']}/unpublish", json={"reason": "legal"}, headers=as_user("ed"))
    assert r.status_code == 200 and r.json()["status"] == "unpublished", r.text


async def test_a_publish_being_retried_shows_its_attempts_and_last_error(api, sandbox) -> None:
    await setup_workspace(api)
    async with faults(sandbox, "sbx", fail_5xx=2):
        post = await approved(api, "Third time lucky")
        for _ in range(400):
            shown = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()
            channel = shown["channels"][0]
            if channel["publish_attempt"] is not None and channel["publish_attempt"] >= 2:
                break
            assert shown["status"] in ("scheduled", "publishing"), shown
            await asyncio.sleep(0.05)
        assert shown["status"] == "publishing" and shown["failure"] is None
        assert "unavailable" in channel["last_error"]
        published = await wait_status(api, post["id"], "ed", "done")
    assert published["channels"][0]["publish_attempt"] is None and published["channels"][0]["last_error"] is None
