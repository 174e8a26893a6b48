"""Search that folds case and accents in every language: ``learners.search_text``.

SQLite's ``lower()`` folds ASCII only (``Østergaard``, ``Åsa`` and ``Émile`` were not found),
and PostgreSQL's depends on the collation. The issuer now stores each learner's names and
reference folded (:func:`issuer.folding.learner_search_text`: NFKD without marks, casefolded,
``ø`` → ``o``, ``æ`` → ``ae`` …) and folds the search words the same way. The models fill the
column on every write; this migration fills it for the learners already stored.

Downgrading drops the column.

Revision ID: 0008_learner_search_text
Revises: 0007_bulk_queue
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from issuer.folding import learner_search_text

revision = "0008_learner_search_text"
down_revision = "0007_bulk_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learners", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_text", sa.String(length=700), server_default="", nullable=False)
        )
    learners = sa.table(
        "learners",
        sa.column("id", sa.Integer),
        sa.column("given_name", sa.String),
        sa.column("family_name", sa.String),
        sa.column("reference", sa.String),
        sa.column("search_text", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            learners.c.id, learners.c.given_name, learners.c.family_name, learners.c.reference
        )
    ).all()
    for row in rows:
        bind.execute(
            learners.update()
            .where(learners.c.id == row.id)
            .values(search_text=learner_search_text(row.given_name, row.family_name, row.reference))
        )


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35+, PostgreSQL): batch mode would re-create the table,
    # which other tables' foreign keys refer to.
    op.execute("ALTER TABLE learners DROP COLUMN search_text")
