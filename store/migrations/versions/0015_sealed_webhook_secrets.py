"""notification targets' webhook secrets sealed like channel credentials (existing rows encrypted in place)

Revision ID: 0015
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_targets = sa.table(
    "notification_targets",
    sa.column("id", sa.Integer),
    sa.column("secret", sa.Text),
    sa.column("secret_key_id", sa.String),
    sa.column("secret_hint", sa.String),
)


def _keyring():  # type: ignore[no-untyped-def]
    # The key ring of the process migrating (its POSTGATE_CREDENTIAL_KEYS, or the local key file): the same
    # one the worker and the API open secrets with.
    from settings import Settings
    from store.credentials import keyring_for

    return keyring_for(Settings())


def upgrade() -> None:
    with op.batch_alter_table("notification_targets") as batch:
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(length=500), existing_nullable=True)
        batch.add_column(sa.Column("secret_key_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("secret_hint", sa.String(length=8), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_targets.c.id, _targets.c.secret).where(_targets.c.secret.is_not(None))).all()
    if not rows:
        return
    from store.target_secrets import seal_secret

    keyring = _keyring()
    for target_id, secret in rows:
        sealed, key_id = seal_secret(keyring, target_id, secret)
        bind.execute(
            _targets.update()
            .where(_targets.c.id == target_id)
            .values(secret=sealed, secret_key_id=key_id, secret_hint=secret[-4:])
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_targets.c.id, _targets.c.secret, _targets.c.secret_key_id).where(_targets.c.secret.is_not(None))
    ).all()
    if rows:
        from store.target_secrets import open_secret

        keyring = _keyring()
        for target_id, sealed, key_id in rows:
            secret = open_secret(keyring, target_id, sealed, key_id)
            bind.execute(_targets.update().where(_targets.c.id == target_id).values(secret=secret))
    with op.batch_alter_table("notification_targets") as batch:
        batch.drop_column("secret_hint")
        batch.drop_column("secret_key_id")
        batch.alter_column("secret", type_=sa.String(length=500), existing_type=sa.Text(), existing_nullable=True)
