"""Signed credentials compressed with LZ4 on PostgreSQL: ``credentials.document`` (about 13 kB
of JSON each) is stored out of line, compressed; LZ4 costs the server a fraction of the CPU of
the default (pglz) for much the same size, and bulk issuance writes thousands a second.

Only on PostgreSQL servers built with LZ4 (14 and later, where ``default_toast_compression``
offers it); elsewhere, and on SQLite, nothing changes. Rows already stored keep their
compression until rewritten; both read back the same. Downgrading goes back to the default.

Revision ID: 0012_credential_document_lz4
Revises: 0011_credential_corrections
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_credential_document_lz4"
down_revision = "0011_credential_corrections"
branch_labels = None
depends_on = None

LZ4_OFFERED = (
    "SELECT 1 FROM pg_settings "
    "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def _lz4_offered() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.exec_driver_sql(LZ4_OFFERED).first() is not None


def upgrade() -> None:
    if _lz4_offered():
        op.execute("ALTER TABLE credentials ALTER COLUMN document SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_offered():
        op.execute("ALTER TABLE credentials ALTER COLUMN document SET COMPRESSION default")
