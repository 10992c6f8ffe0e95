"""Workspaces and their members; channels: routes_channels; invitations: routes_invitations.

Accounts are global and belong to workspaces through memberships (one role each). Any authenticated
user may create a workspace and becomes its admin; the very first account comes from
`postgate admin create-user`. An existing account joins a workspace only by accepting an invitation; a
member may leave. Every change here is an entry in the workspace's audit chain (store.config_audit).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.approval_policies import refuse_unknown_signers
from api.deps import ContextDep, CurrentUser, own_workspace, require_role
from api.errors import error_responses
from api.pagination import Cursor, Limit, page
from api.schemas import RoleChange, UserCreate, UserCreated, UserPublic, WorkspaceCreate, WorkspacePublic
from api.service import ServiceError
from api.style_storage import adopt_style
from brand.loading import compile_style
from brand.starters import starter_files
from domain.approval import ApprovalPolicy
from domain.status import AuditAction
from store.accounts import (
    admin_count,
    get_membership,
    get_user,
    members,
    remove_membership,
    set_membership,
    user_by_email,
)
from store.accounts import create_user as create_account
from store.authentication import issue_token
from store.config_audit import record_change, workspace_settings
from store.engine import transaction
from store.tables import Workspace
from store.workspaces import add_workspace, get_workspace

__all__ = ["own_workspace", "router"]  # own_workspace: other route modules import it from here

router = APIRouter(tags=["workspaces"])


def _conflict(what: str) -> ServiceError:
    return ServiceError(409, "already_exists", f"{what} already exists; choose another id")


@router.post("/workspaces", status_code=201, response_model=WorkspacePublic, responses=error_responses(403, 409))
def create_workspace(body: WorkspaceCreate, ctx: ContextDep, user: CurrentUser) -> WorkspacePublic:
    """Create a workspace; you become its admin. With `starter_style` ("en-social" or "id-social") it starts
    with that style shipped with postgate, stored and audited like an upload (replace it with PUT .../style)."""
    starter = starter_files(body.starter_style) if body.starter_style else None
    try:
        with transaction(ctx.engine) as session:
            if get_workspace(session, body.id) is not None:
                raise _conflict(f"workspace '{body.id}'")
            workspace = add_workspace(
                session,
                Workspace(
                    id=body.id,
                    name=body.name,
                    banned_words=json.dumps(body.banned_words),
                    late_policy=body.late_policy.value,
                    time_zone=body.time_zone,
                    late_notice_after_s=body.late_notice_after_s,
                    unpublish_roles=json.dumps(body.unpublish_roles),
                ),
            )
            set_membership(session, user.id, body.id, "admin")
            record_change(
                session,
                body.id,
                AuditAction.WORKSPACE_CREATED,
                user.id,
                subject="workspace",
                before=None,
                after={**workspace_settings(workspace), "admin": user.id},
            )
            if starter is not None:
                adopt_style(session, body.id, compile_style(starter), starter, user.id)
    except IntegrityError as err:
        raise _conflict(f"workspace '{body.id}'") from err
    return WorkspacePublic(**body.model_dump())


@router.post(
    "/workspaces/{workspace_id}/users",
    status_code=201,
    response_model=UserCreated,
    responses=error_responses(403, 404, 409),
)
def create_user(workspace_id: str, body: UserCreate, ctx: ContextDep, user: CurrentUser) -> UserCreated:
    """Create an account that belongs to this workspace with a role. The answer holds its first API token,
    shown once: hand it over securely (the user can make their own and revoke this one)."""
    require_role(own_workspace(user, workspace_id), "admin")
    # A taken id and a taken e-mail address answer alike, so this is no way to learn which e-mail has an account.
    taken = ServiceError(
        409,
        "already_exists",
        "this id or this e-mail address cannot be used for a new account; choose others, or invite an "
        f"existing account with POST /workspaces/{workspace_id}/invitations",
    )
    try:
        with transaction(ctx.engine) as session:
            if get_user(session, body.id) is not None:
                raise taken
            if body.email and user_by_email(session, body.email) is not None:
                raise taken
            create_account(session, body.id, body.name, email=body.email, password=body.password)
            set_membership(session, body.id, workspace_id, body.role)
            record_change(
                session,
                workspace_id,
                AuditAction.MEMBER_JOINED,
                user.id,
                subject=f"member:{body.id}",
                before=None,
                after={"role": body.role},
                how="account created by an admin",
            )
            token, plain = issue_token(session, body.id, f"created by {user.id}", now=datetime.now(UTC))
    except IntegrityError as err:
        raise taken from err
    return UserCreated(
        id=body.id,
        workspace_id=workspace_id,
        name=body.name,
        role=body.role,
        token=plain,
        token_expires_at=token.expires_at,
    )


class UserList(BaseModel):
    users: list[UserPublic]
    next_cursor: str | None


@router.get("/workspaces/{workspace_id}/users", response_model=UserList, responses=error_responses(404))
def list_users(
    workspace_id: str, ctx: ContextDep, user: CurrentUser, limit: Limit = 100, cursor: Cursor = None
) -> UserList:
    """The workspace's members and their roles, by user id."""
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        everyone = [
            UserPublic(id=u.id, workspace_id=workspace_id, name=u.name, role=role)
            for u, role in members(session, workspace_id)
        ]
    users, next_cursor = page(everyone, lambda u: u.id, limit, cursor)
    return UserList(users=users, next_cursor=next_cursor)


