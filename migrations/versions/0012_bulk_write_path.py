"""What bulk issuance's write path leans on (issue 14):

* ``credentials.document`` (about 13 kB of signed JSON each, stored out of line, compressed) is
  compressed with LZ4 on PostgreSQL: a fraction of the server's CPU of the default (pglz) for
  much the same size. Only on servers built with LZ4 (14 and later, where
  ``default_toast_compression`` offers it); elsewhere, and on SQLite, nothing changes. Rows
  already stored keep their compression until rewritten; both read back the same.
* ``ix_credentials_learner_id`` becomes ``(learner_id, specification_id)``: whether learners
  hold a credential of a specification is one index probe each, and the planner cannot take
  the specification's index (every credential of it) instead while the statistics lag behind
  a fast-growing table.
* ``ix_learners_partnership_id`` is dropped: the unique ``(partnership_id, reference)`` leads
  with the same column, and with two candidates the planner took the narrower one for a
  lookup by reference (a scan of the partnership's learners) while the statistics lagged.

Downgrading puts back the indices and the default compression.

Revision ID: 0012_bulk_write_path
Revises: 0011_credential_corrections
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_bulk_write_path"
down_revision = "0011_credential_corrections"
branch_labels = None
depends_on = None

LZ4_OFFERED = (
    "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def _lz4_offered() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.exec_driver_sql(LZ4_OFFERED).first() is not None


def upgrade() -> None:
    if _lz4_offered():
        op.execute("ALTER TABLE credentials ALTER COLUMN document SET COMPRESSION lz4")
    op.create_index(
        "ix_credentials_learner_id_specification_id",
        "credentials",
        ["learner_id", "specification_id"],
    )
    op.drop_index("ix_credentials_learner_id", table_name="credentials")
    op.drop_index("ix_learners_partnership_id", table_name="learners")


def downgrade() -> None:
    op.create_index("ix_learners_partnership_id", "learners", ["partnership_id"])
    op.create_index("ix_credentials_learner_id", "credentials", ["learner_id"])
    op.drop_index("ix_credentials_learner_id_specification_id", table_name="credentials")
    if _lz4_offered():
        op.execute("ALTER TABLE credentials ALTER COLUMN document SET COMPRESSION default")
