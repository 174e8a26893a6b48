"""The issuer's JSON API under ``/api/v1``: specifications, organisations, credentials, bulk
jobs and the audit log.

Every route needs an API token (``Authorization: Bearer <token>``): the viewer role reads, the
issuer role issues, changes status and runs bulk jobs, the admin role writes specifications.
Every query is scoped to the caller's partnership: another partnership's credential, job or
specification is "not found", never "forbidden". Within the partnership a token reads
everything, but changes a credential's status or resumes a bulk job only when its organisation
awards it, unless the token has the partnership scope (``issuer.auth.scope``; 403 ``forbidden``
otherwise). A token always issues as its own organisation. Services flush; the views here
commit only after the service call succeeded, so a failure leaves nothing written. Errors are
``{"error": {"code", "message", "details"}}`` with the stable codes of ``issuer.errors``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, and_, func, or_, select

from issuer import config
from issuer.auth.tokens import (
    current_caller,
    ensure_caller_may_act_on,
    ensure_caller_may_act_on_job,
    require,
)
from issuer.bulk import jobs as bulk
from issuer.credentials import issuance
from issuer.dates import DateRule, MomentError, parse_moment
from issuer.db import get_session
from issuer.edge import DB_INT_MAX, json_body
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import (
    AuditEvent,
    BulkJob,
    CredentialState,
    IssuedCredential,
    JobState,
    Learner,
    Organisation,
    Partnership,
    Role,
    Specification,
    utcnow,
)
from issuer.partnerships.services import get_organisation
from issuer.specifications.services import (
    create_specification,
    get_specification,
    specification_json,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_REASON = 2000
STATUS_ACTIONS = ("suspend", "reinstate", "revoke")


# --- helpers ----------------------------------------------------------------------------------


def caller_organisation() -> Organisation:
    """The caller's organisation (in this request's session)."""
    organisation = get_session().get(Organisation, current_caller().organisation_id)
    if organisation is None:  # the token outlived its organisation: treat as unknown
        raise NotFound("the token's organisation no longer exists")
    return organisation


def caller_partnership() -> Partnership:
    """The caller's partnership (in this request's session)."""
    partnership = get_session().get(Partnership, current_caller().partnership_id)
    if partnership is None:
        raise NotFound("the token's partnership no longer exists")
    return partnership


def _limit(default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise InvalidInput(
            f"limit must be an integer from 1 to {maximum}", details={"fields": {"limit": raw}}
        )
    return value


#: A page cursor: the id of the last item seen, in decimal (what the OpenAPI's pattern says).
CURSOR = re.compile(r"[1-9][0-9]{0,18}")


def _encode_cursor(last_id: int) -> str:
    return str(last_id)


def _decode_cursor(cursor: str | None) -> int | None:
    """The id a page starts below; None for no cursor, or for one past every database id (the
    first page). 422 ``invalid_input`` for anything but a cursor's digits."""
    if cursor is None:
        return None
    if not CURSOR.fullmatch(cursor):
        raise InvalidInput(
            "cursor is not one this API returned", details={"fields": {"cursor": "malformed"}}
        )
    after = int(cursor)
    return None if after > DB_INT_MAX else after


def _page(query: Select[Any], id_column: Any, limit: int) -> tuple[list[Any], str | None]:
    """Keyset pagination, newest first: ``id`` descending, ``cursor`` the last id seen."""
    after = _decode_cursor(request.args.get("cursor"))
    if after is not None:
        query = query.where(id_column < after)
    rows = list(get_session().scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_encode_cursor(rows[-1].id) if has_more and rows else None)


def _created(body: dict[str, Any], location: str, status: int = 201) -> ResponseReturnValue:
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = location
    return response


def _parse_valid_until(value: Any) -> datetime:
    """An ISO 8601 date-time with a time zone, or a date (valid until the end of that day UTC),
    in the future and within :mod:`issuer.dates`' range; ``ValueError`` says what is wrong."""
    try:
        return parse_moment(value, dates=DateRule.END_OF_DAY, after=utcnow())
    except MomentError as error:
        raise ValueError(error.message) from None


def _learner_problems(error: InvalidInput) -> dict[str, Any]:
    """The per-field problems of a learner error, each field named ``learner.<field>``."""
    details = error.details
    fields = details.get("fields") if isinstance(details, dict) else None
    if not isinstance(fields, dict) or not fields:
        return {"learner": error.message}
    return {
        name if name == "learner" else f"learner.{name}": problem
        for name, problem in fields.items()
    }


# --- specifications and organisations ---------------------------------------------------------


