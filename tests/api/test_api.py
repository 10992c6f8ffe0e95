"""The API over real HTTP, against the real Temporal dev server, a real worker and the sandbox platform."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx

from api_client import add_user, as_user, bootstrap_user, setup_workspace, submitted_post, wait_status
from demo import FIRST_DRAFT, drive


async def test_demo_path_end_to_end_over_http(api: httpx.AsyncClient) -> None:
    entries = await drive(str(api.base_url), bootstrap_user("ada"))
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("created", "ed"),
        ("submitted", "ed"),
        ("brand_checked", "system"),
        ("revised", "ed"),
        ("brand_checked", "system"),
        ("approved", "ann"),
        ("published", "system"),
        ("metrics_collected", "system"),
    ]
    assert entries[2]["detail"]["findings"][0]["match"] == "guaranteed"
    assert entries[5]["content_hash"] == entries[6]["content_hash"] == entries[3]["content_hash"]
    assert entries[-1]["status"] == "done"
    team = (await api.get("/workspaces/acme/users", headers=as_user("ada"))).json()
    assert {u["id"]: u["role"] for u in team["users"]} == {"ada": "admin", "ed": "editor", "ann": "approver"}
    two = (await api.get("/workspaces/acme/users", params={"limit": 2}, headers=as_user("ada"))).json()
    assert [u["id"] for u in two["users"]] == ["ada", "ann"] and two["next_cursor"] == "ann"
    last = await api.get("/workspaces/acme/users", params={"cursor": "ann"}, headers=as_user("ada"))
    assert [u["id"] for u in last.json()["users"]] == ["ed"] and last.json()["next_cursor"] is None
    listed = (await api.get("/posts", params={"status": "done"}, headers=as_user("ada"))).json()
    assert len(listed["posts"]) == 1 and listed["posts"][0]["current_revision"] == 2
    assert FIRST_DRAFT not in str(listed)


async def test_who_you_are_is_required(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    missing = await api.get("/posts")
    assert missing.status_code == 401 and missing.json()["error"] == "unauthenticated"
    assert "Authorization: Bearer" in missing.json()["message"]
    unknown = await api.get("/posts", headers={"Authorization": "Bearer pg_0123456789ab_not-a-real-secret"})
    assert unknown.status_code == 401 and "unknown token" in unknown.json()["message"]
    # The stand-in header of the early days identifies nobody.
    assert (await api.get("/posts", headers={"X-Postgate-User": "ed"})).status_code == 401


async def test_roles_and_workspaces_are_enforced(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    post = await submitted_post(api)
    # An editor cannot decide; an approver cannot write posts.
    r = await api.post(
        f"/posts/{post['id']}/decisions",
        headers=as_user("ed"),
        json={"decision": "approve", "content_hash": post["revision"]["content_hash"]},
    )
    assert r.status_code == 403 and "approver" in r.json()["message"]
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "hi"}, headers=as_user("ann"))
    assert r.status_code == 403
    # Another workspace sees nothing of it.
    assert (await api.get(f"/posts/{post['id']}", headers=as_user("g-ann"))).status_code == 404
    assert (await api.get(f"/posts/{post['id']}/audit", headers=as_user("g-ann"))).status_code == 404
    r = await api.post(
        f"/posts/{post['id']}/decisions",
        headers=as_user("g-ann"),
        json={"decision": "approve", "content_hash": post["revision"]["content_hash"]},
    )
    assert r.status_code == 404
    assert (await api.get("/posts", headers=as_user("g-ann"))).json()["posts"] == []
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "hi"}, headers=as_user("g-ed"))
    assert r.status_code == 422 and r.json()["error"] == "unknown_channel"
    assert (
        await api.post(
            "/workspaces/acme/users", json={"id": "x", "name": "x", "role": "admin"}, headers=as_user("g-ada")
        )
    ).status_code == 404


async def test_separation_of_duties_and_stale_hash(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    admin_post = await api.post(
        "/posts", json={"channel_id": "sbx", "text": "Admin writes", "submit": True}, headers=as_user("ada")
    )
    post = await wait_status(api, admin_post.json()["id"], "ada", "awaiting_approval")
    r = await api.post(
        f"/posts/{post['id']}/decisions",
        headers=as_user("ada"),
        json={"decision": "approve", "content_hash": post["revision"]["content_hash"]},
    )
    assert r.status_code == 403 and r.json()["error"] == "separation_of_duties"
    r = await api.post(
        f"/posts/{post['id']}/decisions",
        headers=as_user("ann"),
        json={"decision": "approve", "content_hash": "sha256:not-what-you-saw"},
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_content"
    trail = (await api.get(f"/posts/{post['id']}/audit", headers=as_user("ann"))).json()["entries"]
    assert [e["action"] for e in trail] == ["created", "submitted", "brand_checked"]


async def test_bad_input_gets_a_clear_json_error_and_changes_nothing(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    naive = (datetime.now() + timedelta(hours=1)).replace(microsecond=0).isoformat()
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "hi", "publish_at": naive}, headers=as_user("ed"))
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_request" and "publish_at has no UTC offset" in body["details"][0]["problem"]
    r = await api.post("/posts", json={"channel_id": "sbx", "text": ""}, headers=as_user("ed"))
    assert r.status_code == 422 and body["message"].startswith("fix these fields")
    r = await api.post("/workspaces", json={"id": "acme", "name": "again"}, headers=as_user("ed"))
    assert r.status_code == 409 and r.json()["error"] == "already_exists"
    assert (await api.get("/posts", headers=as_user("ed"))).json()["posts"] == []
    assert (await api.get("/posts/nope", headers=as_user("ed"))).status_code == 404


async def test_submit_twice_is_refused(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "Once only"}, headers=as_user("ed"))
    assert r.status_code == 201 and r.json()["status"] == "draft"
    post_id = r.json()["id"]
    first, second = await asyncio.gather(
        api.post(f"/posts/{post_id}/submit", headers=as_user("ed")),
        api.post(f"/posts/{post_id}/submit", headers=as_user("ed")),
    )
    assert sorted([first.status_code, second.status_code]) == [202, 409]


async def test_draft_revisions_then_submit_uses_latest(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    post_id = (await api.post("/posts", json={"channel_id": "sbx", "text": "v1"}, headers=as_user("ed"))).json()["id"]
    r = await api.post(f"/posts/{post_id}/revisions", json={"text": "v2"}, headers=as_user("ed"))
    assert r.status_code == 201 and r.json()["number"] == 2
    assert (await api.post(f"/posts/{post_id}/submit", headers=as_user("ed"))).status_code == 202
    post = await wait_status(api, post_id, "ed", "awaiting_approval")
    assert post["revision"]["text"] == "v2"
    trail = (await api.get(f"/posts/{post_id}/audit", headers=as_user("ed"))).json()["entries"]
    assert [e["action"] for e in trail] == ["created", "draft_revised", "submitted", "brand_checked"]


async def test_repeated_decision_with_same_idempotency_key_is_one_decision(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    post = await submitted_post(api)
    decision = {"decision": "reject", "content_hash": post["revision"]["content_hash"], "comment": "no"}
    headers = {**as_user("ann"), "Idempotency-Key": "click-1"}
    first = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=headers)
    again = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["decisions"] == again.json()["decisions"]
    trail = (await api.get(f"/posts/{post['id']}/audit", headers=as_user("ann"))).json()["entries"]
    assert [e["action"] for e in trail].count("rejected") == 1


async def test_changing_a_finished_post_is_a_clear_conflict(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    post = await submitted_post(api)
    decision = {"decision": "reject", "content_hash": post["revision"]["content_hash"]}
    assert (await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))).status_code == 200
    await wait_status(api, post["id"], "ann", "rejected")
    for _ in range(50):  # the workflow completes just after the update returns
        r = await api.post(f"/posts/{post['id']}/revisions", json={"text": "try again"}, headers=as_user("ed"))
        if r.json().get("message", "").startswith("the post's lifecycle has ended"):
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 409 and r.json()["error"] == "invalid_state", r.text
    r = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    assert r.status_code == 409


async def test_approval_policy_over_the_api(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    admin = as_user("ada")
    await add_user(api, "acme", "bo", "approver")
    bad = await api.put("/workspaces/acme/approval-policy", json={"steps": [{"name": "x"}]}, headers=admin)
    assert bad.status_code == 422 and "names no approvers" in bad.text
    policy = {"steps": [{"name": "review", "roles": ["approver"], "quorum": "all"}]}
    assert (await api.put("/workspaces/acme/approval-policy", json=policy, headers=as_user("ed"))).status_code == 403
    r = await api.put("/workspaces/acme/approval-policy", json=policy, headers=admin)
    assert r.status_code == 200 and r.json()["steps"][0]["quorum"] == "all"
    post = await submitted_post(api)
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    first = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    assert first.status_code == 200 and first.json()["status"] == "awaiting_approval"
    again = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    assert again.status_code == 409 and again.json()["error"] == "already_decided"
    done = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("bo"))
    assert done.json()["status"] in ("scheduled", "publishing", "published", "done")


async def test_retry_publish_is_only_for_failed_posts(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    post = await submitted_post(api)
    r = await api.post(f"/posts/{post['id']}/retry-publish", headers=as_user("ed"))
    assert r.status_code == 409 and "only a post whose publishing failed" in r.json()["message"]
