"""Throughput of the whole post lifecycle against the real Temporal dev server, next to a bare baseline.

postgate: N posts, at most --concurrency in flight, each created (`api.service.create_draft`), submitted
(`api.service.submit`), approved by "ann" with the `decide` update once the brand check let it through,
published at once (publish_at = now) on the sandbox platform over real HTTP, with one metrics snapshot
(followup_offsets=[0]), until the workflow result says DONE. Real worker (`worker.running_worker`), real
SQLite app DB in a temp dir, real sandbox platform in its own process on a free loopback port.

bare: the same path on Temporal alone. A workflow with three trivial activities (check, publish, fetch
metrics), one update (approve) and one zero-length timer; no database and no HTTP. Same N, concurrency,
worker settings and data converter (pydantic), its own task queue, in the same process.

Both wait for "awaiting approval" the same way: they send the update and send it again, backing off, while
the validator refuses it with InvalidState (one RPC both checks and acts; no query polling).

The paths run in alternating order for --rounds rounds (bare first in odd rounds), so background load hits
both alike; the summary compares each path's best round and also the medians.

    .venv/bin/python bench/lifecycle_throughput.py [--posts 300] [--concurrency 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

# The workflow sandbox runs this file again for every bare workflow it starts, as it does with
# workflows/lifecycle.py for PostLifecycle: imports are passed through, and the module level defines nothing
# costly (no pydantic models or dataclasses), so the baseline carries no overhead postgate does not have.
with workflow.unsafe.imports_passed_through():
    import httpx
    import temporalio
    from sqlalchemy.engine import Engine
    from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

TIMEOUT = timedelta(seconds=30)
BANNED = "guaranteed"


# ---- the bare baseline ---------------------------------------------------------------------------------


@activity.defn(name="bare_check")
async def bare_check(post: str) -> bool:
    return True


@activity.defn(name="bare_publish")
async def bare_publish(post: str) -> str:
    return f"ext-{post}"


@activity.defn(name="bare_metrics")
async def bare_metrics(external_id: str) -> int:
    return 1


@workflow.defn(sandboxed=True)
class BareLifecycle:
    def __init__(self) -> None:
        self.status = "checking"
        self.approved_by: str | None = None

    @workflow.update
    async def approve(self, actor: str) -> str:
        self.approved_by = actor
        self.status = "scheduled"
        return self.status

    @approve.validator
    def _check_approve(self, actor: str) -> None:
        if self.status != "awaiting_approval":
            raise ApplicationError(f"post is {self.status}, not awaiting approval", type="InvalidState")

    @workflow.run
    async def run(self, post: str, publish_at: datetime, server_timer: bool) -> str:
        await workflow.execute_activity(bare_check, post, start_to_close_timeout=TIMEOUT)
        self.status = "awaiting_approval"
        await workflow.wait_condition(lambda: self.approved_by is not None)
        # The timer to publish_at. Like PostLifecycle._await_publish_time it is only started when publish_at
        # is still ahead, so for "publish at once" it never reaches the server. A literal sleep(0) is a real
        # server timer that the dev server fires ~1 s later (see --zero-timer server).
        delay = publish_at - workflow.now()
        if delay > timedelta(0) or server_timer:
            await workflow.sleep(max(delay, timedelta(0)))
        external_id = await workflow.execute_activity(bare_publish, post, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bare_metrics, external_id, start_to_close_timeout=TIMEOUT)
        self.status = "done"
        return self.status


# ---- infrastructure ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SandboxProcess:
    """The sandbox platform in its own process (`postgate sandbox`), as a real platform would be: its CPU
    is not postgate's cost, and it does not compete with the worker for this process's GIL."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "POSTGATE_SANDBOX_PORT": str(self.port), "POSTGATE_DATA_DIR": str(data_dir)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "sandbox"],
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> SandboxProcess:
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("the sandbox platform exited at start")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox platform did not start") from None
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def seed(engine: Engine) -> None:
    """A workspace with an editor, two approvers and a sandbox channel (like the tests' `seeded`)."""
    import json

    from store.accounts import add_member
    from store.engine import transaction
    from store.tables import Channel, Workspace
    from store.workspaces import add_channel, add_workspace

    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme", banned_words=json.dumps([BANNED])))
        add_member(session, "acme", "ed", "editor", name="Ed Editor")
        add_member(session, "acme", "ann", "approver", name="Ann Approver")
        add_member(session, "acme", "bob", "approver", name="Bob Approver")
        add_channel(session, Channel(id="sbx", workspace_id="acme", name="Sandbox", max_length=280))


