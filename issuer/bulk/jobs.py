"""Bulk issuance from an uploaded CSV file, built to survive crashes.

``create_job`` checks the file as a whole (encoding, header, size) and stores one row per data
line, each already checked: a row that cannot be issued is stored as an error with its line
number, so the uploader gets every problem at once; a learner who already holds a live
credential of the specification is refused (``already_holds_credential``) unless the upload
asks to issue again, and the same file uploaded twice is refused (``same_file``) unless the
upload says it means it. The rows are cut into batches that the queue's workers issue
(:mod:`issuer.bulk.runner`).

The file: UTF-8 (a byte-order mark is fine), comma-separated (semicolon or tab also, as
spreadsheets in many European locales export them), a header line naming ``REQUIRED_COLUMNS``
and any of ``OPTIONAL_COLUMNS``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from issuer.bulk import wording
from issuer.bulk.models import BatchState, BulkBatch
from issuer.credentials.issuance import (
    LearnerInput,
    check_awarding_bodies,
    clean_grade,
    iso_time,
)
from issuer.errors import Conflict, InvalidInput
from issuer.manyrows import insert_rows
from issuer.models import (
    AuditEvent,
    BulkJob,
    BulkJobRow,
    CredentialState,
    IssuedCredential,
    JobState,
    Learner,
    Organisation,
    RowState,
    Specification,
    utcnow,
)

REQUIRED_COLUMNS = ("reference", "given_name", "family_name")
OPTIONAL_COLUMNS = ("email", "email_in_credential", "date_of_birth", "grade", "language")
#: The languages a learner may be written to in (the ``language`` column; English by default).
LANGUAGES = ("en", "da")
# CSV column → the LearnerInput JSON member it fills
LEARNER_MEMBERS = {
    "reference": "reference",
    "given_name": "givenName",
    "family_name": "familyName",
    "email": "email",
    "date_of_birth": "dateOfBirth",
    "email_in_credential": "emailInCredential",
}
#: The most rows one upload may have. 200,000 rows is ~11 MB of CSV (below the 20 MiB upload
#: limit with room for long names), is stored by ``create_job`` in a few seconds with memory
#: that stays flat (rows are inserted in chunks), and is issued in minutes by the queue's
#: workers (docs/performance.md); a larger cohort is split into files.
MAX_ROWS = 200_000
INSERT_CHUNK = 2_000  # rows per bulk INSERT
#: Rows per batch: what one worker signs and writes in one transaction.
BATCH_ROWS = 200
BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


#: A running job whose heartbeat is older than this may be resumed by hand (its worker died;
#: the queue's sweep takes it over by itself once its batch's lease runs out).
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
    language = data.get("language", "")
    if language and language.lower() not in LANGUAGES:
        return "invalid_language", f"language: must be one of {', '.join(LANGUAGES)}"
    try:
        LearnerInput.from_json(
            {LEARNER_MEMBERS[c]: v for c, v in data.items() if c in LEARNER_MEMBERS}
        )
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


def same_file_jobs(session: Session, specification: Specification, digest: str) -> list[int]:
    """The partnership's earlier jobs of ``specification`` whose upload had this SHA-256."""
    return list(
        session.scalars(
            select(BulkJob.id)
            .where(
                BulkJob.partnership_id == specification.partnership_id,
                BulkJob.specification_id == specification.id,
                BulkJob.content_sha256 == digest,
            )
            .order_by(BulkJob.id)
        )
    )


def holders(session: Session, specification: Specification, references: Sequence[str]) -> set[str]:
    """Which of ``references`` (learners of the specification's partnership) hold a live
    (active or suspended) credential of ``specification``."""
    found: set[str] = set()
    for start in range(0, len(references), 1000):
        found.update(
            session.scalars(
                select(Learner.reference)
                .join(IssuedCredential, IssuedCredential.learner_id == Learner.id)
                .where(
                    Learner.partnership_id == specification.partnership_id,
                    Learner.reference.in_(references[start : start + 1000]),
                    IssuedCredential.specification_id == specification.id,
                    IssuedCredential.state.in_((CredentialState.ACTIVE, CredentialState.SUSPENDED)),
                )
            )
        )
    return found


