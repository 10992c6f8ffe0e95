"""Channels of a workspace: their platform, settings and sealed credentials, state and a credentials check.

Credentials go in (create, PUT, reconnect) and never come out: responses say only `has_credentials`.
Changes need the admin role; any member may read. Another workspace's channel answers 404. Every change is
an entry in the workspace's audit chain, credentials only as a key id and fingerprint (store.config_audit).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.approval_policies import refuse_unknown_signers
from api.deps import Actor, ContextDep, CurrentUser, require_role
from api.errors import error_responses
from api.routes_workspaces import own_workspace
from api.schemas import ChannelCheck, ChannelCreate, ChannelList, ChannelPublic, ChannelReconnect, ChannelSettings
from api.service import ServiceError
from domain.status import AuditAction
from platforms.channel_settings import (
    LIVE_LIMITS,
    ConfigInvalid,
    build_adapter,
    token_expiry,
    validate_credentials,
    validate_settings,
)
from platforms.errors import PlatformError
from platforms.outbound import OutboundPolicy, guarded_client, refused_url
from settings import Settings
from store.channels import (
    ACTIVE,
    DISABLED,
    NEEDS_RECONNECTION,
    channel_page,
    settings_of,
    store_platform_limits,
    workspace_channel,
)
from store.config_audit import channel_snapshot, record_change
from store.credentials import CredentialError, KeyRing, keyring_for, open_channel, seal_channel
from store.engine import transaction
from store.tables import Channel
from store.workspaces import add_channel

router = APIRouter(tags=["channels"])
CHECK_TIMEOUT = httpx.Timeout(10.0)


class Disable(BaseModel):
    reason: str = Field(default="", max_length=2000)


def _invalid(err: ConfigInvalid) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in err.errors]
    )


def _refuse_unreachable(settings: Mapping[str, Any], policy: OutboundPolicy) -> None:
    """A base URL at a literal loopback/private/metadata address is refused now (host names when used)."""
    errors = [
        {"loc": ("body", "settings", key), "msg": problem, "type": "value_error"}
        for key, value in settings.items()
        if isinstance(value, str)
        and value.startswith(("http://", "https://"))
        and (problem := refused_url(value, policy)) is not None
    ]
    if errors:
        raise RequestValidationError(errors)


def _keyring(settings: Settings) -> KeyRing:
    try:
        return keyring_for(settings)
    except CredentialError as err:
        raise ServiceError(503, "credential_keys_unavailable", str(err)) from None


def _not_found(channel_id: str) -> HTTPException:
    return HTTPException(404, f"channel '{channel_id}' not found")


def _admin_in(user: Actor, workspace_id: str) -> None:
    require_role(own_workspace(user, workspace_id), "admin")


def _forget_limits(channel: Channel) -> None:
    """A channel connected again (new settings, reconnected) has its platform's limits read afresh: the
    worker reads them before its next brand check, the channel's test reads them at once."""
    channel.platform_limits, channel.platform_limits_at = None, None


def _set_credentials(channel: Channel, keyring: KeyRing, secrets: Mapping[str, Any] | None) -> None:
    seal_channel(channel, keyring, secrets)
    channel.token_expires_at = token_expiry(secrets)


@router.post(
    "/workspaces/{workspace_id}/channels",
    status_code=201,
    response_model=ChannelPublic,
    responses=error_responses(403, 409, 503),
)
def create_channel(workspace_id: str, body: ChannelCreate, ctx: ContextDep, user: CurrentUser) -> ChannelPublic:
    """Add a channel: its platform, the platform's settings and (except the sandbox) its credentials."""
    _admin_in(user, workspace_id)
    try:
        settings = validate_settings(body.platform, body.settings or {})
        secrets = validate_credentials(body.platform, body.credentials)
    except ConfigInvalid as err:
        raise _invalid(err) from None
    _refuse_unreachable(settings, ctx.settings.outbound_policy)
    keyring = _keyring(ctx.settings) if secrets is not None else None
    conflict = ServiceError(409, "already_exists", f"channel '{body.id}' already exists; choose another id")
    try:
        with transaction(ctx.engine) as session:
            refuse_unknown_signers(session, workspace_id, body.approval_policy)
            if workspace_channel(session, workspace_id, body.id) is not None:
                raise conflict
            channel = Channel(
                id=body.id, workspace_id=workspace_id, platform=body.platform, **ChannelPublic.columns(body)
            )
            channel.settings = _json(settings)
            if keyring is not None:
                _set_credentials(channel, keyring, secrets)
            public = ChannelPublic.from_row(add_channel(session, channel))
            _audit(session, channel, AuditAction.CHANNEL_CREATED, user, None)
    except IntegrityError as err:
        raise conflict from err
    return public


