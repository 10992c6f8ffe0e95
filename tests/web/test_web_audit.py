"""The auditor's desk: view models without a browser, and the pages over real HTTP on the real stack (a post
that went out, approved by ann); an auditor reads and exports everything and can change nothing; an entry
tampered with in the database shows as broken on the page and in `postgate audit verify` alike."""

from __future__ import annotations

import csv
import io
import json
import re
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from test_web_pages import PASSWORD, browser, csrf_of, people
from test_web_postpage import approved, context_of
from typer.testing import CliRunner

from api.deps import Actor
from api_client import add_user, as_user, wait_status
from commands.audit import audit_app
from web.i18n import Reader
from web.views_audit import entry_view, evidence_view, reconcile_view, trail_view, verification

AUD = Actor(id="aud", name="Aud", email=None, memberships={"acme": "auditor"})
ED = Actor(id="ed", name="Ed", email=None, memberships={"acme": "editor"})
EVERYTHING = {"post": "", "actor": "", "action": "", "channel": "", "since": "", "until": ""}


async def published(api: httpx.AsyncClient) -> dict:
    """acme's people, an auditor aud who signs in with a password, and ed's post approved by ann, out on sbx."""
    await people(api)
    await add_user(api, "acme", "aud", "auditor", email="aud@example.com", password=PASSWORD)
    post = await approved(api, "Fresh coffee, every morning.")
    return await wait_status(api, post["id"], "ed", "done")


