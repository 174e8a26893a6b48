"""Bulk jobs on a task queue: batches that workers claim under a lease, deliveries (e-mail to
learners), and on jobs the start time, the re-issue choice and the upload's digest; on rows the
sealed management token (for the export and the e-mail).

Revision ID: 0007_bulk_queue
Revises: 0006_stacking_rules
Create Date: 2026-12-04 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from issuer.models import UTCDateTime

revision = "0007_bulk_queue"
down_revision = "0006_stacking_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("reissue", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_bulk_jobs_content_sha256"), ["content_sha256"], unique=False
        )
    with op.batch_alter_table("bulk_job_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manage_token_sealed", sa.Text(), nullable=True))
    op.create_table(
        "bulk_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("first_row_id", sa.Integer(), nullable=False),
        sa.Column("last_row_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "done", name="batchstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["bulk_jobs.id"], name=op.f("fk_bulk_batches_job_id_bulk_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_batches")),
    )
    op.create_index("ix_bulk_batches_job_state", "bulk_batches", ["job_id", "state"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending", "sent", "failed", name="deliverystate", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["bulk_jobs.id"], name=op.f("fk_deliveries_job_id_bulk_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["row_id"], ["bulk_job_rows.id"], name=op.f("fk_deliveries_row_id_bulk_job_rows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("row_id", name=op.f("uq_deliveries_row_id")),
    )
    op.create_index(op.f("ix_deliveries_job_id"), "deliveries", ["job_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deliveries_job_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_bulk_batches_job_state", table_name="bulk_batches")
    op.drop_table("bulk_batches")
    with op.batch_alter_table("bulk_job_rows", schema=None) as batch_op:
        batch_op.drop_column("manage_token_sealed")
    with op.batch_alter_table("bulk_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_jobs_content_sha256"))
        batch_op.drop_column("content_sha256")
        batch_op.drop_column("reissue")
        batch_op.drop_column("started_at")
