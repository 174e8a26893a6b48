"""Bulk issuance from an uploaded CSV file, built to survive crashes.

``create_job`` checks the file as a whole (encoding, header, size) and stores one row per data
line, each already checked: a row that cannot be issued is stored as an error with its line
number, so the uploader gets every problem at once. ``run_job`` then issues the pending rows,
each in its own transaction that also marks the row and bumps the job's counters: a crash loses
at most the row in flight, and the job resumes where it stopped (``resume_stale_jobs``). The
unique ``(bulk_job_id, bulk_line)`` of credentials makes issuing a line twice impossible, even
when two workers run one job or a worker dies in between; the loser of such a race marks its row
with the credential the winner stored.

The file: UTF-8 (a byte-order mark is fine), comma-separated (semicolon or tab also, as
spreadsheets in many European locales export them), a header line naming ``REQUIRED_COLUMNS``
and any of ``OPTIONAL_COLUMNS``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from flask import Flask
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer import config
from issuer.credentials.issuance import (
    Issued,
    LearnerInput,
    SigningKeys,
    check_awarding_bodies,
    clean_grade,
    iso_time,
    issue_credential,
)
from issuer.db import session_factory, transaction
from issuer.errors import ApiError, InvalidInput
from issuer.models import (
    AuditEvent,
    BulkJob,
    BulkJobRow,
    IssuedCredential,
    JobState,
    Organisation,
    RowState,
    Specification,
    utcnow,
)

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("reference", "given_name", "family_name")
OPTIONAL_COLUMNS = ("email", "date_of_birth", "grade")
# CSV column → the LearnerInput JSON member it fills
LEARNER_MEMBERS = {
    "reference": "reference",
    "given_name": "givenName",
    "family_name": "familyName",
    "email": "email",
    "date_of_birth": "dateOfBirth",
}
MAX_ROWS = 50_000
INSERT_CHUNK = 2_000  # rows per bulk INSERT
BATCH = 50  # pending rows fetched at a time by run_job
# SQLite has one writer at a time and no fair queue: a waiting writer polls every 100 ms, and a
# worker whose transactions follow each other without a gap would starve the web requests (each
# API call writes its token's last use). So on SQLite the worker pauses now and then for longer
# than one poll: writes wait at most about PAUSE_EVERY, for ~10% of the job's speed.
PAUSE_EVERY = 1.0  # seconds of work
PAUSE_FOR = 0.12  # seconds
BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


#: A running job whose heartbeat is older than this may be resumed (its worker died).
STALE_JOB = timedelta(minutes=2)


# --- reading the file -------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    if content.startswith(BOM):
        content = content[len(BOM) :]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise InvalidInput(
            f"the file is not UTF-8 text (line {line}); save it as 'CSV UTF-8'",
            code="bad_encoding",
            details={"line": line, "byte": error.start},
        ) from None


def _column(name: str) -> str:
    """A header cell as a column name: trimmed, lower case, spaces and hyphens as ``_``."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def _delimiter(first_line: str) -> str:
    return max(DELIMITERS, key=first_line.count)


