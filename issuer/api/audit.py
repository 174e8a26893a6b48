"""``/api/v1/audit``: the partnership's audit log (who, when, what, why), newest first, each event
with its words for people; narrowed by credential, action, actor and dates; and
``/api/v1/audit.csv``, the same as CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select

from issuer.api import schemas
from issuer.api.common import bp, limit, page, partnership_credential
from issuer.api.spec import operation
from issuer.audit import events
from issuer.auth.tokens import current_caller, require
from issuer.credentials import issuance
from issuer.db import get_session
from issuer.models import AuditEvent, Organisation, Role


def audit_json(item: events.Presented, organisations: dict[int, str]) -> dict[str, Any]:
    """The API JSON of an audit event (``schemas.AuditEvent``): its organisation by slug and
    credential by UUID, the stored details as they are, and its words (``summary``, ``event``,
    ``learner``, ``credentialTitle``) in the request's language."""
    event, name = item.event, item.credential
    return {
        "id": event.id,
        "at": issuance.iso_time(event.at),
        "actor": event.actor,
        "organisation": organisations.get(event.organisation_id or 0),
        "action": event.action,
        "credential": name.uuid if name else None,
        "reason": event.reason,
        "details": event.details,
        "event": item.label,
        "summary": item.sentences,
        "credentialTitle": name.title if name else None,
        "learner": name.learner if name else None,
    }


def _query() -> tuple[Select[Any], dict[int, str]]:
    """The caller's partnership's events narrowed by the request's parameters, and its
    organisations' slugs by id (404 for an unknown credential, 422 for a malformed filter)."""
    caller = current_caller()
    members = dict(
        get_session()
        .execute(
            select(Organisation.id, Organisation.slug).where(
                Organisation.partnership_id == caller.partnership_id
            )
        )
        .all()
    )
    query = select(AuditEvent).where(AuditEvent.organisation_id.in_(list(members)))
    ref = request.args.get("credential")
    credential_id = partnership_credential(ref).id if ref else None
    return events.read_filter(request.args, credential_id, blank_dates=False).apply(query), members


@bp.get("/audit")
@operation(
    "listAuditEvents",
    "audit",
    {200: schemas.AuditEventList, 404: schemas.ErrorResponse, 422: schemas.ErrorResponse},
    query=schemas.AuditQuery,
)
@require(Role.VIEWER)
def list_audit_events() -> ResponseReturnValue:
    """The partnership's audit log (who, when, what, why), newest first, with words for people.

    ``credential``, ``action``, ``actor`` (part of it), ``since`` / ``until`` (days, UTC, both
    included) narrow it; ``limit`` / ``cursor`` page through it."""
    session = get_session()
    size = limit(default=100, maximum=500)
    query, members = _query()
    found, next_cursor = page(query, AuditEvent.id, size)
    shown = events.present(found, events.lookups(session, found))
    return jsonify(
        {"events": [audit_json(item, members) for item in shown], "nextCursor": next_cursor}
    )


@bp.get("/audit.csv")
@operation(
    "exportAuditEvents",
    "audit",
    {
        200: (None, "CSV of the narrowed audit log, newest first (attachment)."),
        404: schemas.ErrorResponse,
        422: schemas.ErrorResponse,
    },
    query=schemas.AuditExportQuery,
)
@require(Role.VIEWER)
def export_audit_events() -> ResponseReturnValue:
    """The narrowed audit log as CSV (``time,action,event,actor,organisation,credential,title,
    learner,reason,details``), in the request's language, at most 50,000 events."""
    query, _members = _query()
    return Response(
        events.audit_csv(get_session(), query),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
