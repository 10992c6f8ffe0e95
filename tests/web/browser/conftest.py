"""The whole stack for the browser tests, once per session, and Debian's chromium driven by Playwright.

Never `playwright install`: the browser is /usr/bin/chromium from Debian (scripts/ensure_chromium.sh
installs it with apt-get). Without it the browser tests are skipped, except under CI (CI=true): they fail."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright
from temporalio.testing import WorkflowEnvironment
from web_browser import Stack

from api.app import create_app
from api_client import ACCOUNTS
from embedded import http_server
from servers import free_port
from settings import Settings
from store.engine import make_engine, migrate
from worker import running_worker

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
