"""Stackable awards: ``specifications.stacking``, the stacking rule of a specification.

A specification whose ``stacking`` is set is a stackable award (issue 16, part 2): the JSON
names the partnership's specifications whose credentials may be its parts (``parts``, by
slug), how many distinct ones a learner needs (``minParts``) and the ECTS they must add up to
(``minEcts``). Plain micro-credential specifications keep it empty.

Downgrading drops the column: stacked credentials already issued stay valid (their parts are
in their own signed documents), but the rules are lost.

Revision ID: 0006_stacking_rules
Revises: 0005_vc_api_status_entries
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_stacking_rules"
down_revision = "0005_vc_api_status_entries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stacking", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.drop_column("stacking")
