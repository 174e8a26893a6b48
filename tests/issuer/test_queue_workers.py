"""Bulk jobs run by ``microcred worker`` processes: one is killed with SIGKILL in the middle of
a 5,000-row job, and the job is finished by another worker with no ``resume``, every row issued
exactly once and every status index used once.

* the embedded default (Huey's SQLite queue beside the database): the killed worker is
  replaced by a new one (a restart);
* a broker (Redis at 127.0.0.1:6379, database 5, a queue name of its own): a second worker
  already running takes the job over. Skipped, saying so, when Redis does not answer.

Both run on SQLite and, in ``make test`` with ``MICROCRED_TEST_POSTGRES``, on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from issuer.bulk import jobs as bulk
from issuer.bulk import queue
from issuer.bulk.jobs import create_job
from issuer.db import transaction
from issuer.models import (
    BulkJob,
    BulkJobRow,
    IssuedCredential,
    JobState,
    Organisation,
    RowState,
    Specification,
    StatusEntry,
)

from .conftest import BASE_URL, PASSPHRASE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ROWS = 5_000
REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def cohort(rows: int) -> bytes:
    lines = ["reference,given_name,family_name\n"]
    lines += [f"K-{n:05d},Given{n},Family{n}\n" for n in range(rows)]
    return "".join(lines).encode()


def worker(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """``microcred worker`` with one process, in a session of its own (killed as a group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "issuer.bulk.cli", "--workers", "1"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def job_counts(app, job_id: int) -> tuple[JobState, int]:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        job = session.get_one(BulkJob, job_id)
        return job.state, job.issued_rows


def wait_for(app, job_id: int, condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition(*job_counts(app, job_id)):
        assert time.monotonic() < deadline, f"job {job_id}: {job_counts(app, job_id)}"
        time.sleep(0.2)


def assert_each_row_once(app, job_id: int) -> None:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        job = session.get_one(BulkJob, job_id)
        assert (job.state, job.issued_rows, job.error_rows) == (JobState.DONE, ROWS, 0)
        lines = session.scalars(
            select(IssuedCredential.bulk_line).where(IssuedCredential.bulk_job_id == job_id)
        ).all()
        assert len(lines) == len(set(lines)) == ROWS
        assert not session.scalar(
            select(func.count())
            .select_from(BulkJobRow)
            .where(BulkJobRow.job_id == job_id, BulkJobRow.state != RowState.ISSUED)
        )
        entries = session.execute(
            select(StatusEntry.status_list_id, StatusEntry.list_index, StatusEntry.credential_id)
        ).all()
        assert len({(e[0], e[1]) for e in entries}) == len(entries)  # no index shared
        assert sum(e[2] is not None for e in entries) == 2 * ROWS
        # the killed worker's reservations stay reserved, unused (never given twice)
        assert sum(e[2] is None for e in entries) <= 2 * bulk.BATCH_ROWS
        documents = session.scalars(
            select(IssuedCredential.document).where(IssuedCredential.bulk_job_id == job_id)
        )
        indices = [
            (s["statusListCredential"], s["statusListIndex"])
            for d in documents
            for s in json.loads(d)["credentialStatus"]
        ]
        assert len(indices) == len(set(indices)) == 2 * ROWS


def start(app, demo, environment: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    app.config.update(
        BULK_WORKER="queue",
        QUEUE_URL=environment.get("MICROCRED_QUEUE_URL"),
        QUEUE_NAME=environment["MICROCRED_QUEUE_NAME"],
    )
    with transaction(app) as session:
        issuer = session.get_one(Organisation, demo.organisations[0].id)
        job = create_job(
            session,
            issuer=issuer,
            specification=session.get_one(Specification, demo.specification.id),
            awarding_bodies=[issuer],
            filename="graduation.csv",
            content=cohort(ROWS),
            actor="token:test",
        )
        job_id = job.id
    queue.start_job(app, job_id, parallel=4)
    return job_id


def environment_for(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MICROCRED_ISSUER_URL": BASE_URL,
        "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
        "MICROCRED_BULK_LEASE_SECONDS": "3",
        "MICROCRED_BULK_SWEEP_SECONDS": "0.5",
        "MICROCRED_QUEUE_NAME": f"mc-test-{uuid.uuid4().hex[:8]}",
        **extra,
    }


def test_a_killed_worker_is_replaced_and_its_job_finished_on_the_embedded_queue(
    app, demo, database_url
):
    environment = environment_for(database_url)
    environment.pop("MICROCRED_QUEUE_URL", None)
    environment.pop("REDIS_URL", None)
    first = worker(environment)
    try:
        job_id = start(app, demo, environment)
        assert queue.tasks_for(app).kind == "sqlite"
        wait_for(app, job_id, lambda state, issued: issued >= 400, timeout=120)
        kill(first)  # SIGKILL, mid-job: a batch is claimed and half-signed
        state, issued = job_counts(app, job_id)
        assert state is JobState.RUNNING and issued < ROWS
        second = worker(environment)  # the restart
        try:
            wait_for(app, job_id, lambda state, _: state is JobState.DONE, timeout=300)
        finally:
            kill(second)
    finally:
        kill(first)
    assert_each_row_once(app, job_id)


@pytest.mark.skipif(
    not redis_answers(),
    reason="REDIS NOT RUNNING at 127.0.0.1:6379: "
    "the broker test is SKIPPED (start it: redis-server --daemonize yes)",
)
def test_a_killed_worker_is_taken_over_by_another_on_the_broker(app, demo, database_url):
    environment = environment_for(database_url, MICROCRED_QUEUE_URL="redis://127.0.0.1:6379/5")
    first, second = worker(environment), worker(environment)
    try:
        job_id = start(app, demo, environment)
        assert queue.tasks_for(app).kind == "redis"
        wait_for(app, job_id, lambda state, issued: issued >= 400, timeout=120)
        kill(first)
        wait_for(app, job_id, lambda state, _: state is JobState.DONE, timeout=300)
    finally:
        kill(first)
        kill(second)
        queue.tasks_for(app).huey.storage.flush_queue()
    assert_each_row_once(app, job_id)
