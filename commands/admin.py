"""`postgate admin`: accounts straight in the database, for the first admin and for lost tokens.

These commands need no running API and no token: whoever can run them can already reach the database
(POSTGATE_DATABASE_URL, or the SQLite file under POSTGATE_DATA_DIR). A new token goes to standard output
alone, so `TOKEN=$(postgate admin create-user ...)` works; everything else goes to standard error.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from store.tables import ApiToken, Workspace

admin_app = typer.Typer(help="Create accounts and API tokens directly in the database.", no_args_is_help=True)

ROLE_HELP = "admin, editor, approver, auditor or viewer"
# Who the audit trail names for a change made here: an operator at the database, not an API account.
OPERATOR = "operator:postgate-admin"
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # as the API's ids


class AccountError(Exception):
    """What stops the account being created, said so a person can fix it."""


@dataclass(frozen=True)
class CreatedAccount:
    user_id: str
    token: str
    token_expires_at: datetime
    created_workspace: bool


def create_account(
    engine: Engine,
    user_id: str,
    name: str,
    *,
    email: str | None = None,
    password: str | None = None,
    workspace_id: str | None = None,
    role: str = "admin",
    token_days: int | None = None,
) -> CreatedAccount:
    """A new account, its membership (creating the workspace if missing) and a first API token."""
    from store.accounts import ROLES, create_user, get_user, user_by_email
    from store.engine import transaction
    from store.tables import Workspace
    from store.workspaces import add_workspace, get_workspace

    for what, value in (("user id", user_id), ("workspace id", workspace_id)):
        if value is not None and not ID_PATTERN.fullmatch(value):
            raise AccountError(f"'{value}' is not a valid {what}: lower-case letters, digits, '-' and '_', 1-64")
    if role not in ROLES:
        raise AccountError(f"'{role}' is not a role; use {ROLE_HELP}")
    created_workspace = False
    with transaction(engine) as session:
        if get_user(session, user_id) is not None:
            raise AccountError(f"user '{user_id}' already exists; `postgate admin create-token --id {user_id}`")
        if email and user_by_email(session, email) is not None:
            raise AccountError(f"another account has the e-mail address {email}")
        create_user(session, user_id, name, email=email, password=password)
        if workspace_id is not None:
            if get_workspace(session, workspace_id) is None:
                workspace = add_workspace(session, Workspace(id=workspace_id, name=workspace_id))
                _record_workspace_created(session, workspace)
                created_workspace = True
            _join(session, workspace_id, user_id, role)
        row, plain = _issue(session, user_id, "created by postgate admin", token_days)
    return CreatedAccount(user_id, plain, row.expires_at, created_workspace)


def _record_workspace_created(session: Session, workspace: Workspace) -> None:
    from domain.status import AuditAction
    from store.config_audit import record_change, workspace_settings

    record_change(
        session,
        workspace.id,
        AuditAction.WORKSPACE_CREATED,
        OPERATOR,
        subject="workspace",
        before=None,
        after=workspace_settings(workspace),
    )


def _join(session: Session, workspace_id: str, user_id: str, role: str) -> bool:
    """Make the user a member with this role (audited); False when they already had it."""
    from domain.status import AuditAction
    from store.accounts import get_membership, set_membership
    from store.config_audit import record_change

    current = get_membership(session, user_id, workspace_id)
    before = current.role if current is not None else None
    if before == role:
        return False
    set_membership(session, user_id, workspace_id, role)
    record_change(
        session,
        workspace_id,
        AuditAction.MEMBER_JOINED if before is None else AuditAction.MEMBER_ROLE_CHANGED,
        OPERATOR,
        subject=f"member:{user_id}",
        before=None if before is None else {"role": before},
        after={"role": role},
        how="postgate admin (operator, without an invitation)",
    )
    return True


def add_member(engine: Engine, workspace_id: str, user_id: str, role: str) -> bool:
    """An operator makes an existing account a member of an existing workspace without an invitation (the
    way in for the first members of a workspace, and for tests); audited. False if nothing changed."""
    from store.accounts import ROLES, get_user
    from store.engine import transaction
    from store.workspaces import get_workspace

    if role not in ROLES:
        raise AccountError(f"'{role}' is not a role; use {ROLE_HELP}")
    with transaction(engine) as session:
        if get_user(session, user_id) is None:
            raise AccountError(f"no user '{user_id}'; `postgate admin create-user` makes one")
        if get_workspace(session, workspace_id) is None:
            raise AccountError(f"no workspace '{workspace_id}'")
        return _join(session, workspace_id, user_id, role)


def _issue(session: Session, user_id: str, name: str, days: int | None) -> tuple[ApiToken, str]:
    from store.authentication import DEFAULT_TOKEN_LIFETIME, issue_token

    lifetime = timedelta(days=days) if days is not None else DEFAULT_TOKEN_LIFETIME
    try:
        return issue_token(session, user_id, name, now=datetime.now(UTC), lifetime=lifetime)
    except ValueError as err:
        raise AccountError(str(err)) from None


def _engine() -> Engine:
    from cli import _settings
    from store.engine import make_engine, migrate

    engine = make_engine(_settings().resolved_database_url)
    migrate(engine)
    return engine


def _password(prompt: bool, from_stdin: bool) -> str | None:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif prompt:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        return None
    if len(password) < 8:
        typer.echo("postgate: a password needs at least 8 characters", err=True)
        raise typer.Exit(2)
    return password


TokenDays = Annotated[
    int | None, typer.Option("--token-days", min=1, help="how long the printed token lives (default 90, at most 365)")
]


@admin_app.command("create-user")
def create_user_command(
    user_id: Annotated[str, typer.Option("--id", help="the account id, e.g. ada")],
    name: Annotated[str, typer.Option("--name", help="shown to people")],
    email: Annotated[str | None, typer.Option("--email", help="for password login")] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="make the user a member (creates the workspace if missing)")
    ] = None,
    role: Annotated[str, typer.Option("--role", help=f"role in the workspace: {ROLE_HELP}")] = "admin",
    password: Annotated[bool, typer.Option("--password", help="ask for a password to log in with")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
    token_days: TokenDays = None,
) -> None:
    """Create an account (and its workspace membership) and print its first API token, once."""
    secret = _password(password, password_stdin)
    try:
        created = create_account(
            _engine(),
            user_id,
            name,
            email=email,
            password=secret,
            workspace_id=workspace,
            role=role,
            token_days=token_days,
        )
    except AccountError as err:
        typer.echo(f"postgate: {err}", err=True)
        raise typer.Exit(1) from None
    done = f"created user '{user_id}'"
    if workspace:
        done += f", {role} of workspace '{workspace}'" + (" (a new workspace)" if created.created_workspace else "")
    typer.echo(done, err=True)
    typer.echo(f"API token (shown once, expires {created.token_expires_at:%Y-%m-%d}):", err=True)
    typer.echo(created.token)


@admin_app.command("create-token")
def create_token_command(
    user_id: Annotated[str, typer.Option("--id", help="the account id")],
    name: Annotated[str, typer.Option("--name", help="what the token is for")] = "created by postgate admin",
    token_days: TokenDays = None,
) -> None:
    """Print a new API token for an existing account, once (for a lost token; revoke the old one)."""
    from store.accounts import get_user
    from store.engine import transaction

    try:
        with transaction(_engine()) as session:
            if get_user(session, user_id) is None:
                raise AccountError(f"no user '{user_id}'")
            row, plain = _issue(session, user_id, name, token_days)
    except AccountError as err:
        typer.echo(f"postgate: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"API token for '{user_id}' (shown once, expires {row.expires_at:%Y-%m-%d}):", err=True)
    typer.echo(plain)


@admin_app.command("add-member")
def add_member_command(
    user_id: Annotated[str, typer.Option("--id", help="the existing account's id")],
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="an existing workspace")],
    role: Annotated[str, typer.Option("--role", help=f"role in the workspace: {ROLE_HELP}")],
) -> None:
    """Make an existing account a member (or change its role) without an invitation: for operators, who
    can reach the database anyway. The change is in the workspace's audit trail. Over the API, admins invite
    (POST /workspaces/{id}/invitations) and the invitee accepts."""
    try:
        changed = add_member(_engine(), workspace, user_id, role)
    except AccountError as err:
        typer.echo(f"postgate: {err}", err=True)
        raise typer.Exit(1) from None
    done = f"'{user_id}' is {role} of workspace '{workspace}'"
    typer.echo(done if changed else f"{done} already; nothing changed", err=True)
