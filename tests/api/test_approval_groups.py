"""Approval steps that name groups: resolved to the group's members when the post is submitted."""

from __future__ import annotations

import httpx

from api_client import ACCOUNTS, add_user, as_user, setup_workspace, submitted_post
from store.accounts import add_group
from store.engine import transaction


def make_group(name: str, *user_ids: str) -> None:
    assert ACCOUNTS.engine is not None
    with transaction(ACCOUNTS.engine) as session:
        add_group(session, "acme", name, user_ids)


async def test_only_the_named_groups_members_sign_that_step(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await add_user(api, "acme", "lee", "approver")
    make_group("legal", "lee")
    policy = {"steps": [{"name": "legal review", "groups": ["legal"]}]}
    assert (await api.put("/workspaces/acme/approval-policy", json=policy, headers=as_user("ada"))).status_code == 200
    post = await submitted_post(api)
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}

    outside = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    inside = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("lee"))

    assert outside.status_code == 403 and outside.json()["error"] == "not_an_approver"
    assert inside.status_code == 200, inside.text
    assert inside.json()["decisions"][-1]["actor"] == "lee"


async def test_a_step_naming_a_group_the_workspace_lacks_is_refused_at_submit(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    policy = {"steps": [{"name": "board", "groups": ["board"]}]}
    assert (await api.put("/workspaces/acme/approval-policy", json=policy, headers=as_user("ada"))).status_code == 200

    r = await api.post("/posts", json={"channel_id": "sbx", "text": "Hi", "submit": True}, headers=as_user("ed"))

    assert r.status_code == 422 and r.json()["error"] == "approval_policy_unsatisfiable"
    assert "group 'board'" in r.json()["message"]
