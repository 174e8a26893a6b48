"""Audit you can prove: hash-chain the audit log (seq, prev_hash, hash; existing events are
chained in id order), make audit_events append-only in the database (triggers, see
issuer.audit.ddl), and count failed staff sign-ins in a table every worker shares.

Revision ID: 0002a_audit_integrity
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

import issuer.models
from issuer.audit import chain as audit
from issuer.audit import ddl as audit_ddl

revision = "0002a_audit_integrity"
down_revision = "0001"
branch_labels = None
depends_on = None


def _chain_existing_events() -> None:
    """Give the events already stored their chain fields, in id order."""
    connection = op.get_bind()
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer()),
        sa.column("at", issuer.models.UTCDateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("organisation_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("credential_id", sa.Integer()),
        sa.column("reason", sa.Text()),
        sa.column("details", sa.JSON()),
        sa.column("seq", sa.Integer()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    chained = [SimpleNamespace(**row) for row in rows]
    audit.chain(chained, (0, audit.GENESIS), issuer.models.utcnow())
    for event in chained:
        connection.execute(
            events.update()
            .where(events.c.id == event.id)
            .values(seq=event.seq, prev_hash=event.prev_hash, hash=event.hash)
        )


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])
    audit_ddl.create_triggers(op.get_bind())

    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", issuer.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failures")),
    )
    with op.batch_alter_table("signin_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signin_failures_at"), ["at"], unique=False)
        batch_op.create_index("ix_signin_failures_key_at", ["key", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signin_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_signin_failures_key_at")
        batch_op.drop_index(batch_op.f("ix_signin_failures_at"))
    op.drop_table("signin_failures")

    audit_ddl.drop_triggers(op.get_bind())
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
