"""Membership needs consent: an admin invites, the invitee accepts or declines; a member may leave; answers
never tell which accounts exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import select

from api_client import ACCOUNTS, TOKENS, add_user, as_user, bootstrap_user, join, setup_workspace
from store.engine import transaction
from store.tables import Invitation, Membership


def _members(engine: Engine, workspace_id: str) -> dict[str, str]:
    with transaction(engine) as session:
        rows = session.exec(select(Membership).where(Membership.workspace_id == workspace_id))
        return {m.user_id: m.role for m in rows}


async def _invite(api: httpx.AsyncClient, who: dict[str, str], role: str = "editor", admin: str = "g-ada"):
    return await api.post("/workspaces/globex/invitations", json={**who, "role": role}, headers=as_user(admin))


async def test_nobody_is_added_without_accepting(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    assert ACCOUNTS.engine is not None
    # The old way in, a role given to any account by id, adds nobody any more.
    r = await api.put("/workspaces/globex/members/ed", json={"role": "approver"}, headers=as_user("g-ada"))
    assert r.status_code == 404
    assert "ed" not in _members(ACCOUNTS.engine, "globex")

    sent = await _invite(api, {"user_id": "ed"}, "approver")
    assert sent.status_code == 202, sent.text
    assert "ed" not in _members(ACCOUNTS.engine, "globex")  # an invitation is not a membership
    # ed sees it, and nobody else can act on it.
    mine = (await api.get("/me/invitations", headers=as_user("ed"))).json()["invitations"]
    assert [(i["id"], i["workspace_id"], i["role"]) for i in mine] == [(sent.json()["id"], "globex", "approver")]
    assert (await api.get("/me/invitations", headers=as_user("ann"))).json()["invitations"] == []
    stolen = await api.post(f"/me/invitations/{sent.json()['id']}/accept", headers=as_user("ann"))
    assert stolen.status_code == 404
    assert "ann" not in _members(ACCOUNTS.engine, "globex")

    accepted = await api.post(f"/me/invitations/{sent.json()['id']}/accept", headers=as_user("ed"))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert _members(ACCOUNTS.engine, "globex")["ed"] == "approver"
    again = await api.post(f"/me/invitations/{sent.json()['id']}/accept", headers=as_user("ed"))
    assert again.status_code == 409 and again.json()["error"] == "invitation_closed"


async def test_declined_revoked_and_expired_invitations_make_no_member(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    assert ACCOUNTS.engine is not None
    declined = (await _invite(api, {"user_id": "ed"})).json()["id"]
    r = await api.post(f"/me/invitations/{declined}/decline", headers=as_user("ed"))
    assert r.status_code == 200 and r.json()["state"] == "declined"
    assert (await api.post(f"/me/invitations/{declined}/accept", headers=as_user("ed"))).status_code == 409

    revoked = (await _invite(api, {"user_id": "ed"})).json()["id"]
    assert (await api.delete(f"/workspaces/globex/invitations/{revoked}", headers=as_user("g-ada"))).status_code == 204
    assert (await api.post(f"/me/invitations/{revoked}/accept", headers=as_user("ed"))).status_code == 409

    expired = (await _invite(api, {"user_id": "ed"})).json()["id"]
    with transaction(ACCOUNTS.engine) as session:
        row = session.get(Invitation, expired)
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(row)
    assert (await api.get("/me/invitations", headers=as_user("ed"))).json()["invitations"] == []
    r = await api.post(f"/me/invitations/{expired}/accept", headers=as_user("ed"))
    assert r.status_code == 409 and r.json()["error"] == "invitation_expired"
    assert "ed" not in _members(ACCOUNTS.engine, "globex")


async def test_unknown_and_existing_accounts_answer_alike(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    await add_user(api, "acme", "eve", "editor", email="eve@acme.example")

    def shape(r: httpx.Response) -> tuple[int, tuple[str, ...], str]:
        body = r.json()
        return r.status_code, tuple(sorted(body)), body["message"]

    answers = [
        await _invite(api, {"user_id": "ed"}),
        await _invite(api, {"user_id": "nobody-at-all"}),
        await _invite(api, {"email": "eve@acme.example"}),
        await _invite(api, {"email": "nobody@nowhere.example"}),
    ]
    assert len({shape(r) for r in answers}) == 1, [r.text for r in answers]
    assert answers[0].status_code == 202

    changes = [
        await api.put(f"/workspaces/globex/members/{who}", json={"role": "viewer"}, headers=as_user("g-ada"))
        for who in ("ed", "nobody-at-all")
    ]
    assert {(r.status_code, r.json()["error"]) for r in changes} == {(404, "not_found")}
    assert changes[0].json()["message"].replace("ed", "X") == changes[1].json()["message"].replace("nobody-at-all", "X")

    # Making a new account: a taken id and a taken e-mail address are refused alike.
    taken_id = await api.post(
        "/workspaces/globex/users", json={"id": "ed", "name": "E", "role": "viewer"}, headers=as_user("g-ada")
    )
    taken_email = await api.post(
        "/workspaces/globex/users",
        json={"id": "fresh", "name": "F", "role": "viewer", "email": "EVE@acme.example"},
        headers=as_user("g-ada"),
    )
    assert taken_id.status_code == taken_email.status_code == 409
    assert taken_id.json() == taken_email.json()


async def test_an_invitation_by_email_waits_for_the_account(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    sent = await _invite(api, {"email": "New.Person@Example.com"}, "viewer")
    assert sent.status_code == 202
    bootstrap_user("newbie", email="new.person@example.com")  # the account comes later
    mine = (await api.get("/me/invitations", headers=as_user("newbie"))).json()["invitations"]
    assert [i["id"] for i in mine] == [sent.json()["id"]]
    assert (await api.post(f"/me/invitations/{sent.json()['id']}/accept", headers=as_user("newbie"))).status_code == 200
    me = (await api.get("/me", headers=as_user("newbie"))).json()
    assert me["memberships"] == [{"workspace_id": "globex", "role": "viewer"}]


async def test_a_member_may_leave_but_not_the_last_admin(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    assert ACCOUNTS.engine is not None
    await join(api, "globex", "ed", "editor", admin="g-ada")

    assert (await api.post("/workspaces/globex/leave", headers=as_user("ed"))).status_code == 204
    assert "ed" not in _members(ACCOUNTS.engine, "globex")
    assert (await api.post("/workspaces/globex/leave", headers=as_user("ed"))).status_code == 404

    alone = await api.post("/workspaces/globex/leave", headers=as_user("g-ada"))
    assert alone.status_code == 409 and alone.json()["error"] == "last_admin"
    assert "make another admin" in alone.json()["message"]
    assert _members(ACCOUNTS.engine, "globex")["g-ada"] == "admin"


async def test_listing_posts_with_no_or_several_workspaces(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    bootstrap_user("loner")
    r = await api.get("/posts", headers=as_user("loner"))
    assert r.status_code == 200 and r.json() == {"posts": [], "next_cursor": None}

    await setup_workspace(api, "globex", prefix="g-")
    await join(api, "globex", "ed", "editor", admin="g-ada")
    several = await api.get("/posts", headers=as_user("ed"))
    assert several.status_code == 422 and several.json()["error"] == "workspace_required"
    assert "acme" in several.json()["message"] and "globex" in several.json()["message"]
    assert (await api.get("/posts", params={"workspace_id": "globex"}, headers=as_user("ed"))).status_code == 200
    # ed leaves; one workspace again, so the list needs no parameter.
    assert (await api.post("/workspaces/globex/leave", headers=as_user("ed"))).status_code == 204
    assert (await api.get("/posts", headers=as_user("ed"))).status_code == 200
    assert TOKENS["ed"]


async def test_channel_ids_are_each_workspaces_own(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    bootstrap_user("gil")
    assert (
        await api.post("/workspaces", json={"id": "globex", "name": "G"}, headers=as_user("gil"))
    ).status_code == 201
    same = {"id": "sbx", "name": "Globex sandbox", "max_length": 100}
    r = await api.post("/workspaces/globex/channels", json=same, headers=as_user("gil"))
    assert r.status_code == 201, r.text  # acme's channel "sbx" takes nothing from globex
    assert (await api.post("/workspaces/globex/channels", json=same, headers=as_user("gil"))).status_code == 409
    acme = (await api.get("/workspaces/acme/channels/sbx", headers=as_user("ada"))).json()
    globex = (await api.get("/workspaces/globex/channels/sbx", headers=as_user("gil"))).json()
    assert (acme["name"], acme["max_length"], globex["name"], globex["max_length"]) == (
        "Sandbox",
        280,
        same["name"],
        100,
    )

    # ed is only in acme: "sbx" is acme's. Once also in globex, the workspace must be named.
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "Hi"}, headers=as_user("ed"))
    assert r.status_code == 201 and r.json()["workspace_id"] == "acme"
    await join(api, "globex", "ed", "editor", admin="gil")
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "Hi"}, headers=as_user("ed"))
    assert r.status_code == 422 and r.json()["error"] == "workspace_required"
    r = await api.post(
        "/posts", json={"workspace_id": "globex", "channel_id": "sbx", "text": "Hi"}, headers=as_user("ed")
    )
    assert r.status_code == 201 and r.json()["workspace_id"] == "globex"
