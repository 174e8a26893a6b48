"""The tables of the bulk queue: a job's batches (what a worker claims) and its deliveries
(one e-mail per issued row). Kept beside :mod:`issuer.models` (whose ``Base`` they share, and
which imports this module so that the metadata is whole) to keep that module within size."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from issuer.models import Base, _enum, utcnow


class BatchState(enum.StrEnum):
    """A batch of a bulk job: waiting (or claimed, see its lease) or finished."""

    PENDING = "pending"
    DONE = "done"


class DeliveryState(enum.StrEnum):
    """An e-mail to a learner: queued, handed to the SMTP server, or given up with a reason."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class BulkBatch(Base):
    """A run of consecutive rows of a bulk job (by row id), issued in one transaction.

    A worker claims a batch by setting ``claimed_by`` and ``lease_until`` in a conditional
    update; a batch whose lease has run out (its worker died) may be claimed by another."""

    __tablename__ = "bulk_batches"
    __table_args__ = (Index("ix_bulk_batches_job_state", "job_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_jobs.id"))
    first_row_id: Mapped[int] = mapped_column(Integer)
    last_row_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[BatchState] = mapped_column(_enum(BatchState), default=BatchState.PENDING)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Delivery(Base):
    """The e-mail that tells one learner of a bulk-issued credential, and what became of it."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_jobs.id"), index=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("bulk_job_rows.id"), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
