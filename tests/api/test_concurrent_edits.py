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


# ---- Idempotency-Key: bound to (actor, route, body) -------------------------------------------------------


def _decisions(trail: list[AuditEntry]) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in trail if e.action in ("approved", "rejected", "changes_requested")]


async def _awaiting(stack: Stack, text: str, author: str = "ed") -> dict[str, Any]:
    body = {"channel_id": "sbx", "text": text, "submit": True}
    r = await stack.http.post("/posts", json=body, headers=as_user(author))
    assert r.status_code == 201, r.text
    await _settled(stack, r.json()["id"])
    post = (await stack.http.get(f"/posts/{r.json()['id']}", headers=as_user("ed"))).json()
    assert post["status"] == "awaiting_approval", post
    return post


async def test_an_idempotency_key_is_bound_to_who_sent_it_where_and_what(stack: Stack) -> None:
    await add_user(stack.http, "acme", "bob", "approver")
    # A policy of two signatures keeps the post awaiting after the first approval, so a reject could apply.
    policy = {"steps": [{"name": "brand", "roles": ["approver"], "quorum": 2}]}
    assert (await stack.http.put("/workspaces/acme/approval-policy", json=policy, headers=as_user("ada"))).is_success
    # Written by the admin, who may also decide (on others' posts): the author is a possible key thief.
    post = await _awaiting(stack, "Keys are bound, two signatures", author="ada")
    approve = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    reject = {**approve, "decision": "reject"}
    url = f"/posts/{post['id']}/decisions"
    first = await stack.http.post(url, json=approve, headers={**as_user("ann"), "Idempotency-Key": "k-1"})
    assert first.status_code == 200, first.text
    # Another approver reusing ann's key to reject: refused, nothing recorded.
    stolen = await stack.http.post(url, json=reject, headers={**as_user("bob"), "Idempotency-Key": "k-1"})
    assert stolen.status_code == 422 and stolen.json()["error"] == "idempotency_key_reused", stolen.text
    # The same approver with the same key and another body: refused.
    changed = await stack.http.post(url, json=reject, headers={**as_user("ann"), "Idempotency-Key": "k-1"})
    assert changed.status_code == 422 and changed.json()["error"] == "idempotency_key_reused", changed.text
    # The post's own author reusing it to reject: refused too.
    author = await stack.http.post(url, json=reject, headers={**as_user("ada"), "Idempotency-Key": "k-1"})
    assert author.status_code == 422 and author.json()["error"] == "idempotency_key_reused", author.text
    # A true repeat: the first answer, one entry.
    repeat = await stack.http.post(url, json=approve, headers={**as_user("ann"), "Idempotency-Key": "k-1"})
    assert repeat.status_code == 200 and repeat.json() == first.json()
    _, trail = await asyncio.to_thread(_stored, stack.engine, post["id"])
    assert _decisions(trail) == [("approved", "ann")]
    state = await _workflow_state(stack.client, post["id"])
    assert state is not None and state.status.value == "awaiting_approval"


async def test_concurrent_true_repeats_are_one_decision(stack: Stack) -> None:
    for n in range(3):
        post = await _awaiting(stack, f"Said five times at once, round {n}")
        decision = {"decision": "reject", "content_hash": post["revision"]["content_hash"], "comment": "no"}
        headers = {**as_user("ann"), "Idempotency-Key": f"reject-{n}"}
        answers = await asyncio.gather(
            *(stack.http.post(f"/posts/{post['id']}/decisions", json=decision, headers=headers) for _ in range(5))
        )
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        assert len({json.dumps(a.json()["decisions"], sort_keys=True) for a in answers}) == 1
        _, trail = await asyncio.to_thread(_stored, stack.engine, post["id"])
        assert _decisions(trail) == [("rejected", "ann")]
