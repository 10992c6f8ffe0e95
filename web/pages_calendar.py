"""The calendar pages (month, week, list), the page that makes or revokes my iCal feed URL, and the feed.

The feed needs no session: its secret URL is the credential (only its hash is stored); an unknown or
revoked secret is a 404, like a URL that never existed."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from api.deps import Actor, context
from web.pages import error_page, render
from web.session import csrf_token, form_actor, reader_of, signed_in, to_sign_in
from web.views_calendar import calendar_view, end_feed, feed_ics, feed_view, new_feed

router = APIRouter(include_in_schema=False)
FEED_PATH = "/calendar-feeds/{secret}.ics"


@router.get("/w/{workspace_id}/calendar")
async def calendar_page(
    request: Request, workspace_id: str, view: str = "month", date: str = "", channel: str = "", status: str = ""
) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    reader = reader_of(request)
    try:
        page = await calendar_view(
            context(request),
            user,
            reader,
            workspace_id=workspace_id,
            view=view[:10],
            anchor=date[:10],
            channel=channel[:64],
            status=status[:32],
            csrf=csrf_token(request),
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    return render(request, "calendar.html", reader, view=page, chrome=page.chrome)


async def _feed_page(
    request: Request, workspace_id: str, user: Actor, *, url: str | None = None, status_code: int = 200
) -> Response:
    reader = reader_of(request)
    try:
        page = await feed_view(
            context(request), user, reader, workspace_id=workspace_id, csrf=csrf_token(request), url=url
        )
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    revoked = request.query_params.get("revoked") == "1"
    return render(
        request, "calendar_feed.html", reader, status_code=status_code, view=page, chrome=page.chrome, revoked=revoked
    )


@router.get("/w/{workspace_id}/calendar/feed")
async def feed_page(request: Request, workspace_id: str) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    return await _feed_page(request, workspace_id, user)


@router.post("/w/{workspace_id}/calendar/feed")
async def make_feed(request: Request, workspace_id: str) -> Response:
    """A new secret URL (shown once, on this answer); any earlier one of mine stops working."""
    reader = reader_of(request)
    try:
        form, user = await form_actor(request)
        secret = await asyncio.to_thread(new_feed, context(request), user, workspace_id)
    except HTTPException as err:
        if err.status_code == 401:
            return to_sign_in(request)
        return error_page(request, reader, err.status_code)
    lang = reader.locale
    url = str(request.base_url).rstrip("/") + FEED_PATH.format(secret=secret) + f"?lang={lang}"
    del form
    return await _feed_page(request, workspace_id, user, url=url, status_code=201)


@router.post("/w/{workspace_id}/calendar/feed/revoke")
async def revoke_feed(request: Request, workspace_id: str) -> Response:
    reader = reader_of(request)
    try:
        _, user = await form_actor(request)
        await asyncio.to_thread(end_feed, context(request), user, workspace_id)
    except HTTPException as err:
        if err.status_code == 401:
            return to_sign_in(request)
        return error_page(request, reader, err.status_code)
    return RedirectResponse(f"/w/{workspace_id}/calendar/feed?revoked=1", status_code=303)


@router.get(FEED_PATH)
async def feed(request: Request, secret: str, lang: str = "en") -> Response:
    body = await asyncio.to_thread(feed_ics, context(request), secret, str(request.base_url), lang[:5])
    if body is None:
        return Response("not found\n", status_code=404, media_type="text/plain")
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="postgate.ics"'},
    )
