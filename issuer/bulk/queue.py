"""The issuer's task queue (Huey): bulk jobs and learner e-mail run in worker processes.

Which queue (``MICROCRED_QUEUE_URL``, else ``REDIS_URL``):

* ``redis://host:port/db`` — Huey's Redis storage on that broker; any number of
  ``microcred worker`` processes on any machine that reaches the database and the broker;
* unset (the embedded default) or ``sqlite:///path`` — Huey's SQLite storage in a file (by
  default ``<database file>-queue.sqlite3`` beside a SQLite database, else
  ``instance/queue.sqlite3``): no server needed; workers on this machine share the file.

The queue only carries job ids: the database stays the truth. A task that was lost (a worker
killed with it, a wiped queue) costs nothing but time: every worker's :func:`sweep` puts a job
whose batches were left unclaimed or whose lease ran out back on the queue
(:func:`issuer.bulk.runner.stalled_jobs`), and batches are claimed in the database, never twice
at once.

``MICROCRED_QUEUE_NAME`` (default ``microcred``) names the queue inside the broker (tests use
their own).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from huey import RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from issuer.bulk import delivery, runner
from issuer.db import session_factory

log = logging.getLogger(__name__)

DEFAULT_NAME = "microcred"
DEFAULT_SWEEP_SECONDS = 5.0
#: Delivery retries: a failed send is tried again after 30 s, 60 s, 120 s, …
MAIL_RETRIES = 4
MAIL_RETRY_DELAY = 30


@dataclass(frozen=True)
class QueueTasks:
    """A Huey instance and the issuer's tasks registered on it."""

    huey: Huey
    work: TaskWrapper
    deliver: TaskWrapper

    @property
    def kind(self) -> str:
        """``redis`` or ``sqlite``: what ``make bench`` and the worker's start line say."""
        return "redis" if isinstance(self.huey, RedisHuey) else "sqlite"


_QUEUES: dict[tuple[str, str], QueueTasks] = {}
_LOCK = threading.Lock()
_WORKER_APP: list[Flask] = []  # the worker process's app (set by serve)
_WORKER_PID: list[int] = []


def queue_url(app: Flask) -> str:
    """Where the queue lives: the configured ``QUEUE_URL``, or the embedded SQLite file."""
    configured = app.config.get("QUEUE_URL")
    if configured:
        return str(configured)
    database = make_url(str(app.config["DATABASE_URL"]))
    if database.get_backend_name() == "sqlite" and database.database:
        path = Path(database.database)
        return f"sqlite:///{path.with_name(path.stem + '-queue.sqlite3')}"
    return f"sqlite:///{Path(app.instance_path) / 'queue.sqlite3'}"


def _worker_app() -> Flask:
    """The app of this worker process (a forked worker disposes the inherited connections)."""
    if not _WORKER_APP:
        raise RuntimeError("no issuer app in this process: run tasks with `microcred worker`")
    app = _WORKER_APP[0]
    if _WORKER_PID and _WORKER_PID[0] != os.getpid():
        session_factory(app).kw["bind"].dispose(close=False)
        _WORKER_PID[0] = os.getpid()
    return app


def _register(huey: Huey) -> QueueTasks:
    @huey.task(name="bulk.work")
    def work(job_id: int) -> None:
        runner.work_on_job(_worker_app(), job_id)

    @huey.task(
        name="mail.deliver", retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY, retry_backoff=2
    )
    def deliver(delivery_id: int) -> None:
        delivery.send(_worker_app(), delivery_id)

    return QueueTasks(huey, work, deliver)