async def test_the_view_models_filter_reconcile_and_gather_the_evidence(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    post = await published(api)
    ctx = context_of(engine, dev_env)
    tr = Reader("en", "Asia/Jakarta")

    everything = await trail_view(ctx, AUD, tr, workspace_id="acme", query={})
    assert [r.index for r in everything.rows] == list(range(1, len(everything.rows) + 1))
    approvals = await trail_view(ctx, AUD, tr, workspace_id="acme", query={**EVERYTHING, "action": "approved"})
    assert [(r.words, r.post_id) for r in approvals.rows] == [("Ann approved", post["id"])]
    assert approvals.export_urls["csv"] == "/w/acme/audit/export?action=approved&format=csv"
    bad = await trail_view(ctx, AUD, tr, workspace_id="acme", query={**EVERYTHING, "since": "08/12/2026"})
    assert bad.error and bad.error_field == "since" and bad.rows == []
    today = approvals.rows[0].at.astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    on_the_day = await trail_view(
        ctx, AUD, tr, workspace_id="acme", query={**EVERYTHING, "since": today, "until": today}
    )
    assert len(on_the_day.rows) == len(everything.rows)  # everything happened today, in Jakarta
    assert (await trail_view(ctx, AUD, tr, workspace_id="acme", query={**EVERYTHING, "until": "2020-01-01"})).rows == []

    last = everything.rows[-1].index
    end = await entry_view(ctx, AUD, tr, workspace_id="acme", index=last)
    assert end.next_url == "" and end.previous_url == f"/w/acme/audit/entries/{last - 1}"
    joined = await entry_view(ctx, AUD, tr, workspace_id="acme", index=2)  # ed joins acme as an editor
    assert joined.subject == "member:ed" and joined.row.post_id == "" and joined.revision_url == ""
    assert [c.key for c in joined.changes if c.changed] and all(c.before == "" for c in joined.changes)

    reconciled = await reconcile_view(ctx, AUD, tr, workspace_id="acme", post_id=post["id"])
    assert reconciled.ok and all(r.agree for r in reconciled.rows)
    assert [r.history for r in reconciled.rows] == [
        "Ed submitted it for review (revision 1)",
        "Ann approved (revision 1)",
    ]
    assert [r.audit for r in reconciled.rows] == [r.history for r in reconciled.rows]

    evidence = await evidence_view(ctx, AUD, tr, workspace_id="acme", post_id=post["id"])
    assert evidence.approved_revision == 1 and evidence.approved_hash == post["revision"]["content_hash"]
    assert [(d.who, d.revision) for d in evidence.decisions] == [("Ann", 1)]
    (sbx,) = evidence.channels
    publication = post["publications"][0] if post.get("publications") else None
    assert sbx.external_id and sbx.url.startswith("http") and sbx.published_at is not None
    if publication:
        assert sbx.external_id == publication["external_id"]
    assert sbx.text == "Fresh coffee, every morning." and len(sbx.text_sha256) == 64
    assert '"eligible"' in evidence.policy_resolved and evidence.brand_entry_url

    try:
        await trail_view(ctx, ED, tr, workspace_id="acme", query={})
    except Exception as err:  # editors do not read the workspace's trail: the API's rule
        assert getattr(err, "status_code", None) == 403
    else:
        raise AssertionError("an editor read the workspace's trail")


async def test_an_auditor_filters_opens_exports_verifies_and_reconciles_over_http(
    api: httpx.AsyncClient, engine: Engine
) -> None:
    post = await published(api)
    aud = await browser(api, "aud@example.com")
    lang = {"Accept-Language": "en"}

    home = await aud.get("/", headers=lang)
    assert '/w/acme/audit">Audit trail</a>' in home.text
    page = await aud.get("/w/acme/audit", params={"action": "approved"}, headers=lang)
    assert page.status_code == 200 and "Ann approved" in page.text and "Ed created the draft" not in page.text
    index = int(re.search(r'href="/w/acme/audit/entries/(\d+)"', page.text).group(1))  # type: ignore[union-attr]

    entry = await aud.get(f"/w/acme/audit/entries/{index}", headers=lang)
    assert entry.status_code == 200 and post["revision"]["content_hash"] in entry.text
    assert f'href="/w/acme/posts/{post["id"]}"' in entry.text
    assert f'href="/w/acme/audit/posts/{post["id"]}/revisions/1"' in entry.text
    revision = await aud.get(f"/w/acme/audit/posts/{post['id']}/revisions/1", headers=lang)
    assert "Fresh coffee, every morning." in revision.text and post["revision"]["content_hash"] in revision.text
    trail = (await aud.get("/w/acme/audit", headers=lang)).text
    assert "Ada: member joined (member:ed)" in trail  # a configuration change names what it changed
    joined = (await aud.get("/w/acme/audit/entries/2", headers=lang)).text  # ed joins: a configuration change
    assert "What changed: member:ed" in joined and "Before" in joined and 'class="changed"' in joined

    export = await aud.get("/w/acme/audit/export", params={"action": "approved", "format": "jsonl"})
    rows = [json.loads(line) for line in export.text.splitlines()]
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert [(r["action"], r["chain_index"]) for r in rows] == [("approved", index)]
    as_csv = await aud.get("/w/acme/audit/export", params={"post": post["id"], "format": "csv"})
    actions = [r["action"] for r in csv.DictReader(io.StringIO(as_csv.text))]
    assert actions[:2] == ["created", "submitted"] and "approved" in actions and "published" in actions

    verified = await aud.get("/w/acme/audit/verify", headers=lang)
    total = (await api.get("/workspaces/acme/audit/verify", headers=as_user("aud"))).json()["checked"]
    assert f"The chain is intact up to entry {total}. No entry is covered by a signed checkpoint yet." in verified.text
    signed = (await api.post("/workspaces/acme/audit/checkpoints", headers=as_user("ada"))).json()
    verified = await aud.get("/w/acme/audit/verify", headers=lang)
    assert (
        f"The chain is intact up to entry {total}. The last signed checkpoint covers entry {signed['chain_index']}, "
        f"signed <time" not in verified.text  # words, not markup: the sentence is text
    )
    assert f"The last signed checkpoint covers entry {signed['chain_index']}, signed " in verified.text
    assert f"with key {signed['key_id']}." in verified.text
    indonesian = await aud.get("/w/acme/audit/verify", headers={"Accept-Language": "id"})
    assert f"Rantai utuh sampai entri {total}." in indonesian.text

    reconciled = await aud.get(f"/w/acme/audit/posts/{post['id']}/reconcile", headers=lang)
    assert "agree: 2 acts in each" in reconciled.text and "differ</span>" not in reconciled.text
    evidence = await aud.get(f"/w/acme/audit/posts/{post['id']}/evidence", headers=lang)
    assert evidence.status_code == 200 and "What went out on each channel" in evidence.text
    assert "Ann approved" in evidence.text and "@media print" not in evidence.text
    assert "<script" not in evidence.text.split("</head>")[1]  # nothing to run: it prints as it is


async def test_an_auditor_can_change_nothing_and_the_server_refuses(api: httpx.AsyncClient) -> None:
    post = await published(api)
    aud = await browser(api, "aud@example.com")
    pages = [
        "/",
        "/w/acme/audit",
        "/w/acme/audit/verify",
        "/w/acme/audit/entries/1",
        f"/w/acme/audit/posts/{post['id']}/revisions/1",
        f"/w/acme/audit/posts/{post['id']}/reconcile",
        f"/w/acme/audit/posts/{post['id']}/evidence",
        f"/w/acme/posts/{post['id']}",
        "/w/acme/queue",
        "/w/acme/calendar?view=list",
    ]
    token = ""
    for path in pages:
        r = await aud.get(path)
        assert r.status_code == 200, path
        forms = re.findall(r'<form method="post" action="([^"]+)"', r.text)
        assert forms == ["/signout"], (path, forms)  # no form that changes anything, only signing out
        token = csrf_of(r.text)
    tries = [
        (
            f"/w/acme/posts/{post['id']}/decisions",
            {"decision": "approve", "content_hash": post["revision"]["content_hash"]},
        ),
        (f"/w/acme/posts/{post['id']}/act", {"action": "withdraw", "reason": "mine"}),
        (f"/w/acme/posts/{post['id']}/review/comments", {"body": "mine", "revision": "1"}),
        ("/w/acme/compose", {"text": "mine", "channel_ids": "sbx"}),
        (f"/w/acme/posts/{post['id']}/revise", {"text": "mine"}),
    ]
    for path, form in tries:
        r = await aud.post(path, data={**form, "csrf_token": token})
        assert r.status_code == 403, (path, r.status_code)
    for method, path in (
        ("POST", "/w/acme/audit"),
        ("POST", "/w/acme/audit/verify"),
        ("DELETE", "/w/acme/audit/entries/1"),
    ):
        assert (await aud.request(method, path, data={"csrf_token": token})).status_code == 405
    after = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()
    assert after["status"] == "done" and after["revision"]["number"] == 1
    assert [
        c
        for c in (await api.get(f"/posts/{post['id']}/revisions/1/comments", headers=as_user("ed"))).json()["comments"]
    ] == []


async def test_a_tampered_entry_is_broken_on_the_page_and_in_the_cli_alike(
    api: httpx.AsyncClient, engine: Engine
) -> None:
    post = await published(api)
    aud = await browser(api, "aud@example.com")
    with engine.begin() as db:
        index = db.execute(
            sa.text("SELECT chain_index FROM audit_entries WHERE post_id = :p AND action = 'approved'"),
            {"p": post["id"]},
        ).scalar_one()
        db.execute(
            sa.text("UPDATE audit_entries SET actor = 'mallory' WHERE workspace_id = 'acme' AND chain_index = :i"),
            {"i": index},
        )

    page = await aud.get("/w/acme/audit/verify", headers={"Accept-Language": "en"})
    assert f"The chain is broken at entry {index}." in page.text
    assert "do not match its hash" in page.text and f'href="/w/acme/audit/entries/{index}"' in page.text
    assert "Its contents no longer match its hash: it was edited after it was written." in page.text
    indonesian = await aud.get("/w/acme/audit/verify", headers={"Accept-Language": "id"})
    assert (
        f"Rantai rusak di entri {index}." in indonesian.text and "entri ini diubah setelah ditulis" in indonesian.text
    )
    cli = CliRunner().invoke(
        audit_app,
        ["verify", "--workspace", "acme"],
        env={"POSTGATE_DATABASE_URL": engine.url.render_as_string(hide_password=False)},
    )
    assert cli.exit_code == 1 and f"acme: broken at entry {index} (post {post['id']}, approved)" in cli.output


async def test_a_deleted_entry_is_named_without_a_link_to_a_page_that_is_gone(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    with engine.begin() as db:
        last = db.execute(sa.text("SELECT max(chain_index) FROM audit_entries WHERE workspace_id = 'acme'")).scalar()
        db.execute(sa.text("DELETE FROM audit_entries WHERE workspace_id = 'acme' AND chain_index = :i"), {"i": last})
    ctx = context_of(engine, dev_env)

    result = verification(
        ctx, Actor(id="ada", name="Ada", email=None, memberships={"acme": "admin"}), Reader("en"), "acme"
    )

    assert not result.ok and result.broken_index == last and result.broken_url == ""
    assert result.sentence == f"The chain is broken at entry {last}. Entries before it are intact."
    assert "later entries were deleted" in result.problem
    assert result.reason == "Entries at the end of the chain were deleted."
