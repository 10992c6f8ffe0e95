"""The `postgate` command."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from brand.cli import brand_app
from commands.admin import admin_app
from commands.audit import audit_app
from commands.channels import channels_app
from settings import Settings

app = typer.Typer(help="postgate: a durable approval engine for social media posts.", no_args_is_help=True)
app.add_typer(brand_app, name="brand", help="Check posts against a Vale-compatible style and social rules.")
app.add_typer(admin_app, name="admin", help="Create accounts and API tokens directly in the database.")
app.add_typer(audit_app, name="audit", help="Verify, sign, reconcile and export the audit chain.")
app.add_typer(channels_app, name="channels", help="Manage channels and their credentials; rotate the credential key.")


def _settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        problems = "; ".join(f"POSTGATE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in err.errors())
        raise typer.BadParameter(f"invalid settings: {problems}") from err


def _refuse_unready_temporal(err: Exception) -> NoReturn:
    typer.echo(str(err), err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # Exit at once: the Temporal client that found the problem is still alive, and an interpreter shutting down
    # around the SDK's runtime threads can abort (PyGILState_Release) and turn a clear exit 1 into a crash.
    os._exit(1)


@app.command()
def dev(
    headless: Annotated[bool, typer.Option(help="no Temporal UI")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="where everything is kept (default .data)")] = None,
) -> None:
    """Run everything: Temporal dev server, worker, API and sandbox platform. Ctrl-C stops it all."""
    from embedded import run_dev
    from temporal_runtime import SearchAttributesMissing
    from worker_log import configure_logging

    configure_logging()
    try:
        asyncio.run(run_dev(_settings(data_dir=data_dir), headless=headless))
    except SearchAttributesMissing as err:
        _refuse_unready_temporal(err)


@app.command()
def demo() -> None:
    """Walk one post through its whole life on a fresh embedded stack and print its audit trail."""
    from demo import run_demo

    raise typer.Exit(asyncio.run(run_demo()))


@app.command()
def worker() -> None:
    """Run a worker against POSTGATE_TEMPORAL_ADDRESS."""
    from temporal_runtime import SearchAttributesMissing
    from worker import run_worker
    from worker_log import configure_logging

    configure_logging()
    try:
        asyncio.run(run_worker(_settings()))
    except SearchAttributesMissing as err:
        _refuse_unready_temporal(err)


@app.command()
def api() -> None:
    """Serve the API against POSTGATE_TEMPORAL_ADDRESS and POSTGATE_DATABASE_URL."""
    import uvicorn

    from api.app import create_standalone_app
    from temporal_runtime import SearchAttributesMissing, connect_checked

    settings = _settings()
    try:  # before serving anything: a namespace without postgate's search attributes fails every new post
        asyncio.run(connect_checked(settings))
    except SearchAttributesMissing as err:
        _refuse_unready_temporal(err)
    # proxy_headers off: X-Forwarded-For is believed only from POSTGATE_TRUSTED_PROXIES (api/client_address.py).
    uvicorn.run(create_standalone_app(settings), host=settings.api_host, port=settings.api_port, proxy_headers=False)


@app.command()
def sandbox(
    host: Annotated[
        str | None,
        typer.Option(help="address to listen on (POSTGATE_SANDBOX_HOST, default loopback); 0.0.0.0 for every one"),
    ] = None,
) -> None:
    """Serve only the sandbox platform (POSTGATE_SANDBOX_PORT, state under POSTGATE_DATA_DIR)."""
    import uvicorn

    from platforms.sandbox import create_sandbox_app

    settings = _settings(sandbox_host=host)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app_ = create_sandbox_app(settings.data_dir / "sandbox.db")
    uvicorn.run(app_, host=settings.sandbox_host, port=settings.sandbox_port)


@app.command()
def migrate() -> None:
    """Apply database migrations to POSTGATE_DATABASE_URL."""
    from store.engine import make_engine
    from store.engine import migrate as apply

    settings = _settings()
    apply(make_engine(settings.resolved_database_url))
    typer.echo("postgate: database is up to date")


if __name__ == "__main__":
    app()
