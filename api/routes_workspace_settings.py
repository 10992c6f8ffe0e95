"""A workspace's settings after creation: name, time zone, late policy, late-publish notice threshold, who may
unpublish. Each change is an entry in the workspace's audit chain (store.config_audit)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from api.deps import ContextDep, CurrentUser, own_workspace, require_role
from api.errors import error_responses
from api.schemas import WorkspacePublic, WorkspaceSettingsChange
from domain.status import AuditAction, LatePolicy
from store.config_audit import record_change, workspace_settings
from store.engine import transaction
from store.tables import Workspace
from store.workspaces import get_workspace

router = APIRouter(prefix="/workspaces/{workspace_id}/settings", tags=["workspaces"])


def _public(workspace: Workspace) -> WorkspacePublic:
    return WorkspacePublic(
        id=workspace.id,
        name=workspace.name,
        banned_words=json.loads(workspace.banned_words),
        late_policy=LatePolicy(workspace.late_policy),
        time_zone=workspace.time_zone,
        late_notice_after_s=workspace.late_notice_after_s,
        unpublish_roles=json.loads(workspace.unpublish_roles),
    )


def _snapshot(workspace: Workspace) -> dict[str, Any]:
    return {
        **workspace_settings(workspace),
        "late_notice_after_s": workspace.late_notice_after_s,
        "unpublish_roles": json.loads(workspace.unpublish_roles),
    }


@router.get("", response_model=WorkspacePublic)
def read_settings(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> WorkspacePublic:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
        assert workspace is not None
        return _public(workspace)


@router.patch("", response_model=WorkspacePublic, responses=error_responses(403))
def change_settings(
    workspace_id: str, body: WorkspaceSettingsChange, ctx: ContextDep, user: CurrentUser
) -> WorkspacePublic:
    """Change the fields given. The late policy applies to posts submitted from now on; the notice threshold
    and the unpublish roles apply at once."""
    require_role(own_workspace(user, workspace_id), "admin")
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
        assert workspace is not None
        before = _snapshot(workspace)
        if body.name is not None:
            workspace.name = body.name
        if body.time_zone is not None:
            workspace.time_zone = body.time_zone
        if body.late_policy is not None:
            workspace.late_policy = body.late_policy.value
        if body.late_notice_after_s is not None:
            workspace.late_notice_after_s = body.late_notice_after_s
        if body.unpublish_roles is not None:
            workspace.unpublish_roles = json.dumps(list(dict.fromkeys(body.unpublish_roles)))
        session.add(workspace)
        after = _snapshot(workspace)
        if after != before:
            changed = sorted(k for k in after if after[k] != before.get(k))
            record_change(
                session,
                workspace_id,
                AuditAction.WORKSPACE_SETTINGS_CHANGED,
                user.id,
                subject="workspace",
                before={k: before.get(k) for k in changed},
                after={k: after[k] for k in changed},
            )
        return _public(workspace)
