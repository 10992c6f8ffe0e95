"""The approver's pages: the queue ("Waiting for me") and a post's review page, with its comment and
decision forms. Comments and decisions call the JSON routes' own functions (api.routes_revisions.comment,
api.routes_posts.decide), so every rule is theirs; a refusal re-renders the review page with the reason."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.deps import Actor, context
from api.request_text import text_problem
from api.routes_posts import decide
from api.routes_revisions import CommentCreate, comment
from api.schemas import DecisionCreate
from api.service import ServiceError
from domain.status import Decision
from web.pages import _refusal_words, error_page, render, signed_form
from web.services import visible_post
from web.session import csrf_token, reader_of, signed_in, to_sign_in
from web.views_queue import queue_view
from web.views_review import review_view

router = APIRouter(include_in_schema=False)
LARGEST_NUMBER = 2**31 - 1  # a revision number the database can hold (as the JSON route's bound)


def review_url(workspace_id: str, post_id: str) -> str:
    return f"/w/{workspace_id}/posts/{post_id}/review"


@router.get("/w/{workspace_id}/queue")
async def queue_page(
    request: Request,
    workspace_id: str,
    channel: str = "",
    author: str = "",
    cursor: str = "",
) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    reader = reader_of(request)
    params = request.query_params
    try:
        view = await queue_view(
            context(request),
            user,
            reader,
            workspace_id=workspace_id,
            csrf=csrf_token(request),
            channel=channel[:64],
            author=author[:64],
            date_from=params.get("from", "")[:10],
            date_to=params.get("to", "")[:10],
            cursor=cursor[:100],
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    block = "queue_list" if request.headers.get("HX-Target") == "queue-list" else None
    return render(request, "queue.html", reader, view=view, chrome=view.chrome, block=block)


async def _review_page(
    request: Request, user: Actor, workspace_id: str, post_id: str, *, status_code: int = 200, **extra: Any
) -> Response:
    reader = reader_of(request)
    seen = extra.pop("seen_hash", None)
    try:
        view = await review_view(
            context(request),
            user,
            reader,
            workspace_id=workspace_id,
            post_id=post_id,
            csrf=csrf_token(request),
            seen_hash=seen,
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    values = {"notice": None, "error": None, "comment": "", "comment_error": None, "note": "", "stale": False}
    values.update(extra)
    return render(request, "review.html", reader, status_code=status_code, view=view, chrome=view.chrome, **values)


@router.get("/w/{workspace_id}/posts/{post_id}/review")
async def review_page(request: Request, workspace_id: str, post_id: str) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    reader = reader_of(request)
    done = request.query_params.get("done", "")
    notice = {
        "decided": reader.gettext("Your decision is recorded."),
        "commented": reader.gettext("Your comment is added."),
    }.get(done)
    return await _review_page(request, user, workspace_id, post_id, notice=notice)


@router.post("/w/{workspace_id}/posts/{post_id}/review/comments")
async def comment_page(request: Request, workspace_id: str, post_id: str) -> Response:
    sent = await signed_form(request)
    if isinstance(sent, Response):
        return sent
    form, user = sent
    reader = reader_of(request)
    note = str(form.get("body", "")).strip()
    try:
        revision = int(str(form.get("revision", "")))
        if not 1 <= revision <= LARGEST_NUMBER or text_problem(note):
            raise ValueError("not a revision number, or text that cannot be stored")
        body = CommentCreate(body=note)
    except (ValueError, ValidationError):
        error = reader.gettext("Write the comment first (at most 5,000 characters).")
        return await _review_page(request, user, workspace_id, post_id, status_code=422, comment_error=error, note=note)
    try:
        await asyncio.to_thread(visible_post, context(request), user, workspace_id, post_id)
        await comment(post_id, revision, body, context(request), user)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        return await _review_page(
            request, user, workspace_id, post_id, status_code=err.status, comment_error=err.message, note=note
        )
    return RedirectResponse(review_url(workspace_id, post_id) + "?done=commented#comments", status_code=303)


@router.post("/w/{workspace_id}/posts/{post_id}/review/decisions")
async def review_decide(request: Request, workspace_id: str, post_id: str) -> Response:
    sent = await signed_form(request)
    if isinstance(sent, Response):
        return sent
    form, user = sent
    reader = reader_of(request)
    text = str(form.get("comment", "")).strip()
    seen = str(form.get("content_hash", ""))
    key = str(form.get("idempotency_key", ""))[:200] or None

    async def again(status: int, error: str, **extra: Any) -> Response:
        return await _review_page(
            request, user, workspace_id, post_id, status_code=status, error=error, comment=text, **extra
        )

    if text_problem(text) or text_problem(seen):
        return await again(422, reader.gettext("The comment holds a character that cannot be stored; remove it."))
    try:
        decision = Decision(str(form.get("decision", "")))
        body = DecisionCreate(decision=decision, content_hash=seen, comment=text)
    except (ValueError, ValidationError):
        return await again(422, reader.gettext("Choose approve, request changes or reject."))
    if decision is Decision.REJECT and not text:
        return await again(422, reader.gettext("Give the reason for rejecting it in the comment."))
    if decision is not Decision.APPROVE and not text:
        return await again(422, reader.gettext("Say why in the comment: the author reads it to know what to change."))
    try:
        await asyncio.to_thread(visible_post, context(request), user, workspace_id, post_id)
        await decide(post_id, body, context(request), user, key)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        return await again(err.status, err.message)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        refusal = cause.type if isinstance(cause, ApplicationError) and cause.type else ""
        if refusal == "StaleContent":
            # The editor revised it meanwhile: show what changed since the revision the approver read.
            error = reader.gettext(
                "The post changed while you were reading it, so your decision was not recorded. "
                "Here is what changed; read it, then decide again."
            )
            return await again(409, error, seen_hash=seen, stale=True)
        return await again(409, _refusal_words(reader, refusal))
    return RedirectResponse(review_url(workspace_id, post_id) + "?done=decided", status_code=303)