@bp.get("/specifications")
@require(Role.VIEWER)
def list_specifications() -> ResponseReturnValue:
    """The partnership's specifications, by slug."""
    specifications = get_session().scalars(
        select(Specification)
        .where(Specification.partnership_id == current_caller().partnership_id)
        .order_by(Specification.slug)
    )
    return jsonify({"specifications": [specification_json(s) for s in specifications]})


@bp.post("/specifications")
@require(Role.ADMIN)
def create_specification_view() -> ResponseReturnValue:
    """Create a specification (admin); 422 lists every missing or malformed field."""
    data = json_body()
    session = get_session()
    caller = current_caller()
    specification = create_specification(
        session, caller_partnership(), data, base_url=config.base_url()
    )
    session.add(
        AuditEvent(
            actor=caller.actor,
            organisation_id=caller.organisation_id,
            action="create_specification",
            details={"specification": specification.slug},
        )
    )
    session.flush()
    body = specification_json(specification)
    session.commit()
    return _created(body, url_for("api.get_specification_view", slug=specification.slug))


@bp.get("/specifications/<slug>")
@require(Role.VIEWER)
def get_specification_view(slug: str) -> ResponseReturnValue:
    """One specification of the partnership; 404 ``unknown_specification``."""
    specification = get_specification(get_session(), current_caller().partnership_id, slug)
    return jsonify(specification_json(specification))


def organisation_json(organisation: Organisation) -> dict[str, Any]:
    """The API JSON of a member organisation."""
    data: dict[str, Any] = {
        "slug": organisation.slug,
        "legalName": organisation.legal_name,
        "country": organisation.country,
        "countryLabel": organisation.country_label,
        "did": organisation.did,
    }
    if organisation.identifier:
        data["identifier"] = organisation.identifier
    if organisation.homepage:
        data["homepage"] = organisation.homepage
    return data


@bp.get("/organisations")
@require(Role.VIEWER)
def list_organisations() -> ResponseReturnValue:
    """The members of the caller's partnership."""
    organisations = get_session().scalars(
        select(Organisation)
        .where(Organisation.partnership_id == current_caller().partnership_id)
        .order_by(Organisation.id)
    )
    return jsonify({"organisations": [organisation_json(o) for o in organisations]})


# --- credentials ------------------------------------------------------------------------------


def _awarding_bodies(value: Any, issuer: Organisation) -> list[Organisation]:
    """The awarding bodies named by slug, the issuer first; ``ValueError`` names the problem."""
    if value is None:
        return [issuer]
    if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
        raise ValueError("must be a non-empty list of organisation slugs")
    if len(set(value)) != len(value):
        raise ValueError("names an organisation more than once")
    if issuer.slug not in value:
        raise ValueError(f"must include the issuing organisation {issuer.slug!r}")
    session = get_session()
    others = []
    for slug in value:
        if slug == issuer.slug:
            continue
        try:
            others.append(get_organisation(session, issuer.partnership_id, slug))
        except NotFound:
            raise ValueError(f"{slug!r} is not an organisation of this partnership") from None
    return [issuer, *others]


def _issue_response(issued: issuance.Issued) -> dict[str, Any]:
    base = config.base_url()
    credential = issued.credential
    token = issued.share_link.token
    return {
        "credential": issuance.credential_json(credential, base_url=base),
        "document": json.loads(credential.document),
        "shareUrl": f"{base}/c/{token}",
        "learnerManageUrl": f"{base}/learner/{issued.manage_token}",
        "qr": {"png": f"{base}/c/{token}/qr.png", "svg": f"{base}/c/{token}/qr.svg"},
    }


@bp.post("/credentials")
@require(Role.ISSUER)
def issue_credential_view() -> ResponseReturnValue:
    """Issue one credential of a specification to a learner, signed by every awarding body.

    Body: ``{"specification": slug, "learner": {reference, givenName, familyName, email?,
    dateOfBirth?}, "awardingBodies"?: [slugs, the caller's organisation among them],
    "grade"?: str, "validUntil"?: ISO 8601}``. The learner management URL in the answer is
    shown only this once.
    """
    data = json_body()
    session = get_session()
    caller = current_caller()
    issuer = caller_organisation()
    problems: dict[str, Any] = {}

    slug = data.get("specification")
    if not isinstance(slug, str) or not slug:
        problems["specification"] = "required: the slug of one of the partnership's specifications"

    learner: issuance.LearnerInput | None = None
    if data.get("learner") is None:
        problems["learner"] = "required: {reference, givenName, familyName, email?, dateOfBirth?}"
    else:
        try:
            learner = issuance.LearnerInput.from_json(data["learner"])
        except InvalidInput as error:
            problems.update(_learner_problems(error))

    bodies: list[Organisation] = [issuer]
    try:
        bodies = _awarding_bodies(data.get("awardingBodies"), issuer)
    except ValueError as error:
        problems["awardingBodies"] = str(error)

    grade = data.get("grade")
    if grade is not None and (not isinstance(grade, str) or not grade.strip()):
        problems["grade"] = "must be a non-empty string"
        grade = None

    valid_until: datetime | None = None
    if data.get("validUntil") is not None:
        try:
            valid_until = _parse_valid_until(data["validUntil"])
        except ValueError as error:
            problems["validUntil"] = str(error)

    if problems or learner is None or not isinstance(slug, str):
        raise InvalidInput(
            "the request is missing or has malformed fields", details={"fields": problems}
        )
    specification = get_specification(session, caller.partnership_id, slug)
    issued = issuance.issue_credential(
        session,
        issuer=issuer,
        specification=specification,
        learner=learner,
        awarding_bodies=bodies,
        actor=caller.actor,
        base_url=config.base_url(),
        passphrase=config.key_passphrase(),
        grade=grade,
        valid_until=valid_until,
    )
    body = _issue_response(issued)
    session.commit()
    location = url_for("api.get_credential_view", ref=issued.credential.uuid)
    return _created(body, location)


