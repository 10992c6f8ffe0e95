"""Request and response bodies of the API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from domain.brand import Finding
from domain.content import MAX_TEXT_LENGTH
from domain.lifecycle import DecisionOutcome, LifecycleState, MetricsSnapshot, Publication
from domain.status import Decision, PostStatus
from store.tables import AuditEntry, Post

Id = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")


class MemberCreate(BaseModel):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)


class UserCreate(MemberCreate):
    role: Literal["editor", "approver", "admin"]


class WorkspaceCreate(BaseModel):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)
    banned_words: list[str] = Field(default=[], max_length=1000)
    admin: MemberCreate


class WorkspacePublic(BaseModel):
    id: str
    name: str
    banned_words: list[str]


class UserPublic(BaseModel):
    id: str
    workspace_id: str
    name: str
    role: str


class ChannelCreate(BaseModel):
    id: str = Id
    name: str = Field(min_length=1, max_length=200)
    platform: Literal["sandbox"] = "sandbox"
    max_length: int = Field(default=500, ge=1, le=100_000)


class ChannelPublic(BaseModel):
    id: str
    workspace_id: str
    name: str
    platform: str
    max_length: int


class PostCreate(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    publish_at: AwareDatetime | None = Field(
        default=None,
        description="when to publish, with a UTC offset (e.g. 2026-12-01T09:00:00+07:00); default now",
    )
    submit: bool = Field(default=False, description="submit for review straight away")


class RevisionCreate(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    comment: str = Field(default="", max_length=2000)


class DecisionCreate(BaseModel):
    decision: Decision
    content_hash: str = Field(min_length=1, max_length=80, description="hash of the revision you reviewed")
    comment: str = Field(default="", max_length=2000)


class RevisionPublic(BaseModel):
    number: int
    text: str
    content_hash: str
    author: str


class PostPublic(BaseModel):
    id: str
    workspace_id: str
    channel_id: str
    author: str
    status: PostStatus
    revision: RevisionPublic
    publish_at: datetime
    findings: list[Finding] = []
    decisions: list[DecisionOutcome] = []
    publication: Publication | None = None
    metrics: list[MetricsSnapshot] = []
    failure: str | None = None

    @classmethod
    def from_state(cls, post: Post, state: LifecycleState) -> PostPublic:
        return cls(
            id=post.id,
            workspace_id=post.workspace_id,
            channel_id=post.channel_id,
            author=post.author,
            status=state.status,
            revision=RevisionPublic(**state.revision.model_dump()),
            publish_at=state.publish_at,
            findings=state.findings,
            decisions=state.decisions,
            publication=state.publication,
            metrics=state.metrics,
            failure=state.failure,
        )


class PostSummary(BaseModel):
    id: str
    channel_id: str
    author: str
    status: PostStatus
    current_revision: int
    content_hash: str
    publish_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, post: Post) -> PostSummary:
        return cls(
            id=post.id,
            channel_id=post.channel_id,
            author=post.author,
            status=PostStatus(post.status),
            current_revision=post.current_revision,
            content_hash=post.content_hash,
            publish_at=post.publish_at,
            updated_at=post.updated_at,
        )


class PostList(BaseModel):
    posts: list[PostSummary]
    next_cursor: str | None


class AuditEntryPublic(BaseModel):
    seq: int
    at: datetime
    action: str
    actor: str
    revision: int
    content_hash: str
    status: str
    workflow_id: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: AuditEntry) -> AuditEntryPublic:
        return cls(
            seq=row.seq,
            at=row.at,
            action=row.action,
            actor=row.actor,
            revision=row.revision,
            content_hash=row.content_hash,
            status=row.status,
            workflow_id=row.workflow_id,
            detail=json.loads(row.detail),
        )


class AuditTrail(BaseModel):
    post_id: str
    entries: list[AuditEntryPublic]
