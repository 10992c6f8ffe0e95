"""The whole journey of a post in a real Chromium, in English and again in Bahasa Indonesia: an editor
composes for two sandbox channels, sees a finding while typing and applies its replacement, schedules it in
Asia/Jakarta and submits; an approver finds it in the queue, comments and requests changes; the editor
revises; two approvers approve (a two-signature policy); it is published now on the sandbox; the post page
and the calendar show it published. axe-core at the end of each; screenshots into screenshots/."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import Browser, Page, expect
from test_compose_journeys import newsroom, sign_in_to
from test_web_journeys import PASSWORD, accounts, chromium, web_stack  # noqa: F401 (fixtures)
from web_browser import Stack, new_page, screenshots, serious_violations

from api_client import add_people, as_user, wait_status

pytestmark = pytest.mark.browser

ENGLISH = {
    "locale": "en-GB",
    "typed": "We utilize fresh beans every morning. #Kopi",
    "fixed": "We use fresh beans every morning. #Kopi",
    "added": " Jl. Braga 12, Bandung.",
    "note": "Where is the shop?",
    "changes": "Please add the address.",
    "Sign in": "Sign in",
    "Text for every channel": "Text for every channel",
    "Brand check": "Brand check",
    "Replace": "Replace with “use”",
    "Date and time": "Date and time",
    "Time zone": "Time zone",
    "Submit for review": "Submit for review",
    "Waiting for me": "Waiting for me",
    "Posts waiting for your signature": "Posts waiting for your signature",
    "Add a comment": "Add a comment",
    "Add comment": "Add comment",
    "Comment (required)": "Comment (required to reject or request changes)",
    "Request changes": "Request changes",
    "Approve": "Approve",
    "Decision recorded": "Your decision is recorded.",
    "Revise the post": "Revise the post",
    "Scheduled": "Scheduled",
    "Publish now": "Publish now…",
    "Confirm publish now": "Confirm: publish now",
    "See it on the platform": "See it on the platform",
    "Published": "Published",
    "Calendar": "Calendar",
    "List": "List",
}
INDONESIAN = {
    **ENGLISH,
    "locale": "id-ID",
    "typed": "Kami utilize biji kopi segar setiap pagi. #Kopi",
    "fixed": "Kami use biji kopi segar setiap pagi. #Kopi",
    "note": "Kedainya di mana?",
    "changes": "Tolong tulis alamatnya.",
    "Sign in": "Masuk",
    "Text for every channel": "Teks untuk semua kanal",
    "Brand check": "Cek brand",
    "Replace": "Ganti dengan “use”",
    "Date and time": "Tanggal dan jam",
    "Time zone": "Zona waktu",
    "Submit for review": "Kirim untuk ditinjau",
    "Waiting for me": "Menunggu saya",
    "Posts waiting for your signature": "Postingan yang menunggu persetujuan Anda",
    "Add a comment": "Tambahkan komentar",
    "Add comment": "Kirim komentar",
    "Comment (required)": "Komentar (wajib untuk menolak atau meminta perubahan)",
    "Request changes": "Minta perubahan",
    "Approve": "Setujui",
    "Decision recorded": "Keputusan Anda sudah tercatat.",
    "Revise the post": "Revisi postingan",
    "Scheduled": "Terjadwal",
    "Publish now": "Tayangkan sekarang…",
    "Confirm publish now": "Konfirmasi: tayangkan sekarang",
    "See it on the platform": "Lihat di platform",
    "Published": "Sudah tayang",
    "Calendar": "Kalender",
    "List": "Daftar",
}


async def person(browser: Browser, stack: Stack, w: dict, who: str, path: str) -> Page:
    _, page = await new_page(browser, locale=w["locale"])
    await sign_in_to(page, stack, path, f"{who}@example.com", w["Sign in"])
    return page


async def approve_from_the_queue(page: Page, w: dict, text: str) -> None:
    await page.get_by_role("link", name=re.compile(f"^{w['Waiting for me']}")).click()
    await page.get_by_role("list", name=w["Posts waiting for your signature"]).get_by_role("link", name=text).click()
    await page.get_by_role("button", name=w["Approve"]).click()
    await expect(page.get_by_role("status")).to_contain_text(w["Decision recorded"])


async def journey(browser: Browser, stack: Stack, p: str, w: dict) -> None:
    await newsroom(stack, p)  # editor {p}eve, approver {p}pia, sandbox channels counting as X and Bluesky
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await add_people(http, p, {"zed": "approver"}, PASSWORD)
        policy = {"steps": [{"name": "brand", "roles": ["approver"], "quorum": 2}]}
        r = await http.put(f"/workspaces/{p}acme/approval-policy", json=policy, headers=as_user(f"{p}ada"))
        assert r.status_code == 200, r.text

        eve = await person(browser, stack, w, f"{p}eve", f"/w/{p}acme/compose")
        await eve.get_by_role("checkbox", name="Acme on X").check()
        await eve.get_by_role("checkbox", name="Acme on Bluesky").check()
        await eve.get_by_label(w["Text for every channel"]).press_sequentially(w["typed"])
        check = eve.get_by_role("complementary", name=w["Brand check"])
        await expect(check.get_by_text("Use 'use' instead of 'utilize'.").first).to_be_visible()
        await check.get_by_role("button", name=w["Replace"]).first.click()
        await expect(eve.get_by_label(w["Text for every channel"])).to_have_value(w["fixed"])
        await eve.get_by_label(w["Date and time"]).fill("2030-12-03T09:00")
        await eve.get_by_label(w["Time zone"]).select_option("Asia/Jakarta")
        await eve.get_by_role("button", name=w["Submit for review"]).click()
        await expect(eve).to_have_url(re.compile(rf"/w/{p}acme/posts/[^/]+\?submitted=1$"))
        post_url = eve.url.split("?")[0]
        post = await wait_status(http, post_url.split("/")[-1], f"{p}eve", "awaiting_approval")
        assert post["publish_at"].startswith("2030-12-03T02:00:00") and post["channel_ids"] == ["bsky", "xx"]

        pia = await person(browser, stack, w, f"{p}pia", "/")
        await pia.get_by_role("link", name=re.compile(f"^{w['Waiting for me']}")).click()
        await (
            pia.get_by_role("list", name=w["Posts waiting for your signature"])
            .get_by_role("link", name=w["fixed"])
            .click()
        )
        await pia.get_by_label(w["Add a comment"]).fill(w["note"])
        await pia.get_by_role("button", name=w["Add comment"]).click()
        await pia.get_by_label(w["Comment (required)"]).fill(w["changes"])
        await pia.get_by_role("button", name=w["Request changes"]).click()
        await expect(pia.get_by_role("status")).to_contain_text(w["Decision recorded"])
        await wait_status(http, post["id"], f"{p}eve", "changes_needed")

        await eve.goto(post_url)
        await eve.get_by_role("link", name=w["Revise the post"]).click()
        await expect(eve.get_by_text(w["note"])).to_be_visible()
        await expect(eve.get_by_text(w["changes"])).to_be_visible()
        text = eve.get_by_label(w["Text for every channel"])
        await text.press("Control+End")
        await text.press_sequentially(w["added"])
        await eve.get_by_role("button", name=w["Submit for review"]).click()
        await wait_status(http, post["id"], f"{p}eve", "awaiting_approval")

        revised = w["fixed"] + w["added"]
        await approve_from_the_queue(pia, w, revised)
        zed = await person(browser, stack, w, f"{p}zed", "/")
        await approve_from_the_queue(zed, w, revised)
        await expect(zed.get_by_text(w["Scheduled"], exact=True)).to_be_visible()
        await wait_status(http, post["id"], f"{p}eve", "scheduled")

        await eve.goto(post_url)
        await eve.get_by_role("button", name=w["Publish now"]).click()
        await eve.get_by_role("button", name=w["Confirm publish now"]).click()
        links = eve.get_by_role("link", name=re.compile(w["See it on the platform"]))
        for _ in range(100):  # publishing on the sandbox takes a moment; each reload reads it again
            if await links.count() == 2:
                break
            await eve.wait_for_timeout(200)
            await eve.reload()
        await expect(links).to_have_count(2)  # one per channel
        await expect(eve.get_by_text(re.compile(f"^{w['Published']}")).first).to_be_visible()
        assert (await wait_status(http, post["id"], f"{p}eve", "published"))["revision"]["text"] == revised
    assert await serious_violations(eve) == []
    lang = w["locale"][:2]
    await screenshots(eve, f"journey-post-{lang}")

    await eve.get_by_role("link", name=w["Calendar"]).click()
    await eve.get_by_role("link", name=w["List"], exact=True).click()
    today = format_date(datetime.now(ZoneInfo("Asia/Jakarta")).date(), "EEE d MMM", locale=lang)
    day = eve.get_by_role("region", name=re.compile(re.escape(today)))
    await expect(day.get_by_role("link", name=re.compile(re.escape(revised))).first).to_be_visible()
    await expect(day.get_by_text(re.compile(f"^{w['Published']}")).first).to_be_visible()  # never just "Done"
    assert await serious_violations(eve) == []
    await screenshots(eve, f"journey-calendar-{lang}")


async def test_a_post_goes_from_compose_through_review_to_the_sandbox_in_english(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    await journey(chromium, accounts, "fe", ENGLISH)


async def test_a_post_goes_from_compose_through_review_to_the_sandbox_in_bahasa_indonesia(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    await journey(chromium, accounts, "fi", INDONESIAN)


async def test_my_settings_keep_my_language_and_zone(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    await newsroom(accounts, "ms")
    page = await person(chromium, accounts, ENGLISH, "mseve", "/")
    await page.get_by_role("link", name="Preferences").click()
    await expect(page.get_by_role("heading", name="Preferences", level=1)).to_be_visible()
    assert await serious_violations(page) == []
    await screenshots(page, "settings-en")
    await page.get_by_role("combobox", name="Language").select_option("id")
    await page.get_by_label("Time zone").select_option("Europe/Berlin")
    await page.get_by_role("button", name="Save my settings").click()
    await expect(page.get_by_role("status")).to_have_text("Pengaturan Anda sudah disimpan.")
    await expect(page.get_by_label("Zona waktu")).to_have_value("Europe/Berlin")
    assert await serious_violations(page) == []
    await screenshots(page, "settings-id")