@router.get("/workspaces/{workspace_id}/channels", response_model=ChannelList)
def list_channels(
    workspace_id: str,
    ctx: ContextDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description="next_cursor of the previous page")] = None,
) -> ChannelList:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        rows = channel_page(session, workspace_id, limit + 1, cursor)
        page = [ChannelPublic.from_row(c) for c in rows[:limit]]
    return ChannelList(channels=page, next_cursor=page[-1].id if len(rows) > limit else None)


@router.get("/workspaces/{workspace_id}/channels/{channel_id}", response_model=ChannelPublic)
def read_channel(workspace_id: str, channel_id: str, ctx: ContextDep, user: CurrentUser) -> ChannelPublic:
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        channel = workspace_channel(session, workspace_id, channel_id)
        if channel is None:
            raise _not_found(channel_id)
        return ChannelPublic.from_row(channel)


@router.put(
    "/workspaces/{workspace_id}/channels/{channel_id}",
    response_model=ChannelPublic,
    responses=error_responses(403, 409, 503),
)
def update_channel(
    workspace_id: str, channel_id: str, body: ChannelSettings, ctx: ContextDep, user: CurrentUser
) -> ChannelPublic:
    """Replace the brand options (counting, social overrides, approval policy); platform settings and
    credentials are replaced only when given. The platform itself is fixed: add a channel for another."""
    _admin_in(user, workspace_id)
    with transaction(ctx.engine) as session:
        channel = workspace_channel(session, workspace_id, channel_id)
        if channel is None:
            raise _not_found(channel_id)
        if body.platform is not None and body.platform != channel.platform:
            raise ServiceError(
                409,
                "platform_fixed",
                f"channel '{channel_id}' publishes to {channel.platform}; add a new channel for {body.platform}",
            )
        refuse_unknown_signers(session, workspace_id, body.approval_policy)
        try:
            settings = validate_settings(channel.platform, body.settings) if body.settings is not None else None
            secrets = validate_credentials(channel.platform, body.credentials) if body.credentials is not None else None
        except ConfigInvalid as err:
            raise _invalid(err) from None
        if settings is not None:
            _refuse_unreachable(settings, ctx.settings.outbound_policy)
        before = channel_snapshot(channel)
        for key, value in ChannelPublic.columns(body).items():
            setattr(channel, key, value)
        if settings is not None:
            channel.settings = _json(settings)
            _forget_limits(channel)
        if secrets is not None:
            _set_credentials(channel, _keyring(ctx.settings), secrets)
        session.add(channel)
        _audit(session, channel, AuditAction.CHANNEL_CHANGED, user, before)
        return ChannelPublic.from_row(channel)


@router.post(
    "/workspaces/{workspace_id}/channels/{channel_id}/test",
    response_model=ChannelCheck,
    responses=error_responses(403, 503),
)
async def test_channel(workspace_id: str, channel_id: str, ctx: ContextDep, user: CurrentUser) -> ChannelCheck:
    """Ask the platform who the channel's credentials act as (Mastodon verify_credentials, Bluesky
    createSession, ...). A refusal is reported in the body (`ok` false), not as an HTTP error."""
    _admin_in(user, workspace_id)

    def load() -> Channel | None:
        with transaction(ctx.engine) as session:
            return workspace_channel(session, workspace_id, channel_id)

    channel = await asyncio.to_thread(load)
    if channel is None:
        raise _not_found(channel_id)
    try:
        secrets = open_channel(channel, _keyring(ctx.settings)) if channel.credentials is not None else None
    except CredentialError as err:
        return ChannelCheck(ok=False, error="CredentialsUnreadable", message=str(err))
    async with guarded_client(ctx.settings.outbound_policy, timeout=CHECK_TIMEOUT) as http:
        try:
            adapter = build_adapter(
                http,
                channel.platform,
                channel.id,
                settings_of(channel),
                secrets,
                sandbox_url=ctx.settings.resolved_sandbox_url,
            )
        except (ConfigInvalid, KeyError, ValueError, TypeError) as err:
            message = f"the channel's settings or credentials do not fit {channel.platform} ({type(err).__name__})"
            return ChannelCheck(ok=False, error="ChannelMisconfigured", message=f"{message}; reconnect it")
        try:
            account = await adapter.check_credentials()
        except PlatformError as err:
            return ChannelCheck(ok=False, error=type(err).__name__, message=str(err))
        if channel.platform in LIVE_LIMITS:
            # The test refreshes what the brand check counts against (a Mastodon instance's own limits).
            try:
                limits = (await adapter.limits()).model_dump_json(exclude_none=True)
            except PlatformError as err:
                return ChannelCheck(ok=False, account=account, error=type(err).__name__, message=str(err))
            await asyncio.to_thread(_store_limits, ctx.engine, channel.workspace_id, channel.id, limits)
    return ChannelCheck(ok=True, account=account)


