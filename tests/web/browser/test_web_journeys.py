"""Journeys through the web app in a real Chromium: found by role and label, checked by axe-core,
photographed at desktop and phone width in both languages (screenshots/).

One stack for the session (Temporal dev server, worker, API and pages over real HTTP on a free port, own
database); each test makes its own workspace and people. The browser is Debian's /usr/bin/chromium
(scripts/ensure_chromium.sh installs it), never `playwright install`: without it these tests are skipped,
except under CI (CI=true), where they fail."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from temporalio.testing import WorkflowEnvironment
from web_browser import Stack, new_page, screenshots, serious_violations

from api.app import create_app
from api_client import ACCOUNTS, add_people, as_user, setup_workspace, wait_status
from embedded import http_server
from servers import free_port
from settings import Settings
from store.engine import make_engine, migrate
from worker import running_worker

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"
CHROMIUM = Path(os.environ.get("POSTGATE_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
async def web_stack(
    dev_env: WorkflowEnvironment, sandbox, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """postgate's API and pages over real HTTP on a free port, a worker, the Temporal dev server, own data."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 'postgate.db'}")
    migrate(engine)
    settings = Settings(
        sandbox_url=sandbox.url, task_queue=f"web-{uuid.uuid4().hex[:8]}", followup_offsets=[1], api_port=free_port()
    )
    server = http_server(create_app(settings, engine, dev_env.client), "127.0.0.1", settings.api_port)
    serving = asyncio.create_task(server.serve())
    async with running_worker(dev_env.client, engine, settings):
        while not server.started:
            await asyncio.sleep(0.02)
        yield Stack(url=f"http://127.0.0.1:{settings.api_port}", engine=engine)
        server.should_exit = True
        await serving
    engine.dispose()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        await browser.close()


@pytest.fixture
def accounts(web_stack: Stack) -> Stack:
    """The api_client helpers make users in the browser stack's database."""
    ACCOUNTS.use(web_stack.engine)
    return web_stack


async def team(stack: Stack, prefix: str) -> dict:
    """A workspace with an editor's submitted post, an approver {prefix}pia and a viewer {prefix}vic."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await setup_workspace(http, ws=f"{prefix}acme", prefix=prefix)
        await add_people(http, prefix, {"pia": "approver", "vic": "viewer"}, PASSWORD)
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
