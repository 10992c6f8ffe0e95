"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.deps import AppContext
from api.errors import install_error_handlers
from api.routes_audit import router as audit_router
from api.routes_auth import router as auth_router
from api.routes_brand import router as brand_router
from api.routes_channels import router as channels_router
from api.routes_notifications import router as notifications_router
from api.routes_pause import router as pause_router
from api.routes_posts import router as posts_router
from api.routes_revisions import router as revisions_router
from api.routes_workspaces import router as workspaces_router
from settings import Settings

DESCRIPTION = """postgate carries every social post through one durable workflow:
draft, brand check, approval, scheduled publish, performance follow-up.
Authenticate with `Authorization: Bearer pg_...` (`postgate admin create-user` prints the first token,
`POST /me/tokens` makes more) or log in with `POST /auth/login` (session cookie plus `X-CSRF-Token`)."""


def create_app(settings: Settings, engine: Engine, client: Client) -> FastAPI:
    app = FastAPI(title="postgate", version="0.1.0", description=DESCRIPTION)
    app.state.ctx = AppContext(settings=settings, engine=engine, client=client)
    install_error_handlers(app)
    app.include_router(auth_router)
    app.include_router(workspaces_router)
    app.include_router(channels_router)
    app.include_router(posts_router)
    app.include_router(revisions_router)
    app.include_router(brand_router)
    app.include_router(pause_router)
    app.include_router(audit_router)
    app.include_router(notifications_router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app


def create_standalone_app(settings: Settings) -> FastAPI:
    """For `postgate api`: connects to Temporal and the database at start-up."""
    from store.engine import make_engine, migrate
    from temporal_runtime import connect

    engine = make_engine(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        client = await connect(settings)
        app.state.ctx = AppContext(settings=settings, engine=engine, client=client)
        yield
        engine.dispose()

    app = create_app(settings, engine, client=None)  # type: ignore[arg-type]
    app.router.lifespan_context = lifespan
    return app
