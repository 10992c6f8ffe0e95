"""A workflow that cannot start (here: a Temporal server without postgate's search attributes) leaves a
draft that says so, never an orphan: the answer names the draft and how to submit it again, GET shows it
as a draft, and the store holds it as a draft (not `submitting`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api_client import ACCOUNTS, as_user, setup_workspace
from embedded import http_server
from servers import ThreadedServer, free_port
from settings import Settings
from store.engine import transaction
from store.tables import Post
from temporal_runtime import installed_binary


@pytest.fixture
async def api_without_search_attributes(engine: Engine, sandbox: ThreadedServer) -> AsyncIterator[httpx.AsyncClient]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(installed_binary("temporal")),
        data_converter=pydantic_data_converter,
        ui=False,
        dev_server_log_level="error",
    )
    async with env:
        ACCOUNTS.use(engine)
        settings = Settings(sandbox_url=sandbox.url, task_queue="unused", api_port=free_port())
        server = http_server(create_app(settings, engine, env.client), "127.0.0.1", settings.api_port)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.api_port}", timeout=30) as http:
            yield http
        server.should_exit = True
        await serving


def _stored_status(engine: Engine, post_id: str) -> str:
    with transaction(engine) as session:
        post = session.get(Post, post_id)
    assert post is not None
    return post.status


async def test_a_failed_start_leaves_a_draft_that_says_how_to_submit_again(
    api_without_search_attributes: httpx.AsyncClient, engine: Engine
) -> None:
    http = api_without_search_attributes
    await setup_workspace(http)
    r = await http.post("/posts", json={"channel_id": "sbx", "text": "Hello", "submit": True}, headers=as_user("ed"))
    assert r.status_code == 502, r.text
    body = r.json()
    assert body["error"] == "not_submitted"
    post_id = body["details"]["post_id"]
    assert body["details"]["status"] == "draft" and f"POST /posts/{post_id}/submit" in body["message"]
    shown = await http.get(f"/posts/{post_id}", headers=as_user("ed"))
    assert shown.status_code == 200 and shown.json()["status"] == "draft"
    assert _stored_status(engine, post_id) == "draft"

    again = await http.post(f"/posts/{post_id}/submit", headers=as_user("ed"))
    assert again.status_code == 502 and again.json()["error"] == "not_submitted", again.text
    assert _stored_status(engine, post_id) == "draft"
    # Still the editors' draft: it can be changed, and its trail holds what happened to it and nothing else.
    revised = await http.post(f"/posts/{post_id}/revisions", json={"text": "Hello again"}, headers=as_user("ed"))
    assert revised.status_code == 201, revised.text
    trail = (await http.get(f"/posts/{post_id}/audit", headers=as_user("ed"))).json()["entries"]
    assert [(e["action"], e["seq"]) for e in trail] == [("created", 1), ("draft_revised", 2)]