def _header(cells: list[str]) -> list[str]:
    columns = [_column(cell) for cell in cells]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(
            "the header line lacks required columns: " + ", ".join(missing),
            code="missing_columns",
            details={"missing": missing, "required": list(REQUIRED_COLUMNS)},
        )
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise InvalidInput(
            "the header line has unknown columns: " + ", ".join(unknown),
            code="unknown_columns",
            details={"unknown": unknown, "allowed": [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]},
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InvalidInput(
            "the header line names a column twice: " + ", ".join(repeated),
            code="duplicate_columns",
            details={"repeated": repeated},
        )
    return columns


def _records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's columns and the data records with the file line each starts on (the header
    is line 1; a quoted cell may span lines; blank lines are skipped)."""
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    records: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _header(cells)
                continue
            if len(records) == MAX_ROWS:
                raise InvalidInput(
                    f"the file has more than {MAX_ROWS:,} rows; split it",
                    code="too_many_rows",
                    details={"maximum": MAX_ROWS},
                )
            records.append((start, cells))
    except csv.Error as error:
        raise InvalidInput(
            f"the file is not valid CSV near line {reader.line_num}: {error}",
            code="malformed_csv",
            details={"line": reader.line_num},
        ) from None
    if header is None or not records:
        raise InvalidInput(
            "the file has no data rows" if header else "the file is empty", code="empty_file"
        )
    return header, records


def _check_row(columns: list[str], cells: list[str]) -> tuple[dict[str, str], str | None, str]:
    """(row data by column, error code or None, error message). The data is checked as sent;
    what is kept of a refused row (for its report) has any NUL replaced by U+FFFD."""
    data = {
        column: (cells[n].strip() if n < len(cells) else "") for n, column in enumerate(columns)
    }
    code, message = _row_problem(columns, cells, data)
    if code is not None:
        data = {column: value.replace("\x00", "\ufffd") for column, value in data.items()}
    return data, code, message


def _row_problem(
    columns: list[str], cells: list[str], data: dict[str, str]
) -> tuple[str | None, str]:
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        return "extra_cells", f"{len(cells)} cells; the header has {len(columns)}"
    try:
        LearnerInput.from_json({LEARNER_MEMBERS[c]: v for c, v in data.items() if c != "grade"})
    except InvalidInput as error:
        fields = {v: k for k, v in LEARNER_MEMBERS.items()}
        problems = error.details["fields"]
        message = "; ".join(f"{fields.get(f, f)}: {p}" for f, p in problems.items())
        return "invalid_learner", message
    try:
        clean_grade(data.get("grade"))
    except InvalidInput as error:
        return "invalid_grade", f"grade: {error.details['fields']['grade']}"
    return None, ""


def _filename(name: str) -> str:
    """The upload's base name as stored: no folders, no control characters (NUL included:
    PostgreSQL refuses it in text), at most 300 characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = CONTROL_CHARACTERS.sub("", base.encode("utf-8", "replace").decode("utf-8")).strip()
    return base[:300] or "upload.csv"


@dataclass(frozen=True)
class CheckedRow:
    """One data record of an upload: its first line, its cells by column, and the error code
    and message that keep it from being issued (``code`` None: it can be issued)."""

    line: int
    data: dict[str, str]
    code: str | None
    message: str


def read_rows(content: bytes) -> tuple[list[str], list[CheckedRow]]:
    """The columns and every checked data record of an uploaded CSV file.

    Any bytes give either rows (each with a per-row ``code``: ``invalid_learner``,
    ``invalid_grade``, ``extra_cells``, ``duplicate_learner``) or ``InvalidInput`` for the
    whole file (``bad_encoding``, ``empty_file``, ``missing_columns``, ``unknown_columns``,
    ``duplicate_columns``, ``malformed_csv``, ``too_many_rows``); never another exception.
    """
    columns, records = _records(_decode(content))
    seen_on: dict[str, int] = {}  # reference → the line it first appears on
    rows: list[CheckedRow] = []
    for line, cells in records:
        data, code, message = _check_row(columns, cells)
        reference = data.get("reference", "")
        if code is None and reference in seen_on:
            code = "duplicate_learner"
            message = f"reference {reference!r} is on line {seen_on[reference]} already"
        if reference and reference not in seen_on:
            seen_on[reference] = line
        rows.append(CheckedRow(line, data, code, message))
    return columns, rows


