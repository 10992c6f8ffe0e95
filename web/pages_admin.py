"""The admin's settings pages under /w/{workspace}/settings, and my account (/account: my invitations, my API
tokens). Each form calls the JSON route's own function, which checks the role, applies every rule and writes
the workspace's audit entry; a page only turns the form into the route's body and the answer into words.

A member who is not the workspace's admin gets the 403 page (another workspace: 404), from the route's own
check, on every page and every form."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from api.deps import Actor, context
from api.routes_auth import TokenCreate, create_token, delete_token, list_tokens
from api.routes_brand import MAX_STYLE_BYTES, BrandCheckBody, check_text, read_style, set_social_rules, store_style
from api.routes_channels import (
    create_channel,
    disable_channel,
    enable_channel,
    list_channels,
    reconnect_channel,
    test_channel,
)
from api.routes_invitations import (
    InvitationCreate,
    accept_invitation,
    decline_invitation,
    invite,
    list_workspace_invitations,
    my_invitations,
    revoke_invitation,
)
from api.routes_notifications import (
    EmailTargetCreate,
    WebhookTargetCreate,
    create_target,
    list_targets,
    remove_target,
    test_target,
)
from api.routes_pause import PauseBody, ResumeBody, pause, pause_state, resume
from api.routes_workspace_settings import change_settings, read_settings
from api.routes_workspaces import read_approval_policy, remove_member, set_approval_policy, set_member
from api.schemas import ChannelCreate, ChannelReconnect, RoleChange, WorkspaceSettingsChange
from api.service import ServiceError
from brand.engine import SocialRules
from domain.status import LatePolicy, ResumePolicy
from platforms.channel_settings import PLATFORMS, SPECS
from web import views_admin as va
from web.i18n import Reader
from web.pages import error_page, render, signed_form
from web.session import csrf_token, reader_of, signed_in, to_sign_in
from web.views import chrome_for

router = APIRouter(include_in_schema=False)
Build = Callable[[Actor, Reader], Awaitable[dict[str, Any]]]


def _settings(workspace_id: str, section: str = "") -> str:
    return f"/w/{workspace_id}/settings" + (f"/{section}" if section else "")


async def _page(
    request: Request,
    workspace_id: str | None,
    template: str,
    build: Build,
    *,
    status_code: int = 200,
    user: Actor | None = None,
    admin: bool = True,
    **extra: Any,
) -> Response:
    """A settings page for its admin: the 403/404 page for anyone else (the API's own rule decides)."""
    reader = reader_of(request)
    user = user or await signed_in(request)
    if user is None:
        return to_sign_in(request)
    try:
        if admin and workspace_id is not None:
            va.require_admin(user, workspace_id)
        values = await build(user, reader)
        chrome = await asyncio.to_thread(chrome_for, context(request), user, workspace_id, csrf_token(request), reader)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    done = request.query_params.get("done", "")
    links = va.section_links(reader, workspace_id) if workspace_id and admin else []
    values = {"done": done, "errors": {}, "error": None, "links": links, **values, **extra}
    if request.method != "GET":  # the language links come back to the page, not to the form's POST address
        values["here"] = next((url for s, _, url in links if s == values.get("section")), "/account")
    return render(
        request, template, reader, status_code=status_code, chrome=chrome, workspace_id=workspace_id, **values
    )


def _back(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?{urlencode({'done': done})}", status_code=303)


def _call(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
    return asyncio.to_thread(fn, *args)


def _problem(err: ServiceError | RequestValidationError | ValidationError) -> str:
    if isinstance(err, ServiceError):
        return err.message
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {str(e.get('msg', '')).removeprefix('Value error, ')}" if loc else str(e.get("msg")))
    return "; ".join(parts)


# ---- workspace: name, zone, late policy, unpublish roles; crisis pause and resume ----------------------------


def _workspace_values(request: Request, workspace_id: str) -> Build:
    async def build(user: Actor, reader: Reader) -> dict[str, Any]:
        ctx = context(request)
        ws = await _call(read_settings, workspace_id, ctx, user)
        paused = await _call(pause_state, workspace_id, ctx, user)
        counts = await _call(va.pause_counts, ctx, workspace_id)
        return {
            "ws": ws,
            "paused": paused,
            "counts": counts,
            "late_policies": [p.value for p in LatePolicy],
            "resume_policies": [p.value for p in ResumePolicy],
            "roles": va.role_choices(reader),
            "section": "workspace",
        }

    return build


@router.get("/w/{workspace_id}/settings")
async def workspace_page(request: Request, workspace_id: str) -> Response:
    return await _page(request, workspace_id, "admin_workspace.html", _workspace_values(request, workspace_id))


@router.post("/w/{workspace_id}/settings")
async def workspace_save(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    try:
        notice = str(form.get("late_notice_minutes", "")).strip()
        body = WorkspaceSettingsChange(
            name=str(form.get("name", "")).strip() or None,
            time_zone=str(form.get("time_zone", "")).strip() or None,
            late_policy=str(form.get("late_policy", "")) or None,
            late_notice_after_s=round(float(notice) * 60) if notice else None,
            unpublish_roles=[str(r) for r in form.getlist("unpublish_roles")],
        )
        await _call(change_settings, workspace_id, body, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ValidationError, ValueError) as err:
        errors = _field_errors(reader, err, {"name", "time_zone", "late_policy", "late_notice_after_s"})
        return await _page(
            request,
            workspace_id,
            "admin_workspace.html",
            _workspace_values(request, workspace_id),
            status_code=422,
            user=user,
            errors=errors,
        )
    return _back(_settings(workspace_id), "saved")


def _field_errors(reader: Reader, err: Exception, known: set[str]) -> dict[str, str]:
    if not isinstance(err, ValidationError):
        return {"late_notice_after_s": reader.gettext("Give a number of minutes, e.g. 5.")}
    found: dict[str, str] = {}
    for e in err.errors():
        where = str(e["loc"][0]) if e["loc"] else ""
        found.setdefault(where if where in known else "", str(e["msg"]).removeprefix("Value error, "))
    return found


@router.post("/w/{workspace_id}/settings/pause")
async def pause_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    try:
        body = PauseBody(reason=str(form.get("reason", "")).strip())
        await pause(workspace_id, body, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ValidationError, ServiceError) as err:
        errors = {"reason": reader.gettext("Say why you pause: it goes into the audit trail.")}
        if isinstance(err, ServiceError):
            errors = {"": err.message}
        return await _page(
            request,
            workspace_id,
            "admin_workspace.html",
            _workspace_values(request, workspace_id),
            status_code=422 if isinstance(err, ValidationError) else err.status,
            user=user,
            errors=errors,
        )
    return _back(_settings(workspace_id), "paused")


@router.post("/w/{workspace_id}/settings/resume")
async def resume_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    try:
        body = ResumeBody(policy=str(form.get("policy", "")), reason=str(form.get("reason", "")).strip())
        await resume(workspace_id, body, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ValidationError, ServiceError) as err:
        errors = {"policy": reader.gettext("Choose what happens to the posts whose time came during the pause.")}
        if isinstance(err, ServiceError):
            errors = {"": err.message}
        return await _page(
            request,
            workspace_id,
            "admin_workspace.html",
            _workspace_values(request, workspace_id),
            status_code=422 if isinstance(err, ValidationError) else err.status,
            user=user,
            errors=errors,
        )
    return _back(_settings(workspace_id), "resumed")


# ---- members and invitations ------------------------------------------------------------------------------


def _members_values(request: Request, workspace_id: str) -> Build:
    async def build(user: Actor, reader: Reader) -> dict[str, Any]:
        ctx = context(request)
        invitations = await _call(list_workspace_invitations, workspace_id, ctx, user, 100, None)
        rows = await _call(va.member_rows, ctx, workspace_id)
        return {
            "members": rows,
            "invitations": invitations.invitations,
            "roles": va.role_choices(reader),
            "section": "members",
        }

    return build


@router.get("/w/{workspace_id}/settings/members")
async def members_page(request: Request, workspace_id: str) -> Response:
    return await _page(request, workspace_id, "admin_members.html", _members_values(request, workspace_id))


@router.post("/w/{workspace_id}/settings/members/invite")
async def invite_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    who = str(form.get("invitee", "")).strip()
    try:
        invitee = {"email": who} if "@" in who else {"user_id": who or None}
        body = InvitationCreate(**invitee, role=str(form.get("role", "")))
        await _call(invite, workspace_id, body, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ValidationError:
        errors = {"invitee": reader.gettext("Give an account id or one e-mail address, and choose a role.")}
        return await _page(
            request,
            workspace_id,
            "admin_members.html",
            _members_values(request, workspace_id),
            status_code=422,
            user=user,
            errors=errors,
            invitee=who,
        )
    return _back(_settings(workspace_id, "members"), "invited")


@router.post("/w/{workspace_id}/settings/members/{user_id}/role")
async def role_page(request: Request, workspace_id: str, user_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    return await _member_change(
        request,
        workspace_id,
        user,
        lambda: _call(
            set_member,
            workspace_id,
            user_id,
            RoleChange(role=str(form.get("role", ""))),
            context(request),
            user,
        ),
        "role_changed",
    )


@router.post("/w/{workspace_id}/settings/members/{user_id}/remove")
async def remove_page(request: Request, workspace_id: str, user_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    _, user = got
    return await _member_change(
        request,
        workspace_id,
        user,
        lambda: _call(remove_member, workspace_id, user_id, context(request), user),
        "removed",
    )


@router.post("/w/{workspace_id}/settings/invitations/{invitation_id}/revoke")
async def revoke_page(request: Request, workspace_id: str, invitation_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    _, user = got
    return await _member_change(
        request,
        workspace_id,
        user,
        lambda: _call(revoke_invitation, workspace_id, invitation_id, context(request), user),
        "revoked",
    )


async def _member_change(
    request: Request, workspace_id: str, user: Actor, change: Callable[[], Awaitable[Any]], done: str
) -> Response:
    reader = reader_of(request)
    try:
        await change()
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ServiceError, ValidationError) as err:
        status = err.status if isinstance(err, ServiceError) else 422
        return await _page(
            request,
            workspace_id,
            "admin_members.html",
            _members_values(request, workspace_id),
            status_code=status,
            user=user,
            error=_problem(err),
        )
    return _back(_settings(workspace_id, "members"), done)


# ---- my account: invitations and API tokens (any signed-in person) ------------------------------------------


def _account_values(request: Request) -> Build:
    async def build(user: Actor, reader: Reader) -> dict[str, Any]:
        ctx = context(request)
        invitations = await _call(my_invitations, ctx, user, 100, None)
        tokens = await _call(list_tokens, ctx, user, 100, None)
        return {"invitations": invitations.invitations, "tokens": tokens.tokens, "new_token": None}

    return build


@router.get("/account")
async def account_page(request: Request) -> Response:
    return await _page(request, None, "admin_account.html", _account_values(request), admin=False)


@router.post("/account/tokens")
async def new_token_page(request: Request) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    try:
        body = TokenCreate(name=str(form.get("name", "")).strip(), expires_in_days=int(form.get("days", "90") or 90))  # type: ignore[arg-type]
        made = await _call(create_token, body, context(request), user)
    except (ValidationError, ValueError):
        errors = {"token-name": reader.gettext("Name the token (what it is for) and give 1 to 365 days.")}
        return await _page(
            request,
            None,
            "admin_account.html",
            _account_values(request),
            status_code=422,
            user=user,
            admin=False,
            errors=errors,
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    # Shown once, on this answer only: postgate keeps a hash.
    return await _page(
        request,
        None,
        "admin_account.html",
        _account_values(request),
        status_code=201,
        user=user,
        admin=False,
        new_token=made.token,
    )


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token_page(request: Request, token_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    _, user = got
    try:
        await _call(delete_token, token_id, context(request), user)
    except HTTPException as err:
        return error_page(request, reader_of(request), err.status_code)
    return _back("/account", "token_revoked")


@router.post("/account/invitations/{invitation_id}/{choice}")
async def answer_invitation_page(request: Request, invitation_id: str, choice: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    _, user = got
    reader = reader_of(request)
    if choice not in ("accept", "decline"):
        return error_page(request, reader, 404)
    fn = accept_invitation if choice == "accept" else decline_invitation
    try:
        answered = await _call(fn, invitation_id, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        return await _page(
            request,
            None,
            "admin_account.html",
            _account_values(request),
            status_code=err.status,
            user=user,
            admin=False,
            error=err.message,
        )
    if choice == "accept":
        return RedirectResponse(f"/?workspace={answered.workspace_id}", status_code=303)
    return _back("/account", "declined")


# ---- channels ---------------------------------------------------------------------------------------------


def _channels_values(request: Request, workspace_id: str, platform: str = "", **kept: Any) -> Build:
    async def build(user: Actor, reader: Reader) -> dict[str, Any]:
        ctx = context(request)
        listed = await _call(list_channels, workspace_id, ctx, user, 200, None)
        chosen = platform if platform in SPECS else ""
        settings_fields, secret_fields = va.platform_fields(chosen) if chosen else ([], [])
        reconnect = {c.id: va.platform_fields(c.platform)[1] for c in listed.channels if SPECS[c.platform].credentials}
        return {
            "channels": listed.channels,
            "platforms": list(PLATFORMS),
            "platform": chosen,
            "settings_fields": settings_fields,
            "secret_fields": secret_fields,
            "reconnect_fields": reconnect,
            "limits_rows": va.limits_rows,
            "values": {},
            "check": None,
            "section": "channels",
            **kept,
        }

    return build


@router.get("/w/{workspace_id}/settings/channels")
async def channels_page(request: Request, workspace_id: str, platform: str = "") -> Response:
    return await _page(
        request, workspace_id, "admin_channels.html", _channels_values(request, workspace_id, platform[:20])
    )


@router.post("/w/{workspace_id}/settings/channels")
async def add_channel_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    platform = str(form.get("platform", ""))
    if platform not in SPECS:
        return error_page(request, reader, 404)
    settings, credentials = va.channel_values(platform, form)
    # What comes back to a refused form: never a secret.
    values = {k: str(v) for k, v in form.items() if not k.startswith("secret.") and k != "csrf_token"}
    try:
        body = ChannelCreate(
            id=str(form.get("channel_id", "")).strip(),
            name=str(form.get("channel_name", "")).strip(),
            platform=platform,
            max_length=int(str(form.get("max_length", "") or 500)),
            settings=settings,
            credentials=credentials,
        )
        await _call(create_channel, workspace_id, body, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ValidationError, RequestValidationError, ServiceError, ValueError) as err:
        settings_fields, secret_fields = va.platform_fields(platform)
        ids = {f.id for f in [*settings_fields, *secret_fields]} | {"channel-id", "channel-name", "channel-max_length"}
        if isinstance(err, ServiceError):
            errors = {"channel-id" if err.error == "already_exists" else "": err.message}
        elif isinstance(err, ValidationError | RequestValidationError):
            errors = va.channel_errors(reader, list(err.errors()), ids)
        else:
            errors = {"channel-max_length": reader.gettext("Give a whole number of characters.")}
        return await _page(
            request,
            workspace_id,
            "admin_channels.html",
            _channels_values(request, workspace_id, platform, values=values),
            status_code=getattr(err, "status", 422),
            user=user,
            errors=errors,
        )
    return _back(_settings(workspace_id, "channels"), "channel_added")


@router.post("/w/{workspace_id}/settings/channels/{channel_id}/{action}")
async def channel_action_page(request: Request, workspace_id: str, channel_id: str, action: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    ctx = context(request)
    try:
        if action == "test":
            check = await test_channel(workspace_id, channel_id, ctx, user)
            return await _page(
                request,
                workspace_id,
                "admin_channels.html",
                _channels_values(request, workspace_id, check={"channel": channel_id, **check.model_dump()}),
                user=user,
            )
        if action == "disable":
            await _call(disable_channel, workspace_id, channel_id, ctx, user, None)
        elif action == "enable":
            await _call(enable_channel, workspace_id, channel_id, ctx, user)
        elif action == "reconnect":
            listed = await _call(list_channels, workspace_id, ctx, user, 200, None)
            channel = next((c for c in listed.channels if c.id == channel_id), None)
            if channel is None:
                raise HTTPException(404)
            _, credentials = va.channel_values(channel.platform, form)
            await _call(
                reconnect_channel, workspace_id, channel_id, ChannelReconnect(credentials=credentials), ctx, user
            )
        else:
            raise HTTPException(404)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ServiceError, RequestValidationError, ValidationError) as err:
        return await _page(
            request,
            workspace_id,
            "admin_channels.html",
            _channels_values(request, workspace_id),
            status_code=getattr(err, "status", 422),
            user=user,
            error=f"{channel_id}: {_problem(err)}",
        )
    return _back(_settings(workspace_id, "channels"), f"channel_{action}")


# ---- approval policy ------------------------------------------------------------------------------------


def _policy_values(
    request: Request, workspace_id: str, steps: list[va.StepForm] | None = None, distinct: bool | None = None
) -> Build:
    async def build(user: Actor, reader: Reader) -> dict[str, Any]:
        ctx = context(request)
        policy = await _call(read_approval_policy, workspace_id, ctx, user)
        rows = await _call(va.member_rows, ctx, workspace_id)
        people = {uid: role for uid, _, role in rows}
        names = {uid: name for uid, name, _ in rows}
        shown = steps if steps is not None else va.steps_of(policy)
        return {
            "summary": va.policy_summary(reader, policy, people, names),
            "steps": va.with_blank_step(shown),
            "distinct": policy.distinct_signers if distinct is None else distinct,
            "members": rows,
            "roles": va.role_choices(reader),
            "section": "policy",
        }

    return build


@router.get("/w/{workspace_id}/settings/policy")
async def policy_page(request: Request, workspace_id: str) -> Response:
    return await _page(request, workspace_id, "admin_policy.html", _policy_values(request, workspace_id))


@router.post("/w/{workspace_id}/settings/policy")
async def policy_save(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    distinct = form.get("distinct_signers") == "on"
    try:
        va.require_admin(user, workspace_id)
        policy, _ = va.policy_from_form(reader, form)
        await _call(set_approval_policy, workspace_id, policy, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (va.FormErrors, ServiceError) as err:
        errors = err.errors if isinstance(err, va.FormErrors) else {"": err.message}
        return await _page(
            request,
            workspace_id,
            "admin_policy.html",
            _policy_values(request, workspace_id, va.read_steps(form), distinct),
            status_code=422,
            user=user,
            errors=errors,
        )
    return _back(_settings(workspace_id, "policy"), "saved")


# ---- brand: style, its versions, try a text, social rules ------------------------------------------------


def _brand_values(request: Request, workspace_id: str, **kept: Any) -> Build:
    async def build(user: Actor, reader: Reader) -> dict[str, Any]:
        ctx = context(request)
        try:
            style = await _call(read_style, workspace_id, ctx, user)
        except HTTPException:
            style = None
        listed = await _call(list_channels, workspace_id, ctx, user, 200, None)
        return {
            "style": style,
            "versions": await _call(va.style_versions, ctx, workspace_id),
            "channels": listed.channels,
            "social_rules": kept.pop("social_rules", None) or await _call(va.social_rules_text, ctx, workspace_id),
            "check": None,
            "tried": "",
            "tried_channel": "",
            "section": "brand",
            **kept,
        }

    return build


@router.get("/w/{workspace_id}/settings/brand")
async def brand_page(request: Request, workspace_id: str) -> Response:
    return await _page(request, workspace_id, "admin_brand.html", _brand_values(request, workspace_id))


@router.post("/w/{workspace_id}/settings/brand/style")
async def style_upload_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    upload = form.get("style")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ServiceError(422, "invalid_style", reader.gettext("Choose a .zip or .yml file to upload."))
        data = await upload.read(MAX_STYLE_BYTES + 1)
        if len(data) > MAX_STYLE_BYTES:
            raise ServiceError(413, "too_large", reader.gettext("The style is larger than 2 MB."))
        kind = "application/zip" if upload.filename.lower().endswith(".zip") else "application/yaml"
        await _call(store_style, context(request), user, workspace_id, data, kind)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        details = err.details if isinstance(err.details, list) else []
        text = err.message + "".join(f" {d.get('file')}: {d.get('problem')}" for d in details if isinstance(d, dict))
        return await _page(
            request,
            workspace_id,
            "admin_brand.html",
            _brand_values(request, workspace_id),
            status_code=err.status,
            user=user,
            errors={"style": text},
        )
    return _back(_settings(workspace_id, "brand"), "style_uploaded")


@router.post("/w/{workspace_id}/settings/brand/check")
async def brand_check_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    text, channel = str(form.get("text", "")), str(form.get("channel_id", ""))
    try:
        va.require_admin(user, workspace_id)
        answer = await _call(
            check_text, workspace_id, BrandCheckBody(text=text, channel_id=channel), context(request), user
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ValidationError, ServiceError) as err:
        return await _page(
            request,
            workspace_id,
            "admin_brand.html",
            _brand_values(request, workspace_id, tried=text, tried_channel=channel),
            status_code=422,
            user=user,
            errors={"try-text": _problem(err)},
        )
    return await _page(
        request,
        workspace_id,
        "admin_brand.html",
        _brand_values(request, workspace_id, check=answer, tried=text, tried_channel=channel),
        user=user,
    )


@router.post("/w/{workspace_id}/settings/brand/social-rules")
async def social_rules_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    raw = str(form.get("rules", ""))
    try:
        rules = SocialRules.model_validate_json(raw or "{}")
        await _call(set_social_rules, workspace_id, rules, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ValidationError as err:
        return await _page(
            request,
            workspace_id,
            "admin_brand.html",
            _brand_values(request, workspace_id, social_rules=raw),
            status_code=422,
            user=user,
            errors={"rules": _problem(err)},
        )
    return _back(_settings(workspace_id, "brand"), "rules_saved")


# ---- notification targets -------------------------------------------------------------------------------


def _targets_values(request: Request, workspace_id: str, **kept: Any) -> Build:
    async def build(user: Actor, reader: Reader) -> dict[str, Any]:
        ctx = context(request)
        listed = await _call(list_targets, workspace_id, ctx, user, 100, None)
        return {
            "targets": listed.targets,
            "deliveries": await _call(va.recent_deliveries, ctx, workspace_id),
            "tested": None,
            "kind": "webhook",
            "url": "",
            "address": "",
            "section": "notifications",
            **kept,
        }

    return build


@router.get("/w/{workspace_id}/settings/notifications")
async def targets_page(request: Request, workspace_id: str) -> Response:
    return await _page(request, workspace_id, "admin_notifications.html", _targets_values(request, workspace_id))


@router.post("/w/{workspace_id}/settings/notifications")
async def add_target_page(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    form, user = got
    reader = reader_of(request)
    kind = str(form.get("kind", ""))
    url, address = str(form.get("url", "")).strip(), str(form.get("address", "")).strip()
    try:
        body: WebhookTargetCreate | EmailTargetCreate
        if kind == "email":
            body = EmailTargetCreate(kind="email", address=address)
        else:
            body = WebhookTargetCreate(kind="webhook", url=url, secret=str(form.get("secret", "")))
        await _call(create_target, workspace_id, body, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except (ValidationError, RequestValidationError, ServiceError) as err:
        errors: dict[str, str] = {}
        if isinstance(err, ServiceError):
            errors[""] = err.message
        else:
            for e in err.errors():
                where = [str(p) for p in e.get("loc", ()) if p not in ("body", "webhook")]
                key = {"url": "target-url", "secret": "target-secret", "address": "target-address"}.get(
                    where[-1] if where else "", ""
                )
                errors.setdefault(key, str(e.get("msg", "")).removeprefix("Value error, "))
        return await _page(
            request,
            workspace_id,
            "admin_notifications.html",
            _targets_values(request, workspace_id, kind=kind, url=url, address=address),
            status_code=422,
            user=user,
            errors=errors,
        )
    return _back(_settings(workspace_id, "notifications"), "target_added")


@router.post("/w/{workspace_id}/settings/notifications/{target_id}/{action}")
async def target_action_page(request: Request, workspace_id: str, target_id: str, action: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    _, user = got
    reader = reader_of(request)
    try:
        number = int(target_id)
        if not 1 <= number < 2**63:
            raise ValueError(target_id)
        if action == "test":
            outcome = await test_target(workspace_id, number, context(request), user)
            return await _page(
                request,
                workspace_id,
                "admin_notifications.html",
                _targets_values(request, workspace_id, tested=outcome),
                user=user,
            )
        if action != "remove":
            raise HTTPException(404)
        await _call(remove_target, workspace_id, number, context(request), user)
    except ValueError:
        return error_page(request, reader, 404)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    return _back(_settings(workspace_id, "notifications"), "target_removed")
