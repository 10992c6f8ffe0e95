"""The editor's compose and revise pages in a real Chromium, in English and in Bahasa Indonesia: found by
role and label, checked by axe-core, photographed at desktop and phone width (screenshots/)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from test_web_journeys import PASSWORD, accounts, chromium, web_stack  # noqa: F401 (fixtures)
from web_browser import Stack, new_page, screenshots, serious_violations

from api_client import add_people, as_user, setup_workspace, wait_status

pytestmark = pytest.mark.browser
STYLE = """
styles:
  Acme:
    Wordy:
      extends: substitution
      message: "Use '%s' instead of '%s'."
      level: warning
      ignorecase: true
      action: {name: replace}
      swap: {utilize: use}
"""


async def newsroom(stack: Stack, prefix: str) -> None:
    """A workspace with editor {prefix}eve, approver {prefix}pia, channels on X and Bluesky, a wordy style."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await setup_workspace(http, ws=f"{prefix}acme", prefix=prefix)
        await add_people(http, prefix, {"eve": "editor", "pia": "approver"}, PASSWORD)
        for cid, name, counts in (("xx", "Acme on X", "x"), ("bsky", "Acme on Bluesky", "bluesky")):
            r = await http.post(
                f"/workspaces/{prefix}acme/channels",
                json={"id": cid, "name": name, "counts_as": counts},
                headers=as_user(f"{prefix}ada"),
            )
            assert r.status_code == 201, r.text
        r = await http.put(
            f"/workspaces/{prefix}acme/style",
            content=STYLE,
            headers={**as_user(f"{prefix}ada"), "Content-Type": "application/yaml"},
        )
        assert r.status_code == 200, r.text


async def sign_in_to(page: Page, stack: Stack, path: str, email: str, button: str) -> None:
    await page.goto(f"{stack.url}/signin?next={path}")
    await page.get_by_label(re.compile("E-mail|Email")).fill(email)
    await page.get_by_label(re.compile("Password|Kata sandi")).fill(PASSWORD)
    await page.get_by_role("button", name=button, exact=True).click()


