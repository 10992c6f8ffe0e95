"""Our own record of every publication and metrics snapshot: the first guard against duplicates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.lifecycle import LifecycleState, MetricsSnapshot, Publication
from domain.status import ChannelStatus, PostStatus
from store.engine import transaction
from store.tables import MetricSnapshotRow, PublicationRow


def idempotency_key(post_id: str, revision: int, channel_id: str) -> str:
    return f"postgate:{post_id}:r{revision}:{channel_id}"


def find_publication(session: Session, key: str) -> Publication | None:
    row = session.exec(select(PublicationRow).where(PublicationRow.idempotency_key == key)).first()
    if row is None:
        return None
    return Publication(
        channel_id=row.channel_id,
        external_id=row.external_id,
        url=row.url,
        published_at=row.published_at,
    )


def add_publication(session: Session, key: str, post_id: str, revision: int, publication: Publication) -> None:
    session.add(
        PublicationRow(
            idempotency_key=key,
            post_id=post_id,
            revision=revision,
            channel_id=publication.channel_id,
            external_id=publication.external_id,
            url=publication.url,
            published_at=publication.published_at,
        )
    )
    session.flush()


def publications_of(session: Session, post_id: str) -> list[PublicationRow]:
    return list(session.exec(select(PublicationRow).where(PublicationRow.post_id == post_id)))


def add_snapshot(session: Session, post_id: str, snapshot: MetricsSnapshot) -> bool:
    exists = session.exec(
        select(MetricSnapshotRow).where(
            MetricSnapshotRow.post_id == post_id,
            MetricSnapshotRow.channel_id == snapshot.channel_id,
            MetricSnapshotRow.offset_seconds == snapshot.offset_seconds,
        )
    ).first()
    if exists is not None:
        return False
    session.add(MetricSnapshotRow(post_id=post_id, **snapshot.model_dump()))
    session.flush()
    return True


def snapshots_of(session: Session, post_id: str) -> list[MetricSnapshotRow]:
    return list(
        session.exec(
            select(MetricSnapshotRow)
            .where(MetricSnapshotRow.post_id == post_id)
            .order_by(col(MetricSnapshotRow.offset_seconds))
        )
    )


def mark_unpublished(session: Session, post_id: str, channel_id: str, reason: str, at: datetime) -> bool:
    """Record that the channel's publication of the post was taken down; False when it already was."""
    rows = session.exec(
        select(PublicationRow).where(PublicationRow.post_id == post_id, PublicationRow.channel_id == channel_id)
    ).all()
    fresh = [row for row in rows if row.unpublished_at is None]
    for row in fresh:
        row.unpublished_at, row.unpublish_reason = at, reason[:2000]
        session.add(row)
    session.flush()
    return bool(fresh)


def unpublished_channels(session: Session, post_id: str) -> dict[str, datetime]:
    """The post's channels whose publication was taken down, and when."""
    return {
        row.channel_id: row.unpublished_at
        for row in publications_of(session, post_id)
        if row.unpublished_at is not None
    }


def with_unpublished(engine: Engine, state: LifecycleState) -> LifecycleState:
    """The state with the channels taken down after the lifecycle ended (the workflow no longer knows)."""
    if not any(c.status in (ChannelStatus.PUBLISHED, ChannelStatus.DONE) for c in state.channels):
        return state
    with transaction(engine) as session:
        down = unpublished_channels(session, state.post_id)
    if not down:
        return state
    state = state.model_copy(deep=True)
    for channel in state.channels:
        if channel.channel_id in down and channel.status in (ChannelStatus.PUBLISHED, ChannelStatus.DONE):
            channel.status = ChannelStatus.UNPUBLISHED
            channel.unpublished_at = down[channel.channel_id]
    remaining = {c.status for c in state.channels} - {ChannelStatus.WITHDRAWN}
    if remaining == {ChannelStatus.UNPUBLISHED}:
        state.status = PostStatus.UNPUBLISHED
    return state
