"""Correcting a credential by re-issue on the staff pages (:mod:`issuer.credentials.reissue`):
the learner's details as they should read; the old credential is revoked (``superseded``) and
the new one replaces it, with the learner's links."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from issuer import config
from issuer.auth.scope import awarding_organisations, may_act
from issuer.auth.staff import staff_required
from issuer.credentials import reissue
from issuer.db import get_session
from issuer.errors import Conflict, InvalidInput
from issuer.models import CredentialState, IssuedCredential, Role
from issuer.staff.blueprint import actor, bp, find_credential, not_yours, staff_user
from issuer.staff.issue_forms import CorrectionForm


def _filled(credential: IssuedCredential) -> CorrectionForm:
    learner = credential.learner
    form = CorrectionForm(formdata=None)
    form.given_name.data = learner.given_name
    form.family_name.data = learner.family_name
    form.email.data = learner.email or ""
    form.date_of_birth.data = learner.date_of_birth.isoformat() if learner.date_of_birth else ""
    form.email_in_credential.data = "contactPoint" in credential.document
    return form


@bp.route("/credentials/<ref>/reissue", methods=["GET", "POST"])
@staff_required(Role.ISSUER)
def reissue_credential(ref: str) -> ResponseReturnValue:
    """GET: the form, filled in with the learner's details; POST: re-issue with the corrections
    and go to the new credential (422 with the problems at their fields; 409 when the credential
    is revoked or corrected already; 403 for a credential the user's organisation does not
    award)."""
    found = find_credential(ref)
    user = staff_user()
    if not may_act(user.organisation_id, awarding_organisations(found), partnership_wide=False):
        return not_yours(
            _("Only the organisations that award this credential can correct it by re-issue.")
        )
    db = get_session()
    possible = found.state is not CredentialState.REVOKED and reissue.replaced_by(db, found) is None
    form = CorrectionForm() if possible else _filled(found)
    if form.is_submitted() and possible:
        try:
            done = reissue.reissue(
                db,
                found,
                form.corrections(),
                actor=actor(),
                organisation_id=user.organisation_id,
                base_url=config.base_url(),
                passphrase=config.key_passphrase(),
            )
        except InvalidInput as error:
            db.rollback()
            found = find_credential(ref)
            form.show_problems(error)
        except Conflict:
            db.rollback()
            found, possible = find_credential(ref), False
        else:
            db.commit()
            flash(
                _(
                    "The corrected credential replaces the old one, which is revoked (superseded). "
                    "The learner's links now lead to the corrected credential."
                )
            )
            return redirect(url_for("staff.credential", ref=done.new.uuid))
    elif not form.is_submitted():
        form = _filled(found)
    status = 409 if not possible else (422 if form.problems() else 200)
    page = render_template(
        "staff/reissue.html", credential=found, ref=found.uuid, form=form, possible=possible
    )
    return page, status
