"""Bulk issuance from CSV: checking the file, rows with line numbers, issuing each valid row
exactly once across crashes, resumes and concurrent workers."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

import issuer.bulk.jobs as bulk
from issuer.bulk import runner
from issuer.bulk.jobs import create_job, job_errors_csv, job_json
from issuer.bulk.models import BulkBatch
from issuer.bulk.queue import start_job
from issuer.bulk.runner import work_on_job as run_job
from issuer.credentials import batch
from issuer.credentials.issuance import LearnerInput, issue_credential
from issuer.db import transaction
from issuer.errors import InvalidInput
from issuer.models import (
    BulkJob,
    BulkJobRow,
    IssuedCredential,
    JobState,
    Organisation,
    RowState,
    Specification,
    StatusEntry,
    utcnow,
)

from .conftest import BASE_URL, PASSPHRASE

HEADER = "reference,given_name,family_name,email,date_of_birth,grade\n"


def rows_csv(count: int, *, start: int = 0, prefix: str = "S") -> bytes:
    lines = [HEADER]
    for n in range(start, start + count):
        lines.append(f"{prefix}-{n},Given {n},Family {n},l{n}@example.org,2000-01-02,Pass\n")
    return "".join(lines).encode()


def _create(
    app, demo, content: bytes, *, bodies=(0,), issuer=None, filename="cohort.csv", reissue=False
) -> int:
    with transaction(app) as session:
        orgs = [session.get(Organisation, demo.organisations[n].id) for n in bodies]
        job = create_job(
            session,
            issuer=orgs[0] if issuer is None else session.get(Organisation, issuer),
            specification=session.get(Specification, demo.specification.id),
            awarding_bodies=orgs,
            filename=filename,
            content=content,
            actor="token:test",
            reissue=reissue,
            same_file=True,
        )
        return job.id


def _job(app, job_id):
    with transaction(app) as session:
        return session.get(BulkJob, job_id)


def _rows(app, job_id):
    with transaction(app) as session:
        return session.scalars(
            select(BulkJobRow).where(BulkJobRow.job_id == job_id).order_by(BulkJobRow.line)
        ).all()


def _credentials(app, job_id):
    with transaction(app) as session:
        return session.scalars(
            select(IssuedCredential).where(IssuedCredential.bulk_job_id == job_id)
        ).all()


def _assert_each_valid_row_issued_once(app, job_id, valid: int, errors: int = 0):
    job = _job(app, job_id)
    assert job.state is JobState.DONE, job.failure
    assert (job.issued_rows, job.error_rows, job.total_rows) == (valid, errors, valid + errors)
    credentials = _credentials(app, job_id)
    assert len(credentials) == valid
    rows = {row.line: row for row in _rows(app, job_id)}
    assert len({c.bulk_line for c in credentials}) == valid
    for credential in credentials:
        row = rows[credential.bulk_line]
        assert row.state is RowState.ISSUED and row.credential_id == credential.id
    assert sum(row.state is RowState.PENDING for row in rows.values()) == 0


def test_create_job_checks_every_row_and_keeps_line_numbers(app, demo):
    content = (
        HEADER
        + "S-1,Ana,Andersen,ana@example.org,2001-04-05,Pass\n"  # line 2
        + "S-2,Bo,,bo@example,,\n"  # line 3: family name missing, bad e-mail
        + "\n"  # line 4: blank, skipped
        + 'S-3,"Carl, Jr.","Multi\nLine",,,\n'  # lines 5-6: one record (a newline in a name)
        + "S-1,Ana,Again,,,\n"  # line 7: duplicate of line 2
        + "S-4,Dora,Dahl,,31-12-1999,\n"  # line 8: bad date
        + "S-5,Eva,Ek,,,Good,extra\n"  # line 9: more cells than the header
        + "S-6,Finn,Fog\n"  # line 10: short row, optional cells left out
        + 'S-7,Gus,Grim,,,"Pass\nwith merit"\n'  # lines 11-12: a line break in the grade
    ).encode()
    job_id = _create(app, demo, content)
    job = _job(app, job_id)
    assert (job.total_rows, job.error_rows, job.issued_rows) == (8, 6, 0)
    assert job.state is JobState.PENDING and job.filename == "cohort.csv"
    found = {row.line: (row.state, row.error_code) for row in _rows(app, job_id)}
    assert found == {
        2: (RowState.PENDING, None),
        3: (RowState.ERROR, "invalid_learner"),
        5: (RowState.ERROR, "invalid_learner"),  # a line break in a name is refused
        7: (RowState.ERROR, "duplicate_learner"),
        8: (RowState.ERROR, "invalid_learner"),
        9: (RowState.ERROR, "extra_cells"),
        10: (RowState.PENDING, None),
        11: (RowState.ERROR, "invalid_grade"),
    }
    with transaction(app) as session:
        report = job_errors_csv(session, session.get(BulkJob, job_id))
    parsed = list(csv.reader(io.StringIO(report)))
    assert parsed[0] == ["line", "reference", "code", "reason", "message"]
    assert [(r[0], r[1], r[2]) for r in parsed[1:]] == [
        ("3", "S-2", "invalid_learner"),
        ("5", "S-3", "invalid_learner"),
        ("7", "S-1", "duplicate_learner"),
        ("8", "S-4", "invalid_learner"),
        ("9", "S-5", "extra_cells"),
        ("11", "S-7", "invalid_grade"),
    ]
    assert "family_name" in parsed[1][4] and "email" in parsed[1][4]  # names the CSV columns
    assert "2" in parsed[3][4]  # the duplicate names the line it repeats
    # the reason in words, for people (issue 17)
    assert parsed[1][3] == "Family name is missing. E-mail address is not an e-mail address."
    assert parsed[3][3] == "The same learner reference is on line 2 already."
    assert parsed[4][3] == "Date of birth must be a date written YYYY-MM-DD."
    assert parsed[5][3] == "The row has more cells than the header line has columns."
    assert parsed[6][3] == "Grade must be one line, without tabs or line breaks."


FILE_PROBLEMS = [
    ("reference,given_name,family_name\nS-1,Jørgen,Hansen\n".encode("latin-1"), "bad_encoding"),
    ("reference,given_name,family_name\n".encode("utf-16"), "bad_encoding"),
    (b"", "empty_file"),
    (b"\xef\xbb\xbf\r\n\r\n", "empty_file"),
    (b"reference,given_name,family_name\n", "empty_file"),
    (b"reference,given_name\nS-1,Ana\n", "missing_columns"),
    (b"reference,given_name,family_name,shoe_size\nS-1,A,B,42\n", "unknown_columns"),
    (b"reference,given_name,family_name,email,EMAIL\nS-1,A,B,a@b.c,a@b.c\n", "duplicate_columns"),
    (b'reference,given_name,family_name\nS-1,"A,B\n', "malformed_csv"),
    (b'reference,given_name,family_name\nS-1,"A"x,B\n', "malformed_csv"),
]


def test_file_level_problems(app, demo):
    for content, code in FILE_PROBLEMS:
        with pytest.raises(InvalidInput) as caught:
            _create(app, demo, content)
        assert caught.value.code == code, content
        if code == "missing_columns":
            assert caught.value.details["missing"] == ["family_name"]
        if code == "unknown_columns":
            assert caught.value.details["unknown"] == ["shoe_size"]
        if code == "bad_encoding":
            assert caught.value.details["line"] in (1, 2)
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(BulkJob)) == 0


def test_bom_semicolons_crlf_and_spreadsheet_headers_are_accepted(app, demo):
    content = "\ufeffReference;Given Name;Family-Name\r\nS-1;Zoë;Ørsted\r\n".encode()
    job_id = _create(app, demo, content, filename="C:\\Users\\me\\Hold 3.csv")
    [row] = _rows(app, job_id)
    assert row.state is RowState.PENDING and row.line == 2
    assert row.data == {"reference": "S-1", "given_name": "Zoë", "family_name": "Ørsted"}
    assert _job(app, job_id).filename == "Hold 3.csv"


def test_too_many_rows(app, demo):
    with pytest.raises(InvalidInput) as caught:
        _create(app, demo, rows_csv(bulk.MAX_ROWS + 1))
    assert caught.value.code == "too_many_rows"


def test_ten_thousand_rows_are_stored_quickly(app, demo):
    content = rows_csv(10_000)
    started = time.perf_counter()
    job_id = _create(app, demo, content)
    elapsed = time.perf_counter() - started
    job = _job(app, job_id)
    assert (job.total_rows, job.error_rows) == (10_000, 0)
    with transaction(app) as session:
        lines = session.scalars(
            select(BulkJobRow.line).where(BulkJobRow.job_id == job_id).order_by(BulkJobRow.line)
        ).all()
    assert lines == list(range(2, 10_002))
    assert elapsed < 15, f"create_job took {elapsed:.1f} s for 10,000 rows"


def test_awarding_bodies_are_checked_when_the_job_is_created(app, demo):
    with pytest.raises(InvalidInput) as caught:
        _create(app, demo, rows_csv(2), bodies=(1, 0), issuer=demo.organisations[0].id)
    assert caught.value.code == "issuer_not_first"


def test_run_job_issues_each_valid_row_and_reports_progress(app, demo):
    content = rows_csv(5) + b"S-0,Dup,Licate,,,\n"
    job_id = _create(app, demo, content, bodies=(0, 1))
    before = job_json(_job(app, job_id))
    assert before["state"] == "pending" and before["pendingRows"] == 5
    run_job(app, job_id)
    _assert_each_valid_row_issued_once(app, job_id, valid=5, errors=1)
    after = job_json(_job(app, job_id))
    assert {
        k: after[k] for k in ("state", "totalRows", "issuedRows", "errorRows", "pendingRows")
    } == {
        "state": "done",
        "totalRows": 6,
        "issuedRows": 5,
        "errorRows": 1,
        "pendingRows": 0,
    }
    assert after["failure"] is None and after["filename"] == "cohort.csv"
    assert after["createdAt"].endswith("Z") and after["updatedAt"] >= after["createdAt"]
    credential = min(_credentials(app, job_id), key=lambda c: c.bulk_line)
    document = json.loads(credential.document)
    assert document["credentialSubject"]["givenName"] == {"en": "Given 0"}
    assert document["credentialSubject"]["hasClaim"]["provenBy"]["grade"]["noteLiteral"] == {
        "en": "Pass"
    }
    assert len(document["proof"]) == 2  # a joint award: every awarding body signs
    run_job(app, job_id)  # a done job is left alone
    assert len(_credentials(app, job_id)) == 5


def test_a_worker_killed_mid_job_is_taken_over_once_its_lease_runs_out(app, demo, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH_ROWS", 4)
    job_id = _create(app, demo, rows_csv(12) + b"S-bad,,,,,\n")
    # the worker "dies" holding its second batch: claimed, never written
    run_job(app, job_id, stop_after=1)
    job = _job(app, job_id)
    assert job.state is JobState.RUNNING
    assert (job.issued_rows, job.error_rows) == (4, 1)
    assert runner.stalled_jobs(app, quiet_for=timedelta(minutes=1)) == []  # heard of lately
    assert runner.stalled_jobs(app, quiet_for=timedelta(0)) == [job_id]  # free batches wait
    run_job(app, job_id)  # another worker: the free batch, not the one whose lease holds
    assert _job(app, job_id).state is JobState.RUNNING
    assert runner.unfinished_jobs(app) == []
    with transaction(app) as session:  # the dead worker's lease runs out
        session.execute(update(BulkBatch).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert runner.stalled_jobs(app, quiet_for=timedelta(0)) == [job_id]
    run_job(app, job_id)
    _assert_each_valid_row_issued_once(app, job_id, valid=12, errors=1)
    assert runner.stalled_jobs(app, quiet_for=timedelta(0)) == []


def test_a_worker_that_died_after_issuing_but_before_marking(app, demo):
    job_id = _create(app, demo, rows_csv(4))
    # The dead worker stored the credential of line 3 but never marked the row.
    with transaction(app) as session:
        issuer = session.get(Organisation, demo.organisations[0].id)
        orphan = issue_credential(
            session,
            issuer=issuer,
            specification=session.get(Specification, demo.specification.id),
            learner=LearnerInput("S-1", "Given 1", "Family 1"),
            actor="token:test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
            bulk_job_id=job_id,
            bulk_line=3,
        ).credential.id
    run_job(app, job_id)
    job = _job(app, job_id)
    assert job.state is JobState.FAILED  # the batch keeps colliding: a person looks
    assert "keeps colliding" in job.failure
    with transaction(app) as session:
        # nothing of the batch was kept: its status entries went back
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2
        assert session.get(IssuedCredential, orphan) is not None


def test_a_row_refused_at_issuance_is_an_error_and_the_job_goes_on(app, demo, monkeypatch):
    real = batch.check_document

    def refuse_s2(prepared):
        if prepared.document["credentialSubject"]["givenName"]["en"] == "Given 2":
            raise InvalidInput("no", code="refused_for_test")
        return real(prepared)

    monkeypatch.setattr(batch, "check_document", refuse_s2)
    job_id = _create(app, demo, rows_csv(4))
    run_job(app, job_id)
    _assert_each_valid_row_issued_once(app, job_id, valid=3, errors=1)
    [error] = [row for row in _rows(app, job_id) if row.state is RowState.ERROR]
    assert (error.line, error.error_code) == (4, "refused_for_test")
    with transaction(app) as session:  # its status entries went back
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2 * 3


def test_an_unexpected_failure_fails_the_job_and_it_can_be_resumed(app, demo, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH_ROWS", 2)
    real = batch.sign
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "sign", flaky)
    job_id = _create(app, demo, rows_csv(5))
    run_job(app, job_id)
    job = _job(app, job_id)
    assert job.state is JobState.FAILED
    assert "disk on fire" in job.failure and job.issued_rows == 2
    assert runner.stalled_jobs(app, quiet_for=timedelta(0)) == []  # failed: a person decides
    with transaction(app) as session:
        runner.reopen_job(session, session.get(BulkJob, job_id))
    run_job(app, job_id)
    _assert_each_valid_row_issued_once(app, job_id, valid=5)
    assert job_json(_job(app, job_id))["failure"] is None


class Deadlock(Exception):
    """What psycopg raises when PostgreSQL aborts a transaction to end a deadlock."""

    sqlstate = "40P01"


def deadlock() -> OperationalError:
    return OperationalError("INSERT INTO status_entries …", {}, Deadlock("deadlock detected"))


@pytest.mark.parametrize("step", ["_prepare", "_write"])
def test_a_batch_whose_transaction_ended_a_deadlock_goes_again(app, demo, monkeypatch, step):
    monkeypatch.setattr(bulk, "BATCH_ROWS", 2)
    real = getattr(runner, step)
    calls = []

    def once_deadlocked(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second batch's first try
            raise deadlock()
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, step, once_deadlocked)
    job_id = _create(app, demo, rows_csv(5))
    run_job(app, job_id)
    assert _job(app, job_id).state is JobState.DONE
    _assert_each_valid_row_issued_once(app, job_id, valid=5)
    with transaction(app) as session:  # a failed try's reservations were given back
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2 * 5


def test_other_database_errors_still_fail_the_job(app, demo, monkeypatch):
    error = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    monkeypatch.setattr(runner, "_prepare", lambda *args: (_ for _ in ()).throw(error))
    job_id = _create(app, demo, rows_csv(2))
    run_job(app, job_id)
    assert _job(app, job_id).state is JobState.FAILED


def test_a_pending_job_never_started_is_taken_by_the_sweep(app, demo):
    job_id = _create(app, demo, rows_csv(2))
    assert runner.stalled_jobs(app, quiet_for=timedelta(minutes=1)) == []  # just created
    assert runner.stalled_jobs(app, quiet_for=timedelta(0)) == [job_id]
    run_job(app, job_id)
    _assert_each_valid_row_issued_once(app, job_id, valid=2)


def test_start_job_modes(app, demo):
    job_id = _create(app, demo, rows_csv(3))
    start_job(app, job_id)  # inline
    _assert_each_valid_row_issued_once(app, job_id, valid=3)
    app.config["BULK_WORKER"] = "nonsense"
    with pytest.raises(ValueError):
        start_job(app, job_id)


def test_two_jobs_at_once_on_one_organisation_share_no_status_index(app, demo, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH_ROWS", 2)  # many batches each, so that they interleave
    # the same learners in both files: their creation races too
    first = _create(app, demo, rows_csv(20, prefix="A") + b"B-0,Shared,Learner,,,\n", reissue=True)
    second = _create(app, demo, rows_csv(20, prefix="B"), bodies=(0, 2), reissue=True)
    threads = [threading.Thread(target=run_job, args=(app, job_id)) for job_id in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    _assert_each_valid_row_issued_once(app, first, valid=21)
    _assert_each_valid_row_issued_once(app, second, valid=20)
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        # (SQLite has one writer at a time and may well run one job's rows before the other's)
        times = [sorted(c.issued_at for c in _credentials(app, job)) for job in (first, second)]
        assert max(t[0] for t in times) < min(t[-1] for t in times), "the jobs did not overlap"
    seen: set[tuple[str, str]] = set()
    for credential in _credentials(app, first) + _credentials(app, second):
        for status in json.loads(credential.document)["credentialStatus"]:
            key = (status["statusListCredential"], status["statusListIndex"])
            assert key not in seen, f"status index shared: {key}"
            seen.add(key)
    assert len(seen) == 2 * 41
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2 * 41
