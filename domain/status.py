"""The lifecycle's states, shared by the workflow, the projection and the API."""

from __future__ import annotations

from enum import StrEnum


class PostStatus(StrEnum):
    DRAFT = "draft"
    # In the store only: the draft has left the editors' hands and its workflow is being started (the
    # workflow owns the post from here; a failed start puts it back to draft).
    SUBMITTING = "submitting"
    BRAND_CHECK = "brand_check"
    CHANGES_NEEDED = "changes_needed"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    ON_HOLD = "on_hold"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    DONE = "done"


class ChannelStatus(StrEnum):
    """Where one channel of a post stands once publishing has started."""

    WAITING = "waiting"
    PUBLISHING = "publishing"
    PUBLISHED = "published"  # out, metrics still to come
    PUBLISH_FAILED = "publish_failed"
    WITHDRAWN = "withdrawn"  # given up after a failure, by a person
    DONE = "done"  # out, follow-up complete


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"


class AuditAction(StrEnum):
    CREATED = "created"
    DRAFT_REVISED = "draft_revised"
    SUBMITTED = "submitted"
    REVISED = "revised"
    BRAND_CHECKED = "brand_checked"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"
    # A post on several channels: one channel's outcome (the post-level entries sum them up).
    CHANNEL_PUBLISHED = "channel_published"
    CHANNEL_PUBLISH_FAILED = "channel_publish_failed"
    COMPLETED = "completed"  # every channel followed up (a post on several channels)
    PUBLISH_RETRIED = "publish_retried"
    METRICS_COLLECTED = "metrics_collected"
    METRICS_MISSED = "metrics_missed"
    RESCHEDULED = "rescheduled"
    HELD = "held"
    COMMENTED = "commented"
    REMINDED = "reminder_sent"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    RESUME_SHIFTED = "resume_shifted"
    RESUME_HELD = "resume_held"
    WORKSPACE_PAUSED = "workspace_paused"
    WORKSPACE_RESUMED = "workspace_resumed"
    # The store's projection of a post was brought back in line with its workflow (audit reconcile --repair,
    # or the worker's periodic check), written in the post's notes sequence.
    PROJECTION_REPAIRED = "projection_repaired"


class ResumePolicy(StrEnum):
    """What happens, when a paused workspace resumes, to posts whose time came during the pause."""

    PUBLISH = "publish"  # publish what was missed now
    HOLD = "hold"  # hold it for a new time
    SHIFT = "shift"  # move it later by the length of the pause


class LatePolicy(StrEnum):
    """What happens to a post approved after its publish time."""

    PUBLISH = "publish"  # publish at once
    HOLD = "hold"  # wait for a new time (reschedule or publish now)
    EXPIRE = "expire"  # end without publishing
