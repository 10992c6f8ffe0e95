"""calendar feeds: a person's secret iCal URL of a workspace's schedule (only its hash is kept)

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("secret_hash", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.String(length=64), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", store.tables.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_calendar_feeds_user_id", "calendar_feeds", ["user_id"])
    # One live feed per person and workspace, however many "make a new address" requests race.
    op.create_index(
        "uq_calendar_feeds_live",
        "calendar_feeds",
        ["user_id", "workspace_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_calendar_feeds_live", table_name="calendar_feeds")
    op.drop_index("ix_calendar_feeds_user_id", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
