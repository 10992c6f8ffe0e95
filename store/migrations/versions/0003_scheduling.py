"""late policy and time zone per workspace, the zone of a post's publish time

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("late_policy", sa.String(length=16), nullable=False, server_default="publish"))
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"))
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("publish_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("publish_zone")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("late_policy")
