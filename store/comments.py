"""Comments on revisions, each written with its audit entry."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from domain.status import AuditAction
from store.records import record_post_note
from store.tables import Post, Revision, RevisionComment


def add_comment(session: Session, post: Post, revision: Revision, comment: RevisionComment) -> RevisionComment:
    comment.created_at = datetime.now(UTC)
    session.add(comment)
    session.flush()
    detail = {"comment_id": comment.id, "body": comment.body}
    if comment.channel_id:
        detail["channel_id"] = comment.channel_id
    if comment.quote:
        detail["quote"] = comment.quote
    record_post_note(
        session,
        post.id,
        post.workspace_id,
        AuditAction.COMMENTED,
        comment.author,
        revision=revision.number,
        content_hash=revision.content_hash,
        at=comment.created_at,
        detail=detail,
    )
    return comment


def comments_on(
    session: Session, post_id: str, revision: int | None = None, *, limit: int = 100, after: int | None = None
) -> list[RevisionComment]:
    """Oldest first; `after` is the id of the last comment of the previous page."""
    query = select(RevisionComment).where(RevisionComment.post_id == post_id)
    if revision is not None:
        query = query.where(RevisionComment.revision == revision)
    if after is not None:
        query = query.where(col(RevisionComment.id) > after)
    return list(session.exec(query.order_by(col(RevisionComment.id)).limit(limit)))


def get_revision(session: Session, post_id: str, number: int) -> Revision | None:
    return session.exec(select(Revision).where(Revision.post_id == post_id, Revision.number == number)).first()


def revisions_page(session: Session, post_id: str, *, limit: int, after: int | None) -> list[Revision]:
    query = select(Revision).where(Revision.post_id == post_id)
    if after is not None:
        query = query.where(col(Revision.number) > after)
    return list(session.exec(query.order_by(col(Revision.number)).limit(limit)))
