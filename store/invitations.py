"""Invitations: how an account comes to belong to a workspace it did not create.

An admin invites an account id or an e-mail address with a role; the invitee sees the invitation among their
own and accepts (the membership is made then) or declines. Invitations expire. Each step is audited by the
caller through store.config_audit, in the same transaction.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from store.accounts import normalise_email
from store.tables import Invitation

PENDING, ACCEPTED, DECLINED, REVOKED = "pending", "accepted", "declined", "revoked"
DEFAULT_LIFETIME = timedelta(days=7)


def create_invitation(
    session: Session,
    workspace_id: str,
    *,
    user_id: str | None,
    email: str | None,
    role: str,
    invited_by: str,
    now: datetime,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> Invitation:
    if (user_id is None) == (email is None):
        raise ValueError("an invitation names an account id or an e-mail address, not both")
    invitation = Invitation(
        id=secrets.token_hex(16),
        workspace_id=workspace_id,
        user_id=user_id,
        email=normalise_email(email) if email else None,
        role=role,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(invitation)
    session.flush()
    return invitation


def is_for(invitation: Invitation, user_id: str, email: str | None) -> bool:
    """The invitation is addressed to this account (by its id, or by its e-mail address)."""
    if invitation.user_id is not None:
        return invitation.user_id == user_id
    return email is not None and invitation.email == normalise_email(email)


def pending_for(session: Session, user_id: str, email: str | None, now: datetime) -> list[Invitation]:
    """The account's invitations still open: pending and not expired, oldest first."""
    addressed = [col(Invitation.user_id) == user_id]
    if email:
        addressed.append(col(Invitation.email) == normalise_email(email))
    query = select(Invitation).where(Invitation.state == PENDING, col(Invitation.expires_at) > now, or_(*addressed))
    return list(session.exec(query.order_by(col(Invitation.created_at), col(Invitation.id))))


def workspace_invitations(session: Session, workspace_id: str, now: datetime) -> list[Invitation]:
    """The workspace's open invitations (pending, not expired), oldest first."""
    query = select(Invitation).where(
        Invitation.workspace_id == workspace_id, Invitation.state == PENDING, col(Invitation.expires_at) > now
    )
    return list(session.exec(query.order_by(col(Invitation.created_at), col(Invitation.id))))


def get_invitation(session: Session, invitation_id: str, *, for_update: bool = False) -> Invitation | None:
    query = select(Invitation).where(Invitation.id == invitation_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def close(session: Session, invitation: Invitation, state: str, now: datetime) -> None:
    invitation.state, invitation.decided_at = state, now
    session.add(invitation)
    session.flush()
