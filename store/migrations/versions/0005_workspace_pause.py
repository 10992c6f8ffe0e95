"""crisis pause per workspace

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("paused_since", store.tables.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("pause_reason", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("paused_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("paused_by")
        batch.drop_column("pause_reason")
        batch.drop_column("paused_since")
