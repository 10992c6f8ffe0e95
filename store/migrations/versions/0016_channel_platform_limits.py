"""The limits a channel's platform reports (a Mastodon instance's own), and when they were read

Revision ID: 0016
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("platform_limits", sa.Text(), nullable=True))
        batch.add_column(sa.Column("platform_limits_at", store.tables.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("platform_limits_at")
        batch.drop_column("platform_limits")
