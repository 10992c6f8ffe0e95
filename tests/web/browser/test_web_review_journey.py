"""The approver's journeys in a real Chromium: the queue with its keyboard shortcuts, the review page (diff,
comments, request changes), two signatures, and a stale decision, in English and Bahasa Indonesia.

Uses the stack of test_web_journeys (its fixtures are imported); axe-core on each page; screenshots at
desktop and phone width into screenshots/."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from test_web_journeys import PASSWORD, accounts, chromium, sign_in, web_stack  # noqa: F401
from web_browser import Stack, new_page, screenshots, serious_violations

from api_client import add_people, as_user, setup_workspace, wait_status

pytestmark = pytest.mark.browser


async def review_team(stack: Stack, prefix: str, texts: list[str]) -> list[dict]:
    """A workspace whose posts need two signatures, approvers {prefix}pia and {prefix}zed (with passwords),
    and the editor's posts, each submitted and awaiting approval."""
    ws = f"{prefix}acme"
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await setup_workspace(http, ws=ws, prefix=prefix)
        await add_people(http, prefix, {"pia": "approver", "zed": "approver"}, PASSWORD)
        policy = {"steps": [{"name": "brand", "roles": ["approver"], "quorum": 2}]}
        r = await http.put(f"/workspaces/{ws}/approval-policy", json=policy, headers=as_user(f"{prefix}ada"))
        assert r.status_code == 200, r.text
        posts = []
        for day, text in enumerate(texts, start=3):
            body = {
                "channel_id": f"{prefix}sbx",
                "text": text,
                "submit": True,
                "publish_at": f"2030-12-{day:02d}T09:00:00+07:00",
            }
            r = await http.post("/posts", json=body, headers=as_user(f"{prefix}ed"))
            assert r.status_code == 201, r.text
            posts.append(await wait_status(http, r.json()["id"], f"{prefix}ed", "awaiting_approval"))
        return posts


