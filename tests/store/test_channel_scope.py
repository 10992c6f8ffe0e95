"""Channel ids are each workspace's own: the key is (workspace_id, id), and a post's channel is in its workspace."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from store.engine import migrate, run_migrations, transaction
from store.tables import Channel
from store.workspaces import add_channel, get_channel

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def upgrade_to(engine: Engine, revision: str) -> None:
    run_migrations(engine, "upgrade", revision)


def test_the_migration_keeps_channels_and_posts_and_scopes_ids(bare_db: Engine) -> None:
    upgrade_to(bare_db, "0012")
    with bare_db.begin() as conn:
        for ws in ("acme", "globex"):
            conn.execute(
                sa.text(
                    "INSERT INTO workspaces (id, name, banned_words, social_rules, late_policy, time_zone, "
                    "approval_policy, created_at) VALUES (:id, :id, '[]', '{}', 'publish', 'UTC', '', :now)"
                ),
                {"id": ws, "now": NOW},
            )
        conn.execute(
            sa.text(
                "INSERT INTO channels (id, workspace_id, name, platform, max_length, social_overrides, settings, "
                "state) VALUES ('x-main', 'acme', 'X', 'sandbox', 280, '{}', '{}', 'active')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO posts (id, workspace_id, channel_id, channel_ids, author, status, current_revision, "
                "content_hash, publish_at, created_at, updated_at, last_seq) VALUES ('p1', 'acme', 'x-main', "
                "'[\"x-main\"]', 'ed', 'draft', 1, 'sha256:x', :now, :now, :now, 1)"
            ),
            {"now": NOW},
        )

    migrate(bare_db)

    with transaction(bare_db) as session:
        # globex may now call its channel x-main too; each workspace finds its own.
        add_channel(session, Channel(id="x-main", workspace_id="globex", name="Globex X", max_length=500))
        acme, globex = get_channel(session, "acme", "x-main"), get_channel(session, "globex", "x-main")
        assert acme is not None and globex is not None
        assert (acme.name, acme.max_length, globex.name) == ("X", 280, "Globex X")
        assert get_channel(session, "globex", "nope") is None
    with bare_db.begin() as conn:
        assert conn.execute(sa.text("SELECT channel_id FROM posts WHERE id = 'p1'")).scalar_one() == "x-main"
    # A post's channel must be one of its workspace's.
    with pytest.raises(IntegrityError), bare_db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO channels (id, workspace_id, name, platform, max_length, social_overrides, settings, "
                "state) VALUES ('only-acme', 'acme', 'A', 'sandbox', 280, '{}', '{}', 'active')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO posts (id, workspace_id, channel_id, channel_ids, author, status, current_revision, "
                "content_hash, publish_at, created_at, updated_at, last_seq) VALUES ('p2', 'globex', 'only-acme', "
                "'[]', 'ed', 'draft', 1, 'sha256:x', :now, :now, :now, 1)"
            ),
            {"now": NOW},
        )
    # The same id twice in one workspace is still refused.
    with pytest.raises(IntegrityError), transaction(bare_db) as session:
        add_channel(session, Channel(id="x-main", workspace_id="acme", name="again", max_length=1))