def create_job(
    session: Session,
    *,
    issuer: Organisation,
    specification: Specification,
    awarding_bodies: Sequence[Organisation],
    filename: str,
    content: bytes,
    actor: str,
    now: datetime | None = None,
) -> BulkJob:
    """Check an uploaded CSV and store it as a pending job, one row per data line.

    A problem of the whole file raises ``InvalidInput``: ``bad_encoding`` (not UTF-8),
    ``empty_file``, ``missing_columns``, ``unknown_columns``, ``duplicate_columns``,
    ``malformed_csv``, ``too_many_rows`` (above ``MAX_ROWS``), and the awarding-body codes of
    ``check_awarding_bodies``. A bad row is stored as an error with its line and one of
    ``invalid_learner``, ``invalid_grade``, ``extra_cells`` or ``duplicate_learner`` (the
    reference appeared on an earlier line). Flushes; the caller commits, then ``start_job``.
    """
    now = now or utcnow()
    bodies = check_awarding_bodies(issuer, specification, awarding_bodies)
    _, checked = read_rows(content)
    job = BulkJob(
        partnership_id=specification.partnership_id,
        issuer_id=issuer.id,
        specification_id=specification.id,
        awarding_body_ids=[body.id for body in bodies],
        filename=_filename(filename),
        state=JobState.PENDING,
        total_rows=len(checked),
        issued_rows=0,
        error_rows=0,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    rows = [
        {
            "job_id": job.id,
            "line": row.line,
            "data": row.data,
            "state": RowState.ERROR if row.code else RowState.PENDING,
            "error_code": row.code,
            "error_message": row.message or None,
        }
        for row in checked
    ]
    job.error_rows = sum(1 for row in rows if row["state"] is RowState.ERROR)
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(BulkJobRow), rows[start : start + INSERT_CHUNK])
    session.add(
        AuditEvent(
            actor=actor,
            action="bulk_upload",
            organisation_id=issuer.id,
            details={
                "bulkJob": job.id,
                "filename": job.filename,
                "specification": specification.slug,
                "rows": job.total_rows,
                "errorRows": job.error_rows,
            },
        )
    )
    session.flush()
    return job


# --- running a job ----------------------------------------------------------------------------


