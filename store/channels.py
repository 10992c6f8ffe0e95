"""Channel queries beyond creation and lookup (store.workspaces): pages, state changes, credential swaps.

The compare-and-set writes take the ciphertext the caller read: a worker that refreshed a token, or found
it refused, changes the row only if nobody reconnected the channel meanwhile.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.tables import Channel

ACTIVE = "active"
DISABLED = "disabled"
NEEDS_RECONNECTION = "needs_reconnection"
STATES = (ACTIVE, DISABLED, NEEDS_RECONNECTION)


def settings_of(channel: Channel) -> dict[str, Any]:
    """The channel's platform settings (non-secret), as stored."""
    value = json.loads(channel.settings or "{}")
    return value if isinstance(value, dict) else {}


def channel_page(session: Session, workspace_id: str, limit: int, after: str | None = None) -> list[Channel]:
    """Up to `limit` of the workspace's channels in id order, starting after the channel id `after`."""
    query = select(Channel).where(Channel.workspace_id == workspace_id)
    if after:
        query = query.where(col(Channel.id) > after)
    return list(session.exec(query.order_by(col(Channel.id)).limit(limit)))


def workspace_channel(session: Session, workspace_id: str, channel_id: str) -> Channel | None:
    """The channel if it belongs to the workspace; another workspace's channel is None, like a missing one."""
    return session.get(Channel, {"workspace_id": workspace_id, "id": channel_id})


def _unchanged(channel: Channel, expected: str | None) -> list[Any]:
    same = col(Channel.credentials).is_(None) if expected is None else col(Channel.credentials) == expected
    return [col(Channel.workspace_id) == channel.workspace_id, col(Channel.id) == channel.id, same]


def replace_credentials_if_unchanged(
    session: Session,
    channel: Channel,
    expected: str | None,
    ciphertext: str,
    key_id: str,
    expires_at: datetime | None,
) -> bool:
    """Store refreshed credentials unless the row's credentials changed since `expected` was read."""
    result = session.execute(
        update(Channel)
        .where(*_unchanged(channel, expected))
        .values(credentials=ciphertext, credentials_key_id=key_id, token_expires_at=expires_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_needs_reconnection_if_unchanged(session: Session, channel: Channel, expected: str | None, reason: str) -> bool:
    result = session.execute(
        update(Channel)
        .where(*_unchanged(channel, expected))
        .values(state=NEEDS_RECONNECTION, state_reason=reason[:2000])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def store_platform_limits(session: Session, workspace_id: str, channel_id: str, limits_json: str, at: datetime) -> None:
    """Keep what the channel's platform reported about its limits, and when."""
    session.execute(
        update(Channel)
        .where(col(Channel.workspace_id) == workspace_id, col(Channel.id) == channel_id)
        .values(platform_limits=limits_json, platform_limits_at=at)
    )
