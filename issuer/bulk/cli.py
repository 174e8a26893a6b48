"""``microcred issuer bulk`` and ``resume``: bulk jobs from the command line, with a progress
bar (added to the ``issuer`` group by :mod:`issuer.cli`)."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask

from issuer import config
from issuer.bulk import jobs as bulk
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
        return JobProgress(job.state, job.total_rows, job.issued_rows, job.error_rows, job.failure)


def run_with_progress(app: Flask, job_id: int) -> JobProgress:
    """Run the job's pending rows (``bulk.run_job`` in a worker thread, one transaction per
    row) while a progress bar on stderr follows the job's counters. A done job is left alone;
    a failed one is tried again."""
    progress = job_progress(app, job_id)
    if progress.state is JobState.DONE:
        return progress
    crashed: list[BaseException] = []

    def work() -> None:
        try:
            bulk.run_job(app, job_id)
        except BaseException as error:  # reported by the main thread
            crashed.append(error)

    worker = threading.Thread(target=work, name=f"bulk-job-{job_id}", daemon=True)
    with click.progressbar(
        length=max(progress.total, 1), label=f"job {job_id}", show_pos=True, file=sys.stderr
    ) as bar:
        shown = progress.done
        bar.update(shown)
        worker.start()
        while worker.is_alive():
            worker.join(PROGRESS_POLL)
            progress = job_progress(app, job_id)
            bar.update(progress.done - shown)
            shown = progress.done
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
def bulk_command(
    partnership_slug: str,
    organisation_slug: str,
    specification_slug: str,
    csv_path: str,
    awarding_bodies: tuple[str, ...],
    errors_out: str | None,
) -> None:
    """Issue a credential for every row of FILE.csv (columns reference, given_name,
    family_name; optional email, date_of_birth, grade), with a progress bar."""
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
            )
            job_id = job.id
        click.echo(f"job: {job_id}")
        finish_job(app, job_id, run_job_interruptibly(app, job_id), errors_out)


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
