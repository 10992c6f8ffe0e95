"""The API and the worker refuse to start against a Temporal namespace that lacks a search attribute the
workflows set (every new post would fail), naming each missing one with the command that adds it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from temporal_runtime import SearchAttributesMissing, check_search_attributes, installed_binary
from workflows.search_attributes import POST_STATUS, WORKSPACE_ID

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
async def without_publish_at() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server whose namespace has PostStatus and WorkspaceId, as docs/deploy.md once registered, not PublishAt."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(installed_binary("temporal")),
        data_converter=pydantic_data_converter,
        search_attributes=[POST_STATUS, WORKSPACE_ID],
        ui=False,
        dev_server_log_level="error",
    )
    async with env:
        yield env


def address_of(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def test_a_namespace_without_publish_at_is_refused_with_the_command_that_adds_it(
    without_publish_at: WorkflowEnvironment,
) -> None:
    address = address_of(without_publish_at)
    with pytest.raises(SearchAttributesMissing) as refused:
        await check_search_attributes(without_publish_at.client, address)

    message = str(refused.value)
    assert f"the Temporal namespace 'default' at {address}" in message
    command = (
        f"temporal operator search-attribute create --address {address} --namespace default "
        "--name PublishAt --type Datetime"
    )
    assert command in message
    assert "PostStatus" not in message and "WorkspaceId" not in message  # those are there


async def test_a_complete_namespace_passes(dev_env: WorkflowEnvironment) -> None:
    await check_search_attributes(dev_env.client, address_of(dev_env))


@pytest.mark.parametrize("role", ["worker", "api"])
def test_postgate_worker_and_api_refuse_to_start_and_say_why(
    without_publish_at: WorkflowEnvironment, role: str, tmp_path: Path
) -> None:
    address = address_of(without_publish_at)
    env = {
        **os.environ,
        "POSTGATE_TEMPORAL_ADDRESS": address,
        "POSTGATE_DATA_DIR": str(tmp_path),
        "POSTGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'postgate.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli", role], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "lacks search attributes" in done.stderr
    assert f"--address {address} --namespace default --name PublishAt --type Datetime" in done.stderr


def test_postgate_worker_says_where_it_polls_when_it_starts_and_stops(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = address_of(dev_env)
    env = {
        **os.environ,
        "POSTGATE_TEMPORAL_ADDRESS": address,
        "POSTGATE_TASK_QUEUE": "tq-start-stop",
        "POSTGATE_DATA_DIR": str(tmp_path),
        "POSTGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'postgate.db'}",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "cli", "worker"], cwd=REPO, env=env, stderr=out, stdout=out)
    try:
        for _ in range(600):
            if "worker started" in log.read_text() or worker.poll() is not None:
                break
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    text = log.read_text()
    where = f"task queue tq-start-stop, namespace default, Temporal at {address}"
    assert f"worker started: {where}" in text
    assert "worker stopping" in text
    assert f"worker stopped: {where}" in text
    assert "Traceback" not in text
