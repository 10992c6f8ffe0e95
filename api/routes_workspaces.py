"""Workspaces, members and channels (bootstrap until the auth issue brings real administration)."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException
from sqlalchemy.exc import IntegrityError

from api.deps import ContextDep, CurrentUser, require_role
from api.schemas import (
    ChannelCreate,
    ChannelPublic,
    ChannelSettings,
    UserCreate,
    UserPublic,
    WorkspaceCreate,
    WorkspacePublic,
)
from api.service import ServiceError
from domain.approval import ApprovalPolicy
from store.engine import transaction
from store.tables import Channel, User, Workspace
from store.workspaces import add_channel, add_user, add_workspace, channels, get_user, get_workspace, members

router = APIRouter(tags=["workspaces"])


def _conflict(what: str) -> ServiceError:
    return ServiceError(409, "already_exists", f"{what} already exists; choose another id")


@router.post("/workspaces", status_code=201, response_model=WorkspacePublic)
def create_workspace(body: WorkspaceCreate, ctx: ContextDep) -> WorkspacePublic:
    """Create a workspace and its first admin."""
    try:
        with transaction(ctx.engine) as session:
            if get_workspace(session, body.id) is not None:
                raise _conflict(f"workspace '{body.id}'")
            if get_user(session, body.admin.id) is not None:
                raise _conflict(f"user '{body.admin.id}'")
            add_workspace(
                session,
                Workspace(
                    id=body.id,
                    name=body.name,
                    banned_words=json.dumps(body.banned_words),
                    late_policy=body.late_policy.value,
                    time_zone=body.time_zone,
                ),
            )
            add_user(session, User(id=body.admin.id, workspace_id=body.id, name=body.admin.name, role="admin"))
    except IntegrityError as err:
        raise _conflict(f"workspace '{body.id}' or user '{body.admin.id}'") from err
    return WorkspacePublic(**body.model_dump(exclude={"admin"}))


def own_workspace(user: User, workspace_id: str) -> None:
    # Another workspace's objects are not even acknowledged to exist.
    if user.workspace_id != workspace_id:
        raise HTTPException(404, f"workspace '{workspace_id}' not found")


@router.post("/workspaces/{workspace_id}/users", status_code=201, response_model=UserPublic)
def create_user(workspace_id: str, body: UserCreate, ctx: ContextDep, user: CurrentUser) -> UserPublic:
    own_workspace(user, workspace_id)
    require_role(user, "admin")
    try:
        with transaction(ctx.engine) as session:
            if get_user(session, body.id) is not None:
                raise _conflict(f"user '{body.id}'")
            add_user(session, User(id=body.id, workspace_id=workspace_id, name=body.name, role=body.role))
    except IntegrityError as err:
        raise _conflict(f"user '{body.id}'") from err
    return UserPublic(id=body.id, workspace_id=workspace_id, name=body.name, role=body.role)


@router.get("/workspaces/{workspace_id}/users", response_model=list[UserPublic])
def list_users(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> list[UserPublic]:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        return [UserPublic.model_validate(u, from_attributes=True) for u in members(session, workspace_id)]


@router.post("/workspaces/{workspace_id}/channels", status_code=201, response_model=ChannelPublic)
def create_channel(workspace_id: str, body: ChannelCreate, ctx: ContextDep, user: CurrentUser) -> ChannelPublic:
    own_workspace(user, workspace_id)
    require_role(user, "admin")
    try:
        with transaction(ctx.engine) as session:
            if session.get(Channel, body.id) is not None:
                raise _conflict(f"channel '{body.id}'")
            channel = add_channel(
                session, Channel(id=body.id, workspace_id=workspace_id, **ChannelPublic.columns(body))
            )
            public = ChannelPublic.from_row(channel)
    except IntegrityError as err:
        raise _conflict(f"channel '{body.id}'") from err
    return public


@router.put("/workspaces/{workspace_id}/channels/{channel_id}", response_model=ChannelPublic)
def update_channel(
    workspace_id: str, channel_id: str, body: ChannelSettings, ctx: ContextDep, user: CurrentUser
) -> ChannelPublic:
    """Replace a channel's settings (brand counting, social overrides, its own approval policy)."""
    own_workspace(user, workspace_id)
    require_role(user, "admin")
    with transaction(ctx.engine) as session:
        channel = session.get(Channel, channel_id)
        if channel is None or channel.workspace_id != workspace_id:
            raise HTTPException(404, f"channel '{channel_id}' not found")
        for key, value in ChannelPublic.columns(body).items():
            setattr(channel, key, value)
        session.add(channel)
        return ChannelPublic.from_row(channel)


@router.get("/workspaces/{workspace_id}/channels", response_model=list[ChannelPublic])
def list_channels(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> list[ChannelPublic]:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        return [ChannelPublic.from_row(c) for c in channels(session, workspace_id)]


@router.put("/workspaces/{workspace_id}/approval-policy", response_model=ApprovalPolicy)
def set_approval_policy(workspace_id: str, body: ApprovalPolicy, ctx: ContextDep, user: CurrentUser) -> ApprovalPolicy:
    """Replace the workspace's approval policy; posts submitted from now on follow it."""
    own_workspace(user, workspace_id)
    require_role(user, "admin")
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
        assert workspace is not None
        workspace.approval_policy = body.model_dump_json()
        session.add(workspace)
    return body


@router.get("/workspaces/{workspace_id}/approval-policy", response_model=ApprovalPolicy)
def read_approval_policy(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> ApprovalPolicy:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
    raw = workspace.approval_policy if workspace else ""
    return ApprovalPolicy.model_validate_json(raw) if raw else ApprovalPolicy()
