"""The post page's actions and the calendar in a real Chromium: an editor reschedules a scheduled post
(confirming), publishes it now on the sandbox, finds it on its day in the calendar in her zone, unpublishes
it (confirming), and makes her calendar feed address; axe-core on each page, screenshots in both languages."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from babel.dates import format_date
from playwright.async_api import Browser, expect
from test_web_journeys import PASSWORD, accounts, chromium, sign_in, web_stack  # noqa: F401 (fixtures)
from web_browser import Stack, check, new_page

from api_client import add_people, approved_post, setup_workspace

TEXT = "Roastery opening, Monday at 9."


async def scheduled(stack: Stack, prefix: str) -> dict:
    """A workspace with editor {prefix}eve (with a password) and an approved post scheduled for 2030."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await setup_workspace(http, ws=f"{prefix}acme", prefix=prefix)
        await add_people(http, prefix, {"eve": "editor"}, PASSWORD)
        body = {"channel_id": f"{prefix}sbx", "text": TEXT, "publish_at": "2030-12-03T09:00:00+07:00"}
        return await approved_post(http, body, prefix=prefix, until="scheduled")


async def test_an_editor_reschedules_publishes_now_finds_it_in_the_calendar_and_unpublishes_it(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    post = await scheduled(accounts, "pp")
    context, page = await new_page(chromium)
    await sign_in(page, accounts, "ppeve@example.com")
    await page.goto(accounts.url + f"/w/ppacme/posts/{post['id']}")
    await expect(page.get_by_text("Publishes Tue 3 Dec 2030 09:00 WIB on 1 channel.")).to_be_visible()
    await check(page, "post-actions-en")

    await page.get_by_label("New publish time").fill("2030-12-04T10:30")
    await page.get_by_label("Time zone").select_option("Asia/Jakarta")
    await page.get_by_role("button", name="Reschedule…").click()
    await expect(page.get_by_role("heading", name="Change the publish time")).to_be_visible()
    await expect(page.get_by_text("Wed 4 Dec 2030 03:30 UTC")).to_be_visible()
    await check(page, "confirm-reschedule-en")
    await page.get_by_role("button", name="Confirm the new time").click()
    await expect(page.get_by_role("status").filter(has_text="The new publish time is saved.")).to_be_visible()
    await expect(page.get_by_text("Publishes Wed 4 Dec 2030 10:30 WIB on 1 channel.")).to_be_visible()

    await page.get_by_role("button", name="Publish now…").click()
    await expect(page.get_by_text("The post publishes now on 1 channel.")).to_be_visible()
    await check(page, "confirm-publish-now-en")
    await page.get_by_role("button", name="Confirm: publish now").click()
    await expect(page.get_by_role("status").filter(has_text="Publishing has started.")).to_be_visible()
    link = page.get_by_role("link", name=re.compile("See it on the platform"))
    for _ in range(100):  # publishing on the sandbox takes a moment; each reload reads it again
        if await link.count():
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(link).to_be_visible()

    await page.get_by_role("link", name="Calendar").click()
    await page.get_by_role("link", name="List").click()
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    day = page.get_by_role("region", name=re.compile(format_date(today, "EEE d MMM", locale="en")))
    await expect(day.get_by_role("link", name=re.compile(re.escape(TEXT)))).to_be_visible()
    await expect(day.get_by_text("Sandbox")).to_be_visible()
    await check(page, "calendar-list-en")
    await page.get_by_role("link", name="Month").click()
    await check(page, "calendar-month-en")
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await expect(page.get_by_role("heading", name=re.compile("^Kalender"))).to_be_visible()
    await check(page, "calendar-month-id")
    await page.get_by_role("link", name="Minggu", exact=True).click()
    await check(page, "calendar-week-id")
    await page.get_by_role("link", name="English").click()

    await page.get_by_role("link", name=re.compile(re.escape(TEXT))).first.click()
    await page.get_by_role("button", name="Unpublish…").click()
    await expect(page.get_by_role("heading", name="Unpublish the post")).to_be_visible()
    await page.get_by_label("Reason (required, kept in the trail)").fill("Opening moved to next week.")
    await check(page, "confirm-unpublish-en")
    await page.get_by_role("button", name="Confirm: unpublish").click()
    await expect(page.get_by_role("status").filter(has_text="The post is unpublished.")).to_be_visible()
    await expect(page.get_by_role("heading", name=re.compile("Unpublished"))).to_be_visible()
    await expect(page.get_by_text("PpEve unpublished it")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile("See it on the platform"))).to_have_count(0)
    await check(page, "post-unpublished-en")
    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await expect(page.get_by_role("heading", name=re.compile("Diturunkan"))).to_be_visible()
    await check(page, "post-unpublished-id")

    await page.get_by_role("link", name="Kalender").click()
    await page.get_by_role("link", name="Langganan di aplikasi kalender Anda").click()
    await page.get_by_role("button", name="Buat alamat feed saya").click()
    await expect(page.get_by_label("Alamat feed")).to_have_value(re.compile(r"/calendar-feeds/.+\.ics\?lang=id$"))
    await check(page, "calendar-feed-id")
    await context.close()
