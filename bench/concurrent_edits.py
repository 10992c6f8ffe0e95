"""Concurrent edits: several editors and approvers changing the same posts at once, over real HTTP.

An embedded stack on free loopback ports, in this process: the Temporal dev server (from the installed
binary), the sandbox platform, the API (uvicorn) and a worker, with the app database on SQLite in a temp dir
or, with --database-url, on PostgreSQL (a schema of its own, dropped afterwards). --posts drafts are created;
then --editors and --approvers act at once, each --ops times, on posts picked at random: every action is one
entry of ACTIONS (submit, revise, reschedule, decide, withdraw, publish-now, unpublish). An action whose
route the server does not have (404/405 from the router) is skipped from then on, so `unpublish` runs
once the route exists.

Afterwards, once every post rests: each post's store and workflow agree (status, revision), every 2xx
change is in the trail (matched one for one), sequence numbers are unique with no unexplained gap, and the
workflow history and the trail hold the same acts of people (store.audit_reconcile). It prints its counts;
0 disagreements is the bar (exit 1 otherwise, or on any 5xx).

    .venv/bin/python bench/concurrent_edits.py [--posts 30] [--editors 3] [--approvers 3] [--ops 40]
        [--database-url postgresql://postgres@127.0.0.1:5432/test] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from commands.admin import create_account
from domain.lifecycle import workflow_id_for
from embedded import http_server
from platforms.sandbox import create_sandbox_app
from settings import Settings
from store.audit_reconcile import reconcile_post
from store.engine import make_engine, migrate, normalise_url, transaction
from store.post_agreement import unexplained_gaps, workflow_state
from store.tables import AuditEntry, Post
from temporal_runtime import installed_binary
from worker import running_worker
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

MOVING = {"submitting", "brand_check", "publishing", "published"}  # not yet resting
DECISIONS = {"approve": "approved", "reject": "rejected", "request_changes": "changes_requested"}


@dataclass
class Done:
    """A 2xx change and what its trail entry must say."""

    post_id: str
    actions: tuple[str, ...]  # the entry's action is one of these
    actor: str
    revision: int | None = None  # the entry's revision, when the answer names it
    content_hash: str | None = None
    to: datetime | None = None  # a reschedule's new time


@dataclass
class Ctx:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    rng: random.Random

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


Call = Callable[[Ctx, str, str], Awaitable[tuple[httpx.Response, Done | None]]]


async def _submit(ctx: Ctx, post_id: str, user: str) -> tuple[httpx.Response, Done | None]:
    r = await ctx.http.post(f"/posts/{post_id}/submit", headers=ctx.auth(user))
    return r, Done(post_id, ("submitted",), user)


async def _revise(ctx: Ctx, post_id: str, user: str) -> tuple[httpx.Response, Done | None]:
    text = f"{user} says {uuid.uuid4().hex[:8]}"
    r = await ctx.http.post(f"/posts/{post_id}/revisions", json={"text": text}, headers=ctx.auth(user))
    number = r.json().get("number") if r.is_success else None
    return r, Done(post_id, ("draft_revised", "revised"), user, revision=number)


async def _reschedule(ctx: Ctx, post_id: str, user: str) -> tuple[httpx.Response, Done | None]:
    at = (datetime.now(UTC) + timedelta(days=2, seconds=ctx.rng.randrange(86400))).replace(microsecond=0)
    r = await ctx.http.post(f"/posts/{post_id}/schedule", json={"publish_at": at.isoformat()}, headers=ctx.auth(user))
    return r, Done(post_id, ("rescheduled",), user, to=at)


async def _decide(ctx: Ctx, post_id: str, user: str) -> tuple[httpx.Response, Done | None]:
    post = (await ctx.http.get(f"/posts/{post_id}", headers=ctx.auth(user))).json()
    decision = ctx.rng.choices(list(DECISIONS), weights=[7, 1, 2])[0]
    content_hash = post["revision"]["content_hash"]
    body = {"decision": decision, "content_hash": content_hash}
    headers = {**ctx.auth(user), "Idempotency-Key": uuid.uuid4().hex}
    r = await ctx.http.post(f"/posts/{post_id}/decisions", json=body, headers=headers)
    return r, Done(post_id, (DECISIONS[decision],), user, content_hash=content_hash)


async def _withdraw(ctx: Ctx, post_id: str, user: str) -> tuple[httpx.Response, Done | None]:
    r = await ctx.http.post(f"/posts/{post_id}/withdraw", json={"reason": "bench"}, headers=ctx.auth(user))
    return r, Done(post_id, ("withdrawn",), user)


async def _publish_now(ctx: Ctx, post_id: str, user: str) -> tuple[httpx.Response, Done | None]:
    r = await ctx.http.post(f"/posts/{post_id}/publish-now", headers=ctx.auth(user))
    return r, Done(post_id, ("rescheduled",), user)


async def _unpublish(ctx: Ctx, post_id: str, user: str) -> tuple[httpx.Response, Done | None]:
    r = await ctx.http.post(f"/posts/{post_id}/unpublish", json={"reason": "bench"}, headers=ctx.auth(user))
    return r, Done(post_id, ("unpublished",), user)


@dataclass(frozen=True)
class Action:
    call: Call
    roles: tuple[str, ...]  # who sends it: "editor", "approver"
    weight: int


# One entry per action; a new route is one more line here.
ACTIONS: dict[str, Action] = {
    "submit": Action(_submit, ("editor",), 3),
    "revise": Action(_revise, ("editor",), 4),
    "reschedule": Action(_reschedule, ("editor",), 3),
    "decide": Action(_decide, ("approver",), 6),
    "withdraw": Action(_withdraw, ("editor",), 1),
    "publish-now": Action(_publish_now, ("approver",), 1),
    "unpublish": Action(_unpublish, ("editor", "approver"), 1),
}


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    done: list[Done] = field(default_factory=list)
    unsupported: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _route_missing(r: httpx.Response) -> bool:
    """The router's own 404/405 (no such route), not a post that is not found."""
    return r.status_code == 405 or (r.status_code == 404 and r.json().get("message") == "Not Found")


