"""Calendar feed secrets: only a hash is kept, a new one revokes the old, and however many requests race to
make one, exactly one feed is live afterwards (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from api.deps import Actor
from store.accounts import add_member
from store.calendar import create_feed, feed_of, revoke_feeds
from store.engine import transaction
from store.tables import CalendarFeed, Workspace
from store.workspaces import add_workspace
from web.views_calendar import new_feed

ROUNDS, AT_ONCE = 8, 6


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
        add_member(session, "acme", "pia", "approver", name="Pia")
    return engine


def live(engine: Engine) -> list[CalendarFeed]:
    with transaction(engine) as session:
        return list(session.exec(select(CalendarFeed).where(col(CalendarFeed.revoked_at).is_(None))))


def test_only_the_hash_is_kept_and_a_new_secret_revokes_the_old(db: Engine) -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    with transaction(db) as session:
        first = create_feed(session, "pia", "acme", now=now)
    with transaction(db) as session:
        second = create_feed(session, "pia", "acme", now=now)

    with transaction(db) as session:
        assert feed_of(session, first) is None and feed_of(session, second) is not None
        assert feed_of(session, "") is None and feed_of(session, "x" * 500) is None
        assert all(second not in (f.secret_hash, f.user_id) for f in session.exec(select(CalendarFeed)))
        assert revoke_feeds(session, "pia", "acme", now=now) == 1
    assert live(db) == []


def test_racing_requests_leave_exactly_one_live_feed(db: Engine) -> None:
    ctx: Any = SimpleNamespace(engine=db)
    pia = Actor(id="pia", name="Pia", email=None, memberships={"acme": "approver"})
    for _ in range(ROUNDS):
        start = threading.Barrier(AT_ONCE)

        def make(barrier: threading.Barrier) -> str:
            barrier.wait()
            return new_feed(ctx, pia, "acme")

        with ThreadPoolExecutor(AT_ONCE) as pool:
            secrets = list(pool.map(make, [start] * AT_ONCE))
        [one] = live(db)
        with transaction(db) as session:
            opened = [s for s in secrets if feed_of(session, s) is not None]
        assert len(opened) == 1 and feed_of_hash(db, opened[0]) == one.secret_hash


def feed_of_hash(engine: Engine, secret: str) -> str | None:
    with transaction(engine) as session:
        feed = feed_of(session, secret)
        return feed.secret_hash if feed else None
