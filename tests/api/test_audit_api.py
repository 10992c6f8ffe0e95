"""The workspace audit API: filters, pages, exports, verification, and who may read it.

None of these routes talks to Temporal, so the app runs in-process (no worker); posts stay drafts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.app import create_app
from api_client import ACCOUNTS, add_user, as_user, setup_workspace
from domain.status import AuditAction
from settings import Settings
from store.audit_chain import CheckpointPolicy, configure_checkpoints
from store.engine import transaction
from store.records import record_workspace_event

T0 = datetime(2020, 1, 1, tzinfo=UTC)
AUDIT = "/workspaces/acme/audit"
# The configuration entries the `http` fixture leaves in acme's chain before any post: the workspace, its
# members ed and ann, its channel, its auditor aud. The post entries follow from index SETUP + 1.
SETUP_ACTIONS = ["workspace_created", "member_joined", "member_joined", "channel_created", "member_joined"]
SETUP = len(SETUP_ACTIONS)
CHAIN = list(range(1, SETUP + 7))


@pytest.fixture
async def http(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path / "data", audit_checkpoint_every=1000)
    configure_checkpoints(CheckpointPolicy(settings.audit_checkpoint_every, settings.resolved_audit_signing_key_file))
    app = create_app(settings, engine, client=None)  # type: ignore[arg-type]
    ACCOUNTS.use(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit.test") as client:
        await setup_workspace(client)
        await setup_workspace(client, "globex", prefix="g-")
        await add_user(client, "acme", "aud", "auditor")
        yield client
    configure_checkpoints(None)


async def draft(http: httpx.AsyncClient, user: str, text: str, channel: str = "sbx") -> str:
    r = await http.post("/posts", json={"channel_id": channel, "text": text}, headers=as_user(user))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture
async def trail(http: httpx.AsyncClient, engine: Engine) -> dict[str, str]:
    """Three drafts (one revised), a draft of another workspace, and pauses at known times in 2020."""
    posts = {"first": await draft(http, "ed", "First"), "second": await draft(http, "ada", "Second")}
    r = await http.post(f"/posts/{posts['first']}/revisions", json={"text": "First, again"}, headers=as_user("ed"))
    assert r.status_code == 201, r.text
    posts["third"] = await draft(http, "ed", "Third")
    await draft(http, "g-ed", "Elsewhere", channel="g-sbx")
    with transaction(engine) as session:
        for hours, action in ((0, AuditAction.WORKSPACE_PAUSED), (1, AuditAction.WORKSPACE_RESUMED)):
            record_workspace_event(session, "acme", action, "ada", T0 + timedelta(hours=hours), {"reason": "drill"})
    return posts


async def entries(http: httpx.AsyncClient, **params: str | int) -> list[dict]:
    r = await http.get(AUDIT, params=params, headers=as_user("aud"))
    assert r.status_code == 200, r.text
    return list(r.json()["entries"])


async def test_filters(http: httpx.AsyncClient, trail: dict[str, str]) -> None:
    everything = await entries(http)
    assert [e["chain_index"] for e in everything] == CHAIN
    assert [e["action"] for e in everything[:SETUP]] == SETUP_ACTIONS
    assert {e["workspace_id"] for e in everything} == {"acme"}
    assert [e["action"] for e in await entries(http, post_id=trail["first"])] == ["created", "draft_revised"]
    assert [e["post_id"] for e in await entries(http, actor="ada", action="created")] == [trail["second"]]
    assert len(await entries(http, action="created")) == 3
    window = await entries(http, since="2020-01-01T00:30:00Z", until="2020-01-01T02:00:00+00:00")
    assert [e["action"] for e in window] == ["workspace_resumed"]
    assert await entries(http, until="2020-01-01T00:00:00Z") == []

    naive = await http.get(AUDIT, params={"since": "2020-01-01T00:00:00"}, headers=as_user("aud"))
    assert naive.status_code == 422 and "UTC offset" in naive.json()["message"]


async def test_cursor_pagination(http: httpx.AsyncClient, trail: dict[str, str]) -> None:
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = (await http.get(AUDIT, params=params, headers=as_user("aud"))).json()
        assert len(page["entries"]) <= 4
        seen += [e["chain_index"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == CHAIN

    created = (await http.get(AUDIT, params={"limit": 2, "action": "created"}, headers=as_user("aud"))).json()
    rest = await entries(http, action="created", cursor=created["next_cursor"])
    assert [e["post_id"] for e in created["entries"] + rest] == [trail["first"], trail["second"], trail["third"]]

    bad = await http.get(AUDIT, params={"cursor": "not-ours"}, headers=as_user("aud"))
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_cursor"
    assert (await http.get(AUDIT, params={"limit": 1001}, headers=as_user("aud"))).status_code == 422


def chain_holds(rows: list[dict]) -> bool:
    """An auditor's offline check of an export, from the documented definition alone."""
    previous = "0" * 64
    for row in rows:
        hashed = {k: row[k] for k in ("workspace_id", "post_id", "workflow_id", "seq", "action", "actor")}
        hashed |= {k: row[k] for k in ("revision", "content_hash", "status", "detail", "at", "chain_index")}
        canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        if (
            row["prev_hash"] != previous
            or row["hash"] != hashlib.sha256(bytes.fromhex(previous) + canonical).hexdigest()
        ):
            return False
        previous = row["hash"]
    return True