def _keep_an_admin(session: Session, workspace_id: str, user_id: str, new_role: str | None) -> None:
    current = get_membership(session, user_id, workspace_id)
    if current is None or current.role != "admin" or new_role == "admin":
        return
    if admin_count(session, workspace_id) <= 1:
        raise ServiceError(409, "last_admin", f"'{user_id}' is the workspace's only admin; make another admin first")


def _not_member(workspace_id: str, user_id: str) -> HTTPException:
    # The same answer whether or not an account with this id exists.
    return HTTPException(
        404,
        f"'{user_id}' is not a member of '{workspace_id}'; invite an account with "
        f"POST /workspaces/{workspace_id}/invitations",
    )


@router.put(
    "/workspaces/{workspace_id}/members/{user_id}", response_model=UserPublic, responses=error_responses(403, 404, 409)
)
def set_member(workspace_id: str, user_id: str, body: RoleChange, ctx: ContextDep, user: CurrentUser) -> UserPublic:
    """Change a member's role. Nobody becomes a member this way: invite them, and they accept."""
    require_role(own_workspace(user, workspace_id), "admin")
    with transaction(ctx.engine) as session:
        membership = get_membership(session, user_id, workspace_id)
        account = get_user(session, user_id)
        if membership is None or account is None:
            raise _not_member(workspace_id, user_id)
        before = membership.role
        _keep_an_admin(session, workspace_id, user_id, body.role)
        if before != body.role:
            set_membership(session, user_id, workspace_id, body.role)
            record_change(
                session,
                workspace_id,
                AuditAction.MEMBER_ROLE_CHANGED,
                user.id,
                subject=f"member:{user_id}",
                before={"role": before},
                after={"role": body.role},
            )
    return UserPublic(id=user_id, workspace_id=workspace_id, name=account.name, role=body.role)


def _leave(session: Session, workspace_id: str, user_id: str, actor: str, action: AuditAction) -> None:
    membership = get_membership(session, user_id, workspace_id)
    if membership is None:
        raise _not_member(workspace_id, user_id)
    _keep_an_admin(session, workspace_id, user_id, None)
    role = membership.role
    remove_membership(session, membership)
    record_change(session, workspace_id, action, actor, subject=f"member:{user_id}", before={"role": role}, after=None)


@router.delete(
    "/workspaces/{workspace_id}/members/{user_id}", status_code=204, responses=error_responses(403, 404, 409)
)
def remove_member(workspace_id: str, user_id: str, ctx: ContextDep, user: CurrentUser) -> None:
    """Take the account out of the workspace (the account and its history stay)."""
    require_role(own_workspace(user, workspace_id), "admin")
    with transaction(ctx.engine) as session:
        _leave(session, workspace_id, user_id, user.id, AuditAction.MEMBER_REMOVED)


@router.post("/workspaces/{workspace_id}/leave", status_code=204, responses=error_responses(404, 409))
def leave_workspace(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> None:
    """Leave the workspace, whatever your role; its only admin must first make another admin (409)."""
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        _leave(session, workspace_id, user.id, user.id, AuditAction.MEMBER_LEFT)


@router.put(
    "/workspaces/{workspace_id}/approval-policy", response_model=ApprovalPolicy, responses=error_responses(403, 404)
)
def set_approval_policy(workspace_id: str, body: ApprovalPolicy, ctx: ContextDep, user: CurrentUser) -> ApprovalPolicy:
    """Replace the workspace's approval policy; posts submitted from now on follow it."""
    require_role(own_workspace(user, workspace_id), "admin")
    with transaction(ctx.engine) as session:
        refuse_unknown_signers(session, workspace_id, body)
        workspace = get_workspace(session, workspace_id)
        assert workspace is not None
        before = json.loads(workspace.approval_policy) if workspace.approval_policy else None
        workspace.approval_policy = body.model_dump_json()
        session.add(workspace)
        record_change(
            session,
            workspace_id,
            AuditAction.APPROVAL_POLICY_CHANGED,
            user.id,
            subject="approval_policy",
            before=before,
            after=body.model_dump(mode="json"),
        )
    return body


@router.get("/workspaces/{workspace_id}/approval-policy", response_model=ApprovalPolicy, responses=error_responses(404))
def read_approval_policy(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> ApprovalPolicy:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
    raw = workspace.approval_policy if workspace else ""
    return ApprovalPolicy.model_validate_json(raw) if raw else ApprovalPolicy()
