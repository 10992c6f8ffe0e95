"""Idempotency keys bound to (actor, route, body)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", store.tables.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
