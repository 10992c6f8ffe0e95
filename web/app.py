"""Puts the web app into postgate's FastAPI application: static files and the pages."""

from __future__ import annotations

from fastapi import FastAPI

from web.assets import static_files
from web.pages import router
from web.pages_admin import router as admin_router
from web.pages_audit import router as audit_router
from web.pages_calendar import router as calendar_router
from web.pages_compose import router as compose_router
from web.pages_postpage import router as postpage_router
from web.pages_review import router as review_router


def install_web(app: FastAPI) -> None:
    app.mount("/static", static_files(), name="static")
    app.include_router(router)
    app.include_router(compose_router)
    app.include_router(review_router)
    app.include_router(postpage_router)
    app.include_router(calendar_router)
    app.include_router(audit_router)
    app.include_router(admin_router)
