"""comments on revisions

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.String(length=64), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("quote", sa.String(length=500), nullable=True),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_revision_comments_post_id", "revision_comments", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_revision_comments_post_id", table_name="revision_comments")
    op.drop_table("revision_comments")
