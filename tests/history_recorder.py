"""Saving workflow histories for the replay test (scripts/record_histories.sh)."""

from __future__ import annotations

import os
from pathlib import Path

from temporalio.client import WorkflowHandle

HISTORIES = Path(__file__).resolve().parent / "histories"


async def keep_history(handle: WorkflowHandle, name: str) -> None:
    """With POSTGATE_RECORD_HISTORIES=1 (scripts/record_histories.sh), save a new path for the replay test."""
    target = HISTORIES / f"{name}.json"
    # An existing history is never overwritten: it is the proof that older runs still replay.
    if os.environ.get("POSTGATE_RECORD_HISTORIES") == "1" and not target.exists():
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        target.write_text(history.to_json())
