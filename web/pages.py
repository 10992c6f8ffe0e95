"""The pages: sign in and out, language, home, a post, and deciding on it.

Every page works as plain HTML forms with full page loads; htmx (HX-Request) only swaps a named block of
the same template. Sign-in, sign-out and decisions call the JSON routes' own functions."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.deps import Actor, context
from api.oidc_client import OidcConfig
from api.routes_auth import LoginBody, Preferences, login, logout, put_preferences
from api.routes_posts import decide
from api.schemas import DecisionCreate
from api.service import ServiceError
from domain.status import Decision
from web.i18n import LOCALE_COOKIE, LOCALES, ZONE_COOKIE, Reader, valid_zone
from web.services import visible_post
from web.session import (
    WORKSPACE_COOKIE,
    csrf_token,
    form_actor,
    local_path,
    reader_of,
    signed_in,
    to_sign_in,
)
from web.templating import templates
from web.views import chosen_workspace, home_view, post_url, post_view
from web.views_postpage import done_words

router = APIRouter(include_in_schema=False)
YEAR = 365 * 86400


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def render(request: Request, name: str, reader: Reader, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("chrome", None)
    block = context.pop("block", None)
    values = {"reader": reader, "here": _here(request), **context}
    if block:
        return templates.TemplateResponse(request, name, values, status_code=status_code, block_name=block)
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def error_page(request: Request, reader: Reader, status: int) -> Response:
    tr = reader
    if status == 404:
        title, message = tr.gettext("Not found"), tr.gettext("This page does not exist, or you may not see it.")
    elif status == 403:
        title, message = tr.gettext("Not allowed"), tr.gettext("You may not do this in this workspace.")
    else:
        title, message = tr.gettext("Something went wrong"), tr.gettext("Please try again in a moment.")
    return render(request, "error.html", reader, status_code=status, title=title, message=message)


async def signed_form(request: Request) -> tuple[FormData, Actor] | Response:
    """A posted form and who sent it (session and CSRF token checked), or the page to answer instead: the
    sign-in page for a stranger, an error page for a refused token. Every page's form handler starts here."""
    try:
        return await form_actor(request)
    except HTTPException as err:
        if err.status_code == 401:
            return to_sign_in(request)
        return error_page(request, reader_of(request), err.status_code)


# ---- sign in, sign out, language ------------------------------------------------------------------------


def _sign_in_page(request: Request, reader: Reader, *, status_code: int = 200, **extra: Any) -> Response:
    oidc = OidcConfig.of(context(request).settings) is not None
    values = {"next": local_path(request.query_params.get("next")), "email": "", "error": None, "signed_out": False}
    return render(request, "signin.html", reader, status_code=status_code, oidc=oidc, **{**values, **extra})


@router.get("/signin")
async def sign_in_page(request: Request) -> Response:
    if await signed_in(request) is not None:
        return RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    return _sign_in_page(request, reader_of(request), signed_out=request.query_params.get("signed_out") == "1")


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    reader = reader_of(request)
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    back = local_path(str(form.get("next", "")))
    response = RedirectResponse(back, status_code=303)
    try:
        body = LoginBody(email=email, password=password)
        await asyncio.to_thread(login, body, request, response, context(request))
    except (ValidationError, ServiceError):
        error = reader.gettext("That e-mail and password do not match an account.")
        return _sign_in_page(request, reader, status_code=401, email=email, next=back, error=error)
    except HTTPException as err:  # 429: too many failed attempts
        error = reader.gettext("Too many failed attempts. Wait a few minutes, then try again.")
        page = _sign_in_page(request, reader, status_code=err.status_code, email=email, next=back, error=error)
        page.headers.update(err.headers or {})
        return page
    zone = valid_zone(str(form.get("time_zone", "")))
    if zone:
        response.set_cookie(ZONE_COOKIE, zone, max_age=YEAR, samesite="lax", path="/")
    return response


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    try:
        _, actor = await form_actor(request)
    except HTTPException as err:
        if err.status_code == 401:
            return RedirectResponse("/signin", status_code=303)
        return error_page(request, reader_of(request), err.status_code)
    response = RedirectResponse("/signin?signed_out=1", status_code=303)
    await asyncio.to_thread(logout, response, context(request), actor)
    return response


@router.get("/language")
async def choose_language(request: Request, lang: str = "", next: str = "/") -> Response:
    response = RedirectResponse(local_path(next), status_code=303)
    if lang in LOCALES:
        response.set_cookie(LOCALE_COOKIE, lang, max_age=YEAR, samesite="lax", path="/")
        user = await signed_in(request)
        if user is not None and user.locale and user.locale != lang:
            # Their account's language would otherwise win over this browser's choice: the link changes it.
            body = Preferences(locale=lang, time_zone=user.time_zone)
            await asyncio.to_thread(put_preferences, body, context(request), user)
    return response


