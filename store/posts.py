"""Posts and their revisions."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy import update
from sqlmodel import Session, col, select

from domain.content import Variant
from domain.lifecycle import RevisionRef
from store.tables import Post, Revision

_VARIANTS = TypeAdapter(list[Variant])


def add_post(session: Session, post: Post, first: RevisionRef) -> Post:
    session.add(post)
    session.flush()
    add_revision(session, post.id, first)
    return post


def add_revision(session: Session, post_id: str, revision: RevisionRef) -> bool:
    """Store a revision once; returns False when (post, number) was stored by an earlier try."""
    existing = session.exec(
        select(Revision).where(Revision.post_id == post_id, Revision.number == revision.number)
    ).first()
    if existing is not None:
        if existing.content_hash != revision.content_hash:
            raise ValueError(f"revision {revision.number} of post {post_id} already holds other content")
        return False
    session.add(
        Revision(
            post_id=post_id,
            number=revision.number,
            text=revision.text,
            variants=_VARIANTS.dump_json(revision.variants).decode(),
            content_hash=revision.content_hash,
            author=revision.author,
        )
    )
    session.flush()
    return True


def get_post(session: Session, post_id: str) -> Post | None:
    return session.get(Post, post_id)


def lock_post(session: Session, post_id: str) -> Post | None:
    """The post row, locked until the transaction ends: a compare-and-set on its status happens under it.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite: a no-op UPDATE first takes the database's write lock (the
    driver begins the transaction at the first write), so the read that follows sees the latest commit.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.connection().execute(update(Post).where(col(Post.id) == post_id).values(last_seq=Post.last_seq))
    query = select(Post).where(Post.id == post_id).with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def list_posts(
    session: Session,
    workspace_id: str,
    status: str | None = None,
    limit: int = 50,
    after: str | None = None,
    *,
    author: str | None = None,
    channel: str | None = None,
    publish_from: datetime | None = None,
    publish_before: datetime | None = None,
) -> list[Post]:
    """Newest first; `after` is the id of the last post of the previous page. Filters, all in the query:
    `author` keeps that author's, `channel` those targeting that channel (any of their channels), and
    `publish_from` (inclusive) / `publish_before` (exclusive) bound the publish instant."""
    query = select(Post).where(Post.workspace_id == workspace_id)
    if status:
        query = query.where(Post.status == status)
    if author:
        query = query.where(Post.author == author)
    if channel:
        # channel_ids is a JSON list written by json.dumps: the channel is in it as its own JSON string
        # (autoescape keeps % and _ literal); older posts have only channel_id.
        query = query.where(
            (col(Post.channel_id) == channel) | col(Post.channel_ids).contains(json.dumps(channel), autoescape=True)
        )
    if publish_from:
        query = query.where(col(Post.publish_at) >= publish_from)
    if publish_before:
        query = query.where(col(Post.publish_at) < publish_before)
    if after:
        anchor = session.get(Post, after)
        if anchor is not None:
            query = query.where(
                (col(Post.created_at) < anchor.created_at)
                | ((col(Post.created_at) == anchor.created_at) & (col(Post.id) < anchor.id))
            )
    query = query.order_by(col(Post.created_at).desc(), col(Post.id).desc()).limit(limit)
    return list(session.exec(query))


def revisions(session: Session, post_id: str) -> list[Revision]:
    return list(session.exec(select(Revision).where(Revision.post_id == post_id).order_by(col(Revision.number))))


def latest_revision(session: Session, post_id: str) -> Revision | None:
    return session.exec(
        select(Revision).where(Revision.post_id == post_id).order_by(col(Revision.number).desc())
    ).first()


def latest_revision_ref(session: Session, post_id: str) -> RevisionRef:
    """The post's newest revision as the workflow and the API see it (every post has revision 1)."""
    row = latest_revision(session, post_id)
    if row is None:
        raise LookupError(f"post {post_id} has no revision")
    return revision_ref(row)


def revision_ref(row: Revision) -> RevisionRef:
    return RevisionRef(
        number=row.number,
        text=row.text,
        content_hash=row.content_hash,
        author=row.author,
        variants=_VARIANTS.validate_json(row.variants or "[]"),
    )


def channel_ids(post: Post) -> list[str]:
    """Every channel the post targets, its first channel first (posts from before many channels have one)."""
    return json.loads(post.channel_ids or "[]") or [post.channel_id]
