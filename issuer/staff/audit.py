"""The partnership's audit log on the staff pages, in words: every event of its organisations,
newest first, narrowed by credential, action, actor and dates; and the same as a CSV download.
Presentation only (``issuer.audit.events``, ``issuer.audit.wording``): the log is unchanged."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import Select, select

from issuer.audit import events
from issuer.auth.staff import staff_required
from issuer.db import get_session
from issuer.errors import InvalidInput, NotFound
from issuer.models import AuditEvent, Organisation
from issuer.staff.blueprint import bp, find_credential, own_partnership_id, paginate
from issuer.staff.forms import AuditFilterForm

NOTHING = AuditEvent.id.is_(None)


def _filtered(form: AuditFilterForm) -> Select[Any]:
    """The partnership's events the form's filters keep; none when a filter is malformed (the
    form then shows the problem at its field)."""
    pid = own_partnership_id()
    members = select(Organisation.id).where(Organisation.partnership_id == pid)
    query = select(AuditEvent).where(AuditEvent.organisation_id.in_(members))
    credential_id = None
    if form.credential.data:
        try:
            credential_id = find_credential(form.credential.data).id
        except NotFound:
            form.add_error(
                "credential", _("No credential of your partnership has this identifier.")
            )
            return query.where(NOTHING)
    try:
        chosen = events.read_filter(request.args, credential_id)
    except InvalidInput as error:
        form.show_problems(error)
        return query.where(NOTHING)
    return chosen.apply(query)


@bp.get("/audit")
@staff_required()
def audit() -> ResponseReturnValue:
    """The partnership's audit log in words, newest first, narrowed by ``?credential=``,
    ``action``, ``actor``, ``since``, ``until`` (404 when the partnership has no such credential,
    422 for a malformed filter, each with the problem at its field)."""
    form = AuditFilterForm()
    query = _filtered(form)
    page = paginate(query.order_by(AuditEvent.id.desc()))
    db = get_session()
    shown = events.present(page.items, events.lookups(db, page.items))
    status = 200
    if form.problems():
        status = 404 if form.credential.errors else 422
    filtered = any(request.args.get(k) for k in ("credential", "action", "actor", "since", "until"))
    return render_template(
        "staff/audit.html", page=page, shown=shown, form=form, filtered=filtered
    ), status


@bp.get("/audit.csv")
@staff_required()
def audit_csv() -> ResponseReturnValue:
    """The audit log, narrowed by the page's filters, as a CSV download in the page's language
    (``issuer.audit.events.audit_csv``)."""
    form = AuditFilterForm()
    query = _filtered(form)
    if form.problems():
        return Response(form.problems()[0][2], status=422, mimetype="text/plain")
    return Response(
        events.audit_csv(get_session(), query),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
