"""late-publish notice threshold, who may unpublish, and unpublished publications

Revision ID: 0017
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

DEFAULT_UNPUBLISH_ROLES = '["editor", "approver", "admin"]'


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("late_notice_after_s", sa.Integer(), nullable=False, server_default="60"))
        batch.add_column(
            sa.Column("unpublish_roles", sa.Text(), nullable=False, server_default=DEFAULT_UNPUBLISH_ROLES)
        )
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("unpublished_at", store.tables.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("unpublish_reason", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("unpublish_reason")
        batch.drop_column("unpublished_at")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("unpublish_roles")
        batch.drop_column("late_notice_after_s")