async def test_jsonl_export_carries_the_chain(http: httpx.AsyncClient, trail: dict[str, str]) -> None:
    r = await http.get(f"{AUDIT}/export", params={"format": "jsonl"}, headers=as_user("aud"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in r.headers["content-disposition"]
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [row["chain_index"] for row in rows] == CHAIN
    assert chain_holds(rows)
    rows[1]["actor"] = "mallory"
    assert not chain_holds(rows)

    only = await http.get(f"{AUDIT}/export", params={"post_id": trail["third"]}, headers=as_user("aud"))
    assert [json.loads(line)["action"] for line in only.text.splitlines()] == ["created"]


async def test_csv_export(http: httpx.AsyncClient, trail: dict[str, str]) -> None:
    r = await http.get(f"{AUDIT}/export", params={"format": "csv", "actor": "ada"}, headers=as_user("aud"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))[SETUP:]
    assert [row["action"] for row in rows] == ["created", "workspace_paused", "workspace_resumed"]
    assert {"chain_index", "prev_hash", "hash"} <= set(rows[0])
    assert json.loads(rows[1]["detail"]) == {"reason": "drill"}
    assert rows[0]["post_id"] == trail["second"]
    bad = await http.get(f"{AUDIT}/export", params={"format": "xml"}, headers=as_user("aud"))
    assert bad.status_code == 422


async def test_verify_and_checkpoint(http: httpx.AsyncClient, trail: dict[str, str], engine: Engine) -> None:
    report = (await http.get(f"{AUDIT}/verify", headers=as_user("aud"))).json()
    assert report == {
        "workspace_id": "acme",
        "ok": True,
        "checked": SETUP + 6,
        "first_broken": None,
        "checkpoints_verified": 0,
    }
    assert (await http.post(f"{AUDIT}/checkpoints", headers=as_user("aud"))).status_code == 403
    signed = await http.post(f"{AUDIT}/checkpoints", headers=as_user("ada"))
    assert signed.status_code == 201, signed.text
    assert signed.json()["chain_index"] == SETUP + 6 and signed.json()["key_id"].startswith("ed25519:")
    assert (await http.get(f"{AUDIT}/verify", headers=as_user("aud"))).json()["checkpoints_verified"] == 1

    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_entries SET actor = 'mallory' WHERE workspace_id = 'acme' AND chain_index = :i"),
            {"i": SETUP + 2},
        )
    report = (await http.get(f"{AUDIT}/verify", headers=as_user("aud"))).json()
    assert report["ok"] is False and report["checked"] == SETUP + 1
    broken = report["first_broken"]
    assert (broken["chain_index"], broken["post_id"], broken["action"]) == (SETUP + 2, trail["second"], "created")
    assert "edited" in broken["problem"]
    refused = await http.post(f"{AUDIT}/checkpoints", headers=as_user("ada"))
    assert refused.status_code == 409 and refused.json()["error"] == "chain_broken"
    assert refused.json()["details"]["first_broken"]["chain_index"] == SETUP + 2


async def test_an_auditor_reads_and_changes_nothing(http: httpx.AsyncClient, trail: dict[str, str]) -> None:
    post = trail["first"]
    assert (await http.get(f"/posts/{post}/audit", headers=as_user("aud"))).status_code == 200
    assert (await http.get(f"{AUDIT}/verify", headers=as_user("aud"))).status_code == 200
    refused = [
        await http.post("/posts", json={"channel_id": "sbx", "text": "hi"}, headers=as_user("aud")),
        await http.post(f"/posts/{post}/submit", headers=as_user("aud")),
        await http.post(f"/posts/{post}/revisions", json={"text": "mine now"}, headers=as_user("aud")),
        await http.post(
            f"/posts/{post}/decisions", json={"decision": "approve", "content_hash": "sha256:x"}, headers=as_user("aud")
        ),
        await http.post(f"/posts/{post}/schedule", json={"publish_at": "2030-01-01T00:00:00Z"}, headers=as_user("aud")),
        await http.post(f"/posts/{post}/withdraw", json={}, headers=as_user("aud")),
        await http.post("/workspaces/acme/pause", json={"reason": "mine"}, headers=as_user("aud")),
        await http.post(
            "/workspaces/acme/users", json={"id": "x", "name": "x", "role": "admin"}, headers=as_user("aud")
        ),
        await http.post(f"{AUDIT}/checkpoints", headers=as_user("aud")),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert [e["action"] for e in await entries(http, post_id=post)] == ["created", "draft_revised"]


async def test_editors_may_not_read_the_workspace_trail(http: httpx.AsyncClient, trail: dict[str, str]) -> None:
    r = await http.get(AUDIT, headers=as_user("ed"))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert (await http.get(AUDIT, headers=as_user("ann"))).status_code == 200  # approvers may
    assert (await http.get(AUDIT, headers=as_user("ada"))).status_code == 200


async def test_another_workspace_sees_nothing(http: httpx.AsyncClient, trail: dict[str, str]) -> None:
    stranger = as_user("g-ada")
    for r in (
        await http.get(AUDIT, headers=stranger),
        await http.get(f"{AUDIT}/export", headers=stranger),
        await http.get(f"{AUDIT}/verify", headers=stranger),
        await http.post(f"{AUDIT}/checkpoints", headers=stranger),
    ):
        assert r.status_code == 404 and r.json()["error"] == "not_found"
    theirs = (await http.get("/workspaces/globex/audit", headers=stranger)).json()["entries"]
    assert [e["action"] for e in theirs] == [*SETUP_ACTIONS[:4], "created"]
