"""approval policies per workspace, overridable per channel

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("approval_policy", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("approval_policy", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("approval_policy")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("approval_policy")
