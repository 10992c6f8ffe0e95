"""The `postgate` command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

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


@app.command()
def dev(
    headless: Annotated[bool, typer.Option(help="no Temporal UI")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="where everything is kept (default .data)")] = None,
) -> None:
    """Run everything: Temporal dev server, worker, API and sandbox platform. Ctrl-C stops it all."""
    from embedded import run_dev

    asyncio.run(run_dev(_settings(data_dir=data_dir), headless=headless))


@app.command()
def demo() -> None:
    """Walk one post through its whole life on a fresh embedded stack and print its audit trail."""
    from demo import run_demo

    raise typer.Exit(asyncio.run(run_demo()))


@app.command()
def worker() -> None:
    """Run a worker against POSTGATE_TEMPORAL_ADDRESS."""
    from worker import run_worker

    asyncio.run(run_worker(_settings()))


@app.command()
def api() -> None:
    """Serve the API against POSTGATE_TEMPORAL_ADDRESS and POSTGATE_DATABASE_URL."""
    import uvicorn

    from api.app import create_standalone_app

    settings = _settings()
    # proxy_headers off: X-Forwarded-For is believed only from POSTGATE_TRUSTED_PROXIES (api/client_address.py).
    uvicorn.run(create_standalone_app(settings), host=settings.api_host, port=settings.api_port, proxy_headers=False)


@app.command()
def sandbox() -> None:
    """Serve only the sandbox platform (POSTGATE_SANDBOX_PORT, state under POSTGATE_DATA_DIR)."""
    import uvicorn

    from platforms.sandbox import create_sandbox_app

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_sandbox_app(settings.data_dir / "sandbox.db"), host="0.0.0.0", port=settings.sandbox_port)


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
