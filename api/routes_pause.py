"""Crisis pause: hold every post of a workspace before it publishes, then resume with a policy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ContextDep, CurrentUser, require_role
from api.errors import WORKFLOW_ERRORS, error_responses
from api.routes_workspaces import own_workspace
from api.service import ServiceError
from domain.lifecycle import Pause, Resume
from domain.status import AuditAction, ResumePolicy
from store.engine import transaction
from store.records import record_workspace_event
from store.workspaces import get_workspace
from workflows.lifecycle import PostLifecycle

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["pause"])


class PauseBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why, for the audit trail")


class ResumeBody(BaseModel):
    policy: ResumePolicy = Field(description="publish missed posts now, hold them, or shift them by the pause")
    reason: str = Field(default="", max_length=2000)


class PauseState(BaseModel):
    paused: bool
    since: datetime | None = None
    reason: str | None = None
    by: str | None = None
    posts_signalled: int = 0


async def signal_running_posts(client: Client, workspace_id: str, signal: str, arg: BaseModel) -> int:
    """Signal every running lifecycle of the workspace (found by its WorkspaceId search attribute)."""
    query = f"WorkflowType = 'PostLifecycle' AND ExecutionStatus = 'Running' AND WorkspaceId = '{workspace_id}'"
    count = 0
    async for execution in client.list_workflows(query):
        try:
            await client.get_workflow_handle(execution.id).signal(signal, arg)
        except RPCError as err:
            # A post that finished between the listing and the signal has nothing left to hold.
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
            continue
        count += 1
    return count


def _switch_pause(
    ctx: ContextDep, workspace_id: str, *, pausing: bool, actor: str, at: datetime, detail: dict[str, Any]
) -> None:
    """Record the pause (or its end) on the workspace and in its audit trail, in one transaction."""
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
        assert workspace is not None
        since = workspace.paused_since
        if pausing and since is not None:
            raise ServiceError(409, "already_paused", f"paused since {since.isoformat()}")
        if not pausing and since is None:
            raise ServiceError(409, "not_paused", "the workspace is not paused")
        if pausing:
            workspace.paused_since, workspace.pause_reason, workspace.paused_by = at, detail["reason"], actor
            action = AuditAction.WORKSPACE_PAUSED
        else:
            assert since is not None
            detail = {**detail, "paused_since": since.isoformat()}
            workspace.paused_since, workspace.pause_reason, workspace.paused_by = None, None, None
            action = AuditAction.WORKSPACE_RESUMED
        session.add(workspace)
        record_workspace_event(session, workspace_id, action, actor, at, detail)


@router.post("/pause", response_model=PauseState, responses=error_responses(403, 409, *WORKFLOW_ERRORS))
async def pause(workspace_id: str, body: PauseBody, ctx: ContextDep, user: CurrentUser) -> PauseState:
    """Hold every scheduled post before its publish starts, durably (restarts keep the hold)."""
    require_role(own_workspace(user, workspace_id), "admin")
    now = datetime.now(UTC)
    # The database first: posts submitted from now on start paused, so none slips between the two.
    await asyncio.to_thread(
        _switch_pause, ctx, workspace_id, pausing=True, actor=user.id, at=now, detail=body.model_dump()
    )
    signalled = await signal_running_posts(
        ctx.client, workspace_id, PostLifecycle.pause.__name__, Pause(actor=user.id, reason=body.reason)
    )
    return PauseState(paused=True, since=now, reason=body.reason, by=user.id, posts_signalled=signalled)


@router.post("/resume", response_model=PauseState, responses=error_responses(403, 409, *WORKFLOW_ERRORS))
async def resume(workspace_id: str, body: ResumeBody, ctx: ContextDep, user: CurrentUser) -> PauseState:
    require_role(own_workspace(user, workspace_id), "admin")
    detail = body.model_dump(mode="json")
    now = datetime.now(UTC)
    await asyncio.to_thread(_switch_pause, ctx, workspace_id, pausing=False, actor=user.id, at=now, detail=detail)
    resume_signal = Resume(actor=user.id, policy=body.policy, reason=body.reason)
    signalled = await signal_running_posts(ctx.client, workspace_id, PostLifecycle.resume.__name__, resume_signal)
    return PauseState(paused=False, posts_signalled=signalled)


@router.get("/pause", response_model=PauseState)
def pause_state(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> PauseState:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
    assert workspace is not None
    return PauseState(
        paused=workspace.paused_since is not None,
        since=workspace.paused_since,
        reason=workspace.pause_reason,
        by=workspace.paused_by,
    )
