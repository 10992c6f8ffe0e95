"""Where a workspace's notifications go: signed webhooks and e-mail addresses, managed by its admins."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, HTTPException, Path
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from activities.notify import NotificationSender
from api.deps import ContextDep, CurrentUser, require_role
from api.errors import error_responses
from api.pagination import Cursor, Limit, page
from api.routes_workspaces import own_workspace
from api.service import ServiceError
from domain.notify import DeliveryStatus, Notification, NotificationKind, TargetKind
from domain.status import AuditAction
from platforms.outbound import guarded_client, refused_url
from settings import Settings
from store.config_audit import record_change, target_snapshot
from store.credentials import CredentialError, KeyRing, keyring_for
from store.engine import transaction
from store.notifications import add_target, delete_target, get_target, targets
from store.tables import NotificationTarget

router = APIRouter(prefix="/workspaces/{workspace_id}/notification-targets", tags=["notifications"])

MIN_SECRET_LENGTH = 16
# Ids are 64-bit rows: a larger number is refused (422) rather than overflowing the database driver (500).
TargetId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class WebhookTargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["webhook"]
    url: str = Field(max_length=2000, description="where to POST the signed JSON (http or https)")
    secret: str = Field(max_length=500, description=f"HMAC-SHA256 key, at least {MIN_SECRET_LENGTH} characters")
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("give an http:// or https:// URL with a host, e.g. https://hooks.example.com/postgate")
        return value.strip()

    @field_validator("secret")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"the secret signs every request: make it at least {MIN_SECRET_LENGTH} random characters")
        return value


class EmailTargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["email"]
    address: str = Field(max_length=320, description="one e-mail address, e.g. ops@example.com")
    enabled: bool = True

    @field_validator("address")
    @classmethod
    def _one_address(cls, value: str) -> str:
        value = value.strip()
        try:
            parsed = Address(addr_spec=value)
        except (ValueError, HeaderParseError, IndexError):  # the stdlib parser fails on "" with IndexError
            parsed = None
        if parsed is None or not parsed.username or not parsed.domain:
            raise ValueError("give one e-mail address, e.g. ops@example.com (no name, no brackets)")
        return value


TargetCreate = Annotated[WebhookTargetCreate | EmailTargetCreate, Field(discriminator="kind")]


class TargetPublic(BaseModel):
    id: int
    workspace_id: str
    kind: TargetKind
    url: str | None = None
    address: str | None = None
    secret_hint: str | None = Field(default=None, description="the secret's last 4 characters; it is never shown")
    enabled: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: NotificationTarget) -> TargetPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            workspace_id=row.workspace_id,
            kind=TargetKind(row.kind),
            url=row.url,
            address=row.address,
            secret_hint=f"****{row.secret_hint}" if row.secret_hint else None,
            enabled=row.enabled,
            created_at=row.created_at,
        )


class TestOutcome(BaseModel):
    target_id: int
    status: Literal[DeliveryStatus.SENT, DeliveryStatus.FAILED]
    error: str | None = None
    retryable: bool = Field(default=False, description="the failure may pass by itself (a 5xx, a timeout)")


def _keyring(settings: Settings) -> KeyRing:
    try:
        return keyring_for(settings)
    except CredentialError as err:
        raise ServiceError(503, "credential_keys_unavailable", str(err)) from None


def _target(ctx: ContextDep, workspace_id: str, target_id: int) -> NotificationTarget:
    with transaction(ctx.engine) as session:
        target = get_target(session, workspace_id, target_id)
    if target is None:
        raise HTTPException(404, f"notification target {target_id} not found")
    return target


class TargetList(BaseModel):
    targets: list[TargetPublic]
    next_cursor: str | None


@router.get("", response_model=TargetList)
def list_targets(
    workspace_id: str, ctx: ContextDep, user: CurrentUser, limit: Limit = 100, cursor: Cursor = None
) -> TargetList:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        rows = [TargetPublic.from_row(t) for t in targets(session, workspace_id)]
    chunk, next_cursor = page(rows, lambda t: f"{t.id:012d}", limit, cursor)
    return TargetList(targets=chunk, next_cursor=next_cursor)


@router.post("", status_code=201, response_model=TargetPublic, responses=error_responses(403))
def create_target(
    workspace_id: str, body: Annotated[TargetCreate, Body()], ctx: ContextDep, user: CurrentUser
) -> TargetPublic:
    """Add a webhook (signed with the secret) or an e-mail address; every notification of the workspace goes to it."""
    require_role(own_workspace(user, workspace_id), "admin")
    if isinstance(body, WebhookTargetCreate) and (problem := refused_url(body.url, ctx.settings.outbound_policy)):
        raise RequestValidationError([{"loc": ("body", "webhook", "url"), "msg": problem, "type": "value_error"}])
    fields = body.model_dump(mode="json")
    secret = fields.pop("secret", None)
    keyring = _keyring(ctx.settings) if secret is not None else None
    with transaction(ctx.engine) as session:
        row = add_target(
            session, NotificationTarget(workspace_id=workspace_id, **fields), secret=secret, keyring=keyring
        )
        record_change(
            session,
            workspace_id,
            AuditAction.NOTIFICATION_TARGET_ADDED,
            user.id,
            subject=f"notification_target:{row.id}",
            before=None,
            after=target_snapshot(row),
        )
        return TargetPublic.from_row(row)


@router.delete("/{target_id}", status_code=204, responses=error_responses(403))
def remove_target(workspace_id: str, target_id: TargetId, ctx: ContextDep, user: CurrentUser) -> None:
    require_role(own_workspace(user, workspace_id), "admin")
    with transaction(ctx.engine) as session:
        target = get_target(session, workspace_id, target_id)
        if target is None:
            raise HTTPException(404, f"notification target {target_id} not found")
        before = target_snapshot(target)
        delete_target(session, target)
        record_change(
            session,
            workspace_id,
            AuditAction.NOTIFICATION_TARGET_REMOVED,
            user.id,
            subject=f"notification_target:{target_id}",
            before=before,
            after=None,
        )


@router.post("/{target_id}/test", response_model=TestOutcome, responses=error_responses(403))
async def test_target(workspace_id: str, target_id: TargetId, ctx: ContextDep, user: CurrentUser) -> TestOutcome:
    """Send a test notification to this target now (even if it is disabled) and say how it went."""
    require_role(own_workspace(user, workspace_id), "admin")
    target = await asyncio.to_thread(_target, ctx, workspace_id, target_id)
    notification = Notification(
        workspace_id=workspace_id,
        kind=NotificationKind.OTHER,
        subject="postgate test notification",
        body=f"A test from postgate, sent by {user.id}: notifications to this target work.",
        recipients=[user.id],
        detail={"test": True, "target_id": target_id},
        # Tests are never recorded, so each one goes out.
        dedupe_key=f"test/{target_id}/{uuid.uuid4().hex}",
    )
    # Guarded like the worker's client: a target's test must not become a probe of postgate's network.
    async with guarded_client(ctx.settings.outbound_policy) as http:
        attempt = await NotificationSender(http, ctx.settings).deliver(target, notification)
    return TestOutcome(
        target_id=target_id,
        status=DeliveryStatus.SENT if attempt.sent else DeliveryStatus.FAILED,
        error=attempt.error,
        retryable=attempt.retryable,
    )
