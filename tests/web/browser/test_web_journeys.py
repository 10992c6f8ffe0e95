"""Journeys through the web app in a real Chromium: found by role and label, checked by axe-core,
photographed at desktop and phone width in both languages (screenshots/)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from web_browser import Stack, new_page, screenshots, serious_violations

from api_client import add_user, as_user, setup_workspace, wait_status

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


async def team(stack: Stack, prefix: str) -> dict:
    """A workspace with an editor's submitted post, an approver {prefix}pia and a viewer {prefix}vic."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await setup_workspace(http, ws=f"{prefix}acme", prefix=prefix)
        for uid, role in (("pia", "approver"), ("vic", "viewer")):
            await add_user(
                http,
                f"{prefix}acme",
                f"{prefix}{uid}",
                role,
                admin=f"{prefix}ada",
                email=f"{prefix}{uid}@example.com",
                password=PASSWORD,
            )
        r = await http.post(
            "/posts",
            json={
                "channel_id": f"{prefix}sbx",
                "text": "Our new roastery opens on Monday at 9.",
                "submit": True,
                "publish_at": "2030-12-03T09:00:00+07:00",
            },
            headers=as_user(f"{prefix}ed"),
        )
        assert r.status_code == 201, r.text
        return await wait_status(http, r.json()["id"], f"{prefix}ed", "awaiting_approval")


async def sign_in(page: Page, stack: Stack, email: str, *, button: str = "Sign in") -> None:
    await page.goto(stack.url + "/")
    await page.get_by_label(re.compile("E-mail|Email")).fill(email)
    await page.get_by_label(re.compile("Password|Kata sandi")).fill(PASSWORD)
    await page.get_by_role("button", name=button, exact=True).click()


async def test_an_approver_signs_in_reads_home_in_both_languages_opens_a_post_and_signs_out(
    chromium: Browser, accounts: Stack
) -> None:
    post = await team(accounts, "j1")
    context, page = await new_page(chromium)
    await page.goto(accounts.url + "/")
    await expect(page.get_by_role("heading", name="Sign in to postgate")).to_be_visible()
    assert await serious_violations(page) == []
    await screenshots(page, "signin-en")

    await sign_in(page, accounts, "j1pia@example.com")
    waiting = page.get_by_role("region", name="Waiting for me")
    await expect(waiting.get_by_role("link", name="Our new roastery opens on Monday at 9.")).to_be_visible()
    await expect(waiting.get_by_role("cell", name="Tue 3 Dec 2030 09:00 WIB")).to_be_visible()
    assert await serious_violations(page) == []
    await screenshots(page, "home-en")

    await page.get_by_role("link", name="Bahasa Indonesia").click()
    waiting = page.get_by_role("region", name="Menunggu saya")
    await expect(waiting.get_by_role("cell", name="Sel 3 Des 2030 09.00 WIB")).to_be_visible()
    await expect(waiting.get_by_text("Menunggu persetujuan", exact=True)).to_be_visible()
    assert await serious_violations(page) == []
    await screenshots(page, "home-id")

    await waiting.get_by_role("link", name="Our new roastery opens on Monday at 9.").click()
    await expect(page).to_have_url(re.compile(f"/w/j1acme/posts/{post['id']}$"))
    await expect(page.get_by_role("button", name="Setujui")).to_be_visible()
    await expect(page.get_by_role("button", name="Minta perubahan")).to_be_visible()
    await expect(page.get_by_text("j1ed mengirimnya untuk ditinjau")).to_be_visible()
    assert await serious_violations(page) == []
    await screenshots(page, "post-id")

    await page.get_by_role("link", name="English").click()
    await page.get_by_role("button", name="Request changes").click()
    await expect(page.get_by_role("alert")).to_contain_text("Say why in the comment")
    await page.get_by_label(re.compile("Comment")).fill("Please add the address.")
    await screenshots(page, "post-en")
    await page.get_by_role("button", name="Request changes").click()
    await expect(page.get_by_role("status")).to_have_text("Your decision is recorded.")
    await expect(page.get_by_text("J1Pia requested changes")).to_be_visible()
    await expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await page.goto(accounts.url + f"/w/j1acme/posts/{post['id']}")
    await expect(page.get_by_role("heading", name="Sign in to postgate")).to_be_visible()
    await context.close()


async def test_a_viewer_sees_no_action_buttons(chromium: Browser, accounts: Stack) -> None:
    post = await team(accounts, "j2")
    context, page = await new_page(chromium, locale="id-ID")
    await page.goto(accounts.url + "/")
    await expect(page.get_by_role("heading", name="Masuk ke postgate")).to_be_visible()
    await screenshots(page, "signin-id")

    await sign_in(page, accounts, "j2vic@example.com", button="Masuk")
    await page.goto(accounts.url + f"/w/j2acme/posts/{post['id']}")

    await expect(page.get_by_text("Menunggu persetujuan", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Setujui")).to_have_count(0)
    await expect(page.get_by_role("button", name="Tolak")).to_have_count(0)
    await expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    assert await serious_violations(page) == []
    await context.close()
