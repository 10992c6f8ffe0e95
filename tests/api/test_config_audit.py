"""Every change of who may do what, and of what is checked, is one entry in the workspace's audit chain: who,
what, before and after; the chain verifies; no secret is in the trail."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from api_client import ACCOUNTS, as_user, bootstrap_user, setup_workspace
from settings import Settings
from store.credentials import KeyRing, keyring_for, new_key, parse_keys, rotate
from store.engine import transaction
from store.tables import AuditEntry

TOKEN = "s3cret-mastodon-token-7f2c9e1a"
NEW_TOKEN = "s3cret-mastodon-token-rotated-44d1"
WEBHOOK_SECRET = "whsec-0123456789abcdef-very-secret"
STYLE = b"styles:\n  Acme:\n    Hype:\n      extends: existence\n      message: x\n      tokens: [synergy]\n"


async def _entries(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await api.get("/workspaces/acme/audit", params={"limit": 1000}, headers=as_user("ada"))
    assert r.status_code == 200, r.text
    return [e for e in r.json()["entries"] if e["post_id"] == ""]


async def _one_entry(api: httpx.AsyncClient, change: Awaitable[httpx.Response], status: int) -> dict[str, Any]:
    """Make the change; exactly one new configuration entry follows it, which is returned."""
    before = await _entries(api)
    r = await change
    assert r.status_code == status, r.text
    after = await _entries(api)
    new = after[len(before) :]
    assert after[: len(before)] == before
    assert len(new) == 1, [e["action"] for e in new]
    return new[0]


async def test_each_configuration_change_is_one_audit_entry(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    engine = ACCOUNTS.engine
    assert engine is not None
    bootstrap_user("lee")
    ada = as_user("ada")
    setup = await _entries(api)
    assert [(e["action"], e["actor"]) for e in setup] == [
        ("workspace_created", "ada"),
        ("member_joined", "ada"),  # ed, created by ada
        ("member_joined", "ada"),  # ann
        ("channel_created", "ada"),
    ]
    assert setup[1]["detail"]["subject"] == "member:ed" and setup[1]["detail"]["after"] == {"role": "editor"}

    # membership and roles
    e = await _one_entry(
        api, api.post("/workspaces/acme/invitations", json={"user_id": "lee", "role": "approver"}, headers=ada), 202
    )
    assert e["action"] == "member_invited" and e["detail"]["after"]["role"] == "approver"
    invitation = e["detail"]["subject"].split(":")[1]
    e = await _one_entry(api, api.post(f"/me/invitations/{invitation}/accept", headers=as_user("lee")), 200)
    assert (e["action"], e["actor"], e["detail"]["before"], e["detail"]["after"]) == (
        "member_joined",
        "lee",
        None,
        {"role": "approver"},
    )
    e = await _one_entry(api, api.put("/workspaces/acme/members/lee", json={"role": "auditor"}, headers=ada), 200)
    assert (e["action"], e["detail"]["before"], e["detail"]["after"]) == (
        "member_role_changed",
        {"role": "approver"},
        {"role": "auditor"},
    )
    e = await _one_entry(api, api.post("/workspaces/acme/leave", headers=as_user("lee")), 204)
    assert (e["action"], e["actor"], e["detail"]["before"], e["detail"]["after"]) == (
        "member_left",
        "lee",
        {"role": "auditor"},
        None,
    )
    e = await _one_entry(api, api.delete("/workspaces/acme/members/ann", headers=ada), 204)
    assert (e["action"], e["detail"]["subject"], e["detail"]["before"]) == (
        "member_removed",
        "member:ann",
        {"role": "approver"},
    )
    for verb, state in (("decline", "invitation_declined"), ("revoke", "invitation_revoked")):
        sent = await api.post("/workspaces/acme/invitations", json={"user_id": "lee", "role": "viewer"}, headers=ada)
        path = f"/me/invitations/{sent.json()['id']}/decline"
        change = (
            api.post(path, headers=as_user("lee"))
            if verb == "decline"
            else api.delete(f"/workspaces/acme/invitations/{sent.json()['id']}", headers=ada)
        )
        e = await _one_entry(api, change, 200 if verb == "decline" else 204)
        assert e["action"] == state and e["detail"]["before"]["state"] == "pending"

    # approval policy
    policy = {"steps": [{"name": "legal", "roles": ["approver"], "quorum": 2}], "distinct_signers": True}
    e = await _one_entry(api, api.put("/workspaces/acme/approval-policy", json=policy, headers=ada), 200)
    assert e["action"] == "approval_policy_changed" and e["detail"]["before"] is None
    assert e["detail"]["after"]["steps"][0]["quorum"] == 2 and e["detail"]["after"]["distinct_signers"] is True

    # channels and credentials
    mastodon = {
        "id": "masto",
        "name": "Mastodon",
        "platform": "mastodon",
        "settings": {"instance_url": "https://social.example"},
        "credentials": {"access_token": TOKEN},
    }
    e = await _one_entry(api, api.post("/workspaces/acme/channels", json=mastodon, headers=ada), 201)
    assert e["action"] == "channel_created" and e["detail"]["before"] is None
    created = e["detail"]["after"]["credentials"]
    assert created["key_id"] and created["fingerprint"].startswith("sha256:") and e["detail"]["credentials_changed"]
    renamed = {"name": "Mastodon main", "max_length": 500}
    e = await _one_entry(api, api.put("/workspaces/acme/channels/masto", json=renamed, headers=ada), 200)
    assert e["action"] == "channel_changed" and not e["detail"]["credentials_changed"]
    assert (e["detail"]["before"]["name"], e["detail"]["after"]["name"]) == ("Mastodon", "Mastodon main")
    rekeyed = {**renamed, "credentials": {"access_token": NEW_TOKEN}}
    e = await _one_entry(api, api.put("/workspaces/acme/channels/masto", json=rekeyed, headers=ada), 200)
    assert e["detail"]["credentials_changed"] and e["detail"]["after"]["credentials"] != created
    e = await _one_entry(
        api, api.post("/workspaces/acme/channels/masto/disable", json={"reason": "audit"}, headers=ada), 200
    )
    assert (e["action"], e["detail"]["before"]["state"], e["detail"]["after"]["state"]) == (
        "channel_disabled",
        "active",
        "disabled",
    )
    e = await _one_entry(api, api.post("/workspaces/acme/channels/masto/enable", headers=ada), 200)
    assert e["action"] == "channel_enabled" and e["detail"]["after"]["state"] == "active"
    reconnect = {"credentials": {"access_token": TOKEN}}
    e = await _one_entry(api, api.post("/workspaces/acme/channels/masto/reconnect", json=reconnect, headers=ada), 200)
    assert e["action"] == "channel_reconnected" and e["detail"]["credentials_changed"]

    # style and social rules
    style = api.put("/workspaces/acme/style", content=STYLE, headers={**ada, "content-type": "application/yaml"})
    e = await _one_entry(api, style, 200)
    assert e["action"] == "style_changed" and e["detail"]["before"] is None
    assert e["detail"]["after"]["version"] and e["detail"]["after"]["rule_count"] == 1
    rules = {"hashtags": {"max_count": 2}}
    e = await _one_entry(api, api.put("/workspaces/acme/social-rules", json=rules, headers=ada), 200)
    assert e["action"] == "social_rules_changed" and e["detail"]["after"]["hashtags"]["max_count"] == 2

    # notification targets
    hook = {"kind": "webhook", "url": "https://hooks.example/postgate", "secret": WEBHOOK_SECRET}
    e = await _one_entry(api, api.post("/workspaces/acme/notification-targets", json=hook, headers=ada), 201)
    assert e["action"] == "notification_target_added" and e["detail"]["after"]["has_secret"] is True
    target = e["detail"]["after"]["id"]
    e = await _one_entry(api, api.delete(f"/workspaces/acme/notification-targets/{target}", headers=ada), 204)
    assert e["action"] == "notification_target_removed" and e["detail"]["before"]["url"] == hook["url"]

    # an operator re-sealing credentials under a new key is a change too
    with transaction(engine) as session:
        keyring = keyring_for_new_key()
        assert rotate(session, keyring) == 1
    e = (await _entries(api))[-1]
    assert e["action"] == "channel_credentials_resealed" and e["actor"].startswith("operator:")
    assert e["detail"]["after"]["credentials"]["key_id"] == keyring.current

    verified = (await api.get("/workspaces/acme/audit/verify", headers=ada)).json()
    assert verified["ok"] is True, verified
    _no_secret_in_the_trail(engine)


def keyring_for_new_key() -> KeyRing:
    """The API's key ring with a new current key, as an operator adds one before `postgate channels rotate-key`."""
    current = keyring_for(Settings())
    return KeyRing({**current.keys, **parse_keys(f"k2={new_key()}")}, "k2")


