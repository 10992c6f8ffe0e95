"""brand styles, social rules per workspace and channel

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "brand_styles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("names", sa.String(length=500), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "version", name="uq_brand_style_version"),
    )
    with op.batch_alter_table("brand_styles") as batch:
        batch.create_index("ix_brand_styles_workspace_id", ["workspace_id"], unique=False)
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("social_rules", sa.Text(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("style_version", sa.String(length=64), nullable=True))
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("counts_as", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("social_overrides", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("social_overrides")
        batch.drop_column("counts_as")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("style_version")
        batch.drop_column("social_rules")
    op.drop_table("brand_styles")
