"""`postgate audit`: verify, sign, reconcile and export the audit chain.

The commands read the database (POSTGATE_DATABASE_URL), the signing key (POSTGATE_AUDIT_SIGNING_KEY_FILE) and
Temporal (POSTGATE_TEMPORAL_ADDRESS) directly, like `postgate worker`: an auditor's check should not depend on
the API it is checking. Exit status: 0 when everything agrees, 1 when something is broken or differs, 2 for
a usage error (the reason on standard error, without a traceback).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from store.audit_search import AuditFilter, ExportFormat

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from settings import Settings

audit_app = typer.Typer(help="Verify, sign, reconcile and export the hash-chained audit trail.", no_args_is_help=True)

WorkspaceOption = Annotated[str | None, typer.Option("--workspace", "-w", help="one workspace (default: every one)")]


def _settings() -> Settings:
    from cli import _settings as settings_from_environment

    return settings_from_environment()


def _engine(settings: Settings) -> Engine:
    from store.engine import make_engine

    return make_engine(settings.resolved_database_url)


def _workspaces(engine: Engine, workspace: str | None) -> list[str]:
    from store.audit_chain import chained_workspaces
    from store.engine import transaction

    if workspace is not None:
        return [workspace]
    with transaction(engine) as session:
        return chained_workspaces(session)


@audit_app.command()
def verify(
    workspace: WorkspaceOption = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="PEM public key to verify with (default: the signing key's public half; with --bundle: "
            "the bundled key)"
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            help="verify this bundle file offline (exported from the web app or .../audit/bundle): "
            "no database, no server"
        ),
    ] = None,
) -> None:
    """Walk each chain and check its signed checkpoints; exit 1 naming the first broken entry."""
    from store.audit_chain import verify_chain
    from store.audit_signing import SigningKeyError, load_public_key
    from store.engine import transaction

    if bundle is not None:
        _verify_bundle(bundle, public_key)
    settings = _settings()
    try:
        key = load_public_key(public_key or settings.resolved_audit_signing_key_file)
    except SigningKeyError as err:
        raise typer.BadParameter(str(err)) from err
    if public_key is not None and key is None:
        raise typer.BadParameter(f"no public key file {public_key}")
    engine = _engine(settings)
    broken = 0
    workspaces = _workspaces(engine, workspace)
    if not workspaces:
        typer.echo("no audit entries yet")
    for workspace_id in workspaces:
        with transaction(engine) as session:
            report = verify_chain(session, workspace_id, key, checkpoint_every=settings.audit_checkpoint_every)
        typer.echo(report.summary())
        broken += not report.ok
    engine.dispose()
    raise typer.Exit(1 if broken else 0)


def _verify_bundle(bundle: Path, public_key: Path | None) -> None:
    from store.audit_bundle import verify_bundle
    from store.audit_signing import SigningKeyError, load_public_key

    trusted = None
    if public_key is not None:
        try:
            trusted = load_public_key(public_key)
        except SigningKeyError as err:
            raise typer.BadParameter(str(err)) from err
        if trusted is None:
            raise typer.BadParameter(f"no public key file {public_key}")
    try:
        with bundle.open(encoding="utf-8", errors="replace") as lines:
            report = verify_bundle(lines, trusted)
    except OSError as err:
        raise typer.BadParameter(f"cannot read {bundle}: {err.strerror}") from err
    typer.echo(report.summary())
    raise typer.Exit(0 if report.ok else 1)


@audit_app.command()
def checkpoint(workspace: WorkspaceOption = None) -> None:
    """Sign each chain's current end now (after verifying the chain) with the signing key."""
    from store.audit_chain import ChainBroken, NothingToSign, checkpoint_now
    from store.audit_signing import SigningKeyError, load_or_create_signing_key
    from store.engine import transaction

    settings = _settings()
    try:
        key = load_or_create_signing_key(settings.resolved_audit_signing_key_file)
    except SigningKeyError as err:
        raise typer.BadParameter(str(err)) from err
    engine = _engine(settings)
    refused = 0
    for workspace_id in _workspaces(engine, workspace):
        try:
            with transaction(engine) as session:
                signed = checkpoint_now(session, workspace_id, key)
        except NothingToSign as err:
            typer.echo(f"{workspace_id}: {err}")
            continue
        except ChainBroken as err:
            typer.echo(f"not signed: {err.report.summary()}")
            refused += 1
            continue
        typer.echo(f"{workspace_id}: signed entry {signed.chain_index} hash {signed.hash} with {signed.key_id}")
    engine.dispose()
    raise typer.Exit(1 if refused else 0)


