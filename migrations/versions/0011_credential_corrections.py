"""Re-issue with correction: ``credential_corrections`` links a credential (revoked, reason
``superseded``) to the one issued with the corrections, both ways (each id unique), with who
corrected what and when.

Downgrading drops the table (the credentials stay; the links between them are lost).

Revision ID: 0011_credential_corrections
Revises: 0010_learner_records
Create Date: 2026-12-11 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from issuer.models import UTCDateTime

revision = "0011_credential_corrections"
down_revision = "0010_learner_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_credential_id", sa.Integer(), nullable=False),
        sa.Column("new_credential_id", sa.Integer(), nullable=False),
        sa.Column("corrected_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["new_credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_corrections_new_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["old_credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_corrections_old_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_corrections")),
        sa.UniqueConstraint(
            "new_credential_id", name=op.f("uq_credential_corrections_new_credential_id")
        ),
        sa.UniqueConstraint(
            "old_credential_id", name=op.f("uq_credential_corrections_old_credential_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("credential_corrections")
