"""Notifications to people (reminders, escalations, failures) and what became of each delivery.

`Notification` crosses the Temporal boundary: the workflow builds it, the notify activity sends it to every
enabled target of the workspace. Stdlib and pydantic only, like the rest of domain/.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

MAX_DEDUPE_KEY = 200


class NotificationKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"
    EXPIRED = "expired"
    PUBLISH_FAILED = "publish_failed"
    NEEDS_RECONNECTION = "needs_reconnection"
    PUBLISHED_LATE = "published_late"
    OTHER = "other"


class TargetKind(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


def one_line(text: str) -> str:
    # A subject becomes an e-mail header: a line break there would be refused, or worse, start a new header.
    return " ".join(text.split())


class Notification(BaseModel):
    workspace_id: str = Field(min_length=1, max_length=64)
    post_id: str | None = Field(default=None, max_length=64)
    kind: NotificationKind
    subject: Annotated[str, AfterValidator(one_line), Field(min_length=1, max_length=300)]
    body: str = Field(max_length=20_000, description="plain text")
    recipients: list[str] = Field(default=[], description="user ids it concerns; informative, targets decide")
    detail: dict[str, Any] = {}
    dedupe_key: str = Field(
        min_length=1,
        max_length=MAX_DEDUPE_KEY,
        description="unique per notification (e.g. post-x/reminder/step0/3600); a retry never sends it twice",
    )


class DeliveryStatus(StrEnum):
    SENT = "sent"  # delivered by this call
    SKIPPED = "skipped"  # delivered by an earlier call with the same dedupe key
    FAILED = "failed"  # refused for good (a 4xx, a rejected address); not tried again for this dedupe key


class Delivery(BaseModel):
    target_id: int
    kind: TargetKind
    status: DeliveryStatus
    error: str | None = None


class NotifyResult(BaseModel):
    deliveries: list[Delivery] = []

    def target_ids(self, status: DeliveryStatus) -> list[int]:
        return [d.target_id for d in self.deliveries if d.status == status]
