"""The workspace's schedule for the calendar and its iCal feeds, and the feeds' secrets (only hashes kept)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from store.authentication import sha256_hex
from store.tables import CalendarFeed, Post, Revision

# A secret of 32 random bytes, URL-safe: the whole credential of a feed URL.
FEED_SECRET_BYTES = 32


def scheduled_posts(
    session: Session, workspace_id: str, start: datetime, end: datetime, statuses: tuple[str, ...]
) -> list[tuple[Post, str]]:
    """Posts of the workspace publishing in [start, end) with one of the statuses, earliest first, with the
    text of their current revision."""
    query = (
        select(Post, Revision.text)
        .join(Revision, (col(Revision.post_id) == col(Post.id)) & (col(Revision.number) == col(Post.current_revision)))
        .where(Post.workspace_id == workspace_id)
        .where(col(Post.publish_at) >= start, col(Post.publish_at) < end)
        .where(col(Post.status).in_(statuses))
        .order_by(col(Post.publish_at), col(Post.id))
    )
    return [(post, text) for post, text in session.exec(query)]


def create_feed(session: Session, user_id: str, workspace_id: str, *, now: datetime) -> str:
    """A new feed secret for the person and workspace (shown once); any earlier one of theirs stops working."""
    revoke_feeds(session, user_id, workspace_id, now=now)
    secret = secrets.token_urlsafe(FEED_SECRET_BYTES)
    feed = CalendarFeed(secret_hash=sha256_hex(secret), user_id=user_id, workspace_id=workspace_id, created_at=now)
    session.add(feed)
    return secret


def active_feed(session: Session, user_id: str, workspace_id: str) -> CalendarFeed | None:
    query = select(CalendarFeed).where(
        CalendarFeed.user_id == user_id,
        CalendarFeed.workspace_id == workspace_id,
        col(CalendarFeed.revoked_at).is_(None),
    )
    return session.exec(query).first()


def revoke_feeds(session: Session, user_id: str, workspace_id: str, *, now: datetime) -> int:
    revoked = 0
    while (feed := active_feed(session, user_id, workspace_id)) is not None:
        feed.revoked_at = now
        session.add(feed)
        session.flush()
        revoked += 1
    return revoked


def feed_of(session: Session, secret: str) -> CalendarFeed | None:
    """The live feed the secret opens, or None (unknown or revoked)."""
    if not secret or len(secret) > 100:
        return None
    feed = session.get(CalendarFeed, sha256_hex(secret))
    return feed if feed is not None and feed.revoked_at is None else None
