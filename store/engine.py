"""Engine construction and migrations: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    # A plain postgresql:// URL means psycopg 3 here, the driver we install.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the API read while the worker writes; foreign keys are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class ForeignKeysBroken(RuntimeError):
    pass


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    run_migrations(engine, "upgrade", "head")


def run_migrations(engine: Engine, action: str, revision: str) -> None:
    """Alembic's upgrade or downgrade to `revision`.

    On SQLite, foreign-key enforcement is off while migrations rebuild tables (a parent table cannot be
    dropped and renamed back otherwise: the SQLite and Alembic batch-mode recipe), and every key is checked
    before the migration commits."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    run = getattr(command, action)
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            run(config, revision)
        return
    with engine.connect() as connection:
        # Outside a transaction, where SQLite honours it (the driver begins one only before DML).
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                run(config, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise ForeignKeysBroken(f"the migration would break foreign keys: {broken[:5]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """The unit of work: the caller's boundary commits; repositories never do."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session