def _no_secret_in_the_trail(engine: Engine) -> None:
    with transaction(engine) as session:
        rows = session.exec(select(AuditEntry)).all()
    text = "\n".join(f"{r.detail} {r.actor} {r.action}" for r in rows)
    for secret in (TOKEN, NEW_TOKEN, WEBHOOK_SECRET):
        assert secret not in text
    # Nor anywhere in the database's files: channel credentials are sealed (webhook secrets: issue 10 item 12).
    database = Path(engine.url.database or "")
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and NEW_TOKEN.encode() not in data


@pytest.mark.parametrize("who", ["ed", "ann"])
async def test_who_is_not_an_admin_changes_nothing_and_records_nothing(api: httpx.AsyncClient, who: str) -> None:
    await setup_workspace(api)
    before = await _entries(api)
    policy = {"steps": [{"name": "x", "roles": ["approver"]}]}
    assert (await api.put("/workspaces/acme/approval-policy", json=policy, headers=as_user(who))).status_code == 403
    assert await _entries(api) == before


async def test_a_change_of_the_workspace_settings_is_in_the_trail_with_what_changed(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    body = {"name": "Acme Coffee", "time_zone": "Asia/Jakarta", "late_notice_after_s": 60}
    r = await api.patch("/workspaces/acme/settings", json=body, headers=as_user("ada"))
    assert r.status_code == 200 and (r.json()["name"], r.json()["time_zone"]) == ("Acme Coffee", "Asia/Jakarta")
    entries = (await api.get("/workspaces/acme/audit", headers=as_user("ada"))).json()["entries"]
    changed = [e for e in entries if e["action"] == "workspace_settings_changed"]
    assert len(changed) == 1 and changed[0]["actor"] == "ada"
    # Only what changed (the notice threshold was already 60).
    assert changed[0]["detail"]["before"] == {"name": "Acme", "time_zone": "UTC"}
    assert changed[0]["detail"]["after"] == {"name": "Acme Coffee", "time_zone": "Asia/Jakarta"}
    r = await api.patch("/workspaces/acme/settings", json={"time_zone": "Mars/Olympus"}, headers=as_user("ada"))
    assert r.status_code == 422
