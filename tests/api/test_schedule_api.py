"""Scheduling over the API: time zones (DST-correct), reschedule, publish now, withdraw, late policy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from api_client import as_user, setup_workspace, submitted_post, wait_status


async def test_wall_clock_time_in_a_zone_is_stored_as_utc_across_dst(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    year = datetime.now(UTC).year + 1
    body = {
        "channel_id": "sbx",
        "text": "Guten Morgen",
        "publish_at": f"{year}-04-02T09:00:00",
        "time_zone": "Europe/Berlin",
    }
    r = await api.post("/posts", json=body, headers=as_user("ed"))
    assert r.status_code == 201, r.text
    post = r.json()
    # After the clocks go forward (last Sunday of March), 09:00 in Berlin is 07:00 UTC...
    assert datetime.fromisoformat(post["publish_at"]) == datetime(year, 4, 2, 7, 0, tzinfo=UTC)
    assert post["publish_at_local"] == f"{year}-04-02T09:00:00+02:00 Europe/Berlin"
    listed = (await api.get("/posts", headers=as_user("ed"))).json()["posts"][0]
    assert datetime.fromisoformat(listed["publish_at"]) == datetime(year, 4, 2, 7, 0, tzinfo=UTC)
    # ...and before it, 08:00 UTC.
    body["publish_at"] = f"{year}-03-20T09:00:00"
    winter = (await api.post("/posts", json=body, headers=as_user("ed"))).json()
    assert datetime.fromisoformat(winter["publish_at"]) == datetime(year, 3, 20, 8, 0, tzinfo=UTC)


async def test_publish_time_needs_an_offset_or_a_zone(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    r = await api.post(
        "/posts", json={"channel_id": "sbx", "text": "x", "publish_at": "2030-01-01T09:00:00"}, headers=as_user("ed")
    )
    assert r.status_code == 422 and "time_zone" in r.text
    r = await api.post(
        "/posts",
        json={"channel_id": "sbx", "text": "x", "publish_at": "2030-01-01T09:00:00", "time_zone": "Mars/Olympus"},
        headers=as_user("ed"),
    )
    assert r.status_code == 422 and "IANA" in r.text


async def test_reschedule_then_publish_now(api: httpx.AsyncClient, sandbox) -> None:
    await setup_workspace(api)
    post = await submitted_post(api, "Coming soon")
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    assert (await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))).status_code == 200
    # Approved to publish "now" on create; move it a week out first, in Jakarta time.
    later = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0, tzinfo=None).isoformat()
    r = await api.post(
        f"/posts/{post['id']}/schedule", json={"publish_at": later, "time_zone": "Asia/Jakarta"}, headers=as_user("ed")
    )
    # It may already have gone out (publish_at was "now"); then the refusal must be a clear 409.
    if r.status_code == 409:
        assert r.json()["error"] == "invalid_state"
        return
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "scheduled" and r.json()["publish_zone"] == "Asia/Jakarta"
    r = await api.post(f"/posts/{post['id']}/publish-now", headers=as_user("ann"))
    assert r.status_code == 200, r.text
    await wait_status(api, post["id"], "ann", "done")
    trail = (await api.get(f"/posts/{post['id']}/audit", headers=as_user("ann"))).json()["entries"]
    assert [e["action"] for e in trail].count("rescheduled") == 2


async def test_withdraw_a_scheduled_post(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    r = await api.post(
        "/posts",
        json={"channel_id": "sbx", "text": "Flash sale", "publish_at": future, "submit": True},
        headers=as_user("ed"),
    )
    post = await wait_status(api, r.json()["id"], "ed", "awaiting_approval")
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    r = await api.post(f"/posts/{post['id']}/withdraw", json={"reason": "stock ran out"}, headers=as_user("ed"))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    await asyncio.sleep(0.2)
    again = await api.post(f"/posts/{post['id']}/withdraw", json={}, headers=as_user("ed"))
    assert again.status_code == 409
    listed = (await api.get("/posts", params={"status": "withdrawn"}, headers=as_user("ed"))).json()["posts"]
    assert [p["id"] for p in listed] == [post["id"]]


async def test_drafts_cannot_be_withdrawn_or_published_now_but_can_be_rescheduled(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    post_id = (await api.post("/posts", json={"channel_id": "sbx", "text": "Draft"}, headers=as_user("ed"))).json()[
        "id"
    ]
    assert (await api.post(f"/posts/{post_id}/withdraw", json={}, headers=as_user("ed"))).status_code == 409
    assert (await api.post(f"/posts/{post_id}/publish-now", headers=as_user("ed"))).status_code == 409
    r = await api.post(
        f"/posts/{post_id}/schedule", json={"publish_at": "2031-05-01T10:00:00+07:00"}, headers=as_user("ed")
    )
    assert r.status_code == 200 and r.json()["publish_at"].startswith("2031-05-01T03:00:00")
