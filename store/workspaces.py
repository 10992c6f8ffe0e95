"""Workspaces, their members and their channels."""

from __future__ import annotations

from sqlmodel import Session, select

from domain.approval import ApprovalPolicy
from store.tables import Channel, User, Workspace


def add_workspace(session: Session, workspace: Workspace) -> Workspace:
    session.add(workspace)
    session.flush()
    return workspace


def get_workspace(session: Session, workspace_id: str) -> Workspace | None:
    return session.get(Workspace, workspace_id)


def add_user(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def members(session: Session, workspace_id: str) -> list[User]:
    return list(session.exec(select(User).where(User.workspace_id == workspace_id)))


def add_channel(session: Session, channel: Channel) -> Channel:
    session.add(channel)
    session.flush()
    return channel


def get_channel(session: Session, channel_id: str) -> Channel | None:
    return session.get(Channel, channel_id)


def channels(session: Session, workspace_id: str) -> list[Channel]:
    return list(session.exec(select(Channel).where(Channel.workspace_id == workspace_id)))


def approval_policy(session: Session, workspace_id: str, channel_id: str) -> ApprovalPolicy:
    """The channel's own policy if it has one, else the workspace's, else one step for any approver."""
    channel = session.get(Channel, channel_id)
    if channel is not None and channel.approval_policy:
        return ApprovalPolicy.model_validate_json(channel.approval_policy)
    workspace = session.get(Workspace, workspace_id)
    if workspace is not None and workspace.approval_policy:
        return ApprovalPolicy.model_validate_json(workspace.approval_policy)
    return ApprovalPolicy()


def member_roles(session: Session, workspace_id: str) -> dict[str, str]:
    return {user.id: user.role for user in members(session, workspace_id)}
