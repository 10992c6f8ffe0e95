"""many channels per post: the channels a post targets and each revision's per-channel variants

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        # JSON list of channel ids; channel_id stays the first of them.
        batch.add_column(sa.Column("channel_ids", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("revisions") as batch:
        # JSON list of domain.content.Variant: the text (and media) a channel gets instead of the base text.
        batch.add_column(sa.Column("variants", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("variants")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("channel_ids")
