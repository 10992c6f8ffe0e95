"""accounts: global users with e-mail and password, workspace memberships, groups, API tokens, sessions

Users stop belonging to one workspace: every existing user keeps their workspace and role as a
membership, and users.workspace_id / users.role are dropped (authorisation reads memberships only).
Also the tables for API tokens (SHA-256 of the secret), browser sessions (SHA-256 of the cookie) and
failed password logins (throttling).

Revision ID: 0009
Revises: 0008
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLE_ORDER = ("admin", "editor", "approver", "auditor", "viewer")


def _users(*columns: sa.ColumnClause) -> sa.TableClause:
    return sa.table("users", sa.column("id", sa.String()), *columns)


def _memberships() -> sa.TableClause:
    return sa.table(
        "memberships",
        sa.column("user_id", sa.String()),
        sa.column("workspace_id", sa.String()),
        sa.column("role", sa.String()),
        sa.column("created_at", store.tables.UTCDateTime()),
    )


def _rank(role: str) -> int:
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def upgrade() -> None:
    connection = op.get_bind()
    old = _users(sa.column("workspace_id", sa.String()), sa.column("role", sa.String()))
    existing = connection.execute(sa.select(old.c.id, old.c.workspace_id, old.c.role)).all()

    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_workspace_id")
        batch.drop_column("workspace_id")
        batch.drop_column("role")
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("created_at", store.tables.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_unique_constraint("uq_users_email", ["email"])
    now = datetime.now(UTC)
    connection.execute(_users(sa.column("created_at", store.tables.UTCDateTime())).update().values(created_at=now))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("created_at", existing_type=store.tables.UTCDateTime(), nullable=False)

    op.create_table(
        "memberships",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("user_id", "workspace_id"),
    )
    with op.batch_alter_table("memberships") as batch:
        batch.create_index("ix_memberships_workspace_id", ["workspace_id"], unique=False)
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_group_workspace_name"),
    )
    with op.batch_alter_table("groups") as batch:
        batch.create_index("ix_groups_workspace_id", ["workspace_id"], unique=False)
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("group_id", "user_id"),
    )
    with op.batch_alter_table("group_members") as batch:
        batch.create_index("ix_group_members_user_id", ["user_id"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=40), nullable=False),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.tables.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", store.tables.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", store.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.create_index("ix_api_tokens_user_id", ["user_id"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("web_sessions") as batch:
        batch.create_index("ix_web_sessions_user_id", ["user_id"], unique=False)
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_attempts") as batch:
        batch.create_index("ix_login_attempts_email", ["email"], unique=False)
        batch.create_index("ix_login_attempts_ip", ["ip"], unique=False)

    if existing:
        connection.execute(
            _memberships().insert(),
            [{"user_id": u.id, "workspace_id": u.workspace_id, "role": u.role, "created_at": now} for u in existing],
        )


def downgrade() -> None:
    """Back to one workspace per user: each keeps their strongest membership (then the first workspace by
    id); accounts with no membership cannot be represented and are deleted, with their tokens and sessions."""
    connection = op.get_bind()
    kept: dict[str, tuple[str, str]] = {}
    members = _memberships()
    for row in connection.execute(sa.select(members).order_by(members.c.workspace_id)).all():
        current = kept.get(row.user_id)
        if current is None or _rank(row.role) < _rank(current[1]):
            kept[row.user_id] = (row.workspace_id, row.role)

    op.drop_table("login_attempts")
    op.drop_table("web_sessions")
    op.drop_table("api_tokens")
    op.drop_table("group_members")
    op.drop_table("groups")
    op.drop_table("memberships")

    users = _users()
    if kept:
        connection.execute(users.delete().where(users.c.id.not_in(list(kept))))
    else:
        connection.execute(users.delete())
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_email", type_="unique")
        batch.drop_column("disabled")
        batch.drop_column("created_at")
        batch.drop_column("password_hash")
        batch.drop_column("email")
        batch.add_column(sa.Column("workspace_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("role", sa.String(length=32), nullable=True))
    legacy = _users(sa.column("workspace_id", sa.String()), sa.column("role", sa.String()))
    for user_id, (workspace_id, role) in kept.items():
        connection.execute(legacy.update().where(legacy.c.id == user_id).values(workspace_id=workspace_id, role=role))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("workspace_id", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("role", existing_type=sa.String(length=32), nullable=False)
        batch.create_foreign_key("users_workspace_id_fkey", "workspaces", ["workspace_id"], ["id"])
        batch.create_index("ix_users_workspace_id", ["workspace_id"], unique=False)
