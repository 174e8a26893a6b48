"""Organisations identified by a did:key: ``organisations.did_method``.

``web`` (the default, given to every existing organisation): the DID is a did:web under the
issuer's host, its DID document is served and lists every key, and keys rotate. ``key``: the
DID is a did:key derived from the organisation's one signing key; no document is served (a
did:key's document is derived from the key) and the key can never be rotated.

Downgrading is refused while a did:key organisation exists: the older code would treat it as a
did:web organisation, serve a DID document for a DID that is not a did:web and rotate its key
away from its DID.

Revision ID: 0004_did_key_organisations
Revises: 0003_staff_sessions
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_did_key_organisations"
down_revision = "0003_staff_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "did_method",
                sa.Enum("web", "key", name="didmethod", native_enum=False, length=32),
                server_default="web",
                nullable=False,
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    did_keys = bind.execute(
        sa.text("SELECT count(*) FROM organisations WHERE did_method = 'key'")
    ).scalar_one()
    if did_keys:
        raise RuntimeError(
            f"{did_keys} organisation(s) are identified by a did:key; the schema before "
            "0004_did_key_organisations cannot record that, so it is not downgraded"
        )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("did_method")
