"""The two cookies of a browser session, set the same way whichever sign-in opened it."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response

from api.deps import CSRF_COOKIE, SESSION_COOKIE
from store.authentication import OpenedSession


def set_session_cookies(response: Response, opened: OpenedSession, *, now: datetime, secure: bool) -> None:
    max_age = int((opened.expires_at - now).total_seconds())
    response.set_cookie(
        SESSION_COOKIE, opened.cookie, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
    # Readable by the pages' scripts, which echo it in X-CSRF-Token; useless to another site, which cannot read it.
    response.set_cookie(
        CSRF_COOKIE, opened.csrf_token, max_age=max_age, httponly=False, samesite="lax", secure=secure, path="/"
    )