class Tally:
    """One timed run of one path."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.refused = 0  # updates refused with InvalidState (sent before the workflow awaited approval)
        self.cpu_self = 0.0  # CPU seconds of this process (worker and driver)
        self.cpu_server: float | None = None  # CPU seconds of the Temporal dev server


def server_cpu() -> float | None:
    """CPU seconds used so far by our child processes (the dev server); None where /proc cannot tell."""
    total, found = 0.0, False
    try:
        for task in Path(f"/proc/{os.getpid()}/task").iterdir():
            for pid in (task / "children").read_text().split():
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                found = True
    except (OSError, ValueError, IndexError):
        return None
    return total if found else None


async def update_when_ready(call: Callable[[], Awaitable[Any]], tally: Tally) -> Any:
    """Send the update; while the workflow is not awaiting it yet (InvalidState), back off and send again."""
    delay = 0.02
    await asyncio.sleep(delay)  # an update sent with the start is always early: the check has not run
    while True:
        try:
            return await call()
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if not (isinstance(cause, ApplicationError) and cause.type == "InvalidState"):
                raise
        tally.refused += 1
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.2)


async def drive(n: int, concurrency: int, one: Callable[[Tally], Awaitable[None]]) -> Tally:
    """Run `one` n times with at most `concurrency` in flight."""
    tally = Tally()
    queue = iter(range(n))

    async def lane() -> None:
        for _ in queue:
            await one(tally)

    cpu, server = time.process_time(), server_cpu()
    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for _ in range(min(concurrency, n)):
            tg.create_task(lane())
    tally.wall = time.perf_counter() - started
    tally.cpu_self = time.process_time() - cpu
    server_now = server_cpu()
    tally.cpu_server = None if server is None or server_now is None else server_now - server
    return tally


def worker_settings() -> dict[str, Any]:
    """The knobs `worker.running_worker` gives the postgate worker; the bare worker gets the same."""
    return {"max_concurrent_activities": 100, "max_concurrent_local_activities": 100}


# ---- the two paths ---------------------------------------------------------------------------------------


class Postgate:
    def __init__(self, client: Client, engine: Engine, task_queue: str, sandbox_url: str) -> None:
        self.client, self.engine, self.task_queue, self.sandbox_url = client, engine, task_queue, sandbox_url
        self.numbers = itertools.count()

    async def post(self, tally: Tally) -> None:
        from api.service import create_draft, submit
        from domain.lifecycle import DecideRequest, LifecycleState
        from domain.status import Decision, PostStatus
        from workflows.lifecycle import PostLifecycle

        post = await asyncio.to_thread(
            create_draft,
            self.engine,
            workspace_id="acme",
            channel_ids=["sbx"],
            author="ed",
            text=f"Post {next(self.numbers)}: our spring line is here, in every colour.",
            publish_at=datetime.now(UTC),
        )
        handle: WorkflowHandle[Any, Any] = await submit(
            self.client, self.engine, post.id, task_queue=self.task_queue, followup_offsets=[0]
        )
        decision = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=post.content_hash)
        await update_when_ready(lambda: handle.execute_update(PostLifecycle.decide, decision), tally)
        final: LifecycleState = await handle.result()
        if final.status is not PostStatus.DONE:
            raise RuntimeError(f"post {post.id} ended {final.status.value}: {final.failure}")

    def check(self, posts: int) -> None:
        """Every post left its whole trail in the app DB, and the sandbox platform holds every post."""
        from sqlmodel import func, select

        from store.engine import transaction
        from store.tables import AuditEntry, Post

        with transaction(self.engine) as session:
            done = session.exec(select(func.count()).select_from(Post).where(Post.status == "done")).one()
            entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
        # created, submitted, brand_checked, approved, published, metrics_collected
        if done != posts or entries != 6 * posts:
            raise RuntimeError(f"app DB: {done} of {posts} posts done, {entries} audit entries (want {6 * posts})")
        held = httpx.get(f"{self.sandbox_url}/api/posts", params={"channel": "sbx"}, timeout=30).json()["posts"]
        if len(held) != posts:
            raise RuntimeError(f"the sandbox holds {len(held)} posts, want {posts}")


@asynccontextmanager
async def postgate(client: Client, tmp: Path, sandbox_url: str) -> AsyncIterator[Postgate]:
    from settings import Settings
    from store.engine import make_engine, migrate
    from worker import running_worker

    engine = make_engine(f"sqlite:///{tmp / 'postgate.db'}")
    try:
        migrate(engine)
        seed(engine)
        task_queue = f"bench-postgate-{os.getpid()}"
        settings = Settings(sandbox_url=sandbox_url, task_queue=task_queue)
        async with running_worker(client, engine, settings, task_queue=task_queue):
            yield Postgate(client, engine, task_queue, sandbox_url)
    finally:
        engine.dispose()


class Bare:
    def __init__(self, client: Client, task_queue: str, server_timer: bool) -> None:
        self.client, self.task_queue, self.server_timer = client, task_queue, server_timer
        self.numbers = itertools.count()
        self.run_id = f"{os.getpid()}-{time.time_ns()}"

    async def post(self, tally: Tally) -> None:
        i = next(self.numbers)
        handle = await self.client.start_workflow(
            BareLifecycle.run,
            args=[f"p{i}", datetime.now(UTC), self.server_timer],
            id=f"bare-{self.run_id}-{i}",
            task_queue=self.task_queue,
        )
        await update_when_ready(lambda: handle.execute_update(BareLifecycle.approve, "ann"), tally)
        if (result := await handle.result()) != "done":
            raise RuntimeError(f"bare workflow {handle.id} ended {result}")


@asynccontextmanager
async def bare(client: Client, server_timer: bool) -> AsyncIterator[Bare]:
    task_queue = f"bench-bare-{os.getpid()}"
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareLifecycle],
        activities=[bare_check, bare_publish, bare_metrics],
        **worker_settings(),
    )
    async with worker:
        yield Bare(client, task_queue, server_timer)


# ---- main ------------------------------------------------------------------------------------------------


def temporal_version(binary: Path) -> str:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as err:
        return f"unknown ({err})"
    return out.strip().removeprefix("temporal version ")


def cores() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{usable} usable of {os.cpu_count()}"


def describe(name: str, n: int, tally: Tally) -> str:
    server = "?" if tally.cpu_server is None else f"{tally.cpu_server:.1f}"
    return (
        f"{name:8s} wall {tally.wall:6.2f} s {n / tally.wall:6.1f} posts/s  (updates refused as early "
        f"{tally.refused / n:.2f}/post; CPU s: this process {tally.cpu_self:.1f}, Temporal server {server})"
    )


async def main(args: argparse.Namespace) -> None:
    from temporal_runtime import installed_binary
    from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

    n, concurrency = args.posts, args.concurrency
    binary = installed_binary("temporal")
    results: dict[str, list[Tally]] = {"postgate": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="postgate-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if args.temporal_db == "file":
            temporal_db = "SQLite file in a temp dir (persisted, like `postgate dev`)"
            db_args = ["--db-filename", str(tmp / "temporal.db")]
        else:
            temporal_db, db_args = "SQLite in memory (dev server default)", []
        print(
            f"env: {cores()} cores, Python {platform.python_version()}, temporalio {temporalio.__version__}, "
            f"temporal CLI {temporal_version(binary)}; Temporal DB: {temporal_db}; app DB: SQLite (WAL) file "
            "in a temp dir; sandbox platform in its own process over HTTP on 127.0.0.1; "
            "worker and driver in one process",
            flush=True,
        )
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(binary),
            data_converter=pydantic_data_converter,
            search_attributes=SEARCH_ATTRIBUTES,
            ui=False,
            dev_server_log_level="error",
            dev_server_extra_args=db_args,
        )
        async with env:
            with SandboxProcess(tmp / "sandbox") as sandbox:
                async with (
                    postgate(env.client, tmp, sandbox.url) as postgate_path,
                    bare(env.client, args.zero_timer == "server") as bare_path,
                ):
                    paths = {"postgate": postgate_path.post, "bare": bare_path.post}
                    if args.warmup:
                        for one in paths.values():
                            await drive(args.warmup, concurrency, one)
                    for round_ in range(args.rounds):
                        for name in ("bare", "postgate") if round_ % 2 == 0 else ("postgate", "bare"):
                            results[name].append(await drive(n, concurrency, paths[name]))
                            print(f"round {round_ + 1}: {describe(name, n, results[name][-1])}", flush=True)
                    postgate_path.check(args.warmup + args.rounds * n)

    print(
        f"N={n} posts per path and round, concurrency={concurrency}, rounds={args.rounds}, "
        f"warmup={args.warmup} (untimed), bare zero-length timer: {args.zero_timer}"
    )
    best = {name: min(tallies, key=lambda t: t.wall) for name, tallies in results.items()}
    for name in ("postgate", "bare"):
        print(f"best     {describe(name, n, best[name])}")
    median = {name: statistics.median(t.wall for t in tallies) for name, tallies in results.items()}
    print(
        f"ratio postgate/bare (posts/s) = {best['bare'].wall / best['postgate'].wall:.2f} best rounds, "
        f"{median['bare'] / median['postgate']:.2f} median rounds (target >= 0.8)"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=300, help="posts per path and round (default 300)")
    parser.add_argument("--concurrency", type=int, default=50, help="posts in flight at once (default 50)")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per path, alternating (default 2)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed posts per path first (default 10)")
    parser.add_argument(
        "--temporal-db",
        choices=["file", "memory"],
        default="file",
        help="dev server persistence: a SQLite file like `postgate dev` (default) or in memory",
    )
    parser.add_argument(
        "--zero-timer",
        choices=["skipped", "server"],
        default="skipped",
        help="the bare path's timer to publish_at=now: skipped as PostLifecycle skips it (default), or a "
        "real sleep(0) timer on the server",
    )
    args = parser.parse_args(argv)
    if args.posts < 1 or args.concurrency < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--posts, --concurrency and --rounds must be at least 1, --warmup at least 0")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
