"""Inputs, outputs and state of the PostLifecycle workflow and its activities.

Everything here crosses the Temporal boundary, so it is plain pydantic: never a SQLModel table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.approval import ResolvedPolicy
from domain.brand import Finding
from domain.content import Variant
from domain.status import AuditAction, ChannelStatus, Decision, LatePolicy, PostStatus, ResumePolicy


def workflow_id_for(post_id: str) -> str:
    return f"post-{post_id}"


class RevisionRef(BaseModel):
    number: int
    text: str
    content_hash: str
    author: str
    variants: list[Variant] = []

    def variant_for(self, channel_id: str) -> Variant:
        """What this channel publishes: its own variant, or the base text with no media."""
        for variant in self.variants:
            if variant.channel_id == channel_id:
                return variant if variant.text is not None else variant.model_copy(update={"text": self.text})
        return Variant(channel_id=channel_id, text=self.text)

    def text_for(self, channel_id: str) -> str:
        return self.variant_for(channel_id).text or self.text


class TransitionRecord(BaseModel):
    """One audit entry plus the projection change that goes with it, written in one transaction.

    (workflow_id, seq) is unique, so a retried activity writes nothing twice.
    """

    workflow_id: str
    post_id: str
    workspace_id: str
    seq: int
    action: AuditAction
    actor: str
    revision: int
    content_hash: str
    status: PostStatus
    at: datetime
    detail: dict[str, Any] = {}
    # Set when the transition moves the publish time (the projection keeps it for listing).
    publish_at: datetime | None = None


class LifecycleInput(BaseModel):
    post_id: str
    workspace_id: str
    channel_id: str
    # Every channel the post targets, channel_id first; empty in workflows started before many channels.
    channel_ids: list[str] = []
    author: str
    revision: RevisionRef
    publish_at: datetime
    # Who submitted (an editor other than the author may); None before this existed: the author.
    submitted_by: str | None = None
    followup_offsets: list[int] = Field(default=[3600, 86400, 604800])
    first_seq: int = 1
    late_policy: LatePolicy = LatePolicy.PUBLISH
    publish_zone: str | None = None
    approval: ResolvedPolicy = ResolvedPolicy()
    paused: Pause | None = None
    # Continue-as-new once the history holds this many events (tests; the server's suggestion otherwise).
    history_limit: int | None = None
    # The whole state of the run this one continues (continue-as-new); none for a new post.
    carried: LifecycleState | None = None


class BrandCheckRequest(BaseModel):
    workspace_id: str
    channel_id: str
    # Each is checked with its own variant and rules; empty: channel_id alone.
    channel_ids: list[str] = []
    revision: RevisionRef
    before: list[TransitionRecord] = []
    # The check's own entry; the activity fills in its status and findings.
    checked: TransitionRecord


class BrandCheckResult(BaseModel):
    findings: list[Finding]
    blocking: bool
    status: PostStatus


class ReviseRequest(BaseModel):
    actor: str
    text: str
    variants: list[Variant] = []
    comment: str = ""


class DecideRequest(BaseModel):
    actor: str
    decision: Decision
    content_hash: str
    comment: str = ""


class RescheduleRequest(BaseModel):
    actor: str
    publish_at: datetime | None = Field(default=None, description="UTC instant; None publishes now")
    zone: str | None = Field(default=None, description="IANA zone the time was given in, for display")


class Pause(BaseModel):
    """A workspace-wide hold (crisis pause): nothing publishes until it is lifted."""

    actor: str
    reason: str
    since: datetime | None = Field(default=None, description="set by the workflow when the signal arrives")


class Resume(BaseModel):
    actor: str
    policy: ResumePolicy = ResumePolicy.PUBLISH
    reason: str = ""


class RetryRequest(BaseModel):
    actor: str
    channel_id: str | None = Field(default=None, description="retry this channel only; none: every failed one")


class WithdrawRequest(BaseModel):
    actor: str
    reason: str = ""


class DecisionOutcome(BaseModel):
    decision: Decision
    actor: str
    step: int = 0
    revision: int
    content_hash: str
    status: PostStatus
    at: datetime


class StoreRevisionRequest(BaseModel):
    post_id: str
    revision: RevisionRef
    record: TransitionRecord


class PublishRequest(BaseModel):
    post_id: str
    workspace_id: str
    channel_id: str
    revision: RevisionRef
    record: TransitionRecord
    # The publish time the post was due at: the published entry says how late it went out.
    intended_at: datetime | None = None


class Publication(BaseModel):
    channel_id: str
    external_id: str
    url: str
    published_at: datetime = Field(description="the platform's time of the post")
    intended_at: datetime | None = Field(default=None, description="the publish time it was due at")
    late_by_s: float | None = Field(default=None, description="published_at - intended_at, in seconds (>= 0)")
    late_notice: bool = Field(default=False, description="later than the workspace's threshold: people are told")


class UnpublishRequest(BaseModel):
    actor: str
    reason: str
    channel_id: str | None = Field(default=None, description="this channel only; none: every published one")


class UnpublishChannelRequest(BaseModel):
    """Take one channel's publication of a post down (the activity's input)."""

    post_id: str
    channel_id: str
    external_id: str
    reason: str


class UnpublishChannelResult(BaseModel):
    channel_id: str
    outcome: str = Field(description="deleted | already_unpublished | failed: <reason>")


class PostUnpublishInput(BaseModel):
    """Unpublish a post whose lifecycle has ended (workflows.unpublish.PostUnpublish)."""

    post_id: str
    workspace_id: str
    actor: str
    reason: str
    revision: int
    content_hash: str
    # Every channel the post went out on: (channel id, external id, already unpublished).
    publications: list[tuple[str, str, bool]]
    channel_id: str | None = None


class MetricsRequest(BaseModel):
    post_id: str
    channel_id: str
    external_id: str
    offset_seconds: int
    record: TransitionRecord


class MetricsSnapshot(BaseModel):
    channel_id: str
    external_id: str
    offset_seconds: int
    collected_at: datetime
    impressions: int
    likes: int
    shares: int
    replies: int


class ChannelState(BaseModel):
    """One channel of a post: its own publication, failure and metrics."""

    channel_id: str
    status: ChannelStatus = ChannelStatus.WAITING
    publication: Publication | None = None
    published_at: datetime | None = Field(default=None, description="the workflow's time of publishing")
    failure: str | None = None
    metrics: list[MetricsSnapshot] = []
    unpublished_at: datetime | None = Field(default=None, description="when it was taken down")
    unpublish_error: str | None = Field(default=None, description="why the last unpublish of it failed")
    followups_done: int = Field(default=0, description="follow-up offsets already collected (or missed)")


class LifecycleState(BaseModel):
    """The whole live state of one post; what the `state` query returns and continue-as-new carries."""

    post_id: str
    workspace_id: str
    channel_id: str
    author: str
    status: PostStatus = PostStatus.BRAND_CHECK
    revision: RevisionRef
    last_editor: str
    publish_at: datetime
    publish_zone: str | None = None
    late_policy: LatePolicy = LatePolicy.PUBLISH
    approval: ResolvedPolicy = ResolvedPolicy()
    step: int = Field(default=0, description="the approval step now waiting for signatures")
    step_opened_at: datetime | None = Field(default=None, description="when that step began waiting (deadlines)")
    deadline_marks: list[str] = Field(default=[], description="reminders and escalation done for that step")
    hold_reason: str | None = Field(default=None, description="why the post is on hold: late or overdue")
    paused: Pause | None = None
    followup_offsets: list[int]
    next_seq: int = 1
    findings: list[Finding] = []
    decisions: list[DecisionOutcome] = []
    # Per channel; the three fields below sum them up (the first channel's publication, every snapshot,
    # every failure) for clients that know one channel.
    channels: list[ChannelState] = []
    publication: Publication | None = None
    metrics: list[MetricsSnapshot] = []
    failure: str | None = None
    # Decisions by update id (the client's idempotency key): a repeat returns the first answer, also in a
    # later run after continue-as-new, where the server no longer knows the id.
    decided_updates: dict[str, DecisionOutcome] = {}
    history_limit: int | None = None
    run_number: int = Field(default=1, description="1 + how many times the lifecycle continued as new")

    def channel(self, channel_id: str) -> ChannelState | None:
        return next((c for c in self.channels if c.channel_id == channel_id), None)


LifecycleInput.model_rebuild()
