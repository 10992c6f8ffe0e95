"""Server render time of the approver's queue and of the posts list with 5,000 posts in the workspace.

The workspace holds --posts posts written straight into the store (`api.service.create_draft`), with
realistic statuses (mostly published and done, some scheduled, drafts, changes needed, rejected,
withdrawn); --awaiting of them, spread over the list, are really submitted to the real Temporal dev
server and a real worker, and wait for approval (their brand check ran). The other posts have no
workflow: when the posts list asks for their live state the server answers "not found" and the page
falls back to the store's projection (services.live_state), one round trip each, as it would for a
workflow the server no longer keeps.

Each page is requested --repeat times in the same process through the whole ASGI app (session cookie,
CSRF token, view model, live workflow queries, Jinja2), signed in as an approver in Asia/Jakarta:
  queue  GET /w/acme/queue    (services.waiting_for: the projection narrows to awaiting_approval, only those
                               workflows are queried, at most 16 in flight)
  posts  GET /?workspace=acme (the home page: the newest 25 posts with their live states, plus the same
                               waiting_for for the header count and the "waiting for me" list)
Lists read live states through web.state_cache (a workflow is asked again only when its post's projection
moved, kept in memory and in the store); --cold renders empty the memory first, as on a fresh process (the
store still holds the states read before); --first renders empty the store too, so every workflow is asked,
as on the first render after every awaiting post changed.

    .venv/bin/python bench/web_render.py [--posts 5000] [--awaiting 150] [--repeat 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import temporalio
from sqlalchemy import update
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

PASSWORD = "a long enough password"
# Of the posts that are not awaiting approval (fractions of 1).
STATUSES = [
    ("done", 0.45),
    ("published", 0.15),
    ("scheduled", 0.15),
    ("draft", 0.10),
    ("changes_needed", 0.06),
    ("rejected", 0.04),
    ("withdrawn", 0.03),
    ("expired", 0.02),
]


def seed(engine: object) -> None:
    import json

    from store.accounts import add_member, get_user, set_password
    from store.engine import transaction
    from store.tables import Channel, Workspace
    from store.workspaces import add_channel, add_workspace

    with transaction(engine) as session:  # type: ignore[arg-type]
        add_workspace(
            session,
            Workspace(id="acme", name="Acme", time_zone="Asia/Jakarta", banned_words=json.dumps(["guaranteed"])),
        )
        for uid, role in (("ed", "editor"), ("eve", "editor"), ("ann", "approver"), ("bob", "approver")):
            add_member(session, "acme", uid, role, name=uid.title())
        ann = get_user(session, "ann")
        assert ann is not None
        ann.email = "ann@example.com"
        set_password(session, ann, PASSWORD)
        for cid, name in (("sbx", "Sandbox"), ("sbx2", "Sandbox two")):
            add_channel(session, Channel(id=cid, workspace_id="acme", name=name, max_length=280))


def populate(engine: object, posts: int, awaiting: int) -> list[str]:
    """`posts` posts; returns the ids of the `awaiting` ones to submit (spread evenly through the list)."""
    from api.service import create_draft
    from store.engine import transaction
    from store.tables import Post

    every = max(1, posts // max(1, awaiting))
    chosen: list[str] = []
    by_status: dict[str, list[str]] = {s: [] for s, _ in STATUSES}
    weights = [(s, f) for s, f in STATUSES]
    cumulative, acc = [], 0.0
    for status, share in weights:
        acc += share
        cumulative.append((acc, status))
    start = datetime.now(UTC) + timedelta(days=1)
    for n in range(posts):
        post = create_draft(
            engine,  # type: ignore[arg-type]
            workspace_id="acme",
            channel_ids=["sbx", "sbx2"] if n % 3 == 0 else ["sbx"],
            author="ed" if n % 2 else "eve",
            text=f"Post {n}: our spring line is here, in every colour. #spring https://example.com/p/{n}",
            publish_at=start + timedelta(hours=n % 500),
        )
        if n % every == every // 2 and len(chosen) < awaiting:
            chosen.append(post.id)
            continue
        point = (n * 0.6180339887) % 1.0
        status = next(s for limit, s in cumulative if point < limit) if point < acc else "done"
        by_status[status].append(post.id)
    with transaction(engine) as session:  # type: ignore[arg-type]
        for status, ids in by_status.items():
            if status != "draft" and ids:
                session.exec(update(Post).where(Post.id.in_(ids)).values(status=status))  # type: ignore[attr-defined]
    return chosen


async def submit_all(client: object, engine: object, ids: list[str], task_queue: str) -> None:
    from sqlmodel import func, select

    from api.service import submit
    from store.engine import transaction
    from store.tables import Post

    limit = asyncio.Semaphore(20)

    async def one(post_id: str) -> None:
        async with limit:
            await submit(client, engine, post_id, task_queue=task_queue, followup_offsets=[3600])  # type: ignore[arg-type]

    await asyncio.gather(*(one(i) for i in ids))
    for _ in range(1200):
        with transaction(engine) as session:  # type: ignore[arg-type]
            waiting = session.exec(
                select(func.count()).select_from(Post).where(Post.status == "awaiting_approval")
            ).one()
        if waiting == len(ids):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"only {waiting} of {len(ids)} posts reached awaiting_approval")


PARTS: dict[str, list[float]] = {}


def instrument() -> None:
    """--parts: time the steps of a page render (wall time; the async ones include waiting on Temporal)."""
    import functools
    import inspect

    import web.pages
    import web.pages_review
    import web.services
    import web.session
    import web.views
    import web.views_queue
    import web.views_review

    def wrap(module: object, name: str) -> None:
        original = getattr(module, name)
        label = f"{name}"
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def timed_async(*a: object, **k: object) -> object:
                began = time.perf_counter()
                try:
                    return await original(*a, **k)
                finally:
                    PARTS.setdefault(label, []).append((time.perf_counter() - began) * 1000)

            setattr(module, name, timed_async)
        else:

            @functools.wraps(original)
            def timed_sync(*a: object, **k: object) -> object:
                began = time.perf_counter()
                try:
                    return original(*a, **k)
                finally:
                    PARTS.setdefault(label, []).append((time.perf_counter() - began) * 1000)

            setattr(module, name, timed_sync)

    for module in (web.pages, web.pages_review):
        wrap(module, "signed_in")
        wrap(module, "render")
    for module in (web.views, web.views_queue, web.views_review):
        wrap(module, "chrome_for")
    wrap(web.services, "workspace_facts")
    wrap(web.services, "waiting_for")
    wrap(web.services, "live_states")
    wrap(web.services, "posts_page")
    wrap(web.services, "live_state")
    wrap(web.services, "_state_from_store")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def timed(
    http: httpx.AsyncClient, path: str, repeat: int, *, cold: bool = False, engine: object = None
) -> list[float]:
    from sqlmodel import delete

    from store.engine import transaction
    from store.tables import PostLiveState
    from web import state_cache

    took = []
    for _ in range(repeat):
        if cold:
            state_cache.forget_all()
        if engine is not None:  # nothing kept anywhere
            with transaction(engine) as session:  # type: ignore[arg-type]
                session.exec(delete(PostLiveState))
        began = time.perf_counter()
        r = await http.get(path)
        took.append((time.perf_counter() - began) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
    return took


async def main(args: argparse.Namespace) -> None:
    from api.app import create_app
    from settings import Settings
    from store.engine import make_engine, migrate
    from temporal_runtime import installed_binary
    from worker import running_worker
    from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

    binary = installed_binary("temporal")
    if args.parts:
        instrument()
    with tempfile.TemporaryDirectory(prefix="postgate-web-bench-") as tmp_name:
        tmp = Path(tmp_name)
        engine = make_engine(f"sqlite:///{tmp / 'postgate.db'}")
        migrate(engine)
        seed(engine)
        began = time.perf_counter()
        to_submit = populate(engine, args.posts, args.awaiting)
        print(f"populated {args.posts} posts in {time.perf_counter() - began:.1f} s", flush=True)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(binary),
            data_converter=pydantic_data_converter,
            search_attributes=SEARCH_ATTRIBUTES,
            ui=False,
            dev_server_log_level="error",
        )
        async with env:
            task_queue = f"bench-web-{os.getpid()}"
            settings = Settings(task_queue=task_queue)
            async with running_worker(env.client, engine, settings, task_queue=task_queue):
                began = time.perf_counter()
                await submit_all(env.client, engine, to_submit, task_queue)
                print(f"{len(to_submit)} posts awaiting approval after {time.perf_counter() - began:.1f} s", flush=True)
                app = create_app(settings, engine, env.client)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://postgate", timeout=60) as http:
                    r = await http.post(
                        "/signin",
                        data={
                            "email": "ann@example.com",
                            "password": PASSWORD,
                            "next": "/",
                            "time_zone": "Asia/Jakarta",
                        },
                    )
                    assert r.status_code == 303, r.text
                    pages = {"queue": "/w/acme/queue", "posts": "/?workspace=acme"}
                    for path in pages.values():  # warm-up: the worker's workflow cache, the template cache
                        await timed(http, path, 2)
                    results = {}
                    for name, path in pages.items():
                        PARTS.clear()
                        results[name] = await timed(http, path, args.repeat)
                        if args.parts:
                            for part, took in sorted(PARTS.items()):
                                print(
                                    f"  {name}: {part:18} x{len(took) / args.repeat:5.1f} per page, "
                                    f"{sum(took) / args.repeat:7.1f} ms per page in all"
                                )
                    cold = {name: await timed(http, path, args.cold, cold=True) for name, path in pages.items()}
                    first = {
                        name: await timed(http, path, args.first, cold=True, engine=engine)
                        for name, path in pages.items()
                    }
                    queue_page = (await http.get(pages["queue"])).text
        engine.dispose()
    print(
        f"env: {os.cpu_count()} cores, Python {platform.python_version()}, temporalio {temporalio.__version__}; "
        f"app DB SQLite (WAL) file; Temporal dev server (in memory), worker and app in one process"
    )
    print(
        f"{args.posts} posts in the workspace, {len(to_submit)} awaiting approval (all signable by the reader); "
        f"{args.repeat} requests per page; queue rows on page 1: {queue_page.count('data-queue-row')}"
    )
    tables = (
        ("", results),
        (" (cold: a fresh process, the states kept in the store)", cold),
        (" (first: no state kept anywhere, every workflow asked)", first),
    )
    for label, table in tables:
        for name, took in table.items():
            print(
                f"{name:6} p50 {statistics.median(took):6.1f} ms  p95 {percentile(took, 95):6.1f} ms  "
                f"max {max(took):6.1f} ms  n={len(took)}{label}"
            )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--awaiting", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--cold", type=int, default=10, help="renders with nothing kept in memory (web.state_cache)")
    parser.add_argument("--first", type=int, default=10, help="renders with nothing kept in memory or the store")
    parser.add_argument("--parts", action="store_true", help="also time the steps of each render")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
