"""`postgate admin`: the first account and lost tokens, straight in the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from commands.admin import admin_app
from store.accounts import get_user, memberships_of
from store.authentication import authenticate_token, verify_password
from store.engine import transaction

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGATE_DATABASE_URL", engine.url.render_as_string(hide_password=False))


def test_create_user_makes_the_workspace_and_prints_only_the_token(engine: Engine) -> None:
    args = ["create-user", "--id", "ada", "--name", "Ada", "--email", "Ada@Example.com", "--workspace", "acme"]

    done = runner.invoke(admin_app, [*args, "--password-stdin"], input="long enough secret\n")

    assert done.exit_code == 0, done.output
    token = done.stdout.strip()
    assert token.startswith("pg_") and "\n" not in token
    assert "shown once" in done.stderr and "(a new workspace)" in done.stderr
    with transaction(engine) as session:
        user, _ = authenticate_token(session, token, now=datetime.now(UTC))
        assert user.id == "ada" and user.email == "ada@example.com"
        assert verify_password(user, "long enough secret")
        assert memberships_of(session, "ada") == {"acme": "admin"}


def test_refusals_say_what_to_do(engine: Engine) -> None:
    assert runner.invoke(admin_app, ["create-user", "--id", "ada", "--name", "Ada"]).exit_code == 0
    again = runner.invoke(admin_app, ["create-user", "--id", "ada", "--name", "Ada"])
    assert again.exit_code == 1 and "create-token --id ada" in again.stderr
    role = runner.invoke(admin_app, ["create-user", "--id", "zed", "--name", "Z", "-w", "acme", "--role", "owner"])
    assert role.exit_code == 1 and "not a role" in role.stderr
    short = runner.invoke(admin_app, ["create-user", "--id", "zed", "--name", "Z", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8" in short.stderr
    with transaction(engine) as session:
        assert get_user(session, "zed") is None


def test_create_token_for_a_lost_one(engine: Engine) -> None:
    assert runner.invoke(admin_app, ["create-user", "--id", "ada", "--name", "Ada"]).exit_code == 0

    done = runner.invoke(admin_app, ["create-token", "--id", "ada", "--token-days", "7"])

    assert done.exit_code == 0, done.output
    with transaction(engine) as session:
        _, row = authenticate_token(session, done.stdout.strip(), now=datetime.now(UTC))
    assert (row.expires_at - row.created_at).days == 7
    assert runner.invoke(admin_app, ["create-token", "--id", "nobody"]).exit_code == 1


def test_add_member_is_the_operators_way_in_and_is_audited(engine: Engine) -> None:
    from sqlmodel import select

    from store.tables import AuditEntry

    assert runner.invoke(admin_app, ["create-user", "--id", "ada", "--name", "Ada", "-w", "acme"]).exit_code == 0
    assert runner.invoke(admin_app, ["create-user", "--id", "ed", "--name", "Ed"]).exit_code == 0

    done = runner.invoke(admin_app, ["add-member", "--id", "ed", "-w", "acme", "--role", "editor"])
    assert done.exit_code == 0, done.output
    again = runner.invoke(admin_app, ["add-member", "--id", "ed", "-w", "acme", "--role", "editor"])
    assert again.exit_code == 0 and "nothing changed" in again.stderr
    missing = runner.invoke(admin_app, ["add-member", "--id", "nobody", "-w", "acme", "--role", "editor"])
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.stderr
    with transaction(engine) as session:
        assert memberships_of(session, "ed") == {"acme": "editor"}
        trail = session.exec(select(AuditEntry).where(AuditEntry.workspace_id == "acme")).all()
    assert [(e.action, e.actor) for e in trail] == [
        ("workspace_created", "operator:postgate-admin"),
        ("member_joined", "operator:postgate-admin"),  # ada
        ("member_joined", "operator:postgate-admin"),  # ed
    ]
