"""A post's revisions: list them, read one, see what changed between two, and comment on one."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from api.deps import ContextDep, CurrentUser, own_workspace, require_role
from api.errors import error_responses
from api.routes_posts import _load_visible_post
from api.schemas import RevisionPublic
from api.service import ServiceError
from domain.diff import RevisionDiff, diff_revisions
from store.comments import add_comment, comments_on, get_revision, revisions_page
from store.engine import transaction
from store.posts import channel_ids, revision_ref
from store.tables import Post, Revision, RevisionComment

router = APIRouter(prefix="/posts", tags=["revisions"])
COMMENTERS = ("editor", "approver")


class CommentCreate(BaseModel):
    body: str = Field(min_length=1, max_length=5000)
    channel_id: str | None = Field(default=None, max_length=64, description="the channel variant it is about")
    quote: str | None = Field(default=None, max_length=500, description="the words it is about")


class CommentPublic(BaseModel):
    id: int
    revision: int
    author: str
    body: str
    channel_id: str | None
    quote: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: RevisionComment) -> CommentPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            revision=row.revision,
            author=row.author,
            body=row.body,
            channel_id=row.channel_id,
            quote=row.quote,
            created_at=row.created_at,
        )


class RevisionDetail(RevisionPublic):
    created_at: datetime

    @classmethod
    def from_row(cls, row: Revision) -> RevisionDetail:
        return cls(**revision_ref(row).model_dump(), created_at=row.created_at)


class RevisionList(BaseModel):
    revisions: list[RevisionDetail]
    next_cursor: str | None


class CommentList(BaseModel):
    comments: list[CommentPublic]
    next_cursor: str | None


Limit = Annotated[int, Query(ge=1, le=200)]
# Bounded so a huge number is a 422, not an integer overflow in the database driver (500).
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]
Cursor = Annotated[str | None, Query(max_length=18, pattern=r"^[0-9]+$", description="next_cursor of the last page")]


def _revision(ctx: ContextDep, post: Post, number: int) -> Revision:
    with transaction(ctx.engine) as session:
        row = get_revision(session, post.id, number)
    if row is None:
        raise HTTPException(404, f"post '{post.id}' has no revision {number}")
    return row


@router.get("/{post_id}/revisions", response_model=RevisionList)
def list_revisions(
    post_id: str, ctx: ContextDep, user: CurrentUser, limit: Limit = 50, cursor: Cursor = None
) -> RevisionList:
    """Every revision, oldest first, with its variants and content hash."""
    post = _load_visible_post(ctx, user, post_id)
    with transaction(ctx.engine) as session:
        rows = revisions_page(session, post.id, limit=limit + 1, after=int(cursor) if cursor else None)
    page = rows[:limit]
    more = len(rows) > limit
    return RevisionList(
        revisions=[RevisionDetail.from_row(r) for r in page], next_cursor=str(page[-1].number) if more else None
    )


@router.get("/{post_id}/revisions/{number}", response_model=RevisionDetail)
def read_revision(post_id: str, number: Number, ctx: ContextDep, user: CurrentUser) -> RevisionDetail:
    post = _load_visible_post(ctx, user, post_id)
    return RevisionDetail.from_row(_revision(ctx, post, number))


@router.get("/{post_id}/revisions/{number}/diff", response_model=RevisionDiff)
def diff(
    post_id: str,
    number: Number,
    ctx: ContextDep,
    user: CurrentUser,
    against: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="compare with it; default: the one before")
    ] = None,
) -> RevisionDiff:
    """What changed, as unified diffs of the base text and of each channel's variant."""
    post = _load_visible_post(ctx, user, post_id)
    new = _revision(ctx, post, number)
    base = against if against is not None else number - 1
    if base < 1:
        raise HTTPException(404, f"revision {number} is the first; give ?against= another revision to compare")
    old = _revision(ctx, post, base)
    return diff_revisions(post.id, revision_ref(old), revision_ref(new))


@router.post(
    "/{post_id}/revisions/{number}/comments",
    status_code=201,
    response_model=CommentPublic,
    responses=error_responses(403),
)
async def comment(
    post_id: str, number: Number, body: CommentCreate, ctx: ContextDep, user: CurrentUser
) -> CommentPublic:
    """Comment on a revision (editors and approvers); the comment goes into the audit trail too."""

    def write() -> RevisionComment:
        post = _load_visible_post(ctx, user, post_id)
        require_role(own_workspace(user, post.workspace_id), *COMMENTERS)
        with transaction(ctx.engine) as session:
            revision = get_revision(session, post.id, number)
            if revision is None:
                raise HTTPException(404, f"post '{post.id}' has no revision {number}")
            if body.channel_id is not None and body.channel_id not in channel_ids(post):
                raise ServiceError(422, "unknown_channel", f"the post does not target channel '{body.channel_id}'")
            row = add_comment(
                session,
                post,
                revision,
                RevisionComment(
                    post_id=post.id,
                    revision=number,
                    author=user.id,
                    body=body.body,
                    channel_id=body.channel_id,
                    quote=body.quote,
                ),
            )
            return row

    return CommentPublic.from_row(await asyncio.to_thread(write))


@router.get("/{post_id}/revisions/{number}/comments", response_model=CommentList)
def list_comments(
    post_id: str, number: Number, ctx: ContextDep, user: CurrentUser, limit: Limit = 100, cursor: Cursor = None
) -> CommentList:
    post = _load_visible_post(ctx, user, post_id)
    _revision(ctx, post, number)
    with transaction(ctx.engine) as session:
        rows = comments_on(session, post.id, number, limit=limit + 1, after=int(cursor) if cursor else None)
    page = rows[:limit]
    more = len(rows) > limit
    comments = [CommentPublic.from_row(c) for c in page]
    return CommentList(comments=comments, next_cursor=str(page[-1].id) if more else None)
