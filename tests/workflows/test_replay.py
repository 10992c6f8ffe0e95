"""Every committed history replays on the current workflow code: a change that would break running
workflows (non-determinism) fails here. Guard such changes with workflow.patched."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.lifecycle import PostLifecycle

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 5, "tests/histories/ lost its recorded histories (scripts/record_histories.sh)"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replays_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json(f"post-{path.stem}", path.read_text())
    replayer = Replayer(workflows=[PostLifecycle], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
