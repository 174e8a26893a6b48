"""Issuing one credential from the staff pages, and the page that shows it once issued (its
share link, QR code and, this once, the learner's management link)."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from issuer import config
from issuer.auth.staff import staff_required
from issuer.credentials import issuance
from issuer.db import get_session
from issuer.errors import Conflict, InvalidInput
from issuer.models import Role, ShareLink
from issuer.sharing.links import share_url
from issuer.staff.blueprint import (
    ISSUED_STASH,
    actor,
    bp,
    find_credential,
    member_organisations,
    partnership_specifications,
)
from issuer.staff.forms import FORM
from issuer.staff.issue_forms import IssueForm


def _issue_form() -> IssueForm:
    return IssueForm(
        specifications=partnership_specifications(), organisations=member_organisations()
    )


def _form_page(form: IssueForm) -> str:
    return render_template("staff/issue.html", form=form)


@bp.route("/issue", methods=["GET", "POST"])
@staff_required(Role.ISSUER)
def issue() -> ResponseReturnValue:
    """Issue one credential: specification (``?specification=`` chooses it beforehand),
    learner, awarding bodies and grade; each problem at its field (422)."""
    form = _issue_form()
    if request.method == "GET":
        form.specification.data = request.args.get("specification", "")
        return _form_page(form)
    wanted = form.checked()
    if wanted is None:
        return _form_page(form), 422
    db = get_session()
    try:
        result = issuance.issue_credential(
            db,
            issuer=form.organisations[0],
            specification=wanted.specification,
            learner=wanted.learner,
            awarding_bodies=wanted.awarding_bodies,
            actor=actor(),
            base_url=config.base_url(),
            passphrase=config.key_passphrase(),
            grade=wanted.grade,
        )
    except (InvalidInput, Conflict) as error:
        db.rollback()
        form.add_error(
            FORM, _("The credential could not be issued: %(reason)s", reason=error.message)
        )
        return _form_page(form), 422
    ref = result.credential.uuid
    manage_url = f"{config.base_url()}/learner/{result.manage_token}"
    db.commit()
    session[ISSUED_STASH] = {"credential": ref, "manage": manage_url}
    return redirect(url_for("staff.issued", ref=ref))


@bp.get("/credentials/<ref>/issued")
@staff_required(Role.ISSUER)
def issued(ref: str) -> ResponseReturnValue:
    """The credential just issued: its share link, QR code and (this once) the learner's
    management link."""
    found = find_credential(ref)
    stash = session.pop(ISSUED_STASH, None)
    manage_url = None
    if isinstance(stash, dict) and stash.get("credential") == found.uuid:
        manage_url = stash.get("manage")
    link = get_session().scalar(
        select(ShareLink)
        .where(ShareLink.credential_id == found.id, ShareLink.withdrawn_at.is_(None))
        .order_by(ShareLink.id)
        .limit(1)
    )
    return render_template(
        "staff/issued.html",
        credential=found,
        ref=found.uuid,
        link=link,
        share_url=share_url(config.base_url(), link.token) if link else None,
        manage_url=manage_url,
    )
