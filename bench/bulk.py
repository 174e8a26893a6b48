"""Benchmark: bulk issuance end to end on the task queue (issue 14), and main's path beside it.

One run (``python bench/bulk.py --rows N --database sqlite|postgresql --queue sqlite|redis``):

1. a fresh database (a temporary SQLite file, or the PostgreSQL database ``mc_bench_bulk`` made
   on ``--postgres`` and dropped afterwards), migrated, with the demo partnership;
2. ``--workers`` ``microcred worker`` processes' worth of queue workers (one consumer with that
   many worker processes) on the embedded SQLite queue or on Redis (database 6, a queue name of
   its own), started and ready before the clock starts;
3. the clock: a CSV of N learners stored as a job (``create_job``, as an upload does), handed to
   the queue (``start_job``), until the job is done; every row must be issued, each once.

Memory is sampled every 0.2 s from ``/proc``: the peak RSS of this process (what the web
process does for an upload), of the worker tree (consumer and its worker processes, summed) and
of ``redis-server`` (its own ``used_memory_rss`` peak through ``INFO``).

``--path main`` runs main's bulk path instead (``issuer.bulk.jobs.run_job``, one transaction
per row, in this process, on SQLite): from a ``git archive`` of the ``main`` branch in a
temporary folder, first on the import path. Main refuses files above 50,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "bench-passphrase"
BASE_URL = "https://issuer.example"
PG_DATABASE = "mc_bench_bulk"
REDIS_URL = "redis://127.0.0.1:6379/6"


def cohort_csv(rows: int) -> bytes:
    """A CSV file of ``rows`` distinct learners, built in memory."""
    lines = ["reference,given_name,family_name,email\n"]
    lines.extend(f"B-{n:06d},Given{n},Family{n},learner{n}@example.org\n" for n in range(rows))
    return "".join(lines).encode()


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree(pid: int) -> list[int]:
    found = [pid]
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [p for c in child.read_text().split() for p in _tree(int(c))]
        except OSError:
            continue
    return found


class Sampler:
    """Peak RSS of this process and of a process tree, sampled in a thread."""

    def __init__(self, worker_pid: int) -> None:
        self.worker_pid = worker_pid
        self.web = self.workers = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            self.web = max(self.web, _rss_mib(os.getpid()))
            self.workers = max(self.workers, sum(_rss_mib(p) for p in _tree(self.worker_pid)))

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        self.thread.join()


def _redis_peak_mib() -> float | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as connection:
            connection.sendall(b"INFO memory\r\n")
            time.sleep(0.2)
            text = connection.recv(65536).decode(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("used_memory_peak:"):
            return round(int(line.split(":")[1]) / 2**20, 1)
    return None


def _database(kind: str, folder: Path, postgres: str) -> str:
    from sqlalchemy.engine import make_url

    from issuer.db import make_engine

    if kind == "sqlite":
        return f"sqlite:///{folder / 'issuer.sqlite3'}"
    admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{PG_DATABASE}"')
    admin.dispose()
    return make_url(postgres).set(database=PG_DATABASE).render_as_string(hide_password=False)


def run_queue(rows: int, database: str, queue_kind: str, workers: int, postgres: str) -> dict:
    """One run on the queue (see the module docstring); its figures."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from demo.partnership import create_demo
    from issuer.app import create_app
    from issuer.bulk import queue
    from issuer.bulk.jobs import create_job
    from issuer.db import make_engine, session_factory, transaction, upgrade
    from issuer.models import BulkJob, IssuedCredential, JobState, Organisation, Specification

    with tempfile.TemporaryDirectory(prefix="microcred-bench-") as name:
        folder = Path(name)
        url = _database(database, folder, postgres)
        engine = make_engine(url)
        upgrade(engine)
        with sessionmaker(bind=engine).begin() as session:
            demo = create_demo(session, base_url=BASE_URL, passphrase=PASSPHRASE.encode())
            issuer_id, specification_id = demo.organisations[0].id, demo.specification.id
        engine.dispose()
        queue_name = f"mc-bench-{uuid.uuid4().hex[:8]}"
        queue_url = REDIS_URL if queue_kind == "redis" else None
        config = {
            "DATABASE_URL": url,
            "ISSUER_BASE_URL": BASE_URL,
            "KEY_PASSPHRASE": PASSPHRASE,
            "BULK_WORKER": "queue",
            "QUEUE_URL": queue_url,
            "QUEUE_NAME": queue_name,
            "SECRET_KEY": "bench",
        }
        app = create_app(config)
        app.instance_path = str(folder / "instance")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MICROCRED_ISSUER_URL": BASE_URL,
            "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
            "MICROCRED_QUEUE_NAME": queue_name,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("MICROCRED_QUEUE_URL", None)
        env.pop("REDIS_URL", None)
        if queue_url:
            env["MICROCRED_QUEUE_URL"] = queue_url
        process = subprocess.Popen(
            [sys.executable, "-m", "issuer.bulk.cli", "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            for line in process.stderr or ():
                if line.startswith("worker:"):
                    break
            time.sleep(2.0)  # the worker processes import and open the keys
            content = cohort_csv(rows)
            with Sampler(process.pid) as sampler:
                started = time.perf_counter()
                with transaction(app) as session:
                    issuer = session.get(Organisation, issuer_id)
                    job = create_job(
                        session,
                        issuer=issuer,
                        specification=session.get(Specification, specification_id),
                        awarding_bodies=[issuer],
                        filename="cohort.csv",
                        content=content,
                        actor="bench",
                    )
                    job_id = job.id
                del content
                queue.start_job(app, job_id, parallel=workers * 2)
                while True:
                    with transaction(app) as session:
                        state = session.get_one(BulkJob, job_id).state
                    if state in (JobState.DONE, JobState.FAILED):
                        break
                    time.sleep(0.1)
                wall = time.perf_counter() - started
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        with transaction(app) as session:
            job = session.get_one(BulkJob, job_id)
            issued = job.issued_rows
            stored = session.scalar(
                select(func.count(func.distinct(IssuedCredential.bulk_line))).where(
                    IssuedCredential.bulk_job_id == job_id
                )
            )
        if queue_kind == "sqlite":
            queue.tasks_for(app).huey.storage.flush_queue()
        session_factory(app).kw["bind"].dispose()
        if database == "postgresql":
            admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            admin.dispose()
    if job.state is not JobState.DONE or issued != rows or stored != rows:
        raise SystemExit(f"bulk: job {job.state}, {issued} issued, {stored} stored of {rows}")
    result: dict[str, Any] = {
        "database": database,
        "queue": "huey-redis" if queue_kind == "redis" else "huey-sqlite (embedded)",
        "path": "ours",
        "rows": rows,
        "workers": workers,
        "wall_seconds": round(wall, 2),
        "rows_per_second": round(rows / wall, 1),
        "peak_rss_mib": round(sampler.web + sampler.workers, 1),
        "peak_rss_web_mib": round(sampler.web, 1),
        "peak_rss_workers_mib": round(sampler.workers, 1),
    }
    if queue_kind == "redis":
        result["peak_rss_broker_mib"] = _redis_peak_mib()
    return result


def run_main(rows: int) -> dict[str, Any]:
    """Main's path (one transaction per row, in one process, SQLite) from a ``git archive`` of
    ``main``; its figures, or a note that main refuses the file."""
    if rows > 50_000:
        return {
            "database": "sqlite",
            "queue": "none (main: a thread of the web process)",
            "path": "main",
            "rows": rows,
            "rows_per_second": None,
            "peak_rss_mib": None,
            "note": "main refuses files above 50,000 rows (too_many_rows)",
        }
    with tempfile.TemporaryDirectory(prefix="microcred-main-") as name:
        archive = subprocess.run(
            ["git", "archive", "main"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", name], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": name}
        env.pop("DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, f"{name}/bench/bulk.py", "--rows", str(rows), "--path", "ours"],
            cwd=name,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"main's bulk benchmark failed:\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "database": "sqlite",
        "queue": "none (main: a thread of the web process)",
        "path": "main",
        "rows": rows,
        "rows_per_second": measured["rows_per_second"],
        "peak_rss_mib": measured["peak_rss_mib"],
        "wall_seconds": measured["wall_seconds"],
    }


def run_child(argv: list[str], timeout: float = 3600) -> dict[str, Any]:
    """One run in a fresh child process (its own memory); its result."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bulk benchmark {argv} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(
    sizes: tuple[int, ...] = (10_000, 100_000),
    *,
    postgres: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    workers: int = 2,
    main_rows: int = 10_000,
) -> list[dict[str, Any]]:
    """Every run ``make bench`` takes: PostgreSQL + Redis and SQLite embedded at each size,
    then main's path (``main_rows``, and the largest size, which main refuses)."""
    runs: list[dict[str, Any]] = []
    for rows in sizes:
        for database, queue_kind in (("postgresql", "redis"), ("sqlite", "sqlite")):
            argv = ["--rows", str(rows), "--database", database, "--queue", queue_kind]
            argv += ["--workers", str(workers), "--postgres", postgres]
            runs.append(run_child(argv))
    if main_rows:
        runs.append(run_child(["--rows", str(main_rows), "--path", "main"]))
    if max(sizes) > 50_000:
        runs.append(run_main(max(sizes)))  # main refuses it: said so, not measured
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--queue", choices=("sqlite", "redis"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--path", choices=("ours", "main"), default="ours")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    if args.path == "main":
        print(json.dumps(run_main(args.rows)))
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    print(json.dumps(run_queue(args.rows, args.database, args.queue, args.workers, args.postgres)))


if __name__ == "__main__":
    main()
