"""The post page's actions: each opens a confirmation page saying what will happen, whose form does it
through the JSON route's own function (so every rule of the API applies), then back to the post page.

Works without script: the post page's action forms are GETs to the confirmation page; its form is a POST."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.deps import Actor, context
from api.routes_posts import publish_now, retry_publish, schedule, withdraw
from api.routes_unpublish import unpublish_post
from api.schemas import RetryChoice, ScheduleChange, Unpublishing, Withdrawal
from api.service import ServiceError
from web.i18n import Reader
from web.pages import _visible_in, error_page, render, signed_form
from web.session import csrf_token, local_path, reader_of, signed_in, to_sign_in
from web.views import post_url
from web.views_postpage import confirm_view

router = APIRouter(include_in_schema=False)


async def _confirm_page(
    request: Request, user: Actor, workspace_id: str, post_id: str, *, status_code: int = 200, **asked: Any
) -> Response:
    reader = reader_of(request)
    try:
        view = await confirm_view(
            context(request),
            user,
            reader,
            workspace_id=workspace_id,
            post_id=post_id,
            csrf=csrf_token(request),
            **asked,
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    code = 422 if view.error and status_code == 200 else status_code
    return render(request, "post_confirm.html", reader, status_code=code, view=view, chrome=view.chrome)


@router.get("/w/{workspace_id}/posts/{post_id}/confirm")
async def confirm_page(
    request: Request,
    workspace_id: str,
    post_id: str,
    action: str = "",
    channel: str = "",
    publish_at: str = "",
    time_zone: str = "",
    back: str = "",
) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    return await _confirm_page(
        request,
        user,
        workspace_id,
        post_id,
        action=action,
        channel=channel[:64],
        publish_at=publish_at[:40],
        zone=time_zone[:64],
        back=back[:500],
    )


def _refusal(reader: Reader, err: WorkflowUpdateFailedError) -> str:
    cause = err.cause
    kind = cause.type if isinstance(cause, ApplicationError) and cause.type else ""
    if kind == "InvalidState":
        return reader.gettext("The post has moved on meanwhile, so this is no longer possible. Read it again.")
    return reader.gettext("postgate could not do this.")


@router.post("/w/{workspace_id}/posts/{post_id}/act")
async def act(request: Request, workspace_id: str, post_id: str) -> Response:
    """Do a confirmed action through the JSON route's own function; refusals re-render the confirmation."""
    reader = reader_of(request)
    sent = await signed_form(request)
    if isinstance(sent, Response):
        return sent
    form, user = sent
    field = {k: str(form.get(k, "")) for k in ("action", "channel", "publish_at", "time_zone", "reason", "back")}
    action, channel, reason = field["action"], field["channel"][:64] or None, field["reason"].strip()[:2000]
    asked: dict[str, Any] = {
        "action": action,
        "channel": channel or "",
        "publish_at": field["publish_at"][:40],
        "zone": field["time_zone"][:64],
        "back": field["back"][:500],
        "reason": reason,
    }
    ctx = context(request)
    try:
        await _visible_in(request, user, workspace_id, post_id)
        if action == "reschedule":
            body = ScheduleChange.model_validate({"publish_at": field["publish_at"], "time_zone": field["time_zone"]})
            await schedule(post_id, body, ctx, user)
        elif action == "publish_now":
            await publish_now(post_id, ctx, user)
        elif action == "withdraw":
            await withdraw(post_id, Withdrawal(reason=reason), ctx, user)
        elif action == "unpublish":
            if not reason:
                error = reader.gettext("Say why it is taken down: the reason goes into the audit trail.")
                return await _confirm_page(request, user, workspace_id, post_id, error=error, **asked)
            await unpublish_post(post_id, Unpublishing(channel_id=channel, reason=reason), ctx, user)
        elif action == "retry":
            await retry_publish(post_id, ctx, user, RetryChoice(channel_id=channel))
        else:
            return error_page(request, reader, 404)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ValidationError:
        error = reader.gettext("That is not a time postgate can publish at. Choose another.")
        return await _confirm_page(request, user, workspace_id, post_id, status_code=422, error=error, **asked)
    except ServiceError as err:
        return await _confirm_page(
            request, user, workspace_id, post_id, status_code=err.status, error=err.message, **asked
        )
    except WorkflowUpdateFailedError as err:
        error = _refusal(reader, err)
        return await _confirm_page(request, user, workspace_id, post_id, status_code=409, error=error, **asked)
    back = local_path(field["back"], post_url(workspace_id, post_id))
    return RedirectResponse(f"{back}{'&' if '?' in back else '?'}done={action}", status_code=303)