def tasks_for(app: Flask) -> QueueTasks:
    """The queue of ``app`` (made once per process and URL)."""
    url = queue_url(app)
    name = str(app.config.get("QUEUE_NAME") or DEFAULT_NAME)
    with _LOCK:
        found = _QUEUES.get((url, name))
        if found is None:
            if url.startswith(("redis://", "rediss://", "unix://")):
                huey: Huey = RedisHuey(name, url=url, results=False)
            elif url.startswith("sqlite:///"):
                filename = url.removeprefix("sqlite:///")
                Path(filename).parent.mkdir(parents=True, exist_ok=True)
                huey = SqliteHuey(name, filename=filename, results=False)
            else:
                raise ValueError(f"MICROCRED_QUEUE_URL must be redis://… or sqlite:///…: {url!r}")
            found = _QUEUES[(url, name)] = _register(huey)
        return found


def start_job(app: Flask, job_id: int, *, parallel: int = runner.PARALLEL_TASKS) -> None:
    """Have the job issued: now, in this thread (``BULK_WORKER = "inline"``: tests, the CLI
    without ``--detach``), or by the queue's workers (``"queue"``, the default): ``parallel``
    tasks, so that that many workers share its batches."""
    mode = app.config.get("BULK_WORKER", "queue")
    if mode == "inline":
        runner.work_on_job(app, job_id)
        delivery.queue_job_mail(app, job_id, enqueue=lambda _: None)
        delivery.send_pending(app, job_id)
    elif mode == "queue":
        work = tasks_for(app).work
        for _ in range(max(parallel, 1)):
            work(job_id)
    else:
        raise ValueError(f"BULK_WORKER must be 'queue' or 'inline', not {mode!r}")


def sweep(app: Flask) -> list[int]:
    """One look for work left behind (see the module docstring): jobs without a worker are put
    back on the queue; jobs whose every batch is done are finished (their mail queued).
    Returns the ids of the jobs put back."""
    tasks = tasks_for(app)
    stalled = runner.stalled_jobs(app, quiet_for=runner.lease(app))
    for job_id in stalled:
        log.info("bulk job %s has no worker: queued again", job_id)
        for _ in range(runner.PARALLEL_TASKS):
            tasks.work(job_id)
    for job_id in runner.unfinished_jobs(app):
        if runner.finish_job(app, job_id):
            delivery.queue_job_mail(app, job_id, enqueue=tasks.deliver)
    delivery.requeue_stale(app, enqueue=tasks.deliver)
    return stalled


class _Consumer(Consumer):  # type: ignore[misc]
    """Huey's consumer, with the sweep in a thread of the main process (started after the
    worker processes are forked, so that none inherits it)."""

    sweep_every: float = DEFAULT_SWEEP_SECONDS
    app: Flask | None = None

    def start(self) -> None:
        super().start()
        app = self.app
        assert app is not None
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(self.sweep_every):
                try:
                    sweep(app)
                except Exception:  # the next sweep tries again
                    log.exception("sweep failed")

        threading.Thread(target=loop, name="microcred-sweep", daemon=True).start()


def serve(
    app: Flask,
    *,
    workers: int,
    sweep_every: float | None = None,
    on_start: Callable[[QueueTasks], Any] | None = None,
) -> None:
    """Run the queue's consumer in this process with ``workers`` worker processes (one per
    core signs at full speed) until SIGINT or SIGTERM, sweeping every ``sweep_every`` seconds
    (``BULK_SWEEP_SECONDS``, default 5)."""
    tasks = tasks_for(app)
    _WORKER_APP[:] = [app]
    _WORKER_PID[:] = [os.getpid()]
    seconds = sweep_every or float(app.config.get("BULK_SWEEP_SECONDS") or DEFAULT_SWEEP_SECONDS)
    consumer = _Consumer(
        tasks.huey,
        workers=workers,
        worker_type="process",
        periodic=False,
        initial_delay=0.05,
        # An idle worker looks again within 0.1 s (the SQLite queue is polled; a look is one
        # small query; Redis is read with a blocking pop and answers at once anyway).
        max_delay=0.1,
        graceful_signal="TERM",
    )
    consumer.sweep_every = seconds
    consumer.app = app
    runner.open_signing_keys(app)  # before the worker processes are forked: they inherit them
    if on_start is not None:
        on_start(tasks)
    sweep(app)
    consumer.run()
