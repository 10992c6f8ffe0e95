"""The editor's compose and revise pages, and their live brand check.

Saving and submitting call the JSON routes' own functions (POST /posts, /posts/{id}/revisions,
/posts/{id}/schedule, /posts/{id}/submit), so their validation, refusals and 409s apply unchanged; a
refused form is shown again as typed, each message beside its field. The live check (htmx, while typing)
calls the brand check route's function for each chosen channel; a suggested replacement is applied here,
on the server, to the text as posted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.deps import Actor, context
from api.routes_posts import FIRST_ANSWER_ROUNDS, SUBMIT_WAIT_S, _claim, create, revise, schedule, submit_post
from api.schemas import PostCreate, RevisionCreate, ScheduleChange
from api.service import ServiceError
from domain.status import PostStatus
from store.engine import transaction
from store.idempotency import answer_of, keep_answer, release_key
from store.posts import channel_ids
from web import services
from web.i18n import Reader
from web.pages import _refusal_words, error_page, render, signed_form
from web.session import csrf_token, reader_of, signed_in, to_sign_in
from web.templating import templates
from web.views import post_url
from web.views_compose import (
    ComposeForm,
    apply_replacement,
    channel_facts,
    check_view,
    compose_view,
    field_errors,
    latest_ref,
    read_form,
    typed_revision,
)

router = APIRouter(include_in_schema=False)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _revise_url(workspace_id: str, post_id: str) -> str:
    return f"/w/{workspace_id}/posts/{post_id}/revise"


async def _page(
    request: Request,
    user: Actor,
    workspace_id: str,
    *,
    post_id: str | None = None,
    form: ComposeForm | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    focus: str | None = None,
    notice: str = "",
    block: str | None = None,
) -> Response:
    reader = reader_of(request)
    try:
        view = await compose_view(
            context(request),
            user,
            reader,
            workspace_id=workspace_id,
            csrf=csrf_token(request),
            form=form,
            post_id=post_id,
            errors=errors,
            focus=focus,
            notice=notice,
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    if not (view.actions.get("save") or view.actions.get("submit")):
        return error_page(request, reader, 403)
    return render(request, "compose.html", reader, status_code=status_code, view=view, chrome=view.chrome, block=block)


def _workflow_refusal(reader: Reader, err: WorkflowUpdateFailedError) -> str:
    cause = err.cause
    refusal = cause.type if isinstance(cause, ApplicationError) and cause.type else ""
    if refusal == "InvalidInput" and isinstance(cause, ApplicationError):
        return cause.message
    if refusal == "InvalidState":
        return reader.gettext("This post can no longer be revised: it has left review.")
    return _refusal_words(reader, refusal)


def _replaced_words(reader: Reader, match: str, replacement: str) -> str:
    return reader.gettext("Replaced “%(old)s” with “%(new)s”.") % {"old": match, "new": replacement}


async def _apply(
    request: Request, user: Actor, workspace_id: str, form: ComposeForm, choice: str, post_id: str | None
) -> Response:
    ctx = context(request)
    form, changed, finding = await asyncio.to_thread(apply_replacement, ctx, user, workspace_id, form, choice)
    reader = reader_of(request)
    notice = (
        _replaced_words(reader, finding.match, finding.replacement or "")
        if finding is not None
        else reader.gettext("That suggestion no longer applies to the text; the check has run again.")
    )
    block = "editor" if request.headers.get("HX-Request") else None
    return await _page(
        request, user, workspace_id, post_id=post_id, form=form, focus=changed, notice=notice, block=block
    )


# ---- compose -------------------------------------------------------------------------------------------


@router.get("/w/{workspace_id}/compose")
async def compose_page(request: Request, workspace_id: str) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    return await _page(request, user, workspace_id)


@router.post("/w/{workspace_id}/compose")
async def compose(request: Request, workspace_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    data, user = got
    reader = reader_of(request)
    ctx = context(request)
    try:
        services.own_workspace(user, workspace_id)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    chans = await asyncio.to_thread(channel_facts, ctx, workspace_id)
    form = read_form(data, [c.id for c in chans])
    choice = data.get("apply")
    if isinstance(choice, str) and choice:
        return await _apply(request, user, workspace_id, form, choice, None)
    submitting = data.get("action") == "submit"
    try:
        body = PostCreate.model_validate(
            {
                "workspace_id": workspace_id,
                "channel_ids": form.channels,
                "text": form.text,
                "variants": form.variants_payload(),
                "submit": submitting,
                **form.publish_payload(),
            }
        )
    except ValidationError as err:
        return await _page(
            request, user, workspace_id, form=form, status_code=422, errors=field_errors(reader, err, form)
        )
    # The form's key, bound as the JSON API binds an Idempotency-Key (actor, route, body): a double submit of
    # one render makes one post, and the repeat lands where the first went.
    key = str(data.get("idempotency_key", ""))[:200] or None
    if key is not None:
        try:
            claim = await asyncio.to_thread(
                _claim, ctx, key, user.id, f"web:compose:{workspace_id}", body.model_dump(mode="json")
            )
        except ServiceError:
            words = reader.gettext(
                "This form was already sent with other content. Check your posts, then send it again."
            )
            return await _page(request, user, workspace_id, form=form, status_code=422, errors={"form": words})
        if not claim.first or claim.answered is not None:
            answered = claim.answered or await _first_answer(ctx, key)
            if answered is None:
                words = reader.gettext("This form was already sent and is still being saved. Check your posts.")
                return await _page(request, user, workspace_id, form=form, status_code=409, errors={"form": words})
            return _created(workspace_id, str(answered[1]["id"]), submitting)
    try:
        created = await create(body, ctx, user)
    except HTTPException as err:
        await _release(ctx, key)  # refused before any post was made: the form may be sent again
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        before = err.error in ("unknown_channel", "workspace_required")
        if before:
            await _release(ctx, key)
        where = "channels" if before else "form"
        return await _page(request, user, workspace_id, form=form, status_code=err.status, errors={where: err.message})
    if key is not None:
        await asyncio.to_thread(_keep, ctx, key, created.id)
    return _created(workspace_id, created.id, submitting)


def _created(workspace_id: str, post_id: str, submitted: bool) -> Response:
    if submitted:
        return RedirectResponse(post_url(workspace_id, post_id) + "?submitted=1", status_code=303)
    return RedirectResponse(_revise_url(workspace_id, post_id) + "?saved=1", status_code=303)


def _keep(ctx: Any, key: str, post_id: str) -> None:
    with transaction(ctx.engine) as session:
        keep_answer(session, key, 201, {"id": post_id})


async def _release(ctx: Any, key: str | None) -> None:
    def release(key: str) -> None:
        with transaction(ctx.engine) as session:
            release_key(session, key)

    if key is not None:
        await asyncio.to_thread(release, key)


async def _first_answer(ctx: Any, key: str) -> tuple[int, Any] | None:
    """The first request's answer, once it has one (it may still be under way)."""

    def read() -> tuple[int, Any] | None:
        with transaction(ctx.engine) as session:
            return answer_of(session, key)

    for _ in range(FIRST_ANSWER_ROUNDS):
        answered = await asyncio.to_thread(read)
        if answered is not None:
            return answered
        await asyncio.sleep(SUBMIT_WAIT_S)
    return None


