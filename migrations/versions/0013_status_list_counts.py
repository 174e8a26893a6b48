"""``status_lists.used``: how many entries a list holds, kept with the entries (issue 15).

Choosing the list a new entry goes to needs to know whether the newest list is half full.
Counting its entries each time (``count(*)`` over up to 65,536 index entries: milliseconds on
PostgreSQL, for every issuance) becomes reading a column. :mod:`issuer.status.lists` adds a
transaction's reservations to it when that transaction commits (so the list's row is locked
only from then to the commit, not while the credential is signed), and entries given back
later are not taken off (a list then closes a little early, never late). Upgrading fills it
from the entries stored; downgrading drops it.

Revision ID: 0013_status_list_counts
Revises: 0012_bulk_write_path
Create Date: 2026-12-04 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_status_list_counts"
down_revision = "0012_bulk_write_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE status_lists SET used = (SELECT count(*) FROM status_entries"
        " WHERE status_entries.status_list_id = status_lists.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_column("used")
