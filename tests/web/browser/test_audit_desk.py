"""The auditor's desk in a real Chromium, in both languages: an auditor filters the trail, opens an entry,
exports the filtered view (the download holds exactly it), verifies the chain, reconciles one post with its
workflow history and opens its evidence; then an entry tampered with in the database shows as broken on the
page and in `postgate audit verify` alike. axe-core on each page, screenshots at 1280 and 390 px."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import sqlalchemy as sa
from playwright.async_api import Browser, expect
from test_web_journeys import PASSWORD, accounts, chromium, sign_in, web_stack  # noqa: F401 (fixtures)
from typer.testing import CliRunner
from web_browser import Stack, check, new_page

from api_client import add_people, approved_post, setup_workspace
from commands.audit import audit_app


async def published(stack: Stack, prefix: str) -> dict:
    """{prefix}acme with an auditor {prefix}aud (with a password) and a post approved by {prefix}ann, out."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await setup_workspace(http, ws=f"{prefix}acme", prefix=prefix)
        await add_people(http, prefix, {"aud": "auditor"}, PASSWORD)
        body = {"channel_id": f"{prefix}sbx", "text": "Fresh coffee, every morning."}
        return await approved_post(http, body, prefix=prefix, until="done")


async def test_an_auditor_filters_opens_exports_verifies_reconciles_and_sees_a_tampered_entry(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    post = await published(accounts, "au")
    context, page = await new_page(chromium)
    await sign_in(page, accounts, "auaud@example.com")
    await page.get_by_role("link", name="Audit trail").click()
    await expect(page.get_by_role("heading", name="Audit trail", exact=True)).to_be_visible()
    await check(page, "audit-trail-en")

    await page.get_by_label("Action").select_option("approved")
    await page.get_by_role("button", name="Show").click()
    rows = page.get_by_role("table").get_by_role("row")
    await expect(rows).to_have_count(2)  # the header and Auann's approval
    await expect(rows.nth(1)).to_contain_text("Auann approved")
    entry_link = rows.nth(1).get_by_role("link", name="Entry ")
    index = int((await entry_link.inner_text()).strip())

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="This view as JSON Lines").click()
    exported = Path(await (await downloading.value).path())
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [(e["action"], e["chain_index"], e["post_id"]) for e in lines] == [("approved", index, post["id"])]

    await entry_link.click()
    await expect(page.get_by_role("heading", name=f"Entry {index}: Auann approved")).to_be_visible()
    await expect(page.get_by_text(post["revision"]["content_hash"])).to_be_visible()
    await check(page, "audit-entry-en")

    await page.get_by_role("link", name="Reconcile with the workflow history").click()
    await expect(page.get_by_role("status")).to_contain_text("agree: 2 acts in each")
    await check(page, "audit-reconcile-en")
    await page.goto(accounts.url + f"/w/auacme/audit/posts/{post['id']}/evidence")
    await expect(page.get_by_role("heading", name="What went out on each channel")).to_be_visible()
    await check(page, "audit-evidence-en")

    await page.goto(accounts.url + "/w/auacme/audit")
    await page.get_by_role("button", name="Verify the chain now").click()
    await expect(page.get_by_role("status")).to_contain_text("The chain is intact up to entry")
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await expect(page.get_by_role("status")).to_contain_text("Rantai utuh sampai entri")
    await check(page, "audit-verify-id")
    await page.goto(accounts.url + f"/w/auacme/audit/entries/{index}")
    await check(page, "audit-entry-id")
    await page.goto(accounts.url + f"/w/auacme/audit/posts/{post['id']}/evidence")
    await check(page, "audit-evidence-id")
    await page.goto(accounts.url + f"/w/auacme/audit/posts/{post['id']}/reconcile")
    await expect(page.get_by_role("status")).to_contain_text("cocok")
    await check(page, "audit-reconcile-id")

    with accounts.engine.begin() as db:  # someone with the database's password edits the approval
        db.execute(
            sa.text("UPDATE audit_entries SET actor = 'mallory' WHERE workspace_id = 'auacme' AND chain_index = :i"),
            {"i": index},
        )
    await page.goto(accounts.url + "/w/auacme/audit")
    await page.get_by_role("button", name="Verifikasi rantai sekarang").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Rantai rusak di entri {index}.")
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("status")).to_contain_text(f"The chain is broken at entry {index}.")
    await expect(page.get_by_role("status")).to_contain_text("do not match its hash")
    await check(page, "audit-broken-en")
    cli = CliRunner().invoke(
        audit_app,
        ["verify", "--workspace", "auacme"],
        env={"POSTGATE_DATABASE_URL": accounts.engine.url.render_as_string(hide_password=False)},
    )
    assert cli.exit_code == 1 and f"auacme: broken at entry {index} (post {post['id']}, approved)" in cli.output
    await context.close()