class _Worker:
    """One run of a job: the app's settings and the signing keys opened once for the run."""

    def __init__(self, app: Flask, job_id: int) -> None:
        passphrase = app.config.get("KEY_PASSPHRASE")
        if not passphrase:
            raise RuntimeError("KEY_PASSPHRASE is not configured: credentials cannot be signed")
        self.app = app
        self.job_id = job_id
        self.base_url = config.base_url(app)
        self.passphrase = passphrase.encode() if isinstance(passphrase, str) else passphrase
        self.keys = SigningKeys(self.passphrase)
        self.sqlite = session_factory(app).kw["bind"].dialect.name == "sqlite"
        self.last_pause = time.monotonic()

    def pause_for_others(self) -> None:
        """On SQLite, now and then leave the database to other writers (see PAUSE_EVERY)."""
        if self.sqlite and time.monotonic() - self.last_pause >= PAUSE_EVERY:
            time.sleep(PAUSE_FOR)
            self.last_pause = time.monotonic()

    def _touch(self, session: Session, **counters: Any) -> None:
        """Beat the job's heartbeat (and bump counters) — the row transaction's first write, so
        on SQLite it begins the transaction before any SAVEPOINT and takes the write lock."""
        now = utcnow()
        session.execute(
            update(BulkJob)
            .where(BulkJob.id == self.job_id)
            .values(heartbeat_at=now, updated_at=now, **counters)
        )

    def process(self, row_id: int) -> None:
        """Issue row ``row_id`` in its own transaction, or record why it cannot be issued."""
        for _attempt in range(3):
            try:
                with transaction(self.app) as session:
                    self._touch(session)
                    row = session.scalar(
                        select(BulkJobRow).where(BulkJobRow.id == row_id).with_for_update()
                    )
                    if row is None or row.state is not RowState.PENDING:
                        return  # done meanwhile by another worker
                    issued = self._issue(session, row)
                    row.state = RowState.ISSUED
                    row.credential_id = issued.credential.id
                    self._touch(session, issued_rows=BulkJob.issued_rows + 1)
                return
            except ApiError as error:
                with transaction(self.app) as session:
                    self._mark_error(session, row_id, error.code, error.message)
                return
            except IntegrityError:
                # Either this line was issued by a worker that died before marking it (or by
                # one running at the same time), or a concurrent insert collided: look and see.
                with transaction(self.app) as session:
                    if self._adopt(session, row_id):
                        return
        raise RuntimeError(f"bulk job {self.job_id}: row {row_id} keeps colliding")

    def _issue(self, session: Session, row: BulkJobRow) -> Issued:
        job = session.get_one(BulkJob, self.job_id)
        issuer = session.get_one(Organisation, job.issuer_id)
        specification = session.get_one(Specification, job.specification_id)
        bodies = [session.get_one(Organisation, oid) for oid in job.awarding_body_ids]
        data = row.data
        learner = LearnerInput.from_json(
            {LEARNER_MEMBERS[c]: v for c, v in data.items() if c in LEARNER_MEMBERS}
        )
        return issue_credential(
            session,
            issuer=issuer,
            specification=specification,
            learner=learner,
            awarding_bodies=bodies,
            actor=job.created_by,
            base_url=self.base_url,
            passphrase=self.passphrase,
            grade=data.get("grade") or None,
            bulk_job_id=job.id,
            bulk_line=row.line,
            signing_keys=self.keys,
        )

    def _mark_error(self, session: Session, row_id: int, code: str, message: str) -> None:
        self._touch(session)
        row = session.get_one(BulkJobRow, row_id, with_for_update=True)
        if row.state is RowState.PENDING:
            row.state = RowState.ERROR
            row.error_code = code
            row.error_message = message
            self._touch(session, error_rows=BulkJob.error_rows + 1)

    def _adopt(self, session: Session, row_id: int) -> bool:
        """Mark the row issued with the credential stored for its line, if there is one."""
        self._touch(session)
        row = session.get_one(BulkJobRow, row_id, with_for_update=True)
        credential_id = session.scalar(
            select(IssuedCredential.id).where(
                IssuedCredential.bulk_job_id == self.job_id,
                IssuedCredential.bulk_line == row.line,
            )
        )
        if credential_id is None:
            return False
        if row.state is RowState.PENDING:
            row.state = RowState.ISSUED
            row.credential_id = credential_id
            self._touch(session, issued_rows=BulkJob.issued_rows + 1)
        return True

    def pending(self, after_id: int) -> list[int]:
        """The next batch of pending row ids, in file order."""
        with transaction(self.app) as session:
            return list(
                session.scalars(
                    select(BulkJobRow.id)
                    .where(
                        BulkJobRow.job_id == self.job_id,
                        BulkJobRow.state == RowState.PENDING,
                        BulkJobRow.id > after_id,
                    )
                    .order_by(BulkJobRow.id)
                    .limit(BATCH)
                )
            )

    def finish(self) -> None:
        """Mark the job done, with counters recounted from its rows (the truth)."""
        with transaction(self.app) as session:
            counts = dict(
                session.execute(
                    select(BulkJobRow.state, func.count())
                    .where(BulkJobRow.job_id == self.job_id)
                    .group_by(BulkJobRow.state)
                ).all()
            )
            job = session.get_one(BulkJob, self.job_id, with_for_update=True)
            job.issued_rows = counts.get(RowState.ISSUED, 0)
            job.error_rows = counts.get(RowState.ERROR, 0)
            if not counts.get(RowState.PENDING):
                job.state = JobState.DONE
                job.failure = None
            job.updated_at = utcnow()


