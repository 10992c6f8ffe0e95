"""notification targets per workspace, and what each notification did at each target

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("secret", sa.String(length=500), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notification_targets") as batch:
        batch.create_index("ix_notification_targets_workspace_id", ["workspace_id"], unique=False)
    op.create_table(
        "notifications_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["target_id"], ["notification_targets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key", "target_id", name="uq_notification_sent_key_target"),
    )
    with op.batch_alter_table("notifications_sent") as batch:
        batch.create_index("ix_notifications_sent_target_id", ["target_id"], unique=False)


def downgrade() -> None:
    op.drop_table("notifications_sent")
    op.drop_table("notification_targets")
