"""``microcred issuer bulk``, ``follow`` and ``resume``: bulk jobs from the command line, with a
progress bar that says rows/s and the time left (added to the ``issuer`` group by
:mod:`issuer.cli`); and ``microcred worker``, a worker process of the task queue."""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask

from issuer import config
from issuer.bulk import jobs as bulk
from issuer.bulk import queue, runner
from issuer.cli import (
    ACTOR,
    awarding_bodies_for,
    awarding_body_option,
    fail,
    get_partnership,
    issuer_app,
    passphrase_of,
)
from issuer.db import transaction
from issuer.errors import NotFound
from issuer.models import (
    BulkJob,
    JobState,
)
from issuer.partnerships.services import get_organisation
from issuer.specifications.services import get_specification

PROGRESS_POLL = 0.25  # seconds between progress-bar updates of a bulk job


@dataclass(frozen=True)
class JobProgress:
    """A bulk job's counters as last read."""

    state: JobState
    total: int
    issued: int
    errors: int
    failure: str | None
    rows_per_second: float | None = None
    seconds_left: float | None = None

    def pace(self) -> str:
        """``123.4 rows/s, 0:42 left`` (empty until there is a pace)."""
        if self.rows_per_second is None:
            return ""
        left = int(self.seconds_left or 0)
        return f"{self.rows_per_second:,.1f} rows/s, {left // 60}:{left % 60:02d} left"

    @property
    def done(self) -> int:
        """Rows finished either way (issued or refused)."""
        return self.issued + self.errors


def job_progress(app: Flask, job_id: int) -> JobProgress:
    """Read the job's counters in a fresh transaction."""
    with transaction(app) as session:
        job = session.get(BulkJob, job_id)
        if job is None:
            raise NotFound(f"no bulk job {job_id}", code="unknown_job")
        pace = bulk.pace(job)
        return JobProgress(
            job.state,
            job.total_rows,
            job.issued_rows,
            job.error_rows,
            job.failure,
            pace.rows_per_second,
            pace.seconds_left,
        )


def follow_progress(app: Flask, job_id: int, alive: threading.Thread | None = None) -> JobProgress:
    """A progress bar on stderr (rows done, rows/s, time left) following the job's counters
    until it is done or failed (or, with ``alive``, until that thread ends)."""
    progress = job_progress(app, job_id)
    with click.progressbar(
        length=max(progress.total, 1),
        label=f"job {job_id}",
        show_pos=True,
        file=sys.stderr,
        item_show_func=lambda pace: pace,
    ) as bar:
        shown = progress.done
        bar.update(shown, progress.pace())
        while True:
            if alive is not None:
                alive.join(PROGRESS_POLL)
                if not alive.is_alive():
                    break
            elif progress.state in (JobState.DONE, JobState.FAILED):
                break
            else:
                time.sleep(PROGRESS_POLL)
            progress = job_progress(app, job_id)
            bar.update(progress.done - shown, progress.pace())
            shown = progress.done
    return job_progress(app, job_id)


def run_with_progress(app: Flask, job_id: int) -> JobProgress:
    """Run the job's batches in this process (``runner.work_on_job`` in a thread: one
    transaction per batch) while a progress bar follows it. A done job is left alone; any other
    is reopened (its batches' leases freed) and run."""
    progress = job_progress(app, job_id)
    if progress.state is JobState.DONE:
        return progress
    if progress.state is not JobState.DONE:  # a person asks: free the leases, go on
        with transaction(app) as session:
            runner.reopen_job(session, session.get_one(BulkJob, job_id))
    crashed: list[BaseException] = []

    def work() -> None:
        try:
            runner.work_on_job(app, job_id)
        except BaseException as error:  # reported by the main thread
            crashed.append(error)

    worker = threading.Thread(target=work, name=f"bulk-job-{job_id}", daemon=True)
    worker.start()
    progress = follow_progress(app, job_id, alive=worker)
    if crashed:
        raise crashed[0]
    return progress


def finish_job(app: Flask, job_id: int, progress: JobProgress, errors_out: str | None) -> None:
    """Print the job's outcome and say where its error report is (written to ``errors_out``
    when given); a failed job is a failure (exit status 2)."""
    click.echo(f"job {job_id}: {progress.state.value}")
    click.echo(f"issued: {progress.issued}")
    click.echo(f"errors: {progress.errors}")
    if errors_out:
        with transaction(app) as session:
            report = bulk.job_errors_csv(session, session.get_one(BulkJob, job_id))
        Path(errors_out).write_text(report, encoding="utf-8", newline="")
        click.echo(f"error report: {errors_out}")
    elif progress.errors:
        click.echo(
            f"error report: `microcred issuer resume {job_id} --errors-out FILE`, or "
            f"GET {config.base_url(app)}/api/v1/bulk-jobs/{job_id}/errors.csv"
        )
    if progress.state is JobState.FAILED:
        fail(
            f"bulk job {job_id} failed: {progress.failure}",
            f"what was issued stays; run the rest with `microcred issuer resume {job_id}`",
        )


