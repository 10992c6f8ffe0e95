"""Invitations: an admin offers a role, the invitee accepts or declines; only acceptance makes a member.

Inviting an account id or an e-mail address answers the same (202, the same body) whether or not an account
has it, so nobody learns which ids and e-mails exist; an invitation to nobody simply expires. The invitee
finds their open invitations under /me/invitations. Every step is in the workspace's audit chain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, model_validator

from api.deps import ContextDep, CurrentUser, own_workspace, require_role
from api.errors import error_responses
from api.pagination import Cursor, Limit, page
from api.service import ServiceError
from domain.status import AuditAction
from store.accounts import Role, get_membership, set_membership
from store.config_audit import record_change
from store.engine import transaction
from store.invitations import (
    ACCEPTED,
    DECLINED,
    PENDING,
    REVOKED,
    close,
    create_invitation,
    get_invitation,
    is_for,
    pending_for,
    workspace_invitations,
)
from store.tables import Invitation

router = APIRouter(tags=["invitations"])
SENT = "invitation sent if the account exists; it takes effect when they accept it"


class InvitationCreate(BaseModel):
    user_id: str | None = Field(default=None, min_length=1, max_length=64, description="invite this account id")
    email: str | None = Field(
        default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="or whoever has this e-mail"
    )
    role: Role
    expires_in_days: int = Field(default=7, ge=1, le=30)

    @model_validator(mode="after")
    def _one_invitee(self) -> InvitationCreate:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give user_id or email (one of them)")
        return self


class InvitationPublic(BaseModel):
    id: str
    workspace_id: str
    user_id: str | None
    email: str | None
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    state: str

    @classmethod
    def from_row(cls, row: Invitation) -> InvitationPublic:
        return cls(**row.model_dump(exclude={"decided_at"}))


class InvitationSent(InvitationPublic):
    message: str = SENT


class InvitationList(BaseModel):
    invitations: list[InvitationPublic]
    next_cursor: str | None


def _invitee(row: Invitation) -> dict[str, str | None]:
    return {"user_id": row.user_id, "email": row.email}


@router.post(
    "/workspaces/{workspace_id}/invitations",
    status_code=202,
    response_model=InvitationSent,
    responses=error_responses(403, 404),
)
def invite(workspace_id: str, body: InvitationCreate, ctx: ContextDep, user: CurrentUser) -> InvitationSent:
    """Invite an account (by id or e-mail address) to a role here. The answer is the same whether or not such
    an account exists; the invitee accepts or declines under /me/invitations before the invitation expires."""
    require_role(own_workspace(user, workspace_id), "admin")
    now = datetime.now(UTC)
    with transaction(ctx.engine) as session:
        row = create_invitation(
            session,
            workspace_id,
            user_id=body.user_id,
            email=body.email,
            role=body.role,
            invited_by=user.id,
            now=now,
            lifetime=timedelta(days=body.expires_in_days),
        )
        record_change(
            session,
            workspace_id,
            AuditAction.MEMBER_INVITED,
            user.id,
            subject=f"invitation:{row.id}",
            before=None,
            after={**_invitee(row), "role": row.role, "expires_at": row.expires_at.isoformat()},
            at=now,
        )
        return InvitationSent(**InvitationPublic.from_row(row).model_dump())


@router.get(
    "/workspaces/{workspace_id}/invitations", response_model=InvitationList, responses=error_responses(403, 404)
)
def list_workspace_invitations(
    workspace_id: str, ctx: ContextDep, user: CurrentUser, limit: Limit = 100, cursor: Cursor = None
) -> InvitationList:
    """The workspace's open invitations (admins)."""
    require_role(own_workspace(user, workspace_id), "admin")
    with transaction(ctx.engine) as session:
        rows = [InvitationPublic.from_row(r) for r in workspace_invitations(session, workspace_id, datetime.now(UTC))]
    chunk, next_cursor = page(rows, lambda i: f"{i.created_at.isoformat()}|{i.id}", limit, cursor)
    return InvitationList(invitations=chunk, next_cursor=next_cursor)


