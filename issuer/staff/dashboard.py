"""The staff overview: what the partnership has issued, its latest bulk jobs, and where to go
from here."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from issuer.auth.staff import staff_required
from issuer.db import get_session
from issuer.models import BulkJob, CredentialState, IssuedCredential, Organisation, Partnership
from issuer.staff.blueprint import bp, own_partnership_id, partnership_specifications, staff_user

LATEST_JOBS = 5


@bp.get("/")
@staff_required()
def dashboard() -> ResponseReturnValue:
    """What the partnership has issued, and where to go from here."""
    db = get_session()
    pid = own_partnership_id()
    counts = dict(
        db.execute(
            select(IssuedCredential.state, func.count())
            .where(IssuedCredential.partnership_id == pid)
            .group_by(IssuedCredential.state)
        ).all()
    )
    jobs = list(
        db.scalars(
            select(BulkJob)
            .where(BulkJob.partnership_id == pid)
            .order_by(BulkJob.id.desc())
            .limit(LATEST_JOBS)
        )
    )
    return render_template(
        "staff/dashboard.html",
        partnership=db.get_one(Partnership, pid),
        organisation=db.get_one(Organisation, staff_user().organisation_id),
        counts={state.value: counts.get(state, 0) for state in CredentialState},
        specifications=len(partnership_specifications()),
        jobs=jobs,
    )
