"""user preferences: each person's language and time zone for the web app (none: from their browser);
post_live_states: the last live state the lists read from each post's workflow, with the projection it
was read at (web.state_cache), so a fresh process need not ask every workflow again

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.create_table(
        "post_live_states",
        sa.Column("post_id", sa.String(length=64), sa.ForeignKey("posts.id"), primary_key=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("post_live_states")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("locale")
