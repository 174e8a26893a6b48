"""Bulk issuance from the staff pages: the partnership's jobs, uploading a CSV of learners
(checked by ``issuer.bulk.jobs``, which stores it as a job that starts at once), a job's
progress and refused rows, and resuming a job whose worker stopped."""

from __future__ import annotations

from flask import Response, current_app, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from issuer import config
from issuer.auth.scope import job_organisations, may_act
from issuer.auth.staff import staff_required
from issuer.bulk import delivery, jobs, queue, runner, wording
from issuer.db import get_session
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import (
    AuditEvent,
    BulkJob,
    BulkJobRow,
    JobState,
    Role,
    RowState,
    Specification,
    utcnow,
)
from issuer.staff.blueprint import (
    actor,
    bp,
    member_organisations,
    not_yours,
    own_partnership_id,
    paginate,
    partnership_specifications,
    staff_user,
)
from issuer.staff.issue_forms import BulkUploadForm

ERROR_ROWS_SHOWN = 50


def _job(job_id: int) -> BulkJob:
    """The partnership's bulk job ``job_id``; ``NotFound`` for any other."""
    job = get_session().get(BulkJob, job_id)
    if job is None or job.partnership_id != own_partnership_id():
        raise NotFound(f"no bulk job {job_id} in this partnership", code="unknown_bulk_job")
    return job


def _may_resume(job: BulkJob) -> bool:
    """Whether the user's organisation is the job's issuer or one of its awarding bodies."""
    return may_act(staff_user().organisation_id, job_organisations(job), partnership_wide=False)


def _resumable(job: BulkJob) -> bool:
    """Whether the job's worker has stopped: failed, never started, or a stale heartbeat."""
    if job.state is JobState.DONE:
        return False
    return not (
        job.state is JobState.RUNNING
        and job.heartbeat_at is not None
        and job.heartbeat_at > utcnow() - jobs.STALE_JOB
    )


def _upload_form() -> BulkUploadForm:
    return BulkUploadForm(
        specifications=partnership_specifications(), organisations=member_organisations()
    )


def _bulk_page(form: BulkUploadForm) -> str:
    pid = own_partnership_id()
    listed = paginate(
        select(BulkJob).where(BulkJob.partnership_id == pid).order_by(BulkJob.id.desc())
    )
    return render_template(
        "staff/bulk.html",
        jobs=listed,
        form=form,
        required_columns=jobs.REQUIRED_COLUMNS,
        optional_columns=jobs.OPTIONAL_COLUMNS,
    )


@bp.get("/bulk")
@staff_required()
def bulk_jobs() -> ResponseReturnValue:
    """The partnership's bulk jobs, and the upload form (issuer role)."""
    return _bulk_page(_upload_form())


@bp.post("/bulk")
@staff_required(Role.ISSUER)
def bulk_upload() -> ResponseReturnValue:
    """Upload a CSV: its rows are checked and stored as a job, which starts at once; a problem
    with the form or the whole file is shown at its field (422)."""
    form = _upload_form()
    wanted = form.checked()
    if wanted is None:
        return _bulk_page(form), 422
    db = get_session()
    try:
        job = jobs.create_job(
            db,
            issuer=form.organisations[0],
            specification=wanted.specification,
            awarding_bodies=wanted.awarding_bodies,
            filename=wanted.file.filename or "upload.csv",
            content=wanted.file.read(),
            actor=actor(),
            reissue=wanted.reissue,
            same_file=wanted.same_file,
        )
    except InvalidInput as error:
        db.rollback()
        form.file_problem(error)
        return _bulk_page(form), 422
    except Conflict as error:  # same_file: warn before anything is issued
        db.rollback()
        earlier = ", ".join(str(n) for n in error.details.get("jobs", []))
        form.file.errors = [
            _(
                "This very file was uploaded before (job %(jobs)s). Nothing was issued. To "
                "upload it again, tick the box below and choose the file again.",
                jobs=earlier,
            )
        ]
        return _bulk_page(form), 409
    job_id = job.id
    db.commit()
    queue.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    return redirect(url_for("staff.bulk_job", job_id=job_id))


@bp.get("/bulk/<dbint:job_id>")
@staff_required()
def bulk_job(job_id: int) -> ResponseReturnValue:
    """A job's progress (live with JavaScript, by reloading without), its refused rows and
    their report."""
    job = _job(job_id)
    rows = list(
        get_session().scalars(
            select(BulkJobRow)
            .where(BulkJobRow.job_id == job.id, BulkJobRow.state == RowState.ERROR)
            .order_by(BulkJobRow.line)
            .limit(ERROR_ROWS_SHOWN)
        )
    )
    return render_template(
        "staff/bulk_job.html",
        job=job,
        progress=jobs.job_json(job),
        error_rows=rows,
        reason=wording.reason,
        resumable=_resumable(job) and _may_resume(job),
        finished=job.state in (JobState.DONE, JobState.FAILED),
        specification=get_session().get_one(Specification, job.specification_id),
        deliveries=delivery.report(get_session(), job),
    )


@bp.get("/bulk/<dbint:job_id>.json")
@staff_required(json=True)
def bulk_job_json(job_id: int) -> ResponseReturnValue:
    """A job's progress as the API gives it (for the progress bar); 404 JSON for another
    partnership's or no job."""
    try:
        job = _job(job_id)
    except NotFound as error:
        return jsonify(error.to_dict()), 404
    return jsonify(jobs.job_json(job))


@bp.get("/bulk/<dbint:job_id>/errors.csv")
@staff_required()
def bulk_job_errors(job_id: int) -> ResponseReturnValue:
    """The refused rows as CSV: line, reference, code, message."""
    job = _job(job_id)
    return Response(
        jobs.job_errors_csv(get_session(), job),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="bulk-job-{job_id}-errors.csv"'},
    )


@bp.post("/bulk/<dbint:job_id>/resume")
@staff_required(Role.ISSUER)
def bulk_job_resume(job_id: int) -> ResponseReturnValue:
    """Carry on with a job whose worker stopped (only pending rows are issued); 403 for a job
    the user's organisation does not award with."""
    db = get_session()
    job = _job(job_id)
    if not _may_resume(job):
        return not_yours(_("Only the organisations that award with this bulk job can resume it."))
    if not _resumable(job):
        flash(_("This job is finished or still running; there is nothing to resume."))
        return redirect(url_for("staff.bulk_job", job_id=job_id))
    db.add(
        AuditEvent(
            actor=actor(),
            organisation_id=staff_user().organisation_id,
            action="bulk_resume",
            details={"bulkJob": job_id},
        )
    )
    runner.reopen_job(db, job)
    db.commit()
    queue.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    flash(_("The job is resumed."))
    return redirect(url_for("staff.bulk_job", job_id=job_id))


@bp.get("/bulk/<dbint:job_id>/links.csv")
@staff_required(Role.ISSUER)
def bulk_job_links(job_id: int) -> ResponseReturnValue:
    """Every issued row with its learner's share link and management link (CSV, for a mail
    merge)."""
    job = _job(job_id)
    if not _may_resume(job):
        return not_yours(_("Only the organisations that award with this bulk job can export it."))
    text = delivery.links_csv(
        get_session(), job, base_url=config.base_url(), passphrase=config.key_passphrase()
    )
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="bulk-job-{job_id}-links.csv"',
            "Cache-Control": "no-store",
        },
    )