async def actor_loop(ctx: Ctx, user: str, role: str, posts: list[str], ops: int, tally: Tally) -> None:
    for _ in range(ops):
        mine = {n: a for n, a in ACTIONS.items() if role in a.roles and n not in tally.unsupported}
        name = ctx.rng.choices(list(mine), weights=[a.weight for a in mine.values()])[0]
        post_id = ctx.rng.choice(posts)
        response, done = await mine[name].call(ctx, post_id, user)
        tally.sent[name] += 1
        tally.answers[(name, response.status_code)] += 1
        if _route_missing(response):
            tally.unsupported[name] = response.status_code
        elif response.is_success and done is not None:
            tally.done.append(done)
        elif response.status_code >= 500:
            tally.errors.append(f"{name} {post_id} by {user}: {response.status_code} {response.text[:200]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _trail(engine: Engine, post_id: str) -> tuple[Post, list[AuditEntry], list[AuditEntry]]:
    """The post, its lifecycle's entries (one sequence) and every entry about it (an unpublish after the
    lifecycle ended writes in a sequence of its own)."""
    with transaction(engine) as session:
        post = session.get(Post, post_id)
        assert post is not None
        query = select(AuditEntry).where(AuditEntry.post_id == post_id)
        every = list(session.exec(query.order_by(col(AuditEntry.at), col(AuditEntry.seq))))
    return post, [e for e in every if e.workflow_id == workflow_id_for(post_id)], every


def _matches(entry: AuditEntry, done: Done) -> bool:
    if entry.action not in done.actions or entry.actor != done.actor:
        return False
    if done.revision is not None and entry.revision != done.revision:
        return False
    if done.content_hash is not None and entry.content_hash != done.content_hash:
        return False
    if done.to is not None:
        to = json.loads(entry.detail).get("to")
        return to is not None and datetime.fromisoformat(to).astimezone(UTC) == done.to
    return True


async def check(client: Client, engine: Engine, posts: list[str], tally: Tally) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"disagreements": [], "not in trail": [], "seq": [], "history": [], "unsettled": []}
    by_post: dict[str, list[Done]] = {}
    for done in tally.done:
        by_post.setdefault(done.post_id, []).append(done)
    for post_id in posts:
        for _ in range(600):  # until it rests: store and workflow agree and nothing is under way
            state = await workflow_state(client, post_id, engine)
            post, trail, every = await asyncio.to_thread(_trail, engine, post_id)
            wf_status = state.status.value if state else "draft"
            if post.status == wf_status and wf_status not in MOVING:
                break
            await asyncio.sleep(0.1)
        else:
            found["unsettled"].append(f"{post_id}: store {post.status}, workflow {wf_status}")
        if post.status != wf_status or (state is not None and post.current_revision != state.revision.number):
            wf_rev = state.revision.number if state else None
            found["disagreements"].append(
                f"{post_id}: store {post.status} r{post.current_revision}, workflow {wf_status} r{wf_rev}"
            )
        unmatched = list(every)
        for done in by_post.get(post_id, []):
            hit = next((e for e in unmatched if _matches(e, done)), None)
            if hit is None:
                found["not in trail"].append(f"{post_id}: {done.actions[0]} by {done.actor}")
            else:
                unmatched.remove(hit)
        seqs = [e.seq for e in trail]
        if len(seqs) != len(set(seqs)) or unexplained_gaps(trail):
            found["seq"].append(f"{post_id}: {seqs}")
        if state is not None:
            reconciliation = await reconcile_post(client, engine, post_id)
            found["history"] += [f"{post_id}: {d.describe()}" for d in reconciliation.differences]
    return found


