"""The words the pages use for the lifecycle's states and events, in the reader's language.

Each function takes the Reader and returns finished text; Babel extracts the `tr.gettext(...)` calls."""

from __future__ import annotations

from domain.status import AuditAction, ChannelStatus, PostStatus
from web.i18n import Reader

SYSTEM_ACTOR = "system"

# How a status looks (a class of the stylesheet): done, waiting on someone, gone wrong, moving, at rest.
STATUS_TONE = {
    PostStatus.DRAFT: "idle",
    PostStatus.BRAND_CHECK: "info",
    PostStatus.CHANGES_NEEDED: "wait",
    PostStatus.AWAITING_APPROVAL: "wait",
    PostStatus.REJECTED: "bad",
    PostStatus.SCHEDULED: "info",
    PostStatus.ON_HOLD: "wait",
    PostStatus.PUBLISHING: "info",
    PostStatus.PUBLISHED: "ok",
    PostStatus.PUBLISH_FAILED: "bad",
    PostStatus.WITHDRAWN: "idle",
    PostStatus.SUBMITTING: "info",
    PostStatus.EXPIRED: "idle",
    PostStatus.DONE: "ok",
    PostStatus.UNPUBLISHED: "idle",
}


def status_words(tr: Reader, status: PostStatus) -> str:
    words = {
        PostStatus.DRAFT: tr.gettext("Draft"),
        PostStatus.BRAND_CHECK: tr.gettext("Brand check running"),
        PostStatus.CHANGES_NEEDED: tr.gettext("Changes needed"),
        PostStatus.AWAITING_APPROVAL: tr.gettext("Awaiting approval"),
        PostStatus.REJECTED: tr.gettext("Rejected"),
        PostStatus.SCHEDULED: tr.gettext("Scheduled"),
        PostStatus.ON_HOLD: tr.gettext("On hold"),
        PostStatus.PUBLISHING: tr.gettext("Publishing"),
        PostStatus.PUBLISHED: tr.gettext("Published"),
        PostStatus.PUBLISH_FAILED: tr.gettext("Publishing failed"),
        PostStatus.WITHDRAWN: tr.gettext("Withdrawn"),
        PostStatus.SUBMITTING: tr.gettext("Being submitted"),
        PostStatus.EXPIRED: tr.gettext("Expired"),
        PostStatus.DONE: tr.gettext("Published; follow-up done"),  # "Done" did not say it went out
        PostStatus.UNPUBLISHED: tr.gettext("Unpublished"),
    }
    return words[status]


def channel_status_words(tr: Reader, status: ChannelStatus) -> str:
    words = {
        ChannelStatus.WAITING: tr.gettext("Waiting"),
        ChannelStatus.PUBLISHING: tr.gettext("Publishing"),
        ChannelStatus.PUBLISHED: tr.gettext("Published"),
        ChannelStatus.PUBLISH_FAILED: tr.gettext("Publishing failed"),
        ChannelStatus.WITHDRAWN: tr.gettext("Given up"),
        ChannelStatus.DONE: tr.gettext("Published, follow-up complete"),
        ChannelStatus.UNPUBLISHED: tr.gettext("Unpublished"),
    }
    return words[status]


def role_words(tr: Reader, role: str) -> str:
    words = {
        "admin": tr.gettext("admin"),
        "editor": tr.gettext("editor"),
        "approver": tr.gettext("approver"),
        "viewer": tr.gettext("viewer"),
    }
    return words.get(role, role)


def event_words(tr: Reader, action: str, who: str) -> str:
    """One line of a post's timeline: who did what."""
    try:
        known = AuditAction(action)
    except ValueError:
        return f"{who}: {action}"
    words = {
        AuditAction.CREATED: tr.gettext("%(who)s created the draft"),
        AuditAction.DRAFT_REVISED: tr.gettext("%(who)s edited the draft"),
        AuditAction.SUBMITTED: tr.gettext("%(who)s submitted it for review"),
        AuditAction.REVISED: tr.gettext("%(who)s revised it"),
        AuditAction.BRAND_CHECKED: tr.gettext("The brand check ran"),
        AuditAction.APPROVED: tr.gettext("%(who)s approved"),
        AuditAction.REJECTED: tr.gettext("%(who)s rejected it"),
        AuditAction.CHANGES_REQUESTED: tr.gettext("%(who)s requested changes"),
        AuditAction.PUBLISHED: tr.gettext("Published"),
        AuditAction.PUBLISH_FAILED: tr.gettext("Publishing failed"),
        AuditAction.CHANNEL_PUBLISHED: tr.gettext("Published on one channel"),
        AuditAction.CHANNEL_PUBLISH_FAILED: tr.gettext("Publishing failed on one channel"),
        AuditAction.COMPLETED: tr.gettext("Follow-up complete on every channel"),
        AuditAction.PUBLISH_RETRIED: tr.gettext("%(who)s retried publishing"),
        AuditAction.METRICS_COLLECTED: tr.gettext("Metrics collected"),
        AuditAction.METRICS_MISSED: tr.gettext("Metrics could not be collected"),
        AuditAction.RESCHEDULED: tr.gettext("%(who)s changed the publish time"),
        AuditAction.HELD: tr.gettext("Put on hold"),
        AuditAction.COMMENTED: tr.gettext("%(who)s commented"),
        AuditAction.REMINDED: tr.gettext("Approvers were reminded"),
        AuditAction.ESCALATED: tr.gettext("Escalated to backup approvers"),
        AuditAction.WITHDRAWN: tr.gettext("%(who)s withdrew it"),
        AuditAction.UNPUBLISHED: tr.gettext("%(who)s unpublished it"),
        AuditAction.EXPIRED: tr.gettext("Expired"),
        AuditAction.RESUME_SHIFTED: tr.gettext("Moved later after the workspace resumed"),
        AuditAction.RESUME_HELD: tr.gettext("Held after the workspace resumed"),
        AuditAction.WORKSPACE_PAUSED: tr.gettext("%(who)s paused the workspace"),
        AuditAction.WORKSPACE_RESUMED: tr.gettext("%(who)s resumed the workspace"),
    }
    # Configuration entries belong to the workspace's trail, not a post's timeline: named as stored.
    return words[known] % {"who": who} if known in words else f"{who}: {action}"


def list_words(tr: Reader, names: list[str]) -> str:
    """ "Ann", "Ann and Bob", "Ann, Bob and Cy" in the reader's language."""
    if len(names) <= 1:
        return "".join(names)
    return tr.gettext("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