@router.delete(
    "/workspaces/{workspace_id}/invitations/{invitation_id}", status_code=204, responses=error_responses(403, 404)
)
def revoke_invitation(workspace_id: str, invitation_id: str, ctx: ContextDep, user: CurrentUser) -> None:
    require_role(own_workspace(user, workspace_id), "admin")
    now = datetime.now(UTC)
    with transaction(ctx.engine) as session:
        row = get_invitation(session, invitation_id, for_update=True)
        if row is None or row.workspace_id != workspace_id or row.state != PENDING:
            raise HTTPException(404, f"no open invitation '{invitation_id}' in '{workspace_id}'")
        close(session, row, REVOKED, now)
        record_change(
            session,
            workspace_id,
            AuditAction.INVITATION_REVOKED,
            user.id,
            subject=f"invitation:{row.id}",
            before={**_invitee(row), "role": row.role, "state": PENDING},
            after={"state": REVOKED},
            at=now,
        )


@router.get("/me/invitations", response_model=InvitationList)
def my_invitations(ctx: ContextDep, user: CurrentUser, limit: Limit = 100, cursor: Cursor = None) -> InvitationList:
    """Your open invitations: to your account id, or to your e-mail address."""
    with transaction(ctx.engine) as session:
        rows = [InvitationPublic.from_row(r) for r in pending_for(session, user.id, user.email, datetime.now(UTC))]
    chunk, next_cursor = page(rows, lambda i: f"{i.created_at.isoformat()}|{i.id}", limit, cursor)
    return InvitationList(invitations=chunk, next_cursor=next_cursor)


def _decide(ctx: ContextDep, user: CurrentUser, invitation_id: str, accept: bool) -> InvitationPublic:
    now = datetime.now(UTC)
    with transaction(ctx.engine) as session:
        row = get_invitation(session, invitation_id, for_update=True)
        if row is None or not is_for(row, user.id, user.email):
            raise HTTPException(404, f"invitation '{invitation_id}' not found")
        if row.state != PENDING:
            raise ServiceError(409, "invitation_closed", f"this invitation was {row.state} already")
        if row.expires_at <= now:
            raise ServiceError(409, "invitation_expired", "this invitation has expired; ask the admin for a new one")
        invitation = {"invitation": row.id, "invited_by": row.invited_by}
        if accept:
            if get_membership(session, user.id, row.workspace_id) is not None:
                raise ServiceError(
                    409, "already_member", f"you are already a member of '{row.workspace_id}'; decline this one"
                )
            set_membership(session, user.id, row.workspace_id, row.role)
            close(session, row, ACCEPTED, now)
            record_change(
                session,
                row.workspace_id,
                AuditAction.MEMBER_JOINED,
                user.id,
                subject=f"member:{user.id}",
                before=None,
                after={"role": row.role},
                at=now,
                **invitation,
            )
        else:
            close(session, row, DECLINED, now)
            record_change(
                session,
                row.workspace_id,
                AuditAction.INVITATION_DECLINED,
                user.id,
                subject=f"invitation:{row.id}",
                before={"state": PENDING, "role": row.role},
                after={"state": DECLINED},
                at=now,
                **invitation,
            )
        return InvitationPublic.from_row(row)


@router.post(
    "/me/invitations/{invitation_id}/accept", response_model=InvitationPublic, responses=error_responses(404, 409)
)
def accept_invitation(invitation_id: str, ctx: ContextDep, user: CurrentUser) -> InvitationPublic:
    """Accept: you become a member of the workspace with the invitation's role."""
    return _decide(ctx, user, invitation_id, accept=True)


@router.post(
    "/me/invitations/{invitation_id}/decline", response_model=InvitationPublic, responses=error_responses(404, 409)
)
def decline_invitation(invitation_id: str, ctx: ContextDep, user: CurrentUser) -> InvitationPublic:
    return _decide(ctx, user, invitation_id, accept=False)