async def setup(http: httpx.AsyncClient, engine: Engine, editors: int, approvers: int) -> dict[str, str]:
    tokens = {"ada": create_account(engine, "ada", "Ada").token}
    admin = {"Authorization": f"Bearer {tokens['ada']}"}
    r = await http.post("/workspaces", json={"id": "acme", "name": "Acme"}, headers=admin)
    r.raise_for_status()
    users = [(f"ed{i}", "editor") for i in range(editors)] + [(f"ann{i}", "approver") for i in range(approvers)]
    for user_id, role in users:
        body = {"id": user_id, "name": user_id, "role": role}
        r = await http.post("/workspaces/acme/users", json=body, headers=admin)
        r.raise_for_status()
        tokens[user_id] = r.json()["token"]
    r = await http.post("/workspaces/acme/channels", json={"id": "sbx", "name": "Sandbox"}, headers=admin)
    r.raise_for_status()
    return tokens


def _database(args: argparse.Namespace, tmp: Path) -> tuple[Engine, Callable[[], None]]:
    if not args.database_url:
        engine = make_engine(f"sqlite:///{tmp / 'postgate.db'}")
        return engine, engine.dispose
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(args.database_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(
        normalise_url(args.database_url), connect_args={"options": f"-csearch_path={schema}"}, pool_size=20
    )

    def drop() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, drop


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="postgate-edits-") as tmp_dir:
        tmp = Path(tmp_dir)
        os.environ["POSTGATE_DATA_DIR"] = str(tmp)  # the audit signing key goes here, not into .data/
        engine, close = _database(args, tmp)
        try:
            migrate(engine)
            return await run(args, engine, tmp)
        finally:
            close()


async def run(args: argparse.Namespace, engine: Engine, tmp: Path) -> int:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(installed_binary("temporal")),
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_log_level="error",
    )
    async with env:
        sandbox = http_server(create_sandbox_app(tmp / "sandbox.db"), "127.0.0.1", _free_port())
        settings = Settings(
            sandbox_url=f"http://127.0.0.1:{sandbox.config.port}",
            task_queue=f"edits-{uuid.uuid4().hex[:8]}",
            followup_offsets=[1],
            api_port=_free_port(),
        )
        api = http_server(create_app(settings, engine, env.client), "127.0.0.1", settings.api_port)
        servers = [asyncio.create_task(sandbox.serve()), asyncio.create_task(api.serve())]
        try:
            async with running_worker(env.client, engine, settings):
                while not (sandbox.started and api.started):
                    await asyncio.sleep(0.02)
                base = f"http://127.0.0.1:{settings.api_port}"
                limits = httpx.Limits(max_connections=100)
                async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
                    return await drive(args, http, env.client, engine)
        finally:
            sandbox.should_exit = api.should_exit = True
            await asyncio.gather(*servers)


async def drive(args: argparse.Namespace, http: httpx.AsyncClient, client: Client, engine: Engine) -> int:
    tokens = await setup(http, engine, args.editors, args.approvers)
    rng = random.Random(args.seed)
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    posts = []
    for n in range(args.posts):
        body = {"channel_id": "sbx", "text": f"Post {n}", "publish_at": later}
        r = await http.post("/posts", json=body, headers={"Authorization": f"Bearer {tokens['ed0']}"})
        r.raise_for_status()
        posts.append(r.json()["id"])
    tally = Tally()
    people = [(f"ed{i}", "editor") for i in range(args.editors)] + [
        (f"ann{i}", "approver") for i in range(args.approvers)
    ]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            actor_loop(Ctx(http, tokens, random.Random(rng.random())), user, role, posts, args.ops, tally)
            for user, role in people
        )
    )
    acting = time.perf_counter() - started
    found = await check(client, engine, posts, tally)
    answered = Counter(status // 100 * 100 for (_, status), n in tally.answers.items() for _ in range(n))
    print(f"posts:              {args.posts}; {args.editors} editors and {args.approvers} approvers at once")
    print(f"requests:           {sum(tally.sent.values())} in {acting:.1f} s; answers " +
          ", ".join(f"{k // 100}xx {v}" for k, v in sorted(answered.items())))  # fmt: skip
    for name in ACTIONS:
        codes = sorted((status, n) for (action, status), n in tally.answers.items() if action == name)
        skipped = f" (route answers {tally.unsupported[name]}: skipped)" if name in tally.unsupported else ""
        print(f"  {name:<12}      " + (", ".join(f"{s}: {n}" for s, n in codes) or "none") + skipped)
    print(f"2xx changes:        {len(tally.done)}")
    for label in ("not in trail", "disagreements", "seq", "history", "unsettled"):
        print(f"{label + ':':<20}{len(found[label])}")
        for line in found[label][:10]:
            print(f"    {line}")
    print(f"5xx answers:        {len(tally.errors)}")
    for line in tally.errors[:10]:
        print(f"    {line}")
    bad = sum(len(v) for v in found.values()) + len(tally.errors)
    return 1 if bad else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=30, help="posts (default 30)")
    parser.add_argument("--editors", type=int, default=3, help="editors acting at once (default 3)")
    parser.add_argument("--approvers", type=int, default=3, help="approvers acting at once (default 3)")
    parser.add_argument("--ops", type=int, default=40, help="actions per person (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--database-url", help="PostgreSQL URL for the app database (default: SQLite in a temp dir)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