def run_job(app: Flask, job_id: int, *, stop_after: int | None = None) -> None:
    """Issue the job's pending rows, each in its own transaction, then mark the job done.

    A row refused with an ``ApiError`` becomes an error row and the job goes on. Any other
    exception marks the job ``failed`` with the reason; what was issued stays, and running the
    job again resumes it. ``stop_after`` stops after that many rows, leaving the job
    ``running`` as a crashed worker would (for tests). A done job is left alone.
    """
    with transaction(app) as session:
        job = session.get(BulkJob, job_id)
        if job is None or job.state is JobState.DONE:
            return
        job.state = JobState.RUNNING
        job.failure = None
        job.heartbeat_at = job.updated_at = utcnow()
    handled = 0
    try:
        worker = _Worker(app, job_id)
        last_id = 0
        while batch := worker.pending(last_id):
            for row_id in batch:
                if stop_after is not None and handled >= stop_after:
                    return
                worker.process(row_id)
                worker.pause_for_others()
                handled += 1
                last_id = row_id
        worker.finish()
    except Exception as error:
        log.exception("bulk job %s failed", job_id)
        with transaction(app) as session:
            job = session.get_one(BulkJob, job_id)
            job.state = JobState.FAILED
            job.failure = f"{type(error).__name__}: {error}"[:2000]
            job.updated_at = utcnow()


def start_job(app: Flask, job_id: int) -> None:
    """Run the job now (``BULK_WORKER = "inline"``) or in a daemon thread (``"thread"``)."""
    mode = app.config.get("BULK_WORKER", "thread")
    if mode == "inline":
        run_job(app, job_id)
    elif mode == "thread":
        threading.Thread(
            target=run_job, args=(app, job_id), name=f"bulk-job-{job_id}", daemon=True
        ).start()
    else:
        raise ValueError(f"BULK_WORKER must be 'inline' or 'thread', not {mode!r}")


def resume_stale_jobs(app: Flask, *, stale_after: timedelta = timedelta(minutes=2)) -> list[int]:
    """Start again the jobs whose worker seems gone: running with a heartbeat older than
    ``stale_after``, or pending (never started) for longer than that. Each job is claimed by a
    conditional update first, so two callers never both resume one. Returns the jobs' ids."""
    cutoff = utcnow() - stale_after
    stale = or_(
        and_(
            BulkJob.state == JobState.RUNNING,
            or_(BulkJob.heartbeat_at.is_(None), BulkJob.heartbeat_at <= cutoff),
        ),
        and_(BulkJob.state == JobState.PENDING, BulkJob.created_at <= cutoff),
    )
    claimed: list[int] = []
    with transaction(app) as session:
        candidates = list(session.scalars(select(BulkJob.id).where(stale).order_by(BulkJob.id)))
    for job_id in candidates:
        with transaction(app) as session:
            result = session.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id, stale)
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(job_id)
    for job_id in claimed:
        start_job(app, job_id)
    return claimed


# --- reporting --------------------------------------------------------------------------------


def job_json(job: BulkJob) -> dict[str, Any]:
    """The API's view of a job and its progress."""
    return {
        "id": job.id,
        "state": job.state.value,
        "totalRows": job.total_rows,
        "issuedRows": job.issued_rows,
        "errorRows": job.error_rows,
        "pendingRows": max(job.total_rows - job.issued_rows - job.error_rows, 0),
        "filename": job.filename,
        "createdAt": iso_time(job.created_at),
        "updatedAt": iso_time(job.updated_at),
        "failure": job.failure,
    }


def _cell(value: Any) -> str:
    """A cell safe to open in a spreadsheet: text starting like a formula gets a leading ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def job_errors_csv(session: Session, job: BulkJob) -> str:
    """The job's error rows as CSV (``line,reference,code,message``), in file order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["line", "reference", "code", "message"])
    rows = session.execute(
        select(BulkJobRow.line, BulkJobRow.data, BulkJobRow.error_code, BulkJobRow.error_message)
        .where(BulkJobRow.job_id == job.id, BulkJobRow.state == RowState.ERROR)
        .order_by(BulkJobRow.line)
    )
    for line, data, code, message in rows:
        writer.writerow(
            [line, _cell((data or {}).get("reference", "")), code or "", _cell(message or "")]
        )
    return out.getvalue()
