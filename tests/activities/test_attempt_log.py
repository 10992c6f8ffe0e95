"""What the worker logs while posts go through transient failures: one line per failed attempt with its reason
and what happens next, no traceback for what postgate expects, a traceback for what it does not."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.service import create_draft, submit
from domain.lifecycle import DecideRequest
from domain.status import Decision, PostStatus
from lifecycle_waits import until
from settings import Settings
from worker import running_worker
from worker_log import AttemptLog
from workflows.lifecycle import PostLifecycle


@pytest.fixture
def faults(sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http
        http.delete("/api/channels/sbx/faults")


def activity_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("temporalio.activity", "postgate.activity"))]


async def test_a_publish_through_transient_faults_logs_one_line_per_attempt_without_traceback(
    dev_env: WorkflowEnvironment, seeded, sandbox, faults: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """On the dev server, which hands the worker each activity's retry policy, as production servers do."""
    caplog.set_level(logging.INFO)
    assert faults.put("/api/channels/sbx/faults", json={"fail_5xx": 2, "rate_limit": 1}).status_code == 200  # noqa: ASYNC212
    task_queue = f"tq-{uuid.uuid4().hex[:12]}"
    settings = Settings(sandbox_url=sandbox.url, task_queue=task_queue)
    async with running_worker(dev_env.client, seeded, settings):
        now = await dev_env.get_current_time()
        post = create_draft(seeded, workspace_id="acme", channel_ids=["sbx"], author="ed", text="Flaky", publish_at=now)
        handle = await submit(dev_env.client, seeded, post.id, task_queue=task_queue, followup_offsets=[0])
        state = await until(handle, dev_env, PostStatus.AWAITING_APPROVAL)
        decision = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=state.revision.content_hash)
        await handle.execute_update(PostLifecycle.decide, decision)
        final = await handle.result()
        assert final.status is PostStatus.DONE  # type: ignore[attr-defined]

    records = activity_records(caplog)
    lines = [r.getMessage() for r in records]
    assert [r for r in records if r.exc_info] == [], "a traceback for an expected, retried failure"
    assert not any("Completing activity as failed" in line for line in lines)
    prefix = f"publish post {post.id} channel sbx attempt"
    attempts = [line for line in lines if line.startswith(prefix)]
    assert len(attempts) == 3, lines  # one line for each of the three failed attempts, none for the fourth
    assert re.fullmatch(rf"{prefix} 1: sandbox: .*unavailable, retrying in 2 s", attempts[0]), attempts[0]
    assert re.fullmatch(rf"{prefix} 2: sandbox: .*unavailable, retrying in 4 s", attempts[1]), attempts[1]
    assert re.fullmatch(rf"{prefix} 3: rate limited: .*, retrying in 1 s", attempts[2]), attempts[2]


calls: dict[str, int] = {}


@activity.defn(name="flaky")
async def flaky(kind: str) -> str:
    calls[kind] = calls.get(kind, 0) + 1
    if calls[kind] == 1:
        if kind == "expected":
            raise ApplicationError("the platform answered 503", type="TransientPlatformError")
        raise KeyError("a bug")
    return "ok"


@workflow.defn(sandboxed=False)
class Flaky:
    @workflow.run
    async def run(self, kind: str) -> str:
        return await workflow.execute_activity(
            flaky,
            kind,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10)),
        )


@pytest.mark.parametrize("kind", ["expected", "unexpected"])
async def test_only_the_unexpected_gets_a_traceback(
    dev_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.INFO)
    task_queue = f"tq-{uuid.uuid4().hex[:12]}"
    async with Worker(
        dev_env.client,
        task_queue=task_queue,
        workflows=[Flaky],
        activities=[flaky],
        interceptors=[AttemptLog()],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        assert await dev_env.client.execute_workflow(Flaky.run, kind, id=task_queue, task_queue=task_queue) == "ok"

    records = activity_records(caplog)
    if kind == "expected":
        assert [r.getMessage() for r in records] == [
            f"flaky workflow {task_queue} attempt 1: the platform answered 503, retrying in 0.01 s"
        ]
        assert not any(r.exc_info for r in records)
    else:
        [record] = records
        assert "Completing activity as failed" in record.getMessage()
        assert record.exc_info is not None and isinstance(record.exc_info[1], KeyError)
