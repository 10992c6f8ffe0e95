"""Puts the web app into postgate's FastAPI application: static files and the pages."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from api.errors import invalid_request
from api.request_text import UnstorableText
from web.assets import static_files
from web.pages import render, router
from web.pages_admin import router as admin_router
from web.pages_audit import router as audit_router
from web.pages_calendar import router as calendar_router
from web.pages_compose import router as compose_router
from web.pages_postpage import router as postpage_router
from web.pages_review import router as review_router
from web.pages_settings import router as settings_router
from web.session import reader_of, reader_preferences


def is_page(request: Request) -> bool:
    """Whether the request went to one of the pages (not the JSON API)."""
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    return getattr(endpoint, "__module__", "").startswith("web.")


async def unstorable_on_a_page(request: Request, exc: Exception) -> Response:
    """A NUL or a lone surrogate in a page's form or address: a 422 page (the API keeps its JSON 422)."""
    assert isinstance(exc, UnstorableText)
    if not is_page(request):
        return invalid_request(exc)
    reader = reader_of(request)
    title = reader.gettext("This cannot be saved")
    message = reader.gettext(
        "A field holds a character that cannot be stored (a NUL or a broken character). Go back, remove it and "
        "send the form again; nothing was saved."
    )
    return render(request, "error.html", reader, status_code=422, title=title, message=message)


def install_web(app: FastAPI) -> None:
    app.mount("/static", static_files(), name="static")
    app.add_exception_handler(UnstorableText, unstorable_on_a_page)
    for pages in (
        router,
        compose_router,
        review_router,
        postpage_router,
        calendar_router,
        settings_router,
        audit_router,
        admin_router,
    ):
        # Every page reads the signed-in person's own language and time zone first (web.session.reader_of).
        app.include_router(pages, dependencies=[Depends(reader_preferences)])
