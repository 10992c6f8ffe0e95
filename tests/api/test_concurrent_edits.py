"""Two people changing one post at the same moment, over real HTTP, on SQLite and on PostgreSQL.

Whatever the interleaving: every 2xx change is in the trail, the store's status and revision are the
workflow's, and the post's sequence numbers are unique and gapless. A change that cannot be applied is
refused (409 with the reason), never answered 2xx and then lost.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api_client import ACCOUNTS, add_user, as_user, setup_workspace
from domain.lifecycle import LifecycleState, workflow_id_for
from embedded import http_server
from servers import free_port
from settings import Settings
from store.engine import transaction
from store.tables import AuditEntry, Post
from worker import running_worker
from workflows.lifecycle import PostLifecycle

ROUNDS = 24
SETTLED = {"awaiting_approval", "changes_needed", "draft"}


@dataclass
class Stack:
    http: httpx.AsyncClient
    client: Client
    engine: Engine


@pytest.fixture(params=["sqlite", "postgres"])
async def stack(
    request: pytest.FixtureRequest, dev_env: WorkflowEnvironment, sandbox: Any, task_queue: str
) -> AsyncIterator[Stack]:
    """The API over HTTP with a real worker, on SQLite or on a PostgreSQL schema of its own."""
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    ACCOUNTS.use(engine)
    settings = Settings(sandbox_url=sandbox.url, task_queue=task_queue, followup_offsets=[1], api_port=free_port())
    server = http_server(create_app(settings, engine, dev_env.client), "127.0.0.1", settings.api_port)
    serving = asyncio.create_task(server.serve())
    async with running_worker(dev_env.client, engine, settings):
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.api_port}", timeout=30) as http:
            await setup_workspace(http)
            await add_user(http, "acme", "eve", "editor")
            yield Stack(http, dev_env.client, engine)
        server.should_exit = True
        await serving


async def _submit(http: httpx.AsyncClient, post_id: str, user: str, _: int) -> httpx.Response:
    return await http.post(f"/posts/{post_id}/submit", headers=as_user(user))


async def _revise(http: httpx.AsyncClient, post_id: str, user: str, n: int) -> httpx.Response:
    return await http.post(f"/posts/{post_id}/revisions", json={"text": f"{user} edit {n}"}, headers=as_user(user))


async def _reschedule(http: httpx.AsyncClient, post_id: str, user: str, n: int) -> httpx.Response:
    at = (datetime.now(UTC) + timedelta(days=3, minutes=n)).replace(microsecond=0)
    return await http.post(f"/posts/{post_id}/schedule", json={"publish_at": at.isoformat()}, headers=as_user(user))


PAIRS = [(_submit, _revise), (_submit, _reschedule), (_revise, _revise), (_revise, _submit)]


async def _workflow_state(client: Client, post_id: str) -> LifecycleState | None:
    try:
        return await client.get_workflow_handle_for(PostLifecycle.run, workflow_id_for(post_id)).query(
            PostLifecycle.current
        )
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return None
        raise


def _stored(engine: Engine, post_id: str) -> tuple[Post, list[AuditEntry]]:
    with transaction(engine) as session:
        post = session.get(Post, post_id)
        assert post is not None
        trail = list(
            session.exec(
                select(AuditEntry)
                .where(AuditEntry.workflow_id == workflow_id_for(post_id))
                .order_by(col(AuditEntry.seq))
            )
        )
    return post, trail


async def _settled(stack: Stack, post_id: str) -> tuple[Post, list[AuditEntry], LifecycleState | None]:
    """The post once its review is resting (a brand check in flight finished): store, trail, workflow."""
    for _ in range(300):
        state = await _workflow_state(stack.client, post_id)
        post, trail = await asyncio.to_thread(_stored, stack.engine, post_id)
        if state is None and post.status == "draft":
            return post, trail, None
        if state is not None and state.status.value in SETTLED and post.status == state.status.value:
            return post, trail, state
        await asyncio.sleep(0.05)
    return post, trail, state


def _trail_has(trail: list[AuditEntry], kind: str, user: str, answer: dict[str, Any]) -> bool:
    if kind == "_submit":
        return any(e.action == "submitted" and e.actor == user for e in trail)
    if kind == "_revise":
        return any(
            e.action in ("draft_revised", "revised") and e.actor == user and e.revision == answer["number"]
            for e in trail
        )
    to = datetime.fromisoformat(answer["publish_at"]).astimezone(UTC)
    return any(
        e.action == "rescheduled"
        and e.actor == user
        and datetime.fromisoformat(json.loads(e.detail)["to"]).astimezone(UTC) == to
        for e in trail
    )


async def test_concurrent_changes_to_one_post_are_never_lost(stack: Stack) -> None:
    problems: list[str] = []
    for n in range(ROUNDS):
        draft = {"channel_id": "sbx", "text": f"post {n}"}
        created = await stack.http.post("/posts", json=draft, headers=as_user("ed"))
        assert created.status_code == 201, created.text
        post_id = created.json()["id"]
        first, second = PAIRS[n % len(PAIRS)]
        answers = await asyncio.gather(first(stack.http, post_id, "ed", n), second(stack.http, post_id, "eve", n))
        post, trail, state = await _settled(stack, post_id)
        where = f"round {n} ({first.__name__} vs {second.__name__}, {[r.status_code for r in answers]})"
        for response in answers:
            # Refused with a reason, or done: never a crash.
            if response.status_code not in (200, 201, 202, 409):
                problems.append(f"{where}: {response.status_code} {response.text}")
        for fn, user, response in ((first, "ed", answers[0]), (second, "eve", answers[1])):
            if response.is_success:
                answer = response.json()
                if fn is _reschedule:
                    answer = {"publish_at": answer["publish_at"]}
                if not _trail_has(trail, fn.__name__, user, answer):
                    problems.append(f"{where}: {fn.__name__} by {user} answered {response.status_code}, not in trail")
        expected = "draft" if state is None else state.status.value
        if post.status != expected:
            problems.append(f"{where}: store says {post.status}, workflow {expected}")
        if state is not None and post.current_revision != state.revision.number:
            problems.append(f"{where}: store revision {post.current_revision}, workflow {state.revision.number}")
        seqs = [e.seq for e in trail]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"{where}: sequence {seqs}")
    assert not problems, "\n".join(problems)
