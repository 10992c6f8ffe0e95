"""Audit entries and the status projection, always written together (see TransitionRecord)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from domain.lifecycle import TransitionRecord
from domain.status import AuditAction
from store.audit_chain import append_entries, lock_head
from store.tables import AuditEntry, Post


class SeqTaken(RuntimeError):
    """Another entry holds this (workflow, seq): two writers took one sequence number. Never skipped."""


def _identity(action: str, actor: str, revision: int, content_hash: str) -> tuple[str, str, int, str]:
    # What makes a retry the same entry; its detail may differ (a retried metrics fetch reads new numbers).
    return action, actor, revision, content_hash


def record_transitions(session: Session, records: Sequence[TransitionRecord]) -> int:
    """Append the audit entries not yet stored and move the projection forward.

    Keyed by (workflow_id, seq): a retried activity finds its entries and writes nothing twice. An entry
    already at that seq that is a different act (action, actor, revision, content) raises SeqTaken: one
    sequence number taken twice is a bug to see, never an entry silently dropped.
    Returns how many entries were new.
    """
    if not records:
        return 0
    workflow_id = records[0].workflow_id
    seqs = [r.seq for r in records]
    stored = session.exec(
        select(AuditEntry).where(AuditEntry.workflow_id == workflow_id, col(AuditEntry.seq).in_(seqs))
    ).all()
    existing = {e.seq: _identity(e.action, e.actor, e.revision, e.content_hash) for e in stored}
    for r in records:
        if r.seq in existing and existing[r.seq] != _identity(r.action.value, r.actor, r.revision, r.content_hash):
            raise SeqTaken(
                f"{workflow_id} seq {r.seq} already holds {existing[r.seq]}; refusing to record "
                f"{_identity(r.action.value, r.actor, r.revision, r.content_hash)} (run `postgate audit reconcile`)"
            )
    new = [r for r in records if r.seq not in existing]
    entries: list[AuditEntry] = []
    for r in new:
        entries.append(
            AuditEntry(
                workspace_id=r.workspace_id,
                post_id=r.post_id,
                workflow_id=r.workflow_id,
                seq=r.seq,
                action=r.action.value,
                actor=r.actor,
                revision=r.revision,
                content_hash=r.content_hash,
                status=r.status.value,
                detail=json.dumps(r.detail, sort_keys=True, default=str),
                at=r.at,
            )
        )
    append_entries(session, entries)  # the workspace's hash chain, under its lock
    latest = max(records, key=lambda r: r.seq)
    post = session.get(Post, latest.post_id)
    # The projection only moves forward: an old retry arriving late must not roll the status back.
    if post is not None and post.last_seq < latest.seq:
        moved = [r for r in records if r.publish_at is not None and r.seq > post.last_seq]
        if moved:
            publish_at = max(moved, key=lambda r: r.seq).publish_at
            assert publish_at is not None
            post.publish_at = publish_at
        post.status = latest.status.value
        post.current_revision = latest.revision
        post.content_hash = latest.content_hash
        post.updated_at = latest.at
        post.last_seq = latest.seq
        session.add(post)
    session.flush()
    return len(new)


def audit_trail(session: Session, post_id: str) -> list[AuditEntry]:
    """A post's entries in the order they happened: lifecycle entries by the workflow's time and sequence,
    with notes (comments, written in their own sequence) between them by their time."""
    query = select(AuditEntry).where(AuditEntry.post_id == post_id)
    return list(session.exec(query.order_by(col(AuditEntry.at), col(AuditEntry.seq), col(AuditEntry.chain_index))))


def next_seq(session: Session, workflow_id: str) -> int:
    seqs = session.exec(select(AuditEntry.seq).where(AuditEntry.workflow_id == workflow_id)).all()
    return max(seqs, default=0) + 1


def record_post_note(
    session: Session,
    post_id: str,
    workspace_id: str,
    action: AuditAction,
    actor: str,
    *,
    revision: int,
    content_hash: str,
    at: datetime,
    detail: dict[str, Any],
) -> AuditEntry:
    """An audit entry about a post that is not a lifecycle transition (a comment), in the post's own notes
    sequence: it never moves the post's status projection, and never competes with the workflow's seq."""
    return _append_in_sequence(
        session, workspace_id, post_id, f"notes-{post_id}", action, actor, at, detail, revision, content_hash
    )


def record_workspace_event(
    session: Session, workspace_id: str, action: AuditAction, actor: str, at: datetime, detail: dict[str, Any]
) -> AuditEntry:
    """An audit entry about the whole workspace (pause, resume, a configuration change), in the workspace's
    own sequence."""
    return _append_in_sequence(session, workspace_id, "", f"workspace-{workspace_id}", action, actor, at, detail)


def _append_in_sequence(
    session: Session,
    workspace_id: str,
    post_id: str,
    workflow_id: str,
    action: AuditAction,
    actor: str,
    at: datetime,
    detail: dict[str, Any],
    revision: int = 0,
    content_hash: str = "",
) -> AuditEntry:
    # The chain head's lock comes before reading the sequence: concurrent writers of one sequence take turns
    # instead of taking one number twice.
    lock_head(session, workspace_id)
    entry = AuditEntry(
        workspace_id=workspace_id,
        post_id=post_id,
        workflow_id=workflow_id,
        seq=next_seq(session, workflow_id),
        action=action.value,
        actor=actor,
        revision=revision,
        content_hash=content_hash,
        status="",
        detail=json.dumps(detail, sort_keys=True, default=str),
        at=at,
    )
    append_entries(session, [entry])  # the workspace's hash chain, under its lock
    session.flush()
    return entry
