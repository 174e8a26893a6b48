"""A credential's learner link on the staff pages: giving the learner a new management link
(issue 14, delivery (c)). The old link stops working; the new one is shown once, on the answer
to the POST, and never stored (``issuer.sharing.links.renew_learner_link``, which the API's
``POST /api/v1/credentials/<id>/learner-link`` calls too)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from issuer import config
from issuer.auth.scope import awarding_organisations, may_act
from issuer.auth.staff import staff_required
from issuer.db import get_session
from issuer.models import Role
from issuer.sharing.links import learner_manage_url, renew_learner_link
from issuer.staff.blueprint import actor, bp, find_credential, not_yours, staff_user
from issuer.staff.forms import ConfirmForm


@bp.route("/credentials/<ref>/learner-link", methods=["GET", "POST"])
@staff_required(Role.ISSUER)
def new_learner_link(ref: str) -> ResponseReturnValue:
    """GET: what a new management link does, with the button; POST: the new link, shown once
    (the old one no longer works). 403 for a credential the user's organisation does not award."""
    found = find_credential(ref)
    user = staff_user()
    if not may_act(user.organisation_id, awarding_organisations(found), partnership_wide=False):
        return not_yours(
            _("Only the organisations that award this credential can give its learner a new link.")
        )
    form = ConfirmForm()
    manage_url = None
    if form.is_submitted() and form.validate():
        db = get_session()
        token = renew_learner_link(db, found, actor=actor(), organisation_id=user.organisation_id)
        db.commit()
        manage_url = learner_manage_url(config.base_url(), token)
    page = render_template(
        "staff/learner_link.html",
        credential=found,
        ref=found.uuid,
        form=form,
        manage_url=manage_url,
    )
    return page, (201 if manage_url else 200), {"Cache-Control": "no-store"}