async def revise(stack: Stack, prefix: str, post_id: str, text: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        r = await http.post(f"/posts/{post_id}/revisions", json={"text": text}, headers=as_user(f"{prefix}ed"))
        assert r.status_code == 201, r.text
        await wait_status(http, post_id, f"{prefix}ed", "awaiting_approval")


async def focused_text(page: Page) -> str:
    return str(await page.evaluate("document.activeElement ? document.activeElement.textContent : ''"))


async def test_an_approver_works_through_the_queue_by_keyboard_comments_and_requests_changes(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    first, second = await review_team(
        accounts, "r1", ["Our roastery opens on Monday. #kopi", "Latte art class on Saturday with @barista"]
    )
    await revise(accounts, "r1", first["id"], "Our new roastery opens on Tuesday at 9. #kopi")
    context, page = await new_page(chromium)
    await sign_in(page, accounts, "r1pia@example.com")

    await page.get_by_role("link", name=re.compile("^Waiting for me")).click()
    await expect(page.get_by_role("heading", name="Waiting for me", level=1)).to_be_visible()
    queue = page.get_by_role("list", name="Posts waiting for your signature")
    await expect(queue.get_by_role("listitem")).to_have_count(2)
    assert await serious_violations(page) == []
    await screenshots(page, "queue-en")

    await page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_text("Next post")).to_be_visible()
    assert await serious_violations(page) == []
    await screenshots(page, "queue-shortcuts-en")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    await page.keyboard.press("j")
    assert await focused_text(page) == "Our new roastery opens on Tuesday at 9. #kopi"  # the nearest due first
    await page.keyboard.press("j")
    assert await focused_text(page) == "Latte art class on Saturday with @barista"
    await page.keyboard.press("k")
    assert await focused_text(page) == "Our new roastery opens on Tuesday at 9. #kopi"
    await page.get_by_label("Channel").focus()
    await page.keyboard.press("j")  # typing in a field fires no shortcut
    await expect(page).to_have_url(re.compile("/queue"))
    await page.keyboard.press("Escape")
    await queue.get_by_role("link").first.focus()

    await page.keyboard.press("r")  # request changes: the review page, at the comment field
    await expect(page).to_have_url(re.compile(f"/w/r1acme/posts/{first['id']}/review#request-changes$"))
    await expect(page.get_by_label("Comment (required to reject or request changes)")).to_be_focused()
    changes = page.get_by_role("region", name="What changed since revision 1")
    await expect(changes.locator("ins")).to_contain_text(["new", "Tuesday at 9."])
    await expect(changes.locator("del")).to_contain_text(["Monday."])
    await expect(page.get_by_role("heading", name=re.compile("^Approval: 0 of 2 signed"))).to_be_visible()

    await page.get_by_label("Add a comment").fill("Which Tuesday: the 8th?")
    await page.get_by_role("button", name="Add comment").click()
    await expect(page.get_by_role("status")).to_have_text("Your comment is added. Next in the queue")
    await expect(page.get_by_role("region", name="Comments on revision 2")).to_contain_text("Which Tuesday: the 8th?")

    await page.get_by_role("button", name="Request changes").click()
    await expect(page.get_by_role("alert")).to_contain_text("Say why in the comment")
    await page.get_by_label("Comment (required to reject or request changes)").fill("Please give the date.")
    await page.get_by_role("button", name="Request changes").click()
    await expect(page.get_by_role("status")).to_contain_text("Your decision is recorded.")
    await expect(page.get_by_text("Changes needed", exact=True)).to_be_visible()
    await expect(page.get_by_text("Starts again once the post is revised")).to_be_visible()
    await expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    assert await serious_violations(page) == []
    await screenshots(page, "review-en")

    await page.get_by_role("link", name="Next in the queue").click()
    await expect(queue.get_by_role("listitem")).to_have_count(1)
    await queue.get_by_role("link").first.focus()
    await page.keyboard.press("a")  # approve: the review page, at its approve button
    await expect(page).to_have_url(re.compile(f"/posts/{second['id']}/review#approve$"))
    await expect(page.get_by_role("button", name="Approve")).to_be_focused()
    await expect(page.get_by_text("@barista", exact=True)).to_be_visible()  # a mention, highlighted
    await context.close()


async def test_two_approvers_sign_in_indonesian_and_a_stale_decision_shows_the_new_diff(
    chromium: Browser,  # noqa: F811
    accounts: Stack,  # noqa: F811
) -> None:
    post, stale = await review_team(accounts, "r2", ["Diskon 20% untuk kopi susu.", "Kelas latte art hari Sabtu."])
    zed_context, zed = await new_page(chromium, locale="id-ID")
    await sign_in(zed, accounts, "r2zed@example.com", button="Masuk")
    await zed.goto(accounts.url + f"/w/r2acme/posts/{post['id']}/review")
    await expect(zed.get_by_role("heading", name=re.compile("^Persetujuan: 0 dari 2 sudah setuju"))).to_be_visible()
    assert await serious_violations(zed) == []
    await screenshots(zed, "review-id")
    await zed.get_by_role("button", name="Setujui").click()
    await expect(zed.get_by_role("status")).to_contain_text("Keputusan Anda sudah tercatat.")
    await expect(zed.get_by_role("heading", name=re.compile("^Persetujuan: 1 dari 2 sudah setuju"))).to_be_visible()
    await expect(zed.get_by_text("Disetujui oleh R2Zed")).to_be_visible()
    await expect(zed.get_by_text(re.compile("Masih bisa menyetujui: .*R2Pia"))).to_be_visible()

    pia_context, pia = await new_page(chromium, locale="id-ID")
    await sign_in(pia, accounts, "r2pia@example.com", button="Masuk")
    await pia.goto(accounts.url + "/w/r2acme/queue")
    await expect(pia.get_by_role("heading", name="Menunggu saya", level=1)).to_be_visible()
    await expect(pia.get_by_text("Tahap").first).to_be_visible()
    assert await serious_violations(pia) == []
    await screenshots(pia, "queue-id")
    await pia.get_by_role("link", name="Diskon 20% untuk kopi susu.").click()
    await pia.get_by_role("button", name="Setujui").click()
    await expect(pia.get_by_role("status")).to_contain_text("Keputusan Anda sudah tercatat.")
    await expect(pia.get_by_text("Terjadwal", exact=True)).to_be_visible()
    await expect(pia.get_by_text("Disetujui oleh R2Zed dan R2Pia")).to_be_visible()

    await pia.goto(accounts.url + f"/w/r2acme/posts/{stale['id']}/review")
    await revise(accounts, "r2", stale["id"], "Kelas latte art hari Minggu.")
    await pia.get_by_role("button", name="Setujui").click()
    await expect(pia.get_by_role("alert")).to_contain_text("Postingan berubah saat Anda membacanya")
    changed = pia.get_by_role("region", name=re.compile("^Yang berubah sejak revisi yang Anda baca"))
    await expect(changed.locator("del")).to_contain_text(["Sabtu."])
    await expect(changed.locator("ins")).to_contain_text(["Minggu."])
    await expect(pia.get_by_role("heading", name=re.compile("^Persetujuan: 0 dari 2 sudah setuju"))).to_be_visible()
    assert await serious_violations(pia) == []
    await screenshots(pia, "review-stale-id")
    async with httpx.AsyncClient(base_url=accounts.url) as http:
        assert (await http.get(f"/posts/{stale['id']}", headers=as_user("r2ed"))).json()["decisions"] == []
    await zed_context.close()
    await pia_context.close()
