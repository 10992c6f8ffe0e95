"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp
from temporalio.client import Client

from api.deps import AppContext
from api.docs_pages import install_docs_pages
from api.errors import TooLargeAsErrorBody, error_responses, install_error_handlers
from api.request_text import refuse_unstorable_text
from api.routes_audit import router as audit_router
from api.routes_auth import router as auth_router
from api.routes_brand import router as brand_router
from api.routes_channels import router as channels_router
from api.routes_invitations import router as invitations_router
from api.routes_notifications import router as notifications_router
from api.routes_oidc import router as oidc_router
from api.routes_pause import router as pause_router
from api.routes_posts import router as posts_router
from api.routes_revisions import router as revisions_router
from api.routes_unpublish import router as unpublish_router
from api.routes_workspace_settings import router as workspace_settings_router
from api.routes_workspaces import router as workspaces_router
from settings import Settings

DESCRIPTION = """postgate carries every social post through one durable workflow:
draft, brand check, approval, scheduled publish, performance follow-up.
Authenticate with `Authorization: Bearer pg_...` (`postgate admin create-user` prints the first token,
`POST /me/tokens` makes more) or log in with `POST /auth/login` (session cookie plus `X-CSRF-Token`).
Every error answers `{"error", "message", "details"}`."""
# No JSON body comes near this; a route that takes more (a style upload) sets its own limit.
MAX_BODY_BYTES = 1024 * 1024


class PostgateAPI(FastAPI):
    """FastAPI whose outermost layer gives Starlette's own plain-text 413 the error body (docs/decisions.md 23)."""

    def build_middleware_stack(self) -> ASGIApp:
        return TooLargeAsErrorBody(super().build_middleware_stack())


def create_app(settings: Settings, engine: Engine, client: Client) -> FastAPI:
    app = PostgateAPI(
        title="postgate",
        version="0.1.0",
        description=DESCRIPTION,
        max_body_size=MAX_BODY_BYTES,
        dependencies=[Depends(refuse_unstorable_text)],
        docs_url=None,  # served from installed assets instead of a CDN: install_docs_pages
        redoc_url=None,
    )
    app.state.ctx = AppContext(settings=settings, engine=engine, client=client)
    install_error_handlers(app)
    install_docs_pages(app)
    # Errors every route of a router may answer with; each route declares its others (403, 409, ...).
    authenticated = error_responses(401, 413, 422)
    in_a_workspace = error_responses(401, 404, 413, 422)  # every route names a workspace or a post
    app.include_router(auth_router)
    app.include_router(oidc_router)
    app.include_router(workspaces_router, responses=authenticated)
    app.include_router(invitations_router, responses=authenticated)
    app.include_router(channels_router, responses=in_a_workspace)
    app.include_router(posts_router, responses=in_a_workspace)
    app.include_router(revisions_router, responses=in_a_workspace)
    app.include_router(unpublish_router, responses=in_a_workspace)
    app.include_router(workspace_settings_router, responses=in_a_workspace)
    app.include_router(brand_router, responses=in_a_workspace)
    app.include_router(pause_router, responses=in_a_workspace)
    app.include_router(audit_router, responses=in_a_workspace)
    app.include_router(notifications_router, responses=in_a_workspace)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    from web.app import install_web  # the pages for people, beside the JSON API (docs/decisions.md)

    install_web(app)
    return app


def create_standalone_app(settings: Settings) -> FastAPI:
    """For `postgate api`: connects to Temporal and the database at start-up."""
    from store.audit_chain import CheckpointPolicy, configure_checkpoints
    from store.engine import make_engine, migrate
    from temporal_runtime import connect_checked

    engine = make_engine(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        configure_checkpoints(CheckpointPolicy.of(settings))
        client = await connect_checked(settings)  # refuses a namespace without the search attributes
        app.state.ctx = AppContext(settings=settings, engine=engine, client=client)
        yield
        engine.dispose()

    app = create_app(settings, engine, client=None)  # type: ignore[arg-type]
    app.router.lifespan_context = lifespan
    return app
