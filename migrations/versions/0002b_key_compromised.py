"""Signing keys can be marked compromised: ``signing_keys.compromised_at``.

``signing_keys.state`` is a plain VARCHAR(32) (a non-native enum without a CHECK constraint),
so the new state ``compromised`` needs no schema change; only its time is added.

Revision ID: 0002b_key_compromised
Revises: 0002a_audit_integrity
Create Date: 2026-12-03 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import issuer.models

revision = "0002b_key_compromised"
down_revision = "0002a_audit_integrity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("compromised_at", issuer.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # Refuse rather than forget a compromise: the older schema has no way to say a key must
    # verify nothing, and turning it back into a retired key would make it verify again.
    bind = op.get_bind()
    compromised = bind.execute(
        sa.text("SELECT count(*) FROM signing_keys WHERE state = 'compromised'")
    ).scalar_one()
    if compromised:
        raise RuntimeError(
            f"{compromised} signing key(s) are marked compromised; the schema before "
            "0002b_key_compromised cannot record that, so it is not downgraded"
        )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_column("compromised_at")
