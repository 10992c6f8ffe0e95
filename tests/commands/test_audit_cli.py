"""`postgate audit`: verify and checkpoint exit codes, export, and reconcile against a real workflow history."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from api_client import as_user, setup_workspace, submitted_post, wait_status
from commands.audit import audit_app
from domain.lifecycle import TransitionRecord
from domain.status import AuditAction, PostStatus
from store.audit_chain import CheckpointPolicy, configure_checkpoints
from store.audit_reconcile import Act, compare
from store.engine import transaction
from store.records import record_transitions

runner = CliRunner()
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def environment(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The commands read POSTGATE_ settings; point them (and this process's writers) at this test's files."""
    key_file = tmp_path / "audit-signing.key"
    monkeypatch.setenv("POSTGATE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("POSTGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POSTGATE_AUDIT_SIGNING_KEY_FILE", str(key_file))
    configure_checkpoints(CheckpointPolicy(every=1000, key_file=key_file))
    yield key_file
    configure_checkpoints(None)


def write_entries(engine: Engine, count: int, workspace: str = "acme") -> None:
    with transaction(engine) as session:
        for seq in range(1, count + 1):
            record_transitions(
                session,
                [
                    TransitionRecord(
                        workflow_id=f"post-p-{workspace}",
                        post_id=f"p-{workspace}",
                        workspace_id=workspace,
                        seq=seq,
                        action=AuditAction.BRAND_CHECKED,
                        actor="system",
                        revision=1,
                        content_hash="sha256:abc",
                        status=PostStatus.AWAITING_APPROVAL,
                        at=T0 + timedelta(minutes=seq),
                    )
                ],
            )


def test_verify_exits_0_when_intact_and_1_naming_the_first_broken_entry(engine: Engine) -> None:
    write_entries(engine, 4)
    write_entries(engine, 2, workspace="globex")

    intact = runner.invoke(audit_app, ["verify"])
    assert intact.exit_code == 0, intact.output
    assert intact.output.splitlines() == [
        "acme: intact, 4 entries, 0 checkpoints",
        "globex: intact, 2 entries, 0 checkpoints",
    ]

    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET actor = 'mallory' WHERE workspace_id = 'acme' AND seq = 3"))
    broken = runner.invoke(audit_app, ["verify"])
    assert broken.exit_code == 1
    assert "acme: broken at entry 3 (post p-acme, brand_checked): its fields do not match its hash" in broken.output
    assert "globex: intact" in broken.output
    assert runner.invoke(audit_app, ["verify", "--workspace", "globex"]).exit_code == 0


def test_checkpoint_signs_and_verify_checks_it_with_the_public_key(engine: Engine, tmp_path: Path) -> None:
    write_entries(engine, 3)
    signed = runner.invoke(audit_app, ["checkpoint"])
    assert signed.exit_code == 0, signed.output
    assert signed.output.startswith("acme: signed entry 3 hash ")

    public = tmp_path / "audit.pub"
    printed = runner.invoke(audit_app, ["public-key"])
    assert printed.exit_code == 0 and "BEGIN PUBLIC KEY" in printed.output
    public.write_text(printed.output)
    result = runner.invoke(audit_app, ["verify", "--public-key", str(public)])
    assert result.exit_code == 0 and "1 checkpoints" in result.output

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_entries WHERE seq = 2"))
    assert runner.invoke(audit_app, ["checkpoint"]).exit_code == 1
    result = runner.invoke(audit_app, ["verify"])
    assert result.exit_code == 1 and "entry 2 before it is missing" in result.output


def test_export_to_a_file_and_to_standard_output(engine: Engine, tmp_path: Path) -> None:
    write_entries(engine, 3)
    out = tmp_path / "audit.jsonl"
    assert runner.invoke(audit_app, ["export", "-w", "acme", "-o", str(out)]).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["chain_index"], r["seq"]) for r in rows] == [(1, 1), (2, 2), (3, 3)]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    csv_out = runner.invoke(audit_app, ["export", "-w", "acme", "--format", "csv", "--since", "2026-03-01T00:02:00Z"])
    assert csv_out.exit_code == 0
    assert csv_out.output.splitlines()[0].startswith("chain_index,workspace_id,post_id")
    assert len(csv_out.output.splitlines()) == 3  # header and entries 2 and 3
    naive = runner.invoke(audit_app, ["export", "-w", "acme", "--since", "2026-03-01T00:00:00"])
    assert naive.exit_code == 2


def test_compare_names_both_sides() -> None:
    history = [Act("approved", "ann", 2, "update decide d1"), Act("revised", "ed", 2, "update revise r1")]
    audit = [Act("revised", "ed", 2, "audit entry 5, seq 5"), Act("approved", "mallory", 2, "audit entry 7, seq 7")]
    assert [(d.missing_from, d.actor) for d in compare(history, audit)] == [("audit", "ann"), ("history", "mallory")]


async def reconcile(post_id: str) -> tuple[int, str]:
    # The command runs its own event loop, so it runs in a thread of its own.
    result = await asyncio.to_thread(runner.invoke, audit_app, ["reconcile", post_id])
    return result.exit_code, result.output


@pytest.fixture
def temporal(dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGATE_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)


