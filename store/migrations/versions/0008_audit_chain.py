"""hash-chained audit entries and signed checkpoints

Every workspace's audit entries form one hash chain (store/audit_chain.py); the entries already stored are
chained here in (workspace_id, recorded_at, id) order, so an upgraded database verifies. Checkpoints are
signed later, by the first writer past the checkpoint interval or by `postgate audit checkpoint`: a
migration holds no key.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.tables
from store.audit_chain import GENESIS_HASH, entry_hash

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HASHED = (
    "workspace_id",
    "post_id",
    "workflow_id",
    "seq",
    "action",
    "actor",
    "revision",
    "content_hash",
    "status",
    "detail",
)


def upgrade() -> None:
    op.create_table(
        "audit_chain_heads",
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("last_index", sa.Integer(), nullable=False),
        sa.Column("last_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("last_checkpoint_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("chain_index", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signed_at", store.tables.UTCDateTime(), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "chain_index", name="uq_audit_checkpoint_index"),
    )
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.create_index("ix_audit_checkpoints_workspace_id", ["workspace_id"], unique=False)

    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("chain_index", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit_entries") as batch:
        batch.alter_column("chain_index", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch.create_unique_constraint("uq_audit_workspace_chain_index", ["workspace_id", "chain_index"])


def _chain_existing_entries() -> None:
    entries = sa.table(
        "audit_entries",
        sa.column("id", sa.Integer()),
        *(sa.column(name) for name in HASHED),
        sa.column("at", store.tables.UTCDateTime()),
        sa.column("recorded_at", store.tables.UTCDateTime()),
        sa.column("chain_index", sa.Integer()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    heads = sa.table(
        "audit_chain_heads",
        sa.column("workspace_id", sa.String()),
        sa.column("last_index", sa.Integer()),
        sa.column("last_hash", sa.String()),
        sa.column("last_checkpoint_index", sa.Integer()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(entries).order_by(entries.c.workspace_id, entries.c.recorded_at, entries.c.id)
    ).all()
    updates: list[dict[str, object]] = []
    ends: dict[str, tuple[int, str]] = {}
    for row in rows:
        index, prev_hash = ends.get(row.workspace_id, (0, GENESIS_HASH))
        fields = {**{name: getattr(row, name) for name in HASHED}, "at": row.at, "chain_index": index + 1}
        digest = entry_hash(prev_hash, _Fields(fields))
        updates.append({"entry_id": row.id, "chain_index": index + 1, "prev_hash": prev_hash, "hash": digest})
        ends[row.workspace_id] = (index + 1, digest)
    if updates:
        # The keys other than entry_id name the columns SET, row by row.
        connection.execute(entries.update().where(entries.c.id == sa.bindparam("entry_id")), updates)
    if ends:
        connection.execute(
            heads.insert(),
            [
                {"workspace_id": ws, "last_index": index, "last_hash": digest, "last_checkpoint_index": 0}
                for ws, (index, digest) in ends.items()
            ],
        )


class _Fields:
    """A row's hashed fields as attributes, the shape store.audit_chain.entry_hash reads."""

    def __init__(self, fields: dict[str, object]) -> None:
        self.__dict__.update(fields)


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_constraint("uq_audit_workspace_chain_index", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("chain_index")
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.drop_index("ix_audit_checkpoints_workspace_id")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_heads")
