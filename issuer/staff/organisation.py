"""The user's organisation on the staff pages: its logo, which an administrator uploads or
removes (``issuer.partnerships.logos`` checks, re-encodes and audits it). The logo heads the
certificate PDF and shows on the learner's credential page and here, through the public
``/orgs/<partnership>/<organisation>/logo`` route."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from issuer.auth.staff import staff_required
from issuer.db import get_session
from issuer.errors import InvalidInput
from issuer.models import Organisation, Role
from issuer.partnerships import logos
from issuer.staff.blueprint import actor, bp, staff_user
from issuer.staff.forms import ConfirmForm, LogoForm


def _organisation() -> Organisation:
    return get_session().get_one(Organisation, staff_user().organisation_id)


def _page(form: LogoForm, status: int = 200) -> ResponseReturnValue:
    organisation = _organisation()
    path = logos.logo_path(organisation.partnership.slug, organisation)
    page = render_template(
        "staff/organisation.html",
        organisation=organisation,
        logo_url=path,
        form=form,
        max_kib=logos.MAX_BYTES // 1024,
        min_side=logos.MIN_SIDE,
        max_side=logos.MAX_SIDE,
    )
    return page, status


@bp.get("/organisation")
@staff_required()
def organisation() -> ResponseReturnValue:
    """The user's organisation and its logo; administrators also get the forms to change it."""
    return _page(LogoForm(formdata=None))


@bp.post("/organisation/logo")
@staff_required(Role.ADMIN)
def upload_logo() -> ResponseReturnValue:
    """Upload the organisation's logo (422 with the problem at the field when it is refused)."""
    form = LogoForm()
    if not form.validate():
        return _page(form, 422)
    db = get_session()
    try:
        logos.set_logo(db, _organisation(), form.logo.data.read(), actor=actor())
    except InvalidInput:
        db.rollback()
        form.add_error(
            "logo",
            _(
                "Choose a PNG or JPEG image of at most %(kib)d KiB, at least %(side)d pixels "
                "on each side.",
                kib=logos.MAX_BYTES // 1024,
                side=logos.MIN_SIDE,
            ),
        )
        return _page(form, 422)
    db.commit()
    flash(_("The logo is saved."))
    return redirect(url_for("staff.organisation"))


@bp.post("/organisation/logo/remove")
@staff_required(Role.ADMIN)
def remove_logo() -> ResponseReturnValue:
    """Remove the organisation's logo."""
    if not ConfirmForm().validate():
        return _page(LogoForm(formdata=None), 400)
    db = get_session()
    logos.set_logo(db, _organisation(), None, actor=actor())
    db.commit()
    flash(_("The logo is removed."))
    return redirect(url_for("staff.organisation"))