async def test_reconcile_a_real_post(api: httpx.AsyncClient, temporal: None, engine: Engine) -> None:
    await setup_workspace(api)
    post = await submitted_post(api)
    post_id = post["id"]
    revised = await api.post(
        f"/posts/{post_id}/revisions", json={"text": "Fresh coffee, daily."}, headers=as_user("ed")
    )
    assert revised.status_code == 201, revised.text
    post = await wait_status(api, post_id, "ed", "awaiting_approval")
    later = {"publish_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    assert (await api.post(f"/posts/{post_id}/schedule", json=later, headers=as_user("ed"))).status_code == 200
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    assert (await api.post(f"/posts/{post_id}/decisions", json=decision, headers=as_user("ann"))).status_code == 200
    admin = as_user("ada")
    assert (await api.post("/workspaces/acme/pause", json={"reason": "drill"}, headers=admin)).status_code == 200
    resume = {"policy": "publish", "reason": "over"}
    assert (await api.post("/workspaces/acme/resume", json=resume, headers=admin)).status_code == 200
    assert (await api.post(f"/posts/{post_id}/publish-now", headers=as_user("ann"))).status_code == 200
    await wait_status(api, post_id, "ed", "done")

    code, output = await reconcile(post_id)
    assert code == 0, output
    # submitted, revised, rescheduled, approved, the pause and resume signals, rescheduled (publish now)
    assert f"{post_id}: history and audit trail agree (7 acts)" in output

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_entries WHERE post_id = :p AND action = 'approved'"), {"p": post_id})
    code, output = await reconcile(post_id)
    assert code == 1
    assert "1 difference(s)" in output
    assert "approved by ann revision 2: in the history (update decide" in output
    assert "but not in the audit" in output


async def test_reconcile_a_draft_and_an_unknown_post(api: httpx.AsyncClient, temporal: None) -> None:
    await setup_workspace(api)
    r = await api.post("/posts", json={"channel_id": "sbx", "text": "Not yet"}, headers=as_user("ed"))
    code, output = await reconcile(r.json()["id"])
    assert code == 0 and "a draft" in output
    code, output = await reconcile("nope")
    assert code == 2 and "no post 'nope'" in output


async def test_reconcile_finds_and_repairs_a_store_that_disagrees_with_its_workflow(
    api: httpx.AsyncClient, temporal: None, engine: Engine
) -> None:
    await setup_workspace(api)
    post_id = (await submitted_post(api))["id"]
    # What the lost `submitted` entry did: the store still says draft while the workflow awaits approval.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET status = 'draft', current_revision = 2 WHERE id = :p"), {"p": post_id})
    code, output = await reconcile(post_id)
    assert code == 1, output
    assert "store and workflow disagree: the store says draft, the workflow awaiting_approval" in output
    assert "the store's revision is 2, the workflow's 1" in output
    assert f"postgate audit reconcile {post_id} --repair" in output

    result = await asyncio.to_thread(runner.invoke, audit_app, ["reconcile", post_id, "--repair"])
    assert result.exit_code == 0, result.output
    assert "repaired from the workflow: draft r2 -> awaiting_approval r1" in result.output
    code, output = await reconcile(post_id)
    assert code == 0 and "disagree" not in output, output
    trail = (await api.get(f"/posts/{post_id}/audit", headers=as_user("ed"))).json()["entries"]
    assert trail[-1]["action"] == "projection_repaired" and trail[-1]["actor"] == "postgate audit reconcile"


async def test_reconcile_names_a_gap_in_the_sequence(api: httpx.AsyncClient, temporal: None, engine: Engine) -> None:
    await setup_workspace(api)
    post_id = (await submitted_post(api))["id"]
    with engine.begin() as conn:  # an entry that never came: seq 2 (submitted) missing
        conn.execute(sa.text("UPDATE audit_entries SET seq = 7 WHERE post_id = :p AND seq = 2"), {"p": post_id})
    code, output = await reconcile(post_id)
    assert code == 1 and "sequence numbers missing with no entry explaining them: [2, 4, 5, 6]" in output


def test_a_gap_is_explained_by_the_entry_written_in_its_place() -> None:
    from store.post_agreement import unexplained_gaps
    from store.tables import AuditEntry

    def entry(seq: int, action: str, detail: str = "{}") -> AuditEntry:
        return AuditEntry(workspace_id="w", post_id="p", workflow_id="post-p", seq=seq, action=action, actor="a",
                          revision=1, content_hash="h", status="s", detail=detail, at=datetime.now(UTC))  # fmt: skip

    # seq 5 was reserved for metrics_collected; metrics_missed at 6 says it replaces it.
    explained = [entry(n, "x") for n in (1, 2, 3, 4)] + [entry(6, "metrics_missed", '{"in_place_of_seq": 5}')]
    assert unexplained_gaps(explained) == []
    # Before entries said so, a failure entry after the gap explains it; a gap with nothing after is named.
    legacy = [entry(1, "x"), entry(3, "publish_failed"), entry(5, "x")]
    assert unexplained_gaps(legacy) == [4]


async def test_the_periodic_check_finds_and_repairs_disagreements(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    from store.post_agreement import check_open_posts

    await setup_workspace(api)
    post_id = (await submitted_post(api))["id"]
    stuck = (
        await api.post("/posts", json={"channel_id": "sbx", "text": "Never started"}, headers=as_user("ed"))
    ).json()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET status = 'scheduled' WHERE id = :p"), {"p": post_id})
        # A submission whose start never happened (the API died in between), long ago.
        conn.execute(
            sa.text("UPDATE posts SET status = 'submitting', updated_at = :t WHERE id = :p"),
            {"p": stuck["id"], "t": datetime.now(UTC) - timedelta(hours=1)},
        )
    found = await check_open_posts(dev_env.client, engine, repair=True)
    assert sorted(a.post_id for a in found) == sorted([post_id, stuck["id"]])
    assert (await check_open_posts(dev_env.client, engine, repair=True)) == []
    shown = {p["id"]: p["status"] for p in (await api.get("/posts", headers=as_user("ed"))).json()["posts"]}
    assert shown[post_id] == "awaiting_approval" and shown[stuck["id"]] == "draft"
