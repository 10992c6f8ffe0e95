"""Reading a workspace's audit chain: filters, keyset pages in chain order, and the export row format."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.audit_chain import ENTRY_FIELDS, canonical_json, canonical_time
from store.engine import transaction
from store.tables import AuditEntry, Post

ExportFormat = Literal["jsonl", "csv"]
EXPORT_PAGE = 1000
CHUNK = 64 * 1024  # characters per piece of a streamed export

# The export's columns, in order: every hashed field plus the chain links, so anyone can recompute the chain.
# Every hashed field (chain_index first), then what lets a reader recompute the chain offline.
EXPORT_COLUMNS = (
    "chain_index",
    *(field for field in ENTRY_FIELDS if field != "chain_index"),
    "recorded_at",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class AuditFilter:
    post_id: str | None = None
    actor: str | None = None
    action: str | None = None
    channel: str | None = None  # entries of posts on that channel, or naming it (a publication, a channel change)
    since: datetime | None = None  # inclusive, on the entry's time
    until: datetime | None = None  # exclusive


def find_entries(
    session: Session, workspace_id: str, where: AuditFilter, *, after_index: int = 0, limit: int = 100
) -> list[AuditEntry]:
    """Up to `limit` entries of the workspace after `after_index`, in chain order."""
    query = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id, col(AuditEntry.chain_index) > after_index)
    if where.post_id is not None:
        query = query.where(AuditEntry.post_id == where.post_id)
    if where.actor is not None:
        query = query.where(AuditEntry.actor == where.actor)
    if where.action is not None:
        query = query.where(AuditEntry.action == where.action)
    if where.channel is not None:
        query = query.where(_about_channel(where.channel))
    if where.since is not None:
        query = query.where(col(AuditEntry.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditEntry.at) < where.until)
    return list(session.exec(query.order_by(col(AuditEntry.chain_index)).limit(limit)))


def _about_channel(channel: str) -> ColumnElement[bool]:
    # detail is stored as json.dumps(sort_keys=True) with the default separators, so a named channel reads
    # exactly `"channel_id": "<id>"` (or the subject of a configuration change, `"subject": "channel:<id>"`).
    named = json.dumps(channel)
    on_post = select(Post.id).where(
        or_(col(Post.channel_id) == channel, col(Post.channel_ids).contains(named, autoescape=True))
    )
    return or_(
        col(AuditEntry.post_id).in_(on_post),
        col(AuditEntry.detail).contains(f'"channel_id": {named}', autoescape=True),
        col(AuditEntry.detail).contains(f'"subject": {json.dumps("channel:" + channel)}', autoescape=True),
    )


def export_row(entry: AuditEntry) -> dict[str, Any]:
    """One entry as exported: times in the chain's canonical form, detail parsed."""
    return {
        "chain_index": entry.chain_index,
        "workspace_id": entry.workspace_id,
        "post_id": entry.post_id,
        "workflow_id": entry.workflow_id,
        "seq": entry.seq,
        "action": entry.action,
        "actor": entry.actor,
        "revision": entry.revision,
        "content_hash": entry.content_hash,
        "status": entry.status,
        "detail": json.loads(entry.detail),
        "at": canonical_time(entry.at),
        "recorded_at": canonical_time(entry.recorded_at),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def export_lines(entries: Iterable[AuditEntry], fmt: ExportFormat, *, header: bool = False) -> Iterator[str]:
    """JSON Lines, or CSV whose detail column holds the canonical JSON of the detail."""
    if fmt == "jsonl":
        for entry in entries:
            yield canonical_json(export_row(entry)).decode("utf-8") + "\n"
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    if header:
        writer.writeheader()
    for entry in entries:
        row = export_row(entry)
        writer.writerow({**row, "detail": canonical_json(row["detail"]).decode("utf-8")})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if header and buffer.tell():
        yield buffer.getvalue()


def chunked(lines: Iterable[str], size: int = CHUNK) -> Iterator[str]:
    """Lines joined into pieces of about `size` characters: a streaming response hands each piece to the
    event loop from a worker thread, so one hop per piece rather than per line (memory stays one piece)."""
    piece: list[str] = []
    held = 0
    for line in lines:
        piece.append(line)
        held += len(line)
        if held >= size:
            yield "".join(piece)
            piece, held = [], 0
    if piece:
        yield "".join(piece)


def export(engine: Engine, workspace_id: str, where: AuditFilter, fmt: ExportFormat) -> Iterator[str]:
    """The whole filtered trail, page by page in short read transactions, so any size streams."""
    return chunked(_export_pages(engine, workspace_id, where, fmt))


def _export_pages(engine: Engine, workspace_id: str, where: AuditFilter, fmt: ExportFormat) -> Iterator[str]:
    after, first = 0, True
    while True:
        with transaction(engine) as session:
            page = find_entries(session, workspace_id, where, after_index=after, limit=EXPORT_PAGE)
        yield from export_lines(page, fmt, header=first)
        if len(page) < EXPORT_PAGE:
            return
        after, first = page[-1].chain_index, False
