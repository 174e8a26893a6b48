"""Status entries of credentials issued through the W3C VC API: ``status_entries.credential_ref``.

``POST /credentials/issue`` signs a credential the caller built and does not store it (there is
no ``credentials`` row), yet gives it Bitstring Status List entries. So that its status can be
changed later (``POST /credentials/status``), each such entry records the credential's ``id``
in ``credential_ref``; ``credential_id`` stays empty. Entries of stored credentials keep
``credential_ref`` empty.

Downgrading drops the column: the entries stay reserved (their bits are still published) but
can no longer be found by the credential's id.

Revision ID: 0005_vc_api_status_entries
Revises: 0004_did_key_organisations
Create Date: 2026-12-04 01:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_vc_api_status_entries"
down_revision = "0004_did_key_organisations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_ref", sa.String(length=2048), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_status_entries_credential_ref"), ["credential_ref"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_entries_credential_ref"))
        batch_op.drop_column("credential_ref")