def _credential(ref: str) -> IssuedCredential:
    return issuance.get_credential(get_session(), current_caller().partnership_id, ref)


@bp.get("/credentials")
@require(Role.VIEWER)
def list_credentials() -> ResponseReturnValue:
    """The partnership's credentials, newest first, ``limit`` at a time.

    Filters: ``state`` (active | suspended | revoked), ``specification`` (slug), ``q`` (every
    word must occur in the learner's given name, family name or reference). ``nextCursor`` in
    the answer fetches the next page (``cursor=``); it is null on the last page.
    """
    session = get_session()
    caller = current_caller()
    limit = _limit()
    query = select(IssuedCredential).where(IssuedCredential.partnership_id == caller.partnership_id)
    state = request.args.get("state")
    if state is not None:
        try:
            query = query.where(IssuedCredential.state == CredentialState(state))
        except ValueError:
            raise InvalidInput(
                "state must be one of active, suspended, revoked",
                details={"fields": {"state": state}},
            ) from None
    slug = request.args.get("specification")
    if slug:
        specification = get_specification(session, caller.partnership_id, slug)
        query = query.where(IssuedCredential.specification_id == specification.id)
    words = (request.args.get("q") or "").split()
    if words:
        query = query.join(Learner, Learner.id == IssuedCredential.learner_id)
        conditions = []
        for word in words[:10]:
            pattern = (
                "%"
                + word.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
                + "%"
            )
            conditions.append(
                or_(
                    *(
                        func.lower(column).like(pattern, escape="\\")
                        for column in (Learner.given_name, Learner.family_name, Learner.reference)
                    )
                )
            )
        query = query.where(and_(*conditions))
    credentials, next_cursor = _page(query, IssuedCredential.id, limit)
    base = config.base_url()
    return jsonify(
        {
            "credentials": [issuance.credential_json(c, base_url=base) for c in credentials],
            "nextCursor": next_cursor,
        }
    )


@bp.get("/credentials/<ref>")
@require(Role.VIEWER)
def get_credential_view(ref: str) -> ResponseReturnValue:
    """A credential's metadata and its signed document; 404 ``unknown_credential``."""
    credential = _credential(ref)
    return jsonify(
        {
            "credential": issuance.credential_json(credential, base_url=config.base_url()),
            "document": json.loads(credential.document),
        }
    )


@bp.get("/credentials/<ref>/document")
@require(Role.VIEWER)
def get_credential_document(ref: str) -> ResponseReturnValue:
    """The signed credential exactly as stored, byte for byte (``application/ld+json``)."""
    credential = _credential(ref)
    return Response(credential.document, mimetype="application/ld+json")


def _change_status(ref: str, action: str) -> ResponseReturnValue:
    data = json_body(allow_empty=True)
    reason = data.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise InvalidInput(
            f"reason must be a string of at most {MAX_REASON} characters",
            details={"fields": {"reason": "malformed"}},
        )
    session = get_session()
    credential = _credential(ref)
    ensure_caller_may_act_on(credential)  # 403 on another member's credential
    credential = issuance.change_status(
        session, credential, action, actor=current_caller().actor, reason=reason or None
    )
    body = issuance.credential_json(credential, base_url=config.base_url())
    session.commit()
    return jsonify(body)


@bp.post("/credentials/<ref>/suspend")
@require(Role.ISSUER)
def suspend_credential(ref: str) -> ResponseReturnValue:
    """Suspend an active credential (its suspension bit is set); 409 if it is not active."""
    return _change_status(ref, "suspend")