async def test_an_editor_composes_for_two_channels_applies_a_suggestion_schedules_in_jakarta_and_submits(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    await newsroom(accounts, "c1")
    context, page = await new_page(chromium)
    await sign_in_to(page, accounts, "/w/c1acme/compose", "c1eve@example.com", "Sign in")
    await expect(page.get_by_role("heading", name="New post")).to_be_visible()

    await page.get_by_role("checkbox", name="Acme on X").check()
    await page.get_by_role("checkbox", name="Acme on Bluesky").check()
    await page.get_by_label("Text for every channel").press_sequentially("We utilize fresh beans every morning. #Kopi")
    check = page.get_by_role("complementary", name="Brand check")
    await expect(check.get_by_text("Use 'use' instead of 'utilize'.").first).to_be_visible()
    await expect(page.locator("mark").filter(has_text="utilize").first).to_be_visible()
    await page.evaluate("window.scrollTo(0, 0)")  # the brand check column is sticky
    await screenshots(page, "compose-finding-en")

    await check.get_by_role("button", name="Replace with “use”").first.click()
    await expect(page.get_by_label("Text for every channel")).to_have_value("We use fresh beans every morning. #Kopi")
    await expect(page.get_by_role("status")).to_have_text("Replaced “utilize” with “use”.")
    await expect(check.get_by_text("No findings.").first).to_be_visible()

    await page.get_by_role("tab", name="Acme on Bluesky").click()
    await page.get_by_label("Own text for Acme on Bluesky").press_sequentially("Fresh beans, every morning 🌅 #Kopi")
    bluesky = page.get_by_role("tabpanel", name="Acme on Bluesky")
    await expect(bluesky.get_by_text("34 of 300 characters (graphemes)")).to_be_visible()
    await expect(bluesky.get_by_text("Uses its own text.")).to_be_visible()
    await page.get_by_role("tab", name="Acme on X").click()
    await expect(
        page.get_by_role("tabpanel", name="Acme on X").get_by_text("of 280 weighted characters")
    ).to_be_visible()

    await page.get_by_label("Date and time").fill("2030-12-03T09:00")
    await page.get_by_label("Time zone").select_option("Asia/Jakarta")
    await expect(page.get_by_role("time")).to_have_text("Tue 3 Dec 2030 02:00 UTC")  # the UTC instant
    assert await serious_violations(page) == []
    await page.evaluate("window.scrollTo(0, 0)")
    await screenshots(page, "compose-en")

    await page.get_by_role("button", name="Save as draft").click()
    await expect(page.get_by_text("Saved as a draft.")).to_be_visible()
    post_id = page.url.split("/")[-2]
    async with httpx.AsyncClient(base_url=accounts.url, timeout=30) as http:
        draft = (await http.get(f"/posts/{post_id}", headers=as_user("c1eve"))).json()
        assert draft["status"] == "draft" and draft["publish_at"].startswith("2030-12-03T02:00:00")
        assert draft["revision"]["text"] == "We use fresh beans every morning. #Kopi"
        assert draft["revision"]["variants"][0]["text"] == "Fresh beans, every morning 🌅 #Kopi"

        await page.get_by_role("button", name="Submit for review").click()
        await expect(page).to_have_url(re.compile(f"/w/c1acme/posts/{post_id}"))
        await wait_status(http, post_id, "c1eve", "awaiting_approval")
    await context.close()


async def test_in_bahasa_indonesia_an_editor_composes_then_revises_after_changes_are_requested(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    await newsroom(accounts, "c2")
    context, page = await new_page(chromium, locale="id-ID")
    await sign_in_to(page, accounts, "/w/c2acme/compose", "c2eve@example.com", "Masuk")
    await expect(page.get_by_role("heading", name="Postingan baru")).to_be_visible()

    await page.get_by_role("checkbox", name="Acme on X").check()
    await page.get_by_label("Teks untuk semua kanal").press_sequentially("Kami utilize biji kopi segar.\nSampai besok!")
    await page.get_by_role("button", name="Ganti dengan “use”").click()
    await expect(page.get_by_label("Teks untuk semua kanal")).to_have_value("Kami use biji kopi segar.\nSampai besok!")
    await page.get_by_label("Tanggal dan jam").fill("2030-12-03T09:00")
    await page.get_by_label("Zona waktu").select_option("Asia/Jakarta")
    await expect(page.get_by_role("time")).to_have_text("Sel 3 Des 2030 02.00 UTC")
    assert await serious_violations(page) == []
    await page.evaluate("window.scrollTo(0, 0)")
    await screenshots(page, "compose-id")
    await page.get_by_role("button", name="Kirim untuk ditinjau").click()
    post_id = page.url.split("?")[0].split("/")[-1]

    async with httpx.AsyncClient(base_url=accounts.url, timeout=30) as http:
        post = await wait_status(http, post_id, "c2eve", "awaiting_approval")
        r = await http.post(
            f"/posts/{post_id}/revisions/1/comments",
            json={"body": "Tulis alamat kedainya.", "quote": "Sampai besok!"},
            headers=as_user("c2pia"),
        )
        assert r.status_code == 201, r.text
        r = await http.post(
            f"/posts/{post_id}/decisions",
            json={
                "decision": "request_changes",
                "content_hash": post["revision"]["content_hash"],
                "comment": "Kurang jelas.",
            },
            headers=as_user("c2pia"),
        )
        assert r.status_code == 200, r.text
        await wait_status(http, post_id, "c2eve", "changes_needed")

        await page.goto(f"{accounts.url}/w/c2acme/posts/{post_id}")
        await page.get_by_role("link", name="Revisi postingan").click()
        await expect(page.get_by_text("Tulis alamat kedainya.")).to_be_visible()
        await expect(page.get_by_text("Kurang jelas.")).to_be_visible()
        text = page.get_by_label("Teks untuk semua kanal")
        await text.press("Control+End")
        await text.press_sequentially(" Jl. Braga 12, Bandung.")
        await expect(page.locator("ins").filter(has_text="Jl. Braga 12")).to_be_visible()
        assert await serious_violations(page) == []
        await page.evaluate("window.scrollTo(0, 0)")
        await screenshots(page, "revise-id")
        await page.get_by_role("button", name="Kirim untuk ditinjau").click()
        await expect(page).to_have_url(re.compile(f"/w/c2acme/posts/{post_id}"))
        revised = await wait_status(http, post_id, "c2eve", "awaiting_approval")
        assert revised["revision"]["text"] == "Kami use biji kopi segar.\nSampai besok! Jl. Braga 12, Bandung."
    await context.close()