# ---- home ----------------------------------------------------------------------------------------------


@router.get("/")
async def home(
    request: Request,
    workspace: str = "",
    status: str = "",
    mine: str = "",
    cursor: str = "",
    channel: str = "",
    author: str = "",
    from_: Annotated[str, Query(alias="from")] = "",
    to: str = "",
) -> Response:
    reader = reader_of(request)
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    chosen = chosen_workspace(user, workspace or None, request.cookies.get(WORKSPACE_COOKIE))
    view = await home_view(
        context(request),
        user,
        reader,
        workspace_id=chosen,
        csrf=csrf_token(request),
        status=status,
        only_mine=mine == "1",
        cursor=cursor[:64] or None,
        channel=channel[:64],
        author=author[:64],
        date_from=from_[:10],
        date_to=to[:10],
    )
    # An htmx request for the list gets just that block of the same template.
    block = "post_list" if request.headers.get("HX-Target") == "post-list" else None
    response = render(request, "home.html", reader, view=view, chrome=view.chrome, block=block)
    if chosen is not None and chosen != request.cookies.get(WORKSPACE_COOKIE):
        response.set_cookie(WORKSPACE_COOKIE, chosen, max_age=YEAR, samesite="lax", path="/")
    return response


# ---- a post ----------------------------------------------------------------------------------------------


async def _post_page(
    request: Request, user: Actor, workspace_id: str, post_id: str, *, status_code: int = 200, **extra: Any
) -> Response:
    reader = reader_of(request)
    try:
        view = await post_view(
            context(request), user, reader, workspace_id=workspace_id, post_id=post_id, csrf=csrf_token(request)
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    values = {"decided": False, "done": None, "error": None, "comment": "", **extra}
    return render(request, "post.html", reader, status_code=status_code, view=view, chrome=view.chrome, **values)


@router.get("/w/{workspace_id}/posts/{post_id}")
async def post_page(request: Request, workspace_id: str, post_id: str) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    done = done_words(reader_of(request), request.query_params.get("done", ""))
    decided = request.query_params.get("decided") == "1"
    return await _post_page(request, user, workspace_id, post_id, decided=decided, done=done)


def _refusal_words(reader: Reader, refusal: str) -> str:
    words = {
        "StaleContent": reader.gettext("The post changed while you were reading it. Read it again, then decide."),
        "SeparationOfDuties": reader.gettext(
            "You wrote or edited this post, or signed an earlier step, so another approver must decide."
        ),
        "NotAnApprover": reader.gettext("You are not one of the approvers of this step."),
        "AlreadyDecided": reader.gettext("You have already approved this step."),
        "InvalidState": reader.gettext("This post is no longer waiting for a decision."),
    }
    return words.get(refusal, reader.gettext("postgate could not record this decision."))


@router.post("/w/{workspace_id}/posts/{post_id}/decisions")
async def decide_page(request: Request, workspace_id: str, post_id: str) -> Response:
    reader = reader_of(request)
    sent = await signed_form(request)
    if isinstance(sent, Response):
        return sent
    form, user = sent
    comment = str(form.get("comment", "")).strip()
    key = str(form.get("idempotency_key", ""))[:200] or None
    try:
        decision = Decision(str(form.get("decision", "")))
        body = DecisionCreate(decision=decision, content_hash=str(form.get("content_hash", "")), comment=comment)
    except (ValueError, ValidationError):
        error = reader.gettext("Choose approve, request changes or reject.")
        return await _post_page(request, user, workspace_id, post_id, status_code=422, error=error, comment=comment)
    if decision is not Decision.APPROVE and not comment:
        error = reader.gettext("Say why in the comment: the author reads it to know what to change.")
        return await _post_page(request, user, workspace_id, post_id, status_code=422, error=error, comment=comment)
    try:
        # The post must be in the workspace of the URL; then the JSON route decides with its own checks.
        await _visible_in(request, user, workspace_id, post_id)
        await decide(post_id, body, context(request), user, key)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        return await _post_page(
            request, user, workspace_id, post_id, status_code=err.status, error=err.message, comment=comment
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        refusal = cause.type if isinstance(cause, ApplicationError) and cause.type else ""
        error = _refusal_words(reader, refusal)
        return await _post_page(request, user, workspace_id, post_id, status_code=409, error=error, comment=comment)
    return RedirectResponse(post_url(workspace_id, post_id) + "?decided=1", status_code=303)


async def _visible_in(request: Request, user: Actor, workspace_id: str, post_id: str) -> None:
    await asyncio.to_thread(visible_post, context(request), user, workspace_id, post_id)
