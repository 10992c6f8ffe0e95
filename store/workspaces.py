"""Workspaces, their members and their channels."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from domain.brand import BrandRules
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


def brand_rules(session: Session, workspace_id: str, channel_id: str) -> BrandRules:
    workspace = session.get(Workspace, workspace_id)
    channel = session.get(Channel, channel_id)
    if workspace is None or channel is None:
        raise LookupError(f"workspace {workspace_id} or channel {channel_id} does not exist")
    return BrandRules(max_length=channel.max_length, banned_words=json.loads(workspace.banned_words))
