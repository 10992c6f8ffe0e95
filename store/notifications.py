"""A workspace's notification targets, and the record of what each notification did at each target."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, delete, select

from domain.notify import DeliveryStatus
from store.credentials import KeyRing
from store.tables import NotificationSent, NotificationTarget
from store.target_secrets import seal_target


def add_target(
    session: Session, target: NotificationTarget, *, secret: str | None = None, keyring: KeyRing | None = None
) -> NotificationTarget:
    """Store the target; a webhook's `secret` is sealed under `keyring` (never stored in clear)."""
    session.add(target)
    session.flush()
    if secret is not None:
        if keyring is None:
            raise ValueError("a webhook secret is sealed: pass the key ring")
        seal_target(target, keyring, secret)
        session.add(target)
        session.flush()
    return target


def targets(session: Session, workspace_id: str, *, enabled_only: bool = False) -> list[NotificationTarget]:
    query = select(NotificationTarget).where(NotificationTarget.workspace_id == workspace_id)
    if enabled_only:
        query = query.where(col(NotificationTarget.enabled).is_(True))
    return list(session.exec(query.order_by(col(NotificationTarget.id))))


def get_target(session: Session, workspace_id: str, target_id: int) -> NotificationTarget | None:
    """The target, or None when it does not exist or belongs to another workspace."""
    target = session.get(NotificationTarget, target_id)
    return target if target is not None and target.workspace_id == workspace_id else None


def delete_target(session: Session, target: NotificationTarget) -> None:
    # Its delivery records only guard against re-sending to this target, which is gone.
    session.exec(delete(NotificationSent).where(col(NotificationSent.target_id) == target.id))
    session.delete(target)
    session.flush()


def outcomes(session: Session, dedupe_key: str) -> dict[int, NotificationSent]:
    """What earlier attempts recorded for this notification, by target id."""
    rows = session.exec(select(NotificationSent).where(NotificationSent.dedupe_key == dedupe_key))
    return {row.target_id: row for row in rows}


def record_outcome(
    session: Session, dedupe_key: str, target_id: int, status: DeliveryStatus, error: str | None = None
) -> bool:
    """Record a delivery (sent, or failed for good); False if one is already recorded for this key and target."""
    exists = session.exec(
        select(NotificationSent).where(
            NotificationSent.dedupe_key == dedupe_key, NotificationSent.target_id == target_id
        )
    ).first()
    if exists is not None:
        return False
    session.add(
        NotificationSent(
            dedupe_key=dedupe_key, target_id=target_id, status=status.value, error=error, sent_at=datetime.now(UTC)
        )
    )
    session.flush()
    return True
