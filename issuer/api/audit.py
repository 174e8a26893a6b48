"""``/api/v1/audit``: the partnership's audit log (who, when, what, why), newest first."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from issuer.api import schemas
from issuer.api.common import bp, limit, page, partnership_credential
from issuer.api.spec import operation
from issuer.audit.events import credential_uuids
from issuer.auth.tokens import current_caller, require
from issuer.credentials import issuance
from issuer.db import get_session
from issuer.models import AuditEvent, Organisation, Role


def audit_json(
    event: AuditEvent, organisations: dict[int, str], credentials: dict[int, str]
) -> dict[str, Any]:
    """The API JSON of an audit event (``schemas.AuditEvent``), naming its organisation and
    credential by slug and UUID."""
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
@operation(
    "listAuditEvents",
    "audit",
    {200: schemas.AuditEventList, 404: schemas.ErrorResponse, 422: schemas.ErrorResponse},
    query=schemas.AuditQuery,
)
@require(Role.VIEWER)
def list_audit_events() -> ResponseReturnValue:
    """The partnership's audit log (who, when, what, why), newest first.

    ``credential=`` narrows it to one credential; ``limit`` / ``cursor`` page through it."""
    session = get_session()
    caller = current_caller()
    size = limit(default=100, maximum=500)
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
        query = query.where(AuditEvent.credential_id == partnership_credential(ref).id)
    events, next_cursor = page(query, AuditEvent.id, size)
    credentials = credential_uuids(session, events)
    return jsonify(
        {"events": [audit_json(e, members, credentials) for e in events], "nextCursor": next_cursor}
    )