@audit_app.command("public-key")
def public_key() -> None:
    """Print the signing key's id and public key (PEM), to give auditors for `verify --public-key`."""
    from store.audit_signing import key_id, load_or_create_signing_key, public_key_pem

    key = load_or_create_signing_key(_settings().resolved_audit_signing_key_file).public_key()
    typer.echo(f"# {key_id(key)}")
    typer.echo(public_key_pem(key), nl=False)


@audit_app.command()
def reconcile(
    post_id: Annotated[str, typer.Argument(help="the post's id")],
    repair: Annotated[
        bool, typer.Option("--repair", help="re-project the store from the workflow's state where they disagree")
    ] = False,
) -> None:
    """Compare the post's workflow history with its audit entries, its stored status and revision with its
    workflow's, and look for gaps in its sequence; exit 1 listing every difference (--repair: fix the store)."""
    from store.audit_reconcile import reconcile_post
    from store.post_agreement import check_post, repair_post
    from temporal_runtime import connect

    settings = _settings()
    engine = _engine(settings)

    async def run() -> None:
        client = await connect(settings)
        try:
            result = await reconcile_post(client, engine, post_id)
            agreement = await check_post(client, engine, post_id)
            repaired = await repair_post(client, engine, post_id, "postgate audit reconcile") if repair else None
        except LookupError as err:
            raise typer.BadParameter(str(err)) from err
        finally:
            engine.dispose()
        if result.note:
            typer.echo(result.note)
        if result.ok:
            typer.echo(f"{post_id}: history and audit trail agree ({result.history_acts} acts)")
        else:
            typer.echo(f"{post_id}: {len(result.differences)} difference(s) between history and audit trail:")
            for difference in result.differences:
                typer.echo(f"  {difference.describe()}")
        for problem in agreement.problems:
            typer.echo(f"{post_id}: store and workflow disagree: {problem}")
        if agreement.gaps:
            typer.echo(f"{post_id}: sequence numbers missing with no entry explaining them: {agreement.gaps}")
        if repaired:
            typer.echo(f"{post_id}: repaired from the workflow: {repaired}")
        elif agreement.problems and not repair:
            typer.echo(f"{post_id}: `postgate audit reconcile {post_id} --repair` re-projects it from its workflow")
        if not result.ok or agreement.gaps or (agreement.problems and not repaired):
            raise typer.Exit(1)

    asyncio.run(run())


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as err:
        raise typer.BadParameter(f"{name} '{value}' is not an ISO time, e.g. 2026-03-01T00:00:00Z") from err
    if when.tzinfo is None:
        raise typer.BadParameter(f"{name} '{value}' has no UTC offset: add one (+07:00, Z)")
    return when


@audit_app.command()
def export(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="the workspace to export")],
    format: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    post_id: Annotated[str | None, typer.Option(help="only this post's entries")] = None,
    actor: Annotated[str | None, typer.Option(help="only this actor's entries")] = None,
    action: Annotated[str | None, typer.Option(help="only entries with this action")] = None,
    channel: Annotated[str | None, typer.Option(help="only entries of posts on this channel, or naming it")] = None,
    since: Annotated[str | None, typer.Option(help="entries at or after this time (ISO, with offset)")] = None,
    until: Annotated[str | None, typer.Option(help="entries before this time (ISO, with offset)")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: standard output)")
    ] = None,
) -> None:
    """Export the chain with its links (chain_index, prev_hash, hash) as JSON Lines or CSV."""
    from store.audit_search import export as export_entries

    if format not in ("jsonl", "csv"):
        raise typer.BadParameter(f"format '{format}': use jsonl or csv")
    fmt: ExportFormat = "csv" if format == "csv" else "jsonl"
    where = AuditFilter(
        post_id=post_id,
        actor=actor,
        action=action,
        channel=channel,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
    )
    engine = _engine(_settings())
    lines = export_entries(engine, workspace, where, fmt)
    if output is None:
        for line in lines:
            typer.echo(line, nl=False)
    else:
        with output.open("w", encoding="utf-8", newline="") as sink:
            sink.writelines(lines)
    engine.dispose()