@bp.post("/credentials/<ref>/reinstate")
@require(Role.ISSUER)
def reinstate_credential(ref: str) -> ResponseReturnValue:
    """Lift a suspension; 409 if the credential is not suspended."""
    return _change_status(ref, "reinstate")


@bp.post("/credentials/<ref>/revoke")
@require(Role.ISSUER)
def revoke_credential(ref: str) -> ResponseReturnValue:
    """Revoke a credential for good; 409 if it is revoked already."""
    return _change_status(ref, "revoke")


# --- bulk jobs --------------------------------------------------------------------------------


def _job(job_id: int) -> BulkJob:
    job = get_session().get(BulkJob, job_id)
    if job is None or job.partnership_id != current_caller().partnership_id:
        raise NotFound(f"no bulk job {job_id} in this partnership", code="unknown_bulk_job")
    return job


@bp.post("/bulk-jobs")
@require(Role.ISSUER)
def create_bulk_job() -> ResponseReturnValue:
    """Upload a CSV (multipart/form-data: ``file``, ``specification``, ``awardingBodies`` as
    comma-separated slugs) and start issuing its rows; 202 with the job."""
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
            bodies = _awarding_bodies(
                [s.strip() for s in raw_bodies.split(",") if s.strip()], issuer
            )
        except ValueError as error:
            problems["awardingBodies"] = str(error)
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
    )
    job_id = job.id
    session.commit()
    bulk.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    session.refresh(job)
    return _created(bulk.job_json(job), url_for("api.get_bulk_job", job_id=job_id), status=202)


@bp.get("/bulk-jobs/<dbint:job_id>")
@require(Role.VIEWER)
def get_bulk_job(job_id: int) -> ResponseReturnValue:
    """A bulk job's progress: state and row counts."""
    return jsonify(bulk.job_json(_job(job_id)))


@bp.get("/bulk-jobs/<dbint:job_id>/errors.csv")
@require(Role.VIEWER)
def get_bulk_job_errors(job_id: int) -> ResponseReturnValue:
    """The refused rows of a bulk job as CSV: line, reference, code, message."""
    job = _job(job_id)
    text = bulk.job_errors_csv(get_session(), job)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="bulk-job-{job_id}-errors.csv"'},
    )


@bp.post("/bulk-jobs/<dbint:job_id>/resume")
@require(Role.ISSUER)
def resume_bulk_job(job_id: int) -> ResponseReturnValue:
    """Carry on with a job whose worker stopped: failed, never started, or running with a
    heartbeat older than ``bulk.STALE_JOB`` (only rows still pending are issued; none twice).
    409 ``job_finished`` for a done job, ``job_running`` for one whose worker is alive."""
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
    session.commit()
    bulk.start_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    session.refresh(job)
    return _created(bulk.job_json(job), url_for("api.get_bulk_job", job_id=job_id), status=202)


# --- audit ------------------------------------------------------------------------------------


def audit_json(
    event: AuditEvent, organisations: dict[int, str], credentials: dict[int, str]
) -> dict[str, Any]:
    """The API JSON of an audit event."""
    return {
        "id": event.id,
        "at": issuance.iso_time(event.at),
        "actor": event.actor,
        "organisation": organisations.get(event.organisation_id or 0),
        "action": event.action,
        "credential": credentials.get(event.credential_id or 0),
        "reason": event.reason,
        "details": event.details,
    }


@bp.get("/audit")
@require(Role.VIEWER)
def list_audit_events() -> ResponseReturnValue:
    """The partnership's audit events (who, when, what, why), newest first; ``credential=``
    narrows them to one credential, ``limit`` / ``cursor`` page through them."""
    session = get_session()
    caller = current_caller()
    limit = _limit(default=100, maximum=500)
    members = dict(
        session.execute(
            select(Organisation.id, Organisation.slug).where(
                Organisation.partnership_id == caller.partnership_id
            )
        ).all()
    )
    query = select(AuditEvent).where(AuditEvent.organisation_id.in_(list(members)))
    ref = request.args.get("credential")
    if ref:
        query = query.where(AuditEvent.credential_id == _credential(ref).id)
    events, next_cursor = _page(query, AuditEvent.id, limit)
    ids = {e.credential_id for e in events if e.credential_id is not None}
    credentials = (
        {
            id_: uri.removeprefix("urn:uuid:")
            for id_, uri in session.execute(
                select(IssuedCredential.id, IssuedCredential.credential_uri).where(
                    IssuedCredential.id.in_(ids)
                )
            ).all()
        }
        if ids
        else {}
    )
    return jsonify(
        {"events": [audit_json(e, members, credentials) for e in events], "nextCursor": next_cursor}
    )
