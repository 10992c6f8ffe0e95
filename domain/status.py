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
    UNPUBLISHED = "unpublished"  # taken down from every channel it went out on


class ChannelStatus(StrEnum):
    """Where one channel of a post stands once publishing has started."""

    WAITING = "waiting"
    PUBLISHING = "publishing"
    PUBLISHED = "published"  # out, metrics still to come
    PUBLISH_FAILED = "publish_failed"
    WITHDRAWN = "withdrawn"  # given up after a failure, by a person
    DONE = "done"  # out, follow-up complete
    UNPUBLISHED = "unpublished"  # taken down from the platform by a person; follow-ups stop


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
    UNPUBLISHED = "unpublished"
    EXPIRED = "expired"
    RESUME_SHIFTED = "resume_shifted"
    RESUME_HELD = "resume_held"
    WORKSPACE_PAUSED = "workspace_paused"
    WORKSPACE_RESUMED = "workspace_resumed"
    # The store's projection of a post was brought back in line with its workflow (audit reconcile --repair,
    # or the worker's periodic check), written in the post's notes sequence.
    PROJECTION_REPAIRED = "projection_repaired"
    # Configuration: who may do what, and what is checked (store.config_audit writes these).
    WORKSPACE_CREATED = "workspace_created"
    MEMBER_INVITED = "member_invited"
    INVITATION_REVOKED = "invitation_revoked"
    INVITATION_DECLINED = "invitation_declined"
    MEMBER_JOINED = "member_joined"
    MEMBER_ROLE_CHANGED = "member_role_changed"
    MEMBER_REMOVED = "member_removed"
    MEMBER_LEFT = "member_left"
    APPROVAL_POLICY_CHANGED = "approval_policy_changed"
    CHANNEL_CREATED = "channel_created"
    CHANNEL_CHANGED = "channel_changed"
    CHANNEL_DISABLED = "channel_disabled"
    CHANNEL_ENABLED = "channel_enabled"
    CHANNEL_RECONNECTED = "channel_reconnected"
    CHANNEL_CREDENTIALS_RESEALED = "channel_credentials_resealed"
    STYLE_CHANGED = "style_changed"
    SOCIAL_RULES_CHANGED = "social_rules_changed"
    NOTIFICATION_TARGET_ADDED = "notification_target_added"
    NOTIFICATION_TARGET_REMOVED = "notification_target_removed"
    WORKSPACE_SETTINGS_CHANGED = "workspace_settings_changed"


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
