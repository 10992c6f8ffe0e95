"""Accounts in the store, on SQLite and PostgreSQL: the 0009 migration, memberships, groups, tokens, throttling."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from domain.approval import ApprovalPolicy, ApprovalStep, resolve
from store.accounts import (
    add_group,
    add_member,
    create_user,
    get_membership,
    group_members,
    member_roles,
    memberships_of,
    remove_membership,
    set_membership,
)
from store.authentication import (
    SOURCE_FREE,
    THROTTLE_FREE,
    THROTTLE_WINDOW,
    TokenRefused,
    authenticate_token,
    clear_login_failures,
    issue_token,
    login_retry_after,
    record_login_failure,
    revoke_token,
    sha256_hex,
    verify_password,
)
from store.engine import run_migrations, transaction
from store.tables import Workspace
from store.workspaces import add_workspace

ACCOUNT_TABLES = ("users", "memberships", "groups", "group_members", "api_tokens", "web_sessions", "login_attempts")
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def alembic(engine: Engine, action: str, revision: str) -> None:
    run_migrations(engine, action, revision)


@pytest.fixture
def db(bare_db: Engine) -> Engine:
    alembic(bare_db, "upgrade", "head")
    with transaction(bare_db) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
        add_workspace(session, Workspace(id="globex", name="Globex"))
    return bare_db


def test_the_migration_turns_each_user_into_a_membership_and_back(bare_db: Engine) -> None:
    alembic(bare_db, "upgrade", "0008")
    workspace_columns = ("id", "name", "banned_words", "social_rules", "late_policy", "time_zone", "approval_policy")
    workspaces = sa.table("workspaces", *(sa.column(c) for c in workspace_columns), sa.column("created_at"))
    users = sa.table("users", *(sa.column(c) for c in ("id", "workspace_id", "name", "role")))
    with bare_db.begin() as conn:
        for ws in ("acme", "globex"):
            defaults = {"banned_words": "[]", "social_rules": "{}", "late_policy": "publish", "time_zone": "UTC"}
            conn.execute(workspaces.insert().values(id=ws, name=ws, approval_policy="", created_at=NOW, **defaults))
        conn.execute(
            users.insert(),
            [
                {"id": "ada", "workspace_id": "acme", "name": "Ada", "role": "admin"},
                {"id": "ed", "workspace_id": "acme", "name": "Ed", "role": "editor"},
                {"id": "gus", "workspace_id": "globex", "name": "Gus", "role": "auditor"},
            ],
        )

    alembic(bare_db, "upgrade", "head")

    with transaction(bare_db) as session:
        assert member_roles(session, "acme") == {"ada": "admin", "ed": "editor"}
        assert memberships_of(session, "gus") == {"globex": "auditor"}
        set_membership(session, "ed", "globex", "viewer")  # the new world: one account, two workspaces
    columns = {c["name"] for c in sa.inspect(bare_db).get_columns("users")}
    assert columns == {"id", "name", "email", "password_hash", "created_at", "disabled", "locale", "time_zone"}

    alembic(bare_db, "downgrade", "0008")

    with bare_db.begin() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("ada", "acme", "Ada", "admin"),
        ("ed", "acme", "Ed", "editor"),  # the stronger of ed's two memberships
        ("gus", "globex", "Gus", "auditor"),
    ]


def test_the_migrated_schema_is_what_the_tables_say(db: Engine) -> None:
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)

    def table_of(diff: tuple | list) -> str:
        # compare_metadata's shapes: (op, Table), (op, Index | Constraint), (op, schema, table, ...), or a list
        # of such tuples for one column.
        first = diff[0] if isinstance(diff, list) else diff
        for part in first[1:]:
            if isinstance(part, sa.Table):
                return part.name
            if isinstance(part, sa.Index | sa.Constraint):
                return str(getattr(part.table, "name", ""))
        return str(first[2])

    assert [d for d in differences if table_of(d) in ACCOUNT_TABLES] == []


def test_memberships_and_groups(db: Engine) -> None:
    with transaction(db) as session:
        add_member(session, "acme", "ann", "approver")
        add_member(session, "acme", "lee", "approver", name="Lee Legal")
        add_member(session, "globex", "lee", "viewer")
        add_member(session, "acme", "ed", "editor")
        with pytest.raises(ValueError, match="not a role"):
            set_membership(session, "ed", "acme", "owner")
        add_group(session, "acme", "legal", ["lee", "ann"])
        add_group(session, "globex", "legal", ["lee"])
    with transaction(db) as session:
        assert memberships_of(session, "lee") == {"acme": "approver", "globex": "viewer"}
        assert group_members(session, "acme", ["legal", "board"]) == {"legal": ["ann", "lee"]}
        membership = get_membership(session, "ann", "acme")
        assert membership is not None
        remove_membership(session, membership)
    with transaction(db) as session:
        # Someone who left the workspace no longer counts as its group's member.
        groups = group_members(session, "acme", ["legal"])
        assert groups == {"legal": ["lee"]}
        policy = ApprovalPolicy(steps=[ApprovalStep(name="legal", groups=["legal"])])
        resolved = resolve(policy, member_roles(session, "acme"), author="ed", groups=groups)
        assert resolved.steps[0].eligible == ["lee"]
        with pytest.raises(ValueError, match="group 'board'"):
            resolve(ApprovalPolicy(steps=[ApprovalStep(name="b", groups=["board"])]), {}, author="ed", groups={})


def test_tokens_keep_only_a_hash_and_refuse_what_they_should(db: Engine) -> None:
    with transaction(db) as session:
        create_user(session, "ed", "Ed")
        row, plain = issue_token(session, "ed", "ci", now=NOW)
        other, other_plain = issue_token(session, "ed", "short", now=NOW, lifetime=timedelta(days=1))
        with pytest.raises(ValueError, match="at most 365 days"):
            issue_token(session, "ed", "long", now=NOW, lifetime=timedelta(days=366))
    _, token_id, secret = plain.split("_", 2)
    assert row.id == token_id and row.secret_hash == sha256_hex(secret) and row.expires_at == NOW + timedelta(days=90)
    with db.connect() as conn:
        stored = json.dumps(
            [list(r) for r in conn.execute(sa.select(SQLModel.metadata.tables["api_tokens"])).all()], default=str
        )
    assert secret not in stored

    with transaction(db) as session:
        user, used = authenticate_token(session, plain, now=NOW + timedelta(days=1))
        assert user.id == "ed" and used.last_used_at == NOW + timedelta(days=1)
        for bad, reason in [
            ("pg_" + token_id, "not a postgate token"),
            (f"pg_{token_id}_{secret}x", "unknown token"),
            (f"gh_{token_id}_{secret}", "not a postgate token"),
        ]:
            with pytest.raises(TokenRefused, match=reason):
                authenticate_token(session, bad, now=NOW)
        with pytest.raises(TokenRefused, match="expired"):
            authenticate_token(session, plain, now=NOW + timedelta(days=90))
        revoke_token(session, other, now=NOW)
    with transaction(db) as session, pytest.raises(TokenRefused, match="revoked"):
        authenticate_token(session, other_plain, now=NOW)


def test_passwords_are_argon2id_and_unknown_users_fail_the_same_way(db: Engine) -> None:
    with transaction(db) as session:
        user = create_user(session, "eve", "Eve", email=" Eve@Example.COM ", password="s3cret-enough")
    assert user.email == "eve@example.com"
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert verify_password(user, "s3cret-enough")
    assert not verify_password(user, "s3cret-enougH")
    assert not verify_password(None, "s3cret-enough")


def test_login_throttle_backs_off_per_account_and_source_doubling_each_time(db: Engine) -> None:
    def fail(count: int, email: str = "eve@example.com", ip: str = "10.0.0.1", start: datetime = NOW) -> datetime:
        with transaction(db) as session:
            for second in range(count):
                record_login_failure(session, email, ip, now=start + timedelta(seconds=second))
        return start + timedelta(seconds=count - 1)

    def wait(at: datetime, email: str = "eve@example.com", ip: str = "10.0.0.1") -> int | None:
        with transaction(db) as session:
            return login_retry_after(session, email, ip, now=at)

    last = fail(THROTTLE_FREE - 1)
    assert wait(last) is None  # a few typos cost nothing
    last = fail(1, start=last + timedelta(seconds=1))
    assert wait(last) == 1
    last = fail(3, start=last + timedelta(seconds=1))
    assert wait(last) == 8  # 1, 2, 4, 8: twice as long after each further failure
    assert wait(last + timedelta(seconds=8)) is None
    last = fail(20, start=last + timedelta(seconds=8))
    assert wait(last) == 15 * 60  # capped
    # The same account from another source, and another account from a quiet source, are not slowed.
    assert wait(last, ip="10.0.0.2") is None
    assert wait(last, email="ann@example.com", ip="10.0.0.3") is None
    # Failures are forgotten after the window.
    assert wait(last + THROTTLE_WINDOW + timedelta(seconds=1)) is None


def test_one_source_failing_on_many_accounts_is_slowed_on_all(db: Engine) -> None:
    with transaction(db) as session:
        for n in range(SOURCE_FREE):
            record_login_failure(session, f"user{n}@example.com", "10.6.6.6", now=NOW)
    with transaction(db) as session:
        assert login_retry_after(session, "fresh@example.com", "10.6.6.6", now=NOW) == 1
        assert login_retry_after(session, "fresh@example.com", "10.7.7.7", now=NOW) is None


def test_a_success_forgets_only_its_own_sources_failures(db: Engine) -> None:
    with transaction(db) as session:
        for ip in ("10.0.0.1", "10.0.0.2"):
            for second in range(THROTTLE_FREE + 2):
                record_login_failure(session, "eve@example.com", ip, now=NOW + timedelta(seconds=second))
        clear_login_failures(session, "eve@example.com", "10.0.0.1")
    later = NOW + timedelta(seconds=THROTTLE_FREE + 2)
    with transaction(db) as session:
        assert login_retry_after(session, "eve@example.com", "10.0.0.1", now=later) is None
        assert login_retry_after(session, "eve@example.com", "10.0.0.2", now=later) is not None
