"""Webhook secrets of notification targets are sealed at rest like channel credentials: no clear text in
the database, existing rows encrypted by the migration, re-sealed by a key rotation. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.credentials import CredentialError, KeyRing, keyring_for, keyring_from, new_key
from store.engine import run_migrations, transaction
from store.notifications import add_target, get_target
from store.tables import NotificationTarget, Workspace
from store.target_secrets import rotate_targets, target_secret
from store.workspaces import add_workspace

SECRET = "whsec_never-in-clear-0123456789"
KEY_1 = new_key()
KEY_2 = new_key()


def ring(*pairs: tuple[str, str], current: str) -> KeyRing:
    return keyring_from(",".join(f"{k}={v}" for k, v in pairs), current, Path("/nonexistent-never-written"))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
    return engine


def add_hook(engine: Engine, keyring: KeyRing) -> int:
    with transaction(engine) as session:
        target = NotificationTarget(workspace_id="acme", kind="webhook", url="https://hooks.example/pg")
        target_id = add_target(session, target, secret=SECRET, keyring=keyring).id
    assert target_id is not None
    return target_id


def raw_row(engine: Engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text("SELECT secret, secret_key_id, secret_hint FROM notification_targets")).one())


def test_the_column_holds_no_clear_secret_and_the_secret_opens(db: Engine) -> None:
    keyring = ring(("k1", KEY_1), current="k1")
    target_id = add_hook(db, keyring)
    sealed, key_id, hint = raw_row(db)
    assert SECRET not in sealed and SECRET[:8] not in sealed and key_id == "k1" and hint == SECRET[-4:]
    with transaction(db) as session:
        target = get_target(session, "acme", target_id)
        assert target is not None and target_secret(target, keyring) == SECRET
        # Another key, or the ciphertext moved onto another target, does not open.
        with pytest.raises(CredentialError, match="not in POSTGATE_CREDENTIAL_KEYS") as refused:
            target_secret(target, ring(("k2", KEY_2), current="k2"))
        assert SECRET not in str(refused.value)
        target.id = target_id + 1
        with pytest.raises(CredentialError, match="does not open"):
            target_secret(target, keyring)


def test_rotation_reseals_targets_under_the_new_key(db: Engine) -> None:
    add_hook(db, ring(("k1", KEY_1), current="k1"))
    both = ring(("k1", KEY_1), ("k2", KEY_2), current="k2")
    with transaction(db) as session:
        assert rotate_targets(session, both) == 1
    assert raw_row(db)[1] == "k2"
    with transaction(db) as session:
        [target] = session.exec(sa.select(NotificationTarget)).scalars().all()  # type: ignore[call-overload]
        assert target_secret(target, ring(("k2", KEY_2), current="k2")) == SECRET
        assert rotate_targets(session, both) == 0


def test_the_migration_encrypts_existing_secrets_in_place(
    bare_db: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POSTGATE_CREDENTIAL_KEYS", f"m1={KEY_1}")
    monkeypatch.setenv("POSTGATE_DATA_DIR", str(tmp_path))
    run_migrations(bare_db, "upgrade", "0012")
    # The workspaces table as it was at 0012 (later migrations add columns the model already has).
    columns = ("id", "name", "banned_words", "social_rules", "late_policy", "time_zone", "approval_policy")
    workspaces = sa.table("workspaces", *(sa.column(c) for c in columns), sa.column("created_at"))
    with bare_db.begin() as conn:
        conn.execute(
            workspaces.insert().values(
                id="acme",
                name="Acme",
                banned_words="[]",
                social_rules="{}",
                late_policy="publish",
                time_zone="UTC",
                approval_policy="",
                created_at=datetime.now(UTC),
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO notification_targets (workspace_id, kind, url, secret, enabled, created_at) "
                "VALUES ('acme', 'webhook', 'https://hooks.example/pg', :secret, true, CURRENT_TIMESTAMP)"
            ),
            {"secret": SECRET},
        )
    run_migrations(bare_db, "upgrade", "0015")
    sealed, key_id, hint = raw_row(bare_db)
    assert SECRET not in sealed and key_id == "m1" and hint == SECRET[-4:]
    from settings import Settings

    with transaction(bare_db) as session:
        [target] = session.exec(sa.select(NotificationTarget)).scalars().all()  # type: ignore[call-overload]
        assert target_secret(target, keyring_for(Settings())) == SECRET
