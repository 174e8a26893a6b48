"""Organisations' logos: ``organisations.logo`` (the image, PNG or JPEG, checked and re-encoded
by :mod:`issuer.partnerships.logos`) and ``organisations.logo_type`` (its media type). Shown on
the learner's page and the certificate PDF, and served at ``/orgs/<partnership>/<org>/logo``.

Downgrading drops both columns (and the logos).

Revision ID: 0009_organisation_logos
Revises: 0008_learner_search_text
Create Date: 2026-12-05 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_organisation_logos"
down_revision = "0008_learner_search_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("logo_type", sa.String(length=20), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35+, PostgreSQL): batch mode would re-create the table,
    # which other tables' foreign keys refer to.
    op.execute("ALTER TABLE organisations DROP COLUMN logo_type")
    op.execute("ALTER TABLE organisations DROP COLUMN logo")
