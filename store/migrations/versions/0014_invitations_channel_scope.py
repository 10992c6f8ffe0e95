"""Invitations; channel ids scoped to their workspace

Revision ID: 0014
Revises: 0012

A channel's key becomes (workspace_id, id): two workspaces may each have a channel "x-main". Posts reference
their channel by (workspace_id, channel_id), which also guarantees a post's channel is in its workspace.
Nothing else changes: every other reference to a channel (publications, metric snapshots, comments, workflow
state) already sits next to its post, hence its workspace. On SQLite the two tables are rebuilt (batch mode);
store.engine.migrate runs migrations with foreign-key enforcement off and checks the keys afterwards.
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("workspace_id", sa.String(length=64), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.tables.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("decided_at", store.tables.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_invitations_workspace_id", "invitations", ["workspace_id"])
    op.create_index("ix_invitations_user_id", "invitations", ["user_id"])
    op.create_index("ix_invitations_email", "invitations", ["email"])
    _scope_channels()


# SQLite's foreign keys have no names; batch mode names them by this convention so one can be dropped.
_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _channels(*, scoped: bool) -> sa.Table:
    """The channels table as it is (reflected, so columns other migrations added are kept), keyed by
    (workspace_id, id) when scoped, else by id: what SQLite's batch mode rebuilds it as."""
    reflected = sa.Table("channels", sa.MetaData(), autoload_with=op.get_bind())
    key = ("workspace_id", "id") if scoped else ("id",)
    columns = [
        sa.Column(
            c.name,
            c.type,
            *([sa.ForeignKey("workspaces.id")] if c.name == "workspace_id" else []),
            nullable=False if c.name in ("id", "workspace_id") else c.nullable,
            server_default=c.server_default.arg if isinstance(c.server_default, sa.DefaultClause) else None,
        )
        for c in reflected.columns
    ]
    indexes = [sa.Index(i.name, *(c.name for c in i.columns), unique=i.unique) for i in reflected.indexes if i.name]
    return sa.Table("channels", sa.MetaData(), *columns, sa.PrimaryKeyConstraint(*key, name="pk_channels"), *indexes)


def _scope_channels() -> None:
    if op.get_bind().dialect.name == "postgresql":
        inspector = sa.inspect(op.get_bind())
        for fk in inspector.get_foreign_keys("posts"):
            if fk["referred_table"] == "channels" and fk["name"]:
                op.drop_constraint(fk["name"], "posts", type_="foreignkey")
        op.drop_constraint(inspector.get_pk_constraint("channels")["name"], "channels", type_="primary")
        op.create_primary_key("pk_channels", "channels", ["workspace_id", "id"])
        op.create_foreign_key(
            "fk_posts_workspace_channel", "posts", "channels", ["workspace_id", "channel_id"], ["workspace_id", "id"]
        )
        return
    with op.batch_alter_table("channels", recreate="always", copy_from=_channels(scoped=True)):
        pass
    with op.batch_alter_table("posts", recreate="always", naming_convention=_NAMES) as batch:
        batch.drop_constraint("fk_posts_channel_id_channels", type_="foreignkey")
        batch.create_foreign_key(
            "fk_posts_workspace_channel", "channels", ["workspace_id", "channel_id"], ["workspace_id", "id"]
        )


def _unscope_channels() -> None:
    """Back to one global channel id; fails if two workspaces use the same one (rename one first)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_posts_workspace_channel", "posts", type_="foreignkey")
        op.drop_constraint("pk_channels", "channels", type_="primary")
        op.create_primary_key("channels_pkey", "channels", ["id"])
        op.create_foreign_key("posts_channel_id_fkey", "posts", "channels", ["channel_id"], ["id"])
        return
    with op.batch_alter_table("posts", recreate="always") as batch:
        batch.drop_constraint("fk_posts_workspace_channel", type_="foreignkey")
    with op.batch_alter_table("channels", recreate="always", copy_from=_channels(scoped=False)):
        pass
    with op.batch_alter_table("posts", recreate="always") as batch:
        batch.create_foreign_key("fk_posts_channel_id_channels", "channels", ["channel_id"], ["id"])


def downgrade() -> None:
    _unscope_channels()
    op.drop_index("ix_invitations_email", table_name="invitations")
    op.drop_index("ix_invitations_user_id", table_name="invitations")
    op.drop_index("ix_invitations_workspace_id", table_name="invitations")
    op.drop_table("invitations")
