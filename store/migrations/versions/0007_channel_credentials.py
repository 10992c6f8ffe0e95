"""channel configuration and encrypted credentials: platform settings, ciphertext and its key id, state

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        # JSON of the platform's non-secret settings; existing (sandbox) channels need none.
        batch.add_column(sa.Column("settings", sa.Text(), nullable=False, server_default="{}"))
        # AES-GCM ciphertext of the platform's secrets and the id of the key that sealed it.
        batch.add_column(sa.Column("credentials", sa.Text(), nullable=True))
        batch.add_column(sa.Column("credentials_key_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("state", sa.String(length=32), nullable=False, server_default="active"))
        batch.add_column(sa.Column("state_reason", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("token_expires_at", store.tables.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("token_expires_at")
        batch.drop_column("state_reason")
        batch.drop_column("state")
        batch.drop_column("credentials_key_id")
        batch.drop_column("credentials")
        batch.drop_column("settings")
