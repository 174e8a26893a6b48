"""``/api/v1/bulk-jobs``: upload a CSV of learners and issue a credential to each row, follow the
job, fetch its refused rows, its learners' links (for a mail merge) and its e-mail report, and
resume a failed job."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from issuer import config
from issuer.api import schemas
from issuer.api.common import awarding_bodies, bp, caller_organisation, check_slugs, created
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, ensure_caller_may_act_on_job, require
from issuer.bulk import delivery, queue, runner
from issuer.bulk import jobs as bulk
from issuer.db import get_session
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import AuditEvent, BulkJob, JobState, Organisation, Role, utcnow
from issuer.specifications.services import get_specification

E = schemas.ErrorResponse


def _job(job_id: int) -> BulkJob:
    job = get_session().get(BulkJob, job_id)
    if job is None or job.partnership_id != current_caller().partnership_id:
        raise NotFound(f"no bulk job {job_id} in this partnership", code="unknown_bulk_job")
    return job


@bp.post("/bulk-jobs")
@operation(
    "createBulkJob",
    "bulk jobs",
    {202: (schemas.BulkJob, "The job, started (Location: its URL)."), 404: E, 409: E, 422: E},
    role="issuer",
    form=schemas.BulkUpload,
)
@require(Role.ISSUER)
def create_bulk_job() -> ResponseReturnValue:
    """Upload a CSV of learners and issue a credential to each (issuer role).

    multipart/form-data: ``file``, ``specification``, ``awardingBodies`` as comma-separated
    slugs; ``reissue`` and ``sameFile`` (``true``/``false``). Rows that cannot be issued are
    listed in the job's errors.csv (a learner who holds the credential already:
    ``already_holds_credential``, unless ``reissue``); the others are issued by the queue's
    workers. 409 ``same_file`` when this very file was uploaded before, unless ``sameFile``."""
    session = get_session()
    caller = current_caller()
    issuer = caller_organisation()
    upload = request.files.get("file")  # reading the form enforces MAX_CONTENT_LENGTH (413)
    problems: dict[str, Any] = {}
    if upload is None:
        problems["file"] = "required: the CSV file (multipart/form-data)"
    slug = request.form.get("specification", "").strip()
    if not slug:
        problems["specification"] = "required: the slug of one of the partnership's specifications"
    raw_bodies = request.form.get("awardingBodies", "").strip()
    bodies: list[Organisation] = [issuer]
    if raw_bodies:
        try:
            slugs = check_slugs([s.strip() for s in raw_bodies.split(",") if s.strip()])
            bodies = awarding_bodies(slugs, issuer)
        except ValueError as error:
            problems["awardingBodies"] = str(error)
    flags = {}
    for name in ("reissue", "sameFile"):
        value = request.form.get(name, "false").strip().lower()
        if value not in ("true", "false"):
            problems[name] = "must be true or false"
        flags[name] = value == "true"
    if problems or upload is None:
        raise InvalidInput(
            "the upload is missing or has malformed fields", details={"fields": problems}
        )
    specification = get_specification(session, caller.partnership_id, slug)
    job = bulk.create_job(
        session,
        issuer=issuer,
        specification=specification,
        awarding_bodies=bodies,
        filename=upload.filename or "upload.csv",
        content=upload.read(),
        actor=caller.actor,
        reissue=flags["reissue"],
        same_file=flags["sameFile"],
    )
    job_id = job.id
    session.commit()
    queue.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    session.refresh(job)
    return created(bulk.job_json(job), url_for("api.get_bulk_job", job_id=job_id), status=202)


@bp.get("/bulk-jobs/<dbint:job_id>")
@operation("getBulkJob", "bulk jobs", {200: schemas.BulkJob, 404: E})
@require(Role.VIEWER)
def get_bulk_job(job_id: int) -> ResponseReturnValue:
    """A bulk job's progress: state and row counts."""
    return jsonify(bulk.job_json(_job(job_id)))


@bp.get("/bulk-jobs/<dbint:job_id>/errors.csv")
@operation(
    "getBulkJobErrors",
    "bulk jobs",
    {200: (None, "CSV (line, reference, code, message), as an attachment."), 404: E},
)
@require(Role.VIEWER)
def get_bulk_job_errors(job_id: int) -> ResponseReturnValue:
    """The refused rows of a bulk job (line, reference, code, message)."""
    job = _job(job_id)
    text = bulk.job_errors_csv(get_session(), job)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="bulk-job-{job_id}-errors.csv"'},
    )


@bp.post("/bulk-jobs/<dbint:job_id>/resume")
@operation(
    "resumeBulkJob",
    "bulk jobs",
    {202: (schemas.BulkJob, "The job, restarted."), 404: E, 409: E},
    role="issuer",
)
@require(Role.ISSUER)
def resume_bulk_job(job_id: int) -> ResponseReturnValue:
    """Carry on with a job whose worker stopped (issuer role).

    Failed, never started, or running with a heartbeat older than ``bulk.STALE_JOB`` (only rows
    still pending are issued; none twice). 409 ``job_finished`` for a done job, ``job_running``
    for one whose worker is alive. The token's organisation must be the job's issuer or one of
    the bodies it awards with, unless the token has the partnership scope (403 `forbidden`)."""
    session = get_session()
    caller = current_caller()
    job = _job(job_id)
    ensure_caller_may_act_on_job(job)  # 403 on another member's job
    if job.state is JobState.DONE:
        raise Conflict(f"bulk job {job_id} is finished", code="job_finished")
    if job.state is JobState.RUNNING and (
        job.heartbeat_at is not None and job.heartbeat_at > utcnow() - bulk.STALE_JOB
    ):
        raise Conflict(f"bulk job {job_id} is running", code="job_running")
    session.add(
        AuditEvent(
            actor=caller.actor,
            organisation_id=caller.organisation_id,
            action="bulk_resume",
            details={"bulkJob": job_id},
        )
    )
    runner.reopen_job(session, job)
    session.commit()
    queue.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    session.refresh(job)
    return created(bulk.job_json(job), url_for("api.get_bulk_job", job_id=job_id), status=202)


@bp.get("/bulk-jobs/<dbint:job_id>/links.csv")
@operation(
    "getBulkJobLinks",
    "bulk jobs",
    {200: (None, "CSV of every issued row's share and management links (attachment)."), 404: E},
    role="issuer",
)
@require(Role.ISSUER)
def get_bulk_job_links(job_id: int) -> ResponseReturnValue:
    """Every issued row of a bulk job with its learner's share link and management link, for
    a mail merge (issuer role: the management links act for the learners): line, reference,
    given_name, family_name, email, language, credential, share_url, manage_url."""
    job = _job(job_id)
    ensure_caller_may_act_on_job(job)
    text = delivery.links_csv(
        get_session(),
        job,
        base_url=config.base_url(),
        passphrase=config.key_passphrase(),
    )
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="bulk-job-{job_id}-links.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/bulk-jobs/<dbint:job_id>/deliveries")
@operation("getBulkJobDeliveries", "bulk jobs", {200: schemas.DeliveryReport, 404: E})
@require(Role.VIEWER)
def get_bulk_job_deliveries(job_id: int) -> ResponseReturnValue:
    """What became of the job's e-mail to its learners: sent, pending, failed with reasons."""
    return jsonify(delivery.report(get_session(), _job(job_id)))
