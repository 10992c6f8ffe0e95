"""Waiting for a post's workflow to reach a status, moving the time-skipping server's clock meanwhile."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from domain.lifecycle import LifecycleState
from domain.status import PostStatus
from workflows.lifecycle import PostLifecycle


async def until(handle, env: WorkflowEnvironment, status: PostStatus) -> LifecycleState:
    for _ in range(300):
        state: LifecycleState = await handle.query(PostLifecycle.current)
        if state.status is status:
            return state
        await env.sleep(0.05)
    raise AssertionError(f"stayed {state.status}, never {status}")