def _store_limits(engine: Engine, workspace_id: str, channel_id: str, limits: str) -> None:
    with transaction(engine) as session:
        store_platform_limits(session, workspace_id, channel_id, limits, datetime.now(UTC))


@router.post(
    "/workspaces/{workspace_id}/channels/{channel_id}/disable",
    response_model=ChannelPublic,
    responses=error_responses(403),
)
def disable_channel(
    workspace_id: str, channel_id: str, ctx: ContextDep, user: CurrentUser, body: Disable | None = None
) -> ChannelPublic:
    """Stop publishing on the channel: its posts fail with ChannelUnavailable until it is enabled."""
    _admin_in(user, workspace_id)
    with transaction(ctx.engine) as session:
        channel = workspace_channel(session, workspace_id, channel_id)
        if channel is None:
            raise _not_found(channel_id)
        before = channel_snapshot(channel)
        channel.state = DISABLED
        channel.state_reason = (body.reason if body else "") or f"disabled by {user.id}"
        session.add(channel)
        _audit(session, channel, AuditAction.CHANNEL_DISABLED, user, before)
        return ChannelPublic.from_row(channel)


@router.post(
    "/workspaces/{workspace_id}/channels/{channel_id}/enable",
    response_model=ChannelPublic,
    responses=error_responses(403, 409),
)
def enable_channel(workspace_id: str, channel_id: str, ctx: ContextDep, user: CurrentUser) -> ChannelPublic:
    _admin_in(user, workspace_id)
    with transaction(ctx.engine) as session:
        channel = workspace_channel(session, workspace_id, channel_id)
        if channel is None:
            raise _not_found(channel_id)
        if channel.state == NEEDS_RECONNECTION:
            raise ServiceError(
                409,
                "needs_reconnection",
                f"channel '{channel_id}' needs reconnecting ({channel.state_reason}); "
                f"POST /workspaces/{workspace_id}/channels/{channel_id}/reconnect with new credentials",
            )
        before = channel_snapshot(channel)
        channel.state, channel.state_reason = ACTIVE, None
        session.add(channel)
        _audit(session, channel, AuditAction.CHANNEL_ENABLED, user, before)
        return ChannelPublic.from_row(channel)


@router.post(
    "/workspaces/{workspace_id}/channels/{channel_id}/reconnect",
    response_model=ChannelPublic,
    responses=error_responses(403, 503),
)
def reconnect_channel(
    workspace_id: str, channel_id: str, body: ChannelReconnect, ctx: ContextDep, user: CurrentUser
) -> ChannelPublic:
    """Give the channel new credentials and make it active again."""
    _admin_in(user, workspace_id)
    with transaction(ctx.engine) as session:
        channel = workspace_channel(session, workspace_id, channel_id)
        if channel is None:
            raise _not_found(channel_id)
        try:
            secrets = validate_credentials(channel.platform, body.credentials)
        except ConfigInvalid as err:
            raise _invalid(err) from None
        before = channel_snapshot(channel)
        if secrets is not None:
            _set_credentials(channel, _keyring(ctx.settings), secrets)
        _forget_limits(channel)
        channel.state, channel.state_reason = ACTIVE, None
        session.add(channel)
        _audit(session, channel, AuditAction.CHANNEL_RECONNECTED, user, before)
        return ChannelPublic.from_row(channel)


def _audit(session: Session, channel: Channel, action: AuditAction, user: Actor, before: dict[str, Any] | None) -> None:
    after = channel_snapshot(channel)
    record_change(
        session,
        channel.workspace_id,
        action,
        user.id,
        subject=f"channel:{channel.id}",
        before=before,
        after=after,
        credentials_changed=(before or {}).get("credentials") != after["credentials"],
    )


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)
