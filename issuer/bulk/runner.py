"""Running a bulk job: batches claimed under a lease, signed outside any transaction, written
in one transaction each.

A job's rows are cut into batches (``bulk_batches``, made by ``create_job``). Any number of
workers, in any number of processes or machines, run :func:`work_on_job` for a job: each
claims a pending batch whose lease is free or has run out (a conditional ``UPDATE``), then

1. in a short transaction, reads the batch's pending rows, stores their new learners, refuses
   the rows whose learner already holds a live credential of the specification (unless the job
   re-issues), and reserves the status entries of the rest at once
   (:func:`issuer.credentials.batch.prepare`);
2. signs every row's credential with no transaction open (on its own core);
3. in one transaction, locks the rows, keeps those still pending, and writes the credentials,
   their links and audit events, the rows' outcomes and the job's counters, and marks the batch
   done. ``(bulk_job_id, bulk_line)`` is unique: a row can never be issued twice, even when a
   lease ran out under a slow worker and another took the batch over (the later writer finds
   the rows issued and drops its work, and the status entries it had reserved).

The database is the truth: a worker killed at any point leaves its batch claimed until the
lease runs out; :func:`sweep` (run by every ``microcred worker`` every few seconds) then puts
the job back on the queue, and whichever worker takes it finishes it. No ``resume`` is needed.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from issuer import config
from issuer.bulk.models import BatchState, BulkBatch
from issuer.bulk.sealing import Sealer
from issuer.credentials import batch as issuing
from issuer.credentials.issuance import LearnerInput, process_keys
from issuer.db import transaction
from issuer.errors import is_transient
from issuer.manyrows import among, update_rows
from issuer.models import (
    BulkJob,
    BulkJobRow,
    CredentialState,
    IssuedCredential,
    JobState,
    Organisation,
    RowState,
    Specification,
    StatusEntry,
    utcnow,
)

log = logging.getLogger(__name__)

#: A batch's lease: a worker that has not written its batch by then is taken for dead.
DEFAULT_LEASE = timedelta(seconds=60)
#: How many workers a job asks for at once (the rest of the queue's workers do other jobs).
PARALLEL_TASKS = 8
#: Learner members of a row's data (CSV column → LearnerInput JSON member).
LEARNER_MEMBERS = {
    "reference": "reference",
    "given_name": "givenName",
    "family_name": "familyName",
    "email": "email",
    "date_of_birth": "dateOfBirth",
    "email_in_credential": "emailInCredential",
}
LIVE = (CredentialState.ACTIVE, CredentialState.SUSPENDED)


def worker_name() -> str:
    """This worker's name in a batch's ``claimed_by``: host, process, a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease(app: Flask) -> timedelta:
    """How long a claimed batch stays its worker's (``BULK_LEASE_SECONDS``)."""
    seconds = app.config.get("BULK_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else DEFAULT_LEASE


@dataclass
class _Run:
    """One worker's run of one job: the app, the job's award (loaded once) and the worker."""

    app: Flask
    job_id: int
    worker: str
    award: issuing.BatchAward
    reissue: bool
    sealer: Sealer


def _open_run(app: Flask, session: Session, job: BulkJob, worker: str) -> _Run:
    passphrase = config.key_passphrase(app)
    issuer = session.get_one(Organisation, job.issuer_id)
    award = issuing.BatchAward(
        issuer=issuer,
        specification=session.get_one(Specification, job.specification_id),
        bodies=[session.get_one(Organisation, oid) for oid in job.awarding_body_ids],
        keys=process_keys(passphrase),
        base_url=config.base_url(app),
        actor=job.created_by,
        bulk_job_id=job.id,
    )
    award.data()
    for body in award.bodies:  # load what signing reads, then keep it past the session
        award.keys.keypair(body)
    session.expunge_all()
    return _Run(app, job.id, worker, award, job.reissue, Sealer(passphrase))


def open_signing_keys(app: Flask) -> int:
    """Open (scrypt) in this process the current signing key of every organisation that has
    one; how many were opened. A worker's consumer calls it before it forks its worker
    processes, which then inherit the keys open: no task waits for scrypt, and each key is
    opened once for all of them. An organisation whose key cannot be opened is left to the
    task that needs it (which reports why)."""
    if not app.config.get("KEY_PASSPHRASE"):
        return 0  # nothing can be signed; the tasks say so
    keys = process_keys(config.key_passphrase(app))
    opened = 0
    with transaction(app) as session:
        for organisation in session.scalars(select(Organisation).order_by(Organisation.id)):
            try:
                keys.keypair(organisation)
            except Exception as error:  # no current key, compromised, or sealed otherwise
                log.info("signing key of %s not opened: %s", organisation.slug, error)
                continue
            opened += 1
    return opened


def claim_batch(app: Flask, job_id: int, worker: str) -> int | None:
    """Claim a pending batch of the job whose lease is free or has run out; its id, or None
    when there is none. Marks the job running (and when it started) and beats its heartbeat."""
    now = utcnow()
    free = and_(
        BulkBatch.job_id == job_id,
        BulkBatch.state == BatchState.PENDING,
        or_(BulkBatch.lease_until.is_(None), BulkBatch.lease_until <= now),
    )
    with transaction(app) as session:
        candidates = list(session.scalars(select(BulkBatch.id).where(free).limit(4)))
        for batch_id in candidates:
            claimed = session.execute(
                update(BulkBatch)
                .where(BulkBatch.id == batch_id, free)
                .values(
                    claimed_by=worker,
                    lease_until=now + lease(app),
                    attempts=BulkBatch.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                session.execute(
                    update(BulkJob)
                    .where(BulkJob.id == job_id)
                    .values(
                        state=JobState.RUNNING,
                        started_at=func.coalesce(BulkJob.started_at, now),
                        heartbeat_at=now,
                        updated_at=now,
                    )
                )
                return batch_id
    return None


def _learner(data: dict[str, Any]) -> LearnerInput:
    return LearnerInput.from_json(
        {LEARNER_MEMBERS[c]: v for c, v in data.items() if c in LEARNER_MEMBERS}
    )


def _holders(session: Session, run: _Run, learner_ids: set[int]) -> set[int]:
    """Which of the (stored) learners ``learner_ids`` hold a live credential of the job's
    specification, not issued by this job."""
    if not learner_ids or run.reissue:
        return set()
    return set(
        session.scalars(
            select(IssuedCredential.learner_id).where(
                among(session.get_bind().dialect, IssuedCredential.learner_id, learner_ids),
                IssuedCredential.specification_id == run.award.specification.id,
                IssuedCredential.state.in_(LIVE),
                or_(
                    IssuedCredential.bulk_job_id.is_(None),
                    IssuedCredential.bulk_job_id != run.job_id,
                ),
            )
        )
    )


def _mark_errors(session: Session, job_id: int, errors: dict[int, tuple[str, str]]) -> None:
    """Refuse the still-pending rows of ``errors`` (row id → code, message); count them."""
    if not errors:
        return
    pending = set(
        session.scalars(
            select(BulkJobRow.id).where(
                among(session.get_bind().dialect, BulkJobRow.id, errors),
                BulkJobRow.state == RowState.PENDING,
            )
        )
    )
    if not pending:
        return
    session.execute(
        update(BulkJobRow),
        [
            {
                "id": row_id,
                "state": RowState.ERROR,
                "error_code": errors[row_id][0],
                "error_message": errors[row_id][1],
            }
            for row_id in sorted(pending)
        ],
    )
    session.execute(
        update(BulkJob)
        .where(BulkJob.id == job_id)
        .values(error_rows=BulkJob.error_rows + len(pending))
    )


def _prepare(run: _Run, batch: BulkBatch) -> list[issuing.Prepared]:
    """Step 1: the batch's pending rows with subject ids and status entries (committed)."""
    with transaction(run.app) as session:
        rows = session.execute(
            select(BulkJobRow.id, BulkJobRow.line, BulkJobRow.data)
            .where(
                BulkJobRow.job_id == run.job_id,
                BulkJobRow.id.between(batch.first_row_id, batch.last_row_id),
                BulkJobRow.state == RowState.PENDING,
            )
            .order_by(BulkJobRow.id)
        ).all()
        todo: list[issuing.BatchRow] = []
        errors: dict[int, tuple[str, str]] = {}
        for row_id, line, data in rows:
            try:
                learner = _learner(data)
            except Exception as error:  # checked at upload: only a changed rule gets here
                errors[row_id] = ("invalid_learner", str(error))
                continue
            todo.append(issuing.BatchRow(row_id, line, learner, data.get("grade") or None))
        learners, created = issuing.learners_of(
            session, run.award.specification.partnership_id, [row.learner for row in todo]
        )
        holders = _holders(
            session, run, {learners[ref][0] for ref in set(learners) - created}
        )  # a learner created now holds nothing
        for row in todo:
            if learners[row.learner.reference][0] in holders:
                errors[row.key] = (
                    "already_holds_credential",
                    f"{row.learner.reference!r} holds this credential already; "
                    "upload again with re-issue to issue another",
                )
        _mark_errors(session, run.job_id, errors)
        prepared = issuing.prepare(
            session, run.award, [r for r in todo if r.key not in errors], learners=learners
        )
        session.expunge_all()
        return prepared


def _write(
    run: _Run,
    batch_id: int,
    signed: list[issuing.Signed],
    refused: list[issuing.Refused],
    released: list[int],
) -> None:
    """Step 3: the batch's write transaction (see the module docstring)."""
    now = utcnow()
    with transaction(run.app) as session:
        dialect = session.get_bind().dialect
        if dialect.name == "sqlite":
            # SQLite: the first write takes the database's write lock before anything is read.
            # (PostgreSQL locks the job's row only at the end: every worker's batch updates it.)
            session.execute(
                update(BulkJob)
                .where(BulkJob.id == run.job_id)
                .values(heartbeat_at=now, updated_at=now)
            )
        keys = [s.prepared.row.key for s in signed] + [r.key for r in refused]
        pending = set(
            session.scalars(
                select(BulkJobRow.id)
                .where(among(dialect, BulkJobRow.id, keys), BulkJobRow.state == RowState.PENDING)
                .with_for_update()
            )
        )
        fresh = [s for s in signed if s.prepared.row.key in pending]
        dropped = [
            e for s in signed if s.prepared.row.key not in pending for e in s.prepared.entry_ids
        ]
        dropped += released
        if dropped:  # refused, or issued meanwhile by another worker: the reservations go back
            session.execute(delete(StatusEntry).where(among(dialect, StatusEntry.id, dropped)))
        _mark_errors(session, run.job_id, {r.key: (r.code, r.message) for r in refused})

        def done(stored: list[issuing.Stored]) -> None:
            """The rows, the batch and the job's counters: written last but for the audit
            events, so that the job's row (which every batch updates) and the audit chain are
            locked only from here to commit."""
            if stored:
                update_rows(
                    session.connection(),
                    BulkJobRow.__table__,
                    [
                        {
                            "id": item.key,
                            "state": RowState.ISSUED,
                            "credential_id": item.credential_id,
                            "manage_token_sealed": run.sealer.seal(
                                item.manage_token, row_id=item.key
                            ),
                        }
                        for item in stored
                    ],
                )
            session.execute(
                update(BulkBatch).where(BulkBatch.id == batch_id).values(state=BatchState.DONE)
            )
            session.execute(
                update(BulkJob)
                .where(BulkJob.id == run.job_id)
                .values(
                    heartbeat_at=now,
                    updated_at=now,
                    issued_rows=BulkJob.issued_rows + len(stored),
                )
            )

        issuing.store(session, run.award, fresh, now=now, before_events=done)


def _release(app: Flask, prepared: list[issuing.Prepared]) -> None:
    """Give back the status entries reserved for rows that were not stored."""
    ids = [entry for item in prepared for entry in item.entry_ids]
    if ids:
        with transaction(app) as session:
            session.execute(
                delete(StatusEntry).where(
                    StatusEntry.id.in_(ids), StatusEntry.credential_id.is_(None)
                )
            )


def run_batch(run: _Run, batch_id: int) -> None:
    """Issue a claimed batch (steps 1 to 3), trying again when another worker wrote some of
    its rows first, or when the database aborted a step's transaction to get out of a
    deadlock (:func:`issuer.errors.is_transient`: two workers' reservations waiting on each
    other's rows; nothing of that transaction was kept)."""
    for _attempt in range(3):
        with transaction(run.app) as session:
            batch = session.get_one(BulkBatch, batch_id)
            session.expunge(batch)
        try:
            prepared = _prepare(run, batch)
        except DBAPIError as error:
            _transient_or_raise(run, batch_id, error)
            continue
        outcomes = issuing.sign(run.award, prepared, now=utcnow())
        signed = [o for o in outcomes if isinstance(o, issuing.Signed)]
        refused = [o for o in outcomes if isinstance(o, issuing.Refused)]
        keys = {r.key for r in refused}
        released = [e for p in prepared if p.row.key in keys for e in p.entry_ids]
        try:
            _write(run, batch_id, signed, refused, released)
            return
        except IntegrityError:
            log.info("bulk job %s batch %s: rows written meanwhile; again", run.job_id, batch_id)
            _release(run.app, prepared)
        except DBAPIError as error:
            _transient_or_raise(run, batch_id, error)
            _release(run.app, prepared)
    raise RuntimeError(f"bulk job {run.job_id}: batch {batch_id} keeps colliding")


def _transient_or_raise(run: _Run, batch_id: int, error: DBAPIError) -> None:
    """Return (noting it) when ``error`` aborted a transaction that can simply run again
    (:func:`issuer.errors.is_transient`); else raise it."""
    if not is_transient(error):
        raise error
    log.info("bulk job %s batch %s: %s; again", run.job_id, batch_id, error.orig)


def finish_job(app: Flask, job_id: int) -> bool:
    """Recount the job's counters from its rows (the truth) and mark it done when no batch
    is left; True when the job is done."""
    with transaction(app) as session:
        job = session.get_one(BulkJob, job_id, with_for_update=True)
        left = session.scalar(
            select(func.count())
            .select_from(BulkBatch)
            .where(BulkBatch.job_id == job_id, BulkBatch.state == BatchState.PENDING)
        )
        counts = dict(
            session.execute(
                select(BulkJobRow.state, func.count())
                .where(BulkJobRow.job_id == job_id)
                .group_by(BulkJobRow.state)
            ).all()
        )
        job.issued_rows = counts.get(RowState.ISSUED, 0)
        job.error_rows = counts.get(RowState.ERROR, 0)
        job.updated_at = utcnow()
        if left or counts.get(RowState.PENDING):
            return False
        if job.state is not JobState.DONE:
            job.state = JobState.DONE
            job.failure = None
        return True


def work_on_job(app: Flask, job_id: int, *, stop_after: int | None = None) -> bool:
    """Claim and issue the job's batches until none is left to claim; then, when every batch
    is done, mark the job done. True when this call finished the job.

    A row refused with an ``ApiError`` becomes an error row and the job goes on. Any other
    exception marks the job ``failed`` with the reason (what was issued stays; the job can be
    resumed). ``stop_after`` stops after that many batches, leaving the job as a killed worker
    would (for tests). A done job is left alone."""
    worker = worker_name()
    with transaction(app) as session:
        job = session.get(BulkJob, job_id)
        if job is None or job.state is JobState.DONE:
            return False
        run = _open_run(app, session, job, worker)
    handled = 0
    try:
        while (batch_id := claim_batch(app, job_id, worker)) is not None:
            if stop_after is not None and handled >= stop_after:
                return False
            run_batch(run, batch_id)
            handled += 1
        return finish_job(app, job_id)
    except Exception as error:
        log.exception("bulk job %s failed", job_id)
        fail_job(app, job_id, error)
        return False


def fail_job(app: Flask, job_id: int, error: BaseException) -> None:
    """Mark the job failed with ``error`` as the reason, and free its claimed batches."""
    with transaction(app) as session:
        job = session.get_one(BulkJob, job_id)
        job.state = JobState.FAILED
        job.failure = f"{type(error).__name__}: {error}"[:2000]
        job.updated_at = utcnow()
        session.execute(
            update(BulkBatch)
            .where(BulkBatch.job_id == job_id, BulkBatch.state == BatchState.PENDING)
            .values(lease_until=None)
        )


def reopen_job(session: Session, job: BulkJob) -> None:
    """Make a failed (or stalled) job claimable again: pending, its leases freed. Flushes."""
    if job.state is JobState.DONE:
        return
    job.state = JobState.PENDING
    job.failure = None
    job.heartbeat_at = None
    session.execute(
        update(BulkBatch)
        .where(BulkBatch.job_id == job.id, BulkBatch.state == BatchState.PENDING)
        .values(lease_until=None)
    )
    session.flush()


def stalled_jobs(app: Flask, *, quiet_for: timedelta) -> list[int]:
    """Jobs left without a worker, each claimed here by beating its heartbeat (so that two
    sweeps never both restart one): pending or running, with a batch that is free or whose
    lease ran out, and no worker heard of for ``quiet_for`` (a worker beats the heartbeat at
    every claim and write). Failed jobs wait for a person (``resume``)."""
    now = utcnow()
    cutoff = now - quiet_for
    quiet = and_(
        BulkJob.state.in_((JobState.PENDING, JobState.RUNNING)),
        or_(BulkJob.heartbeat_at.is_(None), BulkJob.heartbeat_at <= cutoff),
        or_(BulkJob.heartbeat_at.is_not(None), BulkJob.created_at <= cutoff),
    )
    claimable = (
        select(BulkBatch.id)
        .where(
            BulkBatch.job_id == BulkJob.id,
            BulkBatch.state == BatchState.PENDING,
            or_(BulkBatch.lease_until.is_(None), BulkBatch.lease_until <= now),
        )
        .exists()
    )
    with transaction(app) as session:
        candidates = list(
            session.scalars(select(BulkJob.id).where(quiet, claimable).order_by(BulkJob.id))
        )
    claimed: list[int] = []
    for job_id in candidates:
        with transaction(app) as session:
            done = session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, quiet)
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(job_id)
    return claimed


def unfinished_jobs(app: Flask) -> list[int]:
    """Running jobs none of whose batches is left (their last worker died before finishing
    them): :func:`finish_job` marks them done."""
    left = (
        select(BulkBatch.id)
        .where(BulkBatch.job_id == BulkJob.id, BulkBatch.state == BatchState.PENDING)
        .exists()
    )
    with transaction(app) as session:
        return list(
            session.scalars(select(BulkJob.id).where(BulkJob.state == JobState.RUNNING, ~left))
        )