errors_out_option = click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the error report (CSV: line,reference,code,message) to this file.",
)


@click.command("bulk")
@click.argument("partnership_slug", metavar="PARTNERSHIP")
@click.option("--organisation", "organisation_slug", required=True, help="The issuing org.")
@click.option("--specification", "specification_slug", required=True, help="What is awarded.")
@click.argument("csv_path", metavar="FILE.csv", type=click.Path(dir_okay=False, exists=True))
@awarding_body_option
@errors_out_option
@click.option("--reissue", is_flag=True, help="Issue again to learners who hold it already.")
@click.option("--same-file", is_flag=True, help="Go ahead although this file was uploaded before.")
@click.option(
    "--detach", is_flag=True, help="Hand the job to the queue's workers and return at once."
)
def bulk_command(
    partnership_slug: str,
    organisation_slug: str,
    specification_slug: str,
    csv_path: str,
    awarding_bodies: tuple[str, ...],
    errors_out: str | None,
    reissue: bool,
    same_file: bool,
    detach: bool,
) -> None:
    """Issue a credential for every row of FILE.csv (columns reference, given_name,
    family_name; optional email, date_of_birth, grade, language), with a progress bar; with
    --detach the queue's workers issue it (follow it with `microcred issuer follow JOB`)."""
    content = Path(csv_path).read_bytes()
    with issuer_app() as app:
        passphrase_of(app)
        with transaction(app) as session:
            partnership = get_partnership(session, partnership_slug)
            organisation = get_organisation(session, partnership.id, organisation_slug)
            job = bulk.create_job(
                session,
                issuer=organisation,
                specification=get_specification(session, partnership.id, specification_slug),
                awarding_bodies=awarding_bodies_for(
                    session, partnership, organisation, awarding_bodies
                ),
                filename=Path(csv_path).name,
                content=content,
                actor=ACTOR,
                reissue=reissue,
                same_file=same_file,
            )
            job_id = job.id
        click.echo(f"job: {job_id}")
        if detach:
            app.config["BULK_WORKER"] = "queue"
            queue.start_job(app, job_id)
            click.echo(f"queued: follow it with `microcred issuer follow {job_id}`")
            return
        finish_job(app, job_id, run_job_interruptibly(app, job_id), errors_out)


@click.command("follow")
@click.argument("job_id", type=int)
@errors_out_option
def follow_command(job_id: int, errors_out: str | None) -> None:
    """Follow bulk job JOB_ID (run by the queue's workers) until it is done, with a progress
    bar; Ctrl-C stops following, not the job."""
    with issuer_app() as app:
        try:
            progress = follow_progress(app, job_id)
        except KeyboardInterrupt:
            fail(f"stopped following; the job goes on (`microcred issuer follow {job_id}`)")
        finish_job(app, job_id, progress, errors_out)


@click.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=lambda: os.cpu_count() or 1,
    show_default="one per core",
    help="Worker processes (each signs on its own core).",
)
def worker_command(workers: int) -> None:
    """A worker of the issuer's task queue (bulk jobs, learner e-mail) until Ctrl-C or
    SIGTERM; start as many as you like, on any machine that reaches the database and the
    queue (MICROCRED_QUEUE_URL or REDIS_URL; unset: the embedded SQLite queue)."""
    with issuer_app() as app:
        passphrase_of(app)
        app.config["BULK_WORKER"] = "queue"

        def started(tasks: queue.QueueTasks) -> None:
            click.echo(
                f"worker: {workers} processes on the {tasks.kind} queue {queue.queue_url(app)}",
                err=True,
            )

        queue.serve(app, workers=workers, on_start=started)


@click.command("resume")
@click.argument("job_id", type=int)
@errors_out_option
def resume_command(job_id: int, errors_out: str | None) -> None:
    """Run the remaining rows of bulk job JOB_ID (e.g. after an interruption)."""
    with issuer_app() as app:
        passphrase_of(app)
        finish_job(app, job_id, run_job_interruptibly(app, job_id), errors_out)


def run_job_interruptibly(app: Flask, job_id: int) -> JobProgress:
    """Run the job; on Ctrl-C say how to resume it."""
    try:
        return run_with_progress(app, job_id)
    except KeyboardInterrupt:
        fail(f"interrupted: resume with `microcred issuer resume {job_id}`")


if __name__ == "__main__":  # the Procfile's worker: python -m issuer.bulk.cli
    worker_command()
