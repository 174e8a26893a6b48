"""Stacked awards on the staff pages: the partnership's stackable awards, a learner's
qualifying credentials for one (which count, which do not and why), and claiming the award for
the learner (issuer role) with the parts ticked — through ``issuer.stacking.services``, as the
JSON API does. Claimed, the award's "issued" page shows its share link and, this once, the
learner's management link."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from issuer import config
from issuer.auth.staff import staff_required
from issuer.db import get_session
from issuer.errors import ApiError, Conflict, InvalidInput, NotFound
from issuer.models import Organisation, Role
from issuer.specifications.services import get_specification
from issuer.stacking import services as stacking
from issuer.staff.blueprint import ISSUED_STASH, actor, bp, own_partnership_id, staff_user

#: Why a credential does not count, as staff read it.
PROBLEMS = {
    "revoked": lambda: _("revoked"),
    "suspended": lambda: _("suspended"),
    "expired": lambda: _("expired"),
    "not_yet_valid": lambda: _("not yet valid"),
}


@bp.get("/stacks")
@staff_required()
def stacks() -> ResponseReturnValue:
    """The partnership's stackable awards, each with its rule, and where to look up a
    learner."""
    awards = stacking.stackable_specifications(get_session(), own_partnership_id())
    return render_template("staff/stacks.html", awards=awards)


def _stack_page(slug: str, reference: str, error: str | None = None, status: int = 200):
    db = get_session()
    award = get_specification(db, own_partnership_id(), slug)
    stacking.stacking_rule(award)
    found = None
    if reference.strip():
        try:
            learner = stacking.find_learner(db, own_partnership_id(), reference)
        except NotFound:
            error = error or _("No learner of that reference in this partnership.")
            status = 404 if status == 200 else status
        else:
            found = stacking.eligibility(db, award, learner)
    page = render_template(
        "staff/stack.html",
        award=award,
        rule=award.stacking,
        reference=reference,
        found=found,
        chosen={c.credential.credential_uri for c in found.chosen} if found else set(),
        problems={key: word() for key, word in PROBLEMS.items()},
        error=error,
    )
    return page, status


@bp.get("/stacks/<slug>")
@staff_required()
def stack(slug: str) -> ResponseReturnValue:
    """One stackable award and, with ``?learner=`` (a learner's reference), what that learner
    holds towards it."""
    return _stack_page(slug, request.args.get("learner", ""))


@bp.post("/stacks/<slug>/claim")
@staff_required(Role.ISSUER)
def claim_stack(slug: str) -> ResponseReturnValue:
    """Claim the award for the learner with the parts ticked, issued by the user's
    organisation; a refusal (too few parts or ECTS, a part that does not count, the award held
    already) is shown on the learner's page (409 / 422)."""
    reference = request.form.get("learner", "")
    db = get_session()
    try:
        award = get_specification(db, own_partnership_id(), slug)
        issued, _parts = stacking.claim_stack(
            db,
            award=award,
            learner=stacking.find_learner(db, own_partnership_id(), reference),
            issuer=db.get_one(Organisation, staff_user().organisation_id),
            parts=request.form.getlist("part") or [],
            actor=actor(),
            base_url=config.base_url(),
            passphrase=config.key_passphrase(),
        )
    except (InvalidInput, Conflict) as refusal:
        db.rollback()
        return _stack_page(slug, reference, _refusal(refusal), refusal.status)
    ref = issued.credential.uuid
    manage_url = f"{config.base_url()}/learner/{issued.manage_token}"
    db.commit()
    session[ISSUED_STASH] = {"credential": ref, "manage": manage_url}
    return redirect(url_for("staff.issued", ref=ref))


def _refusal(error: ApiError) -> str:
    """The refusal in the staff's words."""
    if isinstance(error, stacking.StackIncomplete):
        details = error.details
        return _(
            "Not enough for this award: %(parts)s of %(min_parts)s credentials, %(ects)s of "
            "%(min_ects)s ECTS.",
            parts=details["parts"],
            min_parts=details["minParts"],
            ects=details["ects"],
            min_ects=details["minEcts"],
        )
    if isinstance(error, stacking.AlreadyClaimed):
        return _("The learner holds this award already.")
    if isinstance(error, stacking.PartNotQualifying):
        return _("Some of the credentials ticked cannot be parts of this award.")
    return _("The award could not be issued: %(reason)s", reason=error.message)
