"""Exactly-once publishing under chaos: the run shared by bench/publish_chaos.py and its end-to-end test.

A real Temporal dev server (its own port and SQLite file), the sandbox platform and the worker each run as
their own process (`postgate sandbox`, `postgate worker`), over a database migrated here (SQLite in the run's
directory, or PostgreSQL). Every sandbox channel is armed with faults: 503s, 429s with a short Retry-After,
ambiguous 504s and hangs past the worker's read timeout (both of which store the post), and a standing
slowness on some channels; they are armed again after every worker restart. P posts, each on all N channels,
are created, submitted and approved (the `decide` update) to publish at once; while they publish, the worker
is killed with SIGKILL and a new one started. Once every lifecycle has ended (or the deadline passed), each
channel's posts are counted on the sandbox: every post must be there exactly once, and be the publication
postgate recorded for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType, TaskQueueType, TimeoutType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.service import create_draft, submit
from domain.lifecycle import DecideRequest, LifecycleState
from domain.status import AuditAction, ChannelStatus, Decision, LatePolicy, PostStatus
from embedded import temporal_server
from settings import Settings
from store.accounts import add_member
from store.audit_chain import CheckpointPolicy, configure_checkpoints
from store.engine import make_engine, migrate, transaction
from store.publications import idempotency_key
from store.tables import AuditEntry, Channel, PublicationRow, Workspace
from store.workspaces import add_channel, add_workspace
from workflows.lifecycle import PostLifecycle

FAULT_KINDS = ("fail_5xx", "rate_limit", "ambiguous", "hang")
# The worker's shared HTTP client gives up reading after 30 s (activities/channels.py): a hang must outlast it
# to be a timeout rather than a slow answer.
HANG_MS = 31_000
EDITOR, APPROVER = "ed", "ann"
CHECKPOINT_EVERY = 100  # audit entries between signed checkpoints, in the worker and here alike
SIGNING_KEY = "audit-signing.key"
# How Temporal notices an activity attempt that will never report back (its worker was killed).
CUT_OFF_BY = {
    TimeoutType.TIMEOUT_TYPE_HEARTBEAT: "heartbeat timeout",
    TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE: "start-to-close timeout",
}

Log = Callable[[str], None]


@dataclass(frozen=True)
class ChaosConfig:
    posts: int = 200
    channels: int = 3
    kills: int = 2
    concurrency: int = 50  # posts being created, submitted and approved at once
    database_url: str | None = None  # None: SQLite in the run's directory
    deadline_s: float = 600.0  # from the first post until every lifecycle must have ended
    slow_ms: tuple[int, ...] = (0, 150, 300)  # standing slowness of channel i: slow_ms[i % len(slow_ms)]

    def faults_for(self, index: int) -> dict[str, Any]:
        """One wave of faults for channel `index`; each count is taken by one publish request, in the
        sandbox's order (503s first, then 429s, ambiguous 504s, hangs)."""
        return {
            "fail_5xx": max(2, self.posts // 25),
            "rate_limit": max(2, self.posts // 25),
            "retry_after": 1,
            "ambiguous": max(2, self.posts // 30),
            "hang": 1,
            "hang_ms": HANG_MS,
            "slow_ms": self.slow_ms[index % len(self.slow_ms)],
        }


@dataclass
class ChaosReport:
    posts: int
    channels: list[str]
    injected: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> fault kind -> count
    slow_ms: dict[str, int] = field(default_factory=dict)
    kills: list[int] = field(default_factory=list)  # exit status of each killed worker (-9: SIGKILL)
    kill_progress: list[int] = field(default_factory=list)  # publications on the sandbox at each kill
    restarts: int = 0  # replacement workers seen polling the task queue
    duplicates: list[tuple[str, str, int]] = field(default_factory=list)  # (post, channel, count > 1)
    losses: list[tuple[str, str]] = field(default_factory=list)  # (post, channel) held 0 times
    mismatches: list[tuple[str, str]] = field(default_factory=list)  # recorded publication is not the held post
    audit_problems: list[str] = field(default_factory=list)  # publishing entries missing or repeated
    unfinished: dict[str, str] = field(default_factory=dict)  # post -> where its lifecycle ended or rests
    cut_off: Counter[str] = field(default_factory=Counter)  # "activity by timeout" -> attempts Temporal timed out
    latencies: list[float] = field(default_factory=list)  # seconds from approval to the lifecycle's end
    wall_s: float = 0.0

    @property
    def injected_by_kind(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for counts in self.injected.values():
            totals.update(counts)
        return {kind: totals[kind] for kind in FAULT_KINDS}

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.losses or self.mismatches or self.audit_problems or self.unfinished)

    def summary(self) -> str:
        rate = self.posts / self.wall_s if self.wall_s else 0.0
        by_kind = ", ".join(f"{kind} {n}" for kind, n in self.injected_by_kind.items())
        slow = ", ".join(f"{ms} ms on {ch}" for ch, ms in self.slow_ms.items() if ms)
        cut = ", ".join(f"{name} {n}" for name, n in sorted(self.cut_off.items())) or "none"
        ends = sorted(self.latencies)
        lines = [
            f"posts:            {self.posts}, each on {len(self.channels)} channels "
            f"({self.posts * len(self.channels)} publications)",
            f"faults injected:  {by_kind}; slow responses {slow or 'on no channel'}",
            f"worker kills:     {len(self.kills)} (SIGKILL, exit {self.kills}, at "
            f"{', '.join(map(str, self.kill_progress)) or '-'} publications); {self.restarts} new workers polling",
            f"duplicates:       {len(self.duplicates)}",
            f"losses:           {len(self.losses)}",
            f"mismatches:       {len(self.mismatches)} (postgate recorded another post than the sandbox holds)",
            f"audit problems:   {len(self.audit_problems)} (publishing entries missing or repeated in the trail)",
            f"unfinished:       {len(self.unfinished)}",
            f"attempts cut off: {cut} (an attempt that never reports back is retried after its timeout)",
        ]
        if ends:
            lines.append(
                f"approval to end:  median {statistics.median(ends):.1f} s, "
                f"p95 {ends[int(0.95 * (len(ends) - 1))]:.1f} s, max {ends[-1]:.1f} s"
            )
        lines.append(f"wall time:        {self.wall_s:.1f} s, {rate:.2f} posts/s")
        for name, problems in (
            ("duplicate", self.duplicates),
            ("lost", self.losses),
            ("mismatch", self.mismatches),
            ("audit", self.audit_problems),
            ("unfinished", sorted(self.unfinished.items())),
        ):
            lines += [f"  {name}: {problem}" for problem in problems[:10]]
        return "\n".join(lines)


# ---- processes -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgate_env(overrides: dict[str, str]) -> dict[str, str]:
    """The environment for a postgate process: none of the caller's POSTGATE_ settings leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("POSTGATE_")} | overrides


class Child:
    """One `postgate <command>` process, its output in a log file. It runs from the run's directory, so no
    `.env` of the repository is read (and nothing there is named like a module: `python -m` imports from the
    working directory first)."""

    def __init__(self, name: str, command: str, env: dict[str, str], run_dir: Path) -> None:
        self.name, self.command, self.env, self.run_dir = name, command, env, run_dir
        self.log = run_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", self.command], cwd=self.run_dir, env=self.env, stdout=out, stderr=out
            )

    def kill(self) -> int:
        """SIGKILL: no graceful shutdown, nothing reported to Temporal. Returns the exit status (-9)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


async def _until_healthy(child: Child, url: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=1) as http:
        while time.monotonic() < deadline:
            if not child.alive():
                raise RuntimeError(f"the {child.name} exited at start:\n{child.tail()}")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the {child.name} did not come up within {within:.0f} s:\n{child.tail()}")


async def _until_polling(client: Client, task_queue: str, child: Child, within: float = 60) -> None:
    """Wait until this worker process polls the task queue for activities (its identity is pid@host)."""
    assert child.process is not None
    prefix = f"{child.process.pid}@"
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    )
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"the {child.name} exited:\n{child.tail()}")
        described = await client.workflow_service.describe_task_queue(request)
        if any(p.identity.startswith(prefix) for p in described.pollers):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the {child.name} never polled {task_queue}:\n{child.tail()}")


# ---- the run -------------------------------------------------------------------------------------------


def seed(engine: Engine, workspace_id: str, channel_ids: list[str]) -> None:
    """A workspace with an editor, an approver and one sandbox channel per id (nothing the brand check flags)."""
    with transaction(engine) as session:
        add_workspace(session, Workspace(id=workspace_id, name="Chaos", banned_words="[]"))
        add_member(session, workspace_id, EDITOR, "editor", name="Ed Editor")
        add_member(session, workspace_id, APPROVER, "approver", name="Ann Approver")
        for channel_id in channel_ids:
            add_channel(session, Channel(id=channel_id, workspace_id=workspace_id, name=channel_id, max_length=500))


async def _until_accepted(call: Callable[[], Awaitable[Any]], what: str, deadline: float) -> Any:
    """Send an update until it is accepted: while the workflow is not awaiting it yet (InvalidState) or no
    worker answers (one was just killed), back off and send it again. The caller gives the update a fixed id,
    so a repeat of one that did get through is answered with the first outcome, never applied twice."""
    delay = 0.05
    while True:
        try:
            return await call()
        except WorkflowUpdateFailedError as err:
            if not (isinstance(err.cause, ApplicationError) and err.cause.type == "InvalidState"):
                raise
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not accepted before the deadline")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 1.0)


class ChaosRun:
    def __init__(self, config: ChaosConfig, run_dir: Path, log: Log) -> None:
        self.config, self.run_dir, self.log = config, run_dir, log
        run_dir.mkdir(parents=True, exist_ok=True)
        self.run_id = uuid.uuid4().hex[:8]
        self.workspace_id = f"chaos-{self.run_id}"
        self.channel_ids = [f"chaos-{self.run_id}-{i + 1}" for i in range(config.channels)]
        self.task_queue = f"chaos-{self.run_id}"
        self.report = ChaosReport(posts=config.posts, channels=self.channel_ids)
        self.texts: dict[str, str] = {}  # post id -> its text, unique per post
        self.handles: dict[str, WorkflowHandle[Any, Any]] = {}
        # Directory names are not identifiers, so none can shadow a module (see Child).
        self.postgate_data = run_dir / "postgate-data"

    async def run(self) -> ChaosReport:
        config = self.config
        database_url = config.database_url or f"sqlite:///{self.run_dir / 'postgate.db'}"
        engine = make_engine(database_url)
        async with AsyncExitStack() as stack:
            stack.callback(engine.dispose)
            # This process writes audit entries too (drafts): it signs checkpoints like the worker, with its key.
            configure_checkpoints(CheckpointPolicy(every=CHECKPOINT_EVERY, key_file=self.postgate_data / SIGNING_KEY))
            stack.callback(configure_checkpoints, None)
            migrate(engine)
            seed(engine, self.workspace_id, self.channel_ids)
            # Explicit values: neither the caller's environment nor a .env file may point this run elsewhere.
            temporal = Settings(
                temporal_address="",
                temporal_namespace="default",
                temporal_port=_free_port(),
                data_dir=self.run_dir / "temporal-data",
            )
            client = await stack.enter_async_context(temporal_server(temporal, headless=True))
            sandbox_url = await self._start_sandbox(stack)
            worker_env = _postgate_env(
                {
                    "POSTGATE_TEMPORAL_ADDRESS": temporal.resolved_temporal_address,
                    "POSTGATE_TEMPORAL_NAMESPACE": "default",
                    "POSTGATE_TASK_QUEUE": self.task_queue,
                    "POSTGATE_DATABASE_URL": database_url,
                    "POSTGATE_SANDBOX_URL": sandbox_url,
                    "POSTGATE_DATA_DIR": str(self.postgate_data),
                    "POSTGATE_AUDIT_CHECKPOINT_EVERY": str(CHECKPOINT_EVERY),
                }
            )
            workers: list[Child] = []

            async def new_worker() -> None:
                worker = Child(f"worker-{len(workers) + 1}", "worker", worker_env, self.run_dir)
                workers.append(worker)
                stack.callback(worker.stop)
                worker.start()
                await _until_polling(client, self.task_queue, worker)

            http = await stack.enter_async_context(httpx.AsyncClient(base_url=sandbox_url, timeout=60))
            await self._arm_faults(http)
            await new_worker()
            self.log(
                f"chaos run {self.run_id}: {config.posts} posts x {config.channels} channels, {config.kills} worker "
                f"kills; Temporal at {temporal.resolved_temporal_address}, sandbox at {sandbox_url}, app database "
                f"{'SQLite' if config.database_url is None else database_url.split('@')[-1]}; files in {self.run_dir}"
            )
            started = time.monotonic()
            deadline = started + config.deadline_s
            # Kills wait for points of the publishing that a post failing for good would never let them reach.
            async with asyncio.TaskGroup() as group:
                killing = group.create_task(self._kill_while_publishing(http, workers, new_worker, deadline))
                group.create_task(self._drive(client, engine, deadline)).add_done_callback(lambda _: killing.cancel())
            self.report.wall_s = time.monotonic() - started
            await self._count(http, engine)
            await self._count_cut_off_attempts()
        return self.report

    async def _start_sandbox(self, stack: AsyncExitStack) -> str:
        port = _free_port()
        env = {"POSTGATE_SANDBOX_PORT": str(port), "POSTGATE_DATA_DIR": str(self.run_dir / "sandbox-data")}
        sandbox = Child("sandbox", "sandbox", _postgate_env(env), self.run_dir)
        stack.callback(sandbox.stop)
        sandbox.start()
        url = f"http://127.0.0.1:{port}"
        await _until_healthy(sandbox, f"{url}/healthz")
        return url

    async def _arm_faults(self, http: httpx.AsyncClient) -> None:
        for index, channel_id in enumerate(self.channel_ids):
            faults = self.config.faults_for(index)
            (await http.put(f"/api/channels/{channel_id}/faults", json=faults)).raise_for_status()
            self.report.slow_ms[channel_id] = faults["slow_ms"]

    async def _kill_while_publishing(
        self, http: httpx.AsyncClient, workers: list[Child], new_worker: Callable[[], Awaitable[None]], deadline: float
    ) -> None:
        """SIGKILL the worker at evenly spread points of the publishing, start a new one, arm the faults again."""
        total = self.config.posts * self.config.channels
        marks = [total * (k + 1) // (self.config.kills + 1) for k in range(self.config.kills)]
        for mark in marks:
            while (published := len((await http.get("/api/posts")).json()["posts"])) < mark:
                if time.monotonic() > deadline:
                    return
                await asyncio.sleep(0.2)
            status = workers[-1].kill()
            self.report.kills.append(status)
            self.report.kill_progress.append(published)
            self.log(f"  killed {workers[-1].name} (exit {status}) at {published}/{total} publications")
            await self._arm_faults(http)
            await new_worker()
            self.report.restarts += 1
            self.log(f"  {workers[-1].name} is polling")

    async def _drive(self, client: Client, engine: Engine, deadline: float) -> None:
        """Create, submit and approve every post (at most `concurrency` at once), then wait for every end."""
        lanes = asyncio.Semaphore(self.config.concurrency)
        ends: list[asyncio.Task[tuple[str, LifecycleState, float]]] = []

        async def until_end(post_id: str, handle: WorkflowHandle[Any, Any], approved: float) -> tuple[str, Any, float]:
            return post_id, await handle.result(), time.monotonic() - approved

        async def one(n: int) -> None:
            async with lanes:
                post_id, handle = await self._submit_and_approve(client, engine, n, deadline)
            ends.append(asyncio.create_task(until_end(post_id, handle, time.monotonic())))

        async with asyncio.TaskGroup() as group:
            for n in range(self.config.posts):
                group.create_task(one(n))
        self.log(f"  {len(ends)} posts approved")
        done, pending = await asyncio.wait(ends, timeout=max(0.0, deadline - time.monotonic()))
        for task in pending:
            task.cancel()
        for task in done:
            post_id, final, latency = task.result()
            self.report.latencies.append(latency)
            if final.status is not PostStatus.DONE or any(c.status is not ChannelStatus.DONE for c in final.channels):
                self.report.unfinished[post_id] = f"ended {_describe(final)}"
        ended = {task.result()[0] for task in done}
        for post_id, handle in self.handles.items():
            if post_id not in ended:
                self.report.unfinished[post_id] = await self._where(handle)

    async def _submit_and_approve(
        self, client: Client, engine: Engine, n: int, deadline: float
    ) -> tuple[str, WorkflowHandle[Any, Any]]:
        text = f"Chaos post {n + 1} of run {self.run_id}: our spring line is here, in every colour."
        post = await asyncio.to_thread(
            create_draft,
            engine,
            workspace_id=self.workspace_id,
            channel_ids=self.channel_ids,
            author=EDITOR,
            text=text,
            publish_at=datetime.now(UTC),
        )
        self.texts[post.id] = text
        handle: WorkflowHandle[Any, Any] = await submit(
            client, engine, post.id, task_queue=self.task_queue, followup_offsets=[0], late_policy=LatePolicy.PUBLISH
        )
        self.handles[post.id] = handle
        decision = DecideRequest(actor=APPROVER, decision=Decision.APPROVE, content_hash=post.content_hash)
        await _until_accepted(
            lambda: handle.execute_update(PostLifecycle.decide, decision, id=f"approve-{post.id}"),
            f"approving post {post.id}",
            deadline,
        )
        return post.id, handle

    async def _where(self, handle: WorkflowHandle[Any, Any]) -> str:
        """Where an unfinished lifecycle rests, by query (a worker answers) or else by its execution status."""
        try:
            state: LifecycleState = await asyncio.wait_for(handle.query(PostLifecycle.current), timeout=10)
        except (RPCError, TimeoutError) as err:
            described = await handle.describe()
            return f"execution {described.status}, no answer to a query ({err})"
        return f"rests {_describe(state)}"

    async def _count(self, http: httpx.AsyncClient, engine: Engine) -> None:
        """What each channel holds, against what each post should have put there once."""
        by_text = {text: post_id for post_id, text in self.texts.items()}
        with transaction(engine) as session:
            rows = session.exec(select(PublicationRow).where(col(PublicationRow.channel_id).in_(self.channel_ids)))
            recorded = {row.idempotency_key: row.external_id for row in rows}
        for channel_id in self.channel_ids:
            self.report.injected[channel_id] = (await http.get(f"/api/channels/{channel_id}/faults")).json()["injected"]
            held = (await http.get("/api/posts", params={"channel": channel_id})).json()["posts"]
            counts = Counter(by_text.get(p["text"]) for p in held)
            ids = {by_text.get(p["text"]): p["id"] for p in held}
            for post_id in self.texts:
                if counts[post_id] > 1:
                    self.report.duplicates.append((post_id, channel_id, counts[post_id]))
                elif counts[post_id] == 0:
                    self.report.losses.append((post_id, channel_id))
                elif recorded.get(idempotency_key(post_id, 1, channel_id)) != ids[post_id]:
                    self.report.mismatches.append((post_id, channel_id))
            if counts[None]:
                self.log(f"  {channel_id} holds {counts[None]} posts that are none of this run's")
        self._check_audit_trails(engine)

    def _check_audit_trails(self, engine: Engine) -> None:
        """Our own side of exactly once: one `channel_published` entry per post and channel, one `published`."""
        with transaction(engine) as session:
            entries = session.exec(
                select(AuditEntry.post_id, AuditEntry.action, AuditEntry.detail).where(
                    AuditEntry.workspace_id == self.workspace_id,
                    col(AuditEntry.action).in_([AuditAction.CHANNEL_PUBLISHED.value, AuditAction.PUBLISHED.value]),
                )
            ).all()
        seen = Counter(
            (post_id, json.loads(detail).get("channel_id") if action == AuditAction.CHANNEL_PUBLISHED.value else None)
            for post_id, action, detail in entries
        )
        for post_id in self.texts:
            for channel_id in [*self.channel_ids, None]:
                if seen[post_id, channel_id] != 1:
                    what = f"{channel_id} channel_published" if channel_id else "published"
                    self.report.audit_problems.append(f"post {post_id}: {seen[post_id, channel_id]} x {what}")

    async def _count_cut_off_attempts(self) -> None:
        """Activity attempts that never reported back (killed with their worker, or lost) and were retried only
        once their heartbeat or start-to-close timeout ran out, read from every lifecycle's history."""
        lanes = asyncio.Semaphore(20)

        async def one(handle: WorkflowHandle[Any, Any]) -> None:
            names: dict[int, str] = {}
            async with lanes:
                async for event in handle.fetch_history_events():
                    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                        names[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
                    # A retried attempt's failure is on the next attempt's started event; the last one's on the
                    # timed-out event.
                    started = event.activity_task_started_event_attributes
                    timed_out = event.activity_task_timed_out_event_attributes
                    for scheduled, failure in (
                        (started.scheduled_event_id, started.last_failure),
                        (timed_out.scheduled_event_id, timed_out.failure),
                    ):
                        timeout = CUT_OFF_BY.get(failure.timeout_failure_info.timeout_type)
                        if timeout is not None:
                            self.report.cut_off[f"{names.get(scheduled, '?')} by {timeout}"] += 1

        async with asyncio.TaskGroup() as group:
            for handle in self.handles.values():
                group.create_task(one(handle))


def _describe(state: LifecycleState) -> str:
    channels = ", ".join(f"{c.channel_id} {c.status.value}" for c in state.channels)
    return f"{state.status.value} ({channels}){f': {state.failure}' if state.failure else ''}"


async def run_chaos(config: ChaosConfig, run_dir: Path, log: Log = print) -> ChaosReport:
    """One chaos run with everything kept in `run_dir`; every process it started is stopped when it returns."""
    return await ChaosRun(config, run_dir, log).run()