# ---- revise --------------------------------------------------------------------------------------------


@router.get("/w/{workspace_id}/posts/{post_id}/revise")
async def revise_page(request: Request, workspace_id: str, post_id: str) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    reader = reader_of(request)
    notice = reader.gettext("Saved as a draft.") if request.query_params.get("saved") == "1" else ""
    return await _page(request, user, workspace_id, post_id=post_id, notice=notice)


@router.post("/w/{workspace_id}/posts/{post_id}/revise")
async def revise_post(request: Request, workspace_id: str, post_id: str) -> Response:
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    data, user = got
    reader = reader_of(request)
    ctx = context(request)
    try:
        post, _ = await asyncio.to_thread(services.visible_post, ctx, user, workspace_id, post_id)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    chans = await asyncio.to_thread(channel_facts, ctx, workspace_id)
    form = read_form(data, [c.id for c in chans], fixed_channels=channel_ids(post))
    choice = data.get("apply")
    if isinstance(choice, str) and choice:
        return await _apply(request, user, workspace_id, form, choice, post_id)
    submitting = data.get("action") == "submit"

    async def again(status: int, errors: dict[str, str]) -> Response:
        return await _page(request, user, workspace_id, post_id=post_id, form=form, status_code=status, errors=errors)

    current = await asyncio.to_thread(latest_ref, ctx, post)
    if form.base_hash and form.base_hash != current.content_hash:
        # Someone saved another revision since this page was opened: show theirs beside what was typed.
        words = reader.gettext(
            "Someone saved revision %(n)s while you were editing. Your text is kept below: "
            "compare it with theirs on the post page, then save again."
        ) % {"n": reader.number(current.number)}
        form.base_hash = current.content_hash
        return await again(409, {"form": words})
    try:
        body = RevisionCreate.model_validate(
            {"text": form.text, "variants": form.variants_payload(), "comment": form.comment}
        )
        when = ScheduleChange.model_validate(form.publish_payload()) if form.publish_local.strip() else None
    except ValidationError as err:
        return await again(422, field_errors(reader, err, form))
    typed = typed_revision(form)
    changed = typed is not None and typed.content_hash != current.content_hash
    wanted = when.utc() if when is not None else None
    new_time = wanted is not None and wanted != _aware(post.publish_at)
    draft = post.status == PostStatus.DRAFT.value
    if not draft and not changed and not new_time:
        return await again(422, {"form": reader.gettext("Nothing has changed: change the text, media or time first.")})
    try:
        if changed:
            ref = await revise(post_id, body, ctx, user)
            form.base_hash = ref.content_hash
        if new_time and when is not None:
            await schedule(post_id, when, ctx, user)
        if draft and submitting:
            await submit_post(post_id, ctx, user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        return await again(err.status, {"form": err.message})
    except WorkflowUpdateFailedError as err:
        return await again(409, {"form": _workflow_refusal(reader, err)})
    if submitting or not draft:
        return RedirectResponse(post_url(workspace_id, post_id) + "?submitted=1", status_code=303)
    return RedirectResponse(_revise_url(workspace_id, post_id) + "?saved=1", status_code=303)


# ---- the live check ------------------------------------------------------------------------------------


@router.post("/w/{workspace_id}/compose/check")
async def live_check(request: Request, workspace_id: str) -> Response:
    """The findings, counters, previews, time and diff for the form as typed, as out-of-band swaps."""
    got = await signed_form(request)
    if isinstance(got, Response):
        return got
    data, user = got
    reader = reader_of(request)
    post_id = data.get("post_id")
    try:
        view = await check_view(
            context(request),
            user,
            reader,
            workspace_id=workspace_id,
            form_data=data,
            post_id=post_id if isinstance(post_id, str) and post_id else None,
        )
    except HTTPException as err:
        return Response(status_code=err.status_code)
    values: dict[str, Any] = {"reader": reader.defaulting_to(view.workspace_zone), "view": view}
    return templates.TemplateResponse(request, "compose_live.html", values)
