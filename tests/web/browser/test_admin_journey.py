"""The admin's settings in a real Chromium: an admin sets up a workspace from nothing (invites a member who
accepts, adds a sandbox channel, a two-step policy with a deadline, a style), then a post goes through it
(submitted, approved at both steps, scheduled); each change is in the workspace's trail. axe-core on each page,
screenshots at both widths in both languages."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, expect
from test_web_journeys import PASSWORD, accounts, chromium, sign_in, web_stack  # noqa: F401 (fixtures)
from web_browser import Stack, check, new_page

from api_client import add_user, as_user, bootstrap_user, wait_status

STYLE = """styles:
  Brew:
    Hype:
      extends: existence
      message: "Avoid '%s'."
      level: error
      tokens: [synergy]
"""


async def test_an_admin_sets_up_a_workspace_from_nothing_and_a_post_goes_through_it(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    bootstrap_user("adm", "Ada Admin", email="adm@example.com", password=PASSWORD)
    bootstrap_user("mia", "Mia", email="mia@example.com", password=PASSWORD)
    async with httpx.AsyncClient(base_url=accounts.url, timeout=30) as http:
        r = await http.post("/workspaces", json={"id": "brew", "name": "Brew"}, headers=as_user("adm"))
        assert r.status_code == 201, r.text
        await add_user(http, "brew", "edd", "editor", admin="adm")

    context, page = await new_page(chromium)
    await sign_in(page, accounts, "adm@example.com")
    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_role("heading", name="Workspace settings")).to_be_visible()
    await page.get_by_label("Time zone").fill("Asia/Jakarta")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_text("Saved. The change is in the workspace's audit trail.")).to_be_visible()
    await check(page, "admin-workspace-en")

    # Members: invite Mia by e-mail as an approver; she accepts under Account.
    await page.get_by_role("navigation", name="Settings").get_by_role("link", name="Members").click()
    await page.get_by_label("Account id or e-mail address").fill("mia@example.com")
    await page.get_by_label("Role", exact=True).select_option("approver")
    await page.get_by_role("button", name="Send the invitation").click()
    await expect(page.get_by_text("Invitation sent.")).to_be_visible()
    await check(page, "admin-members-en")
    mia_context, mia = await new_page(chromium)
    await sign_in(mia, accounts, "mia@example.com")
    await mia.get_by_role("link", name="Account").click()
    await mia.get_by_role("button", name="Accept the invitation to brew").click()
    await mia.goto(accounts.url + "/w/brew/settings")
    await expect(mia.get_by_role("heading", name="Not allowed")).to_be_visible()  # an approver: no settings
    assert await mia.get_by_role("link", name="Settings").count() == 0

    # A sandbox channel, from the sandbox's own form.
    await page.get_by_role("navigation", name="Settings").get_by_role("link", name="Channels").click()
    await page.get_by_label("Platform").select_option("mastodon")
    await page.get_by_role("button", name="Show its fields").click()
    await page.get_by_label("Channel id").fill("masto")
    await page.get_by_label("Channel name").fill("Mastodon")
    await page.get_by_label("instance_url").fill("not a url")
    await page.get_by_label("access_token").fill("TOPSECRET-token")
    await page.get_by_role("button", name="Add the channel").click()
    await expect(page.get_by_label("instance_url")).to_have_accessible_description(
        re.compile("must be an http:// or https:// URL")
    )
    await expect(page.get_by_label("access_token")).to_have_value("")  # a secret is never sent back
    await check(page, "admin-channel-refused-en")
    await page.get_by_label("Platform").select_option("sandbox")
    await page.get_by_role("button", name="Show its fields").click()
    await page.get_by_label("Channel id").fill("sbx")
    await page.get_by_label("Channel name").fill("Sandbox")
    await page.get_by_role("button", name="Add the channel").click()
    await page.get_by_role("button", name="Test Sandbox").click()
    await expect(page.get_by_text("Channel sbx works")).to_be_visible()
    await check(page, "admin-channels-en")

    # A two-step policy with a deadline: one approver (reminded), then the admin herself.
    await page.get_by_role("navigation", name="Settings").get_by_role("link", name="Approval policy").click()
    await page.get_by_label("Name of step 1").fill("team")
    step1 = page.get_by_role("group", name="Who may sign step 1")
    await step1.get_by_label("every admin").uncheck()
    await page.get_by_text("Deadline of step 1").first.click()
    await page.get_by_label("Due", exact=True).first.select_option("after")
    await page.get_by_label("Hours", exact=True).first.fill("4")
    await page.get_by_label("Reminders, hours before it is due").first.fill("2")
    await page.get_by_text("Add a step").click()
    await page.get_by_label("Name of step 2").fill("boss")
    await page.get_by_role("group", name="Who may sign step 2").get_by_label("Ada Admin").check()
    await page.get_by_role("button", name="Save the policy").click()
    summary = "One of the 1 approver (due 4 h after the step opens; a reminder 2 h before it is due), then Ada Admin."
    await expect(page.get_by_text(summary)).to_be_visible()
    await check(page, "admin-policy-en")
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await expect(page.get_by_role("heading", name="Kebijakan persetujuan")).to_be_visible()
    await expect(page.get_by_text("Salah satu dari 1 penyetuju (tenggat 4 jam setelah tahap dibuka;")).to_be_visible()
    await check(page, "admin-policy-id")
    await page.get_by_role("link", name="English").click()

    # A style, then the "try a text" box.
    await page.get_by_role("navigation", name="Settings").get_by_role("link", name="Brand").click()
    await page.get_by_label("A Vale style (.zip) or one YAML document (.yml)").set_input_files(
        {"name": "Hype.yml", "mimeType": "application/yaml", "buffer": STYLE.encode()}
    )
    await page.get_by_role("button", name="Upload the style").click()
    await expect(page.get_by_text("The style is in force")).to_be_visible()
    await page.get_by_label("Text", exact=True).fill("Pure synergy, every morning.")
    await page.get_by_role("button", name="Check the text").click()
    await expect(page.get_by_text("It would block approval:")).to_be_visible()
    await check(page, "admin-brand-en")
    await page.get_by_role("link", name="Bahasa Indonesia").click()  # back to the brand page, in Indonesian
    await expect(page.get_by_role("heading", name="Merek")).to_be_visible()
    await check(page, "admin-brand-id")
    await page.get_by_role("link", name="English").click()

    # A post goes through it: submitted, the approver signs, then the admin; scheduled.
    async with httpx.AsyncClient(base_url=accounts.url, timeout=30) as http:
        body = {
            "channel_id": "sbx",
            "text": "Fresh beans, Monday at 9.",
            "submit": True,
            "publish_at": "2030-12-03T09:00:00+07:00",
        }
        r = await http.post("/posts", json=body, headers=as_user("edd"))
        assert r.status_code == 201, r.text
        post = await wait_status(http, r.json()["id"], "edd", "awaiting_approval")
        approve = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
        for signer in ("mia", "adm"):
            r = await http.post(f"/posts/{post['id']}/decisions", json=approve, headers=as_user(signer))
            assert r.status_code == 200, r.text
        await wait_status(http, post["id"], "edd", "scheduled")
        r = await http.get("/workspaces/brew/audit", params={"limit": 1000}, headers=as_user("adm"))
        trail = [(e["action"], e["actor"]) for e in r.json()["entries"]]
    for expected in [
        ("workspace_created", "adm"),
        ("workspace_settings_changed", "adm"),
        ("member_invited", "adm"),
        ("member_joined", "mia"),
        ("channel_created", "adm"),
        ("approval_policy_changed", "adm"),
        ("style_changed", "adm"),
    ]:
        assert expected in trail, expected
    post_actions = [a for a, _ in trail]
    assert "submitted" in post_actions and post_actions.count("approved") == 2
    await page.goto(accounts.url + f"/w/brew/posts/{post['id']}")
    await expect(page.get_by_text(re.compile("Publishes Tue 3 Dec 2030 09:00 WIB"))).to_be_visible()

    # A target for notifications, then a crisis pause that says what it touches, and the resume's choices.
    await page.goto(accounts.url + "/w/brew/settings/notifications")
    await page.get_by_label("E-mail address").fill("ops@example.com")
    await page.get_by_role("button", name="Add the address").click()
    await expect(page.get_by_role("heading", name="E-mail to ops@example.com")).to_be_visible()
    await check(page, "admin-notifications-en")
    await page.get_by_role("navigation", name="Settings").get_by_role("link", name="Workspace").click()
    await page.get_by_label("Why (for the audit trail)").fill("Brand crisis")
    await page.get_by_role("button", name="Pause publishing (1 post)").click()
    await expect(page.get_by_text("1 post is held by the pause.")).to_be_visible()
    await expect(page.get_by_label("Shift: each moves later by the length of the pause.")).to_be_visible()
    await check(page, "admin-paused-en")
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await expect(page.get_by_text("1 postingan ditahan oleh jeda.")).to_be_visible()
    await check(page, "admin-paused-id")
    await page.get_by_label("Geser: masing-masing mundur sepanjang durasi jeda.").check()
    await page.get_by_role("button", name="Lanjutkan penayangan (1 postingan)").click()
    await expect(page.get_by_text("Penayangan dilanjutkan.")).to_be_visible()
    await mia.goto(accounts.url + "/account")
    await check(mia, "account-en")
    await mia_context.close()
    await context.close()
