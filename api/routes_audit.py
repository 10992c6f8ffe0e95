"""A workspace's audit chain: read, export, verify, and sign a checkpoint now.

Admins, auditors and approvers read it; only admins sign. An auditor can do nothing else anywhere: every
changing route requires another role.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import Actor, ContextDep, CurrentUser, own_workspace, require_role
from api.errors import error_responses
from api.schemas import IsoInstant
from api.service import ServiceError
from store.audit_bundle import bundle_lines
from store.audit_chain import ChainBroken, ChainReport, NothingToSign, checkpoint_now, verify_chain
from store.audit_search import AuditFilter, ExportFormat, export, export_row, find_entries
from store.audit_signing import SigningKeyError, load_or_create_signing_key, load_public_key
from store.engine import transaction

router = APIRouter(prefix="/workspaces/{workspace_id}/audit", tags=["audit"])
READERS = ("auditor", "approver")  # and admin, whom require_role always lets through


class AuditRecord(BaseModel):
    chain_index: int
    workspace_id: str
    post_id: str
    workflow_id: str
    seq: int
    action: str
    actor: str
    revision: int
    content_hash: str
    status: str
    detail: dict[str, Any]
    at: datetime
    recorded_at: datetime
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    entries: list[AuditRecord]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last")


class CheckpointPublic(BaseModel):
    workspace_id: str
    chain_index: int
    hash: str
    signed_at: datetime
    key_id: str
    signature: str


def _reader(user: Actor, workspace_id: str) -> None:
    require_role(own_workspace(user, workspace_id), *READERS)


def _filter(
    post_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    channel: Annotated[str | None, Query(max_length=64, description="a channel's id")] = None,
    since: Annotated[IsoInstant | None, Query(description="entries at or after, with a UTC offset")] = None,
    until: Annotated[IsoInstant | None, Query(description="entries before, with a UTC offset")] = None,
) -> AuditFilter:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ServiceError(422, "invalid_request", f"{name} has no UTC offset: add one (+07:00, Z)")
    return AuditFilter(post_id=post_id, actor=actor, action=action, channel=channel, since=since, until=until)


FilterDep = Annotated[AuditFilter, Depends(_filter)]


def _cursor(chain_index: int) -> str:
    return base64.urlsafe_b64encode(f"after:{chain_index}".encode()).decode().rstrip("=")


def _after(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, index = text.split(":")
        if prefix == "after" and 0 <= int(index) < 2**63:  # a larger one would overflow the database driver
            return int(index)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ServiceError(422, "invalid_cursor", "the cursor is not one this API gave out; start again without it")


@router.get("", response_model=AuditPage, responses=error_responses(403))
def list_entries(
    workspace_id: str,
    ctx: ContextDep,
    user: CurrentUser,
    where: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")] = None,
) -> AuditPage:
    """The workspace's audit entries in chain order, filtered, a page at a time."""
    _reader(user, workspace_id)
    after = _after(cursor)
    with transaction(ctx.engine) as session:
        rows = find_entries(session, workspace_id, where, after_index=after, limit=limit + 1)
    page = rows[:limit]
    return AuditPage(
        entries=[AuditRecord.model_validate(export_row(row)) for row in page],
        next_cursor=_cursor(page[-1].chain_index) if len(rows) > limit else None,
    )


MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get("/export", response_class=StreamingResponse, responses=error_responses(403))
def export_entries(
    workspace_id: str,
    ctx: ContextDep,
    user: CurrentUser,
    where: FilterDep,
    format: Annotated[ExportFormat, Query(description="jsonl or csv")] = "jsonl",
) -> StreamingResponse:
    """Every matching entry with its chain links (chain_index, prev_hash, hash), streamed as JSON Lines or CSV."""
    _reader(user, workspace_id)
    return StreamingResponse(
        export(ctx.engine, workspace_id, where, format),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="audit-{workspace_id}.{format}"'},
    )


@router.get("/bundle", response_class=StreamingResponse, responses=error_responses(403, 503))
def export_bundle(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> StreamingResponse:
    """The whole chain, its signed checkpoints and the public key, as JSON Lines (store.audit_bundle) that
    `postgate audit verify --bundle FILE` checks offline."""
    _reader(user, workspace_id)
    try:
        public_key = load_public_key(ctx.settings.resolved_audit_signing_key_file)
    except SigningKeyError as err:
        raise ServiceError(503, "signing_key_unavailable", str(err)) from err
    return StreamingResponse(
        bundle_lines(ctx.engine, workspace_id, public_key),
        media_type=MEDIA_TYPES["jsonl"],
        headers={"Content-Disposition": f'attachment; filename="audit-bundle-{workspace_id}.jsonl"'},
    )


@router.get("/verify", response_model=ChainReport, responses=error_responses(403, 503))
def verify(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> ChainReport:
    """Walk the whole chain and check every signed checkpoint; the first broken entry, if any."""
    _reader(user, workspace_id)
    try:
        public_key = load_public_key(ctx.settings.resolved_audit_signing_key_file)
    except SigningKeyError as err:
        raise ServiceError(503, "signing_key_unavailable", str(err)) from err
    with transaction(ctx.engine) as session:
        return verify_chain(session, workspace_id, public_key, checkpoint_every=ctx.settings.audit_checkpoint_every)


@router.post("/checkpoints", status_code=201, response_model=CheckpointPublic, responses=error_responses(403, 409, 503))
def checkpoint(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> CheckpointPublic:
    """Sign the chain's current end now (after verifying it); signing the same end twice returns the first."""
    require_role(own_workspace(user, workspace_id), "admin")
    try:
        key = load_or_create_signing_key(ctx.settings.resolved_audit_signing_key_file)
        with transaction(ctx.engine) as session:
            signed = checkpoint_now(session, workspace_id, key)
    except SigningKeyError as err:
        raise ServiceError(503, "signing_key_unavailable", str(err)) from err
    except NothingToSign as err:
        raise ServiceError(409, "nothing_to_sign", str(err)) from err
    except ChainBroken as err:
        message = f"the chain is broken, so it is not signed: {err.report.summary()}"
        raise ServiceError(409, "chain_broken", message, err.report.model_dump(mode="json")) from err
    return CheckpointPublic.model_validate(signed, from_attributes=True)
