"""The partnership's audit log on the staff pages: every event of its organisations, newest
first, optionally of one credential."""

from __future__ import annotations

import json

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from issuer.audit.events import credential_uuids
from issuer.auth.staff import staff_required
from issuer.db import get_session
from issuer.errors import NotFound
from issuer.models import AuditEvent, Organisation
from issuer.staff.blueprint import bp, find_credential, own_partnership_id, paginate
from issuer.staff.forms import AuditFilterForm


def event_details(event: AuditEvent) -> list[tuple[str, str]]:
    """An event's details as (name, value) pairs for people (the credential is shown apart)."""
    if not isinstance(event.details, dict):
        return []
    pairs = []
    for name, value in event.details.items():
        if name == "credential":
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        pairs.append((str(name), text))
    return pairs


@bp.get("/audit")
@staff_required()
def audit() -> ResponseReturnValue:
    """The partnership's audit log, newest first; ``?credential=`` narrows it to one (404 with
    the problem at the filter when the partnership has no such credential)."""
    db = get_session()
    pid = own_partnership_id()
    members = dict(
        db.execute(
            select(Organisation.id, Organisation.legal_name).where(
                Organisation.partnership_id == pid
            )
        ).all()
    )
    query = select(AuditEvent).where(AuditEvent.organisation_id.in_(list(members)))
    form = AuditFilterForm()
    ref = form.credential.data or ""
    if ref:
        try:
            query = query.where(AuditEvent.credential_id == find_credential(ref).id)
        except NotFound:
            form.add_error(
                "credential", _("No credential of your partnership has this identifier.")
            )
            query = query.where(AuditEvent.id.is_(None))
    page = paginate(query.order_by(AuditEvent.id.desc()))
    return render_template(
        "staff/audit.html",
        page=page,
        ref=ref,
        form=form,
        members=members,
        uuids=credential_uuids(db, page.items),
        details=event_details,
    ), (200 if not form.problems() else 404)
