"""Who is at the browser, through the API's own session cookie and CSRF check (api.deps.current_user).

A page form sends the CSRF token as a hidden field (htmx sends the X-CSRF-Token header from <body>'s
hx-headers); the field is handed to current_user as that header, so one check guards both."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from api.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, Actor, context, current_user
from store.authentication import find_session
from store.engine import transaction
from web.i18n import LOCALE_COOKIE, ZONE_COOKIE, Reader, negotiate_locale, valid_zone

CSRF_FIELD = "csrf_token"
WORKSPACE_COOKIE = "postgate_workspace"


_UNKNOWN = object()


async def signed_in(request: Request) -> Actor | None:
    """The person signed in with the session cookie, or None (no cookie, or the session has ended).

    Looked up once per request: reader_preferences (every page's dependency) may have done it already."""
    known = getattr(request.state, "actor", _UNKNOWN)
    if known is None or isinstance(known, Actor):
        return known
    actor = None
    if request.cookies.get(SESSION_COOKIE):
        try:
            actor = await asyncio.to_thread(current_user, request, context(request))
        except HTTPException:
            actor = None
    request.state.actor = actor
    return actor


async def form_actor(request: Request) -> tuple[FormData, Actor]:
    """The submitted form and who sent it; 401 without a session, 403 without the session's CSRF token."""
    form = await request.form()
    scope = dict(request.scope)
    if not any(name == CSRF_HEADER.lower().encode() for name, _ in scope["headers"]):
        sent = form.get(CSRF_FIELD)
        token = sent if isinstance(sent, str) else ""
        scope["headers"] = [*scope["headers"], (CSRF_HEADER.lower().encode(), token.encode("latin-1", "replace"))]
    if not request.cookies.get(SESSION_COOKIE):
        raise HTTPException(401, "sign in first")
    actor = await asyncio.to_thread(current_user, Request(scope, request.receive), context(request))
    return form, actor


def csrf_token(request: Request) -> str:
    """The session's CSRF token, as the login set it in its readable cookie beside the session cookie."""
    return request.cookies.get(CSRF_COOKIE, "")


async def reader_preferences(request: Request) -> None:
    """A dependency of every page: the signed-in person's own language and time zone, for reader_of."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return
    if request.method in ("GET", "HEAD"):
        # The page will ask who is signed in anyway: one session lookup answers both.
        actor = await signed_in(request)
        request.state.preferences = (actor.locale, actor.time_zone) if actor else (None, None)
        return

    def load() -> tuple[str | None, str | None]:
        with transaction(context(request).engine) as session:
            found = find_session(session, cookie, now=datetime.now(UTC))
        return (found[0].locale, found[0].time_zone) if found else (None, None)

    request.state.preferences = await asyncio.to_thread(load)


def reader_of(request: Request) -> Reader:
    """The reader's language: theirs (My settings), else this browser's choice (the language links), else
    Accept-Language; their zone: theirs, else the one their browser reported at sign-in, else "" (then the
    workspace's)."""
    locale, zone = getattr(request.state, "preferences", (None, None))
    chosen = locale or request.cookies.get(LOCALE_COOKIE)
    locale = negotiate_locale(chosen, request.headers.get("accept-language"))
    return Reader(locale=locale, zone=valid_zone(zone) or valid_zone(request.cookies.get(ZONE_COOKIE)) or "")


def local_path(candidate: str | None, default: str = "/") -> str:
    """A path on this site to go back to; anything else (another site, //host, a scheme) is the default."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    return candidate


def to_sign_in(request: Request) -> RedirectResponse:
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(back, safe='')}", status_code=303)