def create_job(
    session: Session,
    *,
    issuer: Organisation,
    specification: Specification,
    awarding_bodies: Sequence[Organisation],
    filename: str,
    content: bytes,
    actor: str,
    reissue: bool = False,
    same_file: bool = False,
    now: datetime | None = None,
) -> BulkJob:
    """Check an uploaded CSV and store it as a pending job, one row per data line, cut into
    batches of ``BATCH_ROWS``.

    A problem of the whole file raises ``InvalidInput``: ``bad_encoding`` (not UTF-8),
    ``empty_file``, ``missing_columns``, ``unknown_columns``, ``duplicate_columns``,
    ``malformed_csv``, ``too_many_rows`` (above ``MAX_ROWS``), and the awarding-body codes of
    ``check_awarding_bodies``; ``Conflict`` ``same_file`` when an earlier job of the
    specification had the very same file, unless ``same_file`` says the caller means it. A bad
    row is stored as an error with its line and one of ``invalid_learner``, ``invalid_grade``,
    ``invalid_language``, ``extra_cells``, ``duplicate_learner`` (the reference appeared on an
    earlier line) or ``already_holds_credential`` (the learner holds a live credential of the
    specification; not when ``reissue``). Flushes; the caller commits, then ``start_job``.
    """
    now = now or utcnow()
    bodies = check_awarding_bodies(issuer, specification, awarding_bodies)
    _, checked = read_rows(content)
    digest = hashlib.sha256(content).hexdigest()
    earlier = same_file_jobs(session, specification, digest)
    if earlier and not same_file:
        raise Conflict(
            f"this file was uploaded before (job {earlier[-1]}); upload it again only if you "
            "mean to (sameFile)",
            code="same_file",
            details={"jobs": earlier},
        )
    held = set()
    if not reissue:
        held = holders(session, specification, [r.data["reference"] for r in checked if not r.code])
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
        reissue=reissue,
        content_sha256=digest,
    )
    session.add(job)
    session.flush()
    rows = []
    for row in checked:
        code, message = row.code, row.message
        if code is None and row.data["reference"] in held:
            code = "already_holds_credential"
            message = (
                f"{row.data['reference']!r} holds this credential already; "
                "upload again with re-issue to issue another"
            )
        rows.append(
            {
                "job_id": job.id,
                "line": row.line,
                "data": row.data,
                "state": RowState.ERROR if code else RowState.PENDING,
                "error_code": code,
                "error_message": message or None,
            }
        )
    job.error_rows = sum(1 for row in rows if row["state"] is RowState.ERROR)
    connection = session.connection()
    for start in range(0, len(rows), INSERT_CHUNK):  # one statement a chunk (issuer.manyrows)
        insert_rows(connection, BulkJobRow.__table__, rows[start : start + INSERT_CHUNK])
    _cut_batches(session, job)
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
                "reissue": reissue,
            },
        )
    )
    session.flush()
    return job


def _cut_batches(session: Session, job: BulkJob) -> None:
    """Cut the job's pending rows, in file order, into batches of ``BATCH_ROWS``."""
    ids = list(
        session.scalars(
            select(BulkJobRow.id)
            .where(BulkJobRow.job_id == job.id, BulkJobRow.state == RowState.PENDING)
            .order_by(BulkJobRow.id)
        )
    )
    batches = [
        {
            "job_id": job.id,
            "first_row_id": ids[start],
            "last_row_id": ids[min(start + BATCH_ROWS, len(ids)) - 1],
            "state": BatchState.PENDING,
            "attempts": 0,
        }
        for start in range(0, len(ids), BATCH_ROWS)
    ]
    for start in range(0, len(batches), INSERT_CHUNK):
        session.execute(insert(BulkBatch), batches[start : start + INSERT_CHUNK])


# --- reporting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pace:
    """How fast a job goes: rows finished per second since it started, and the seconds left
    at that pace (None until there is a pace to tell)."""

    rows_per_second: float | None
    seconds_left: float | None


def pace(job: BulkJob, *, now: datetime | None = None) -> Pace:
    """The job's pace from its start (the first batch claimed) to ``now`` (to its last update
    for a finished job). Rows refused at upload do not count: they took no time."""
    if job.started_at is None:
        return Pace(None, None)
    end = job.updated_at if job.state in (JobState.DONE, JobState.FAILED) else (now or utcnow())
    seconds = (end - job.started_at).total_seconds()
    done = job.issued_rows + job.error_rows
    left = max(job.total_rows - done, 0)
    if seconds <= 0 or done == 0:
        return Pace(None, None)
    rate = done / seconds
    return Pace(round(rate, 1), round(left / rate, 1) if job.state is not JobState.DONE else 0.0)


def job_json(job: BulkJob, *, now: datetime | None = None) -> dict[str, Any]:
    """The API's view of a job and its progress (``rowsPerSecond``, ``secondsLeft``: null
    until the job has a pace)."""
    speed = pace(job, now=now)
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
        "reissue": job.reissue,
        "rowsPerSecond": speed.rows_per_second,
        "secondsLeft": speed.seconds_left,
    }


def _cell(value: Any) -> str:
    """A cell safe to open in a spreadsheet: text starting like a formula gets a leading ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def job_errors_csv(session: Session, job: BulkJob) -> str:
    """The job's error rows as CSV (``line,reference,code,reason,message``), in file order: the
    stable code, the reason in words in the request's language (:func:`wording.reason`) and the
    technical message."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["line", "reference", "code", "reason", "message"])
    rows = session.execute(
        select(BulkJobRow.line, BulkJobRow.data, BulkJobRow.error_code, BulkJobRow.error_message)
        .where(BulkJobRow.job_id == job.id, BulkJobRow.state == RowState.ERROR)
        .order_by(BulkJobRow.line)
    )
    for line, data, code, message in rows:
        writer.writerow(
            [
                line,
                _cell((data or {}).get("reference", "")),
                code or "",
                _cell(wording.reason(code, message)),
                _cell(message or ""),
            ]
        )
    return out.getvalue()
