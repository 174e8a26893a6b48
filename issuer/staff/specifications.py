"""The partnership's specifications: the list, one with every element, and creating one
(admin) with ``issuer.staff.specification_form``, which the specification services check."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from issuer import config
from issuer.auth.staff import staff_required
from issuer.db import get_session
from issuer.errors import Conflict
from issuer.models import AuditEvent, Partnership, Role
from issuer.specifications.services import create_specification, get_specification
from issuer.staff.blueprint import (
    actor,
    bp,
    own_partnership_id,
    partnership_specifications,
    staff_user,
)
from issuer.staff.specification_form import LANGUAGES, SpecificationForm
from issuer.staff.specification_languages import (
    TRANSLATABLE,
    chosen_languages,
    form_class,
    language_label,
    translation,
)


@bp.get("/specifications")
@staff_required()
def specifications() -> ResponseReturnValue:
    """The partnership's specifications."""
    return render_template("staff/specifications.html", specifications=partnership_specifications())


@bp.get("/specifications/<slug>")
@staff_required()
def specification(slug: str) -> ResponseReturnValue:
    """One specification with every element; another partnership's is not found."""
    spec = get_specification(get_session(), own_partnership_id(), slug)
    return render_template(
        "staff/specification.html",
        spec=spec,
        language_name=LANGUAGES.get(spec.language, spec.language),
    )


def _form_page(form: SpecificationForm) -> str:
    return render_template(
        "staff/specification_form.html",
        form=form,
        translatable=[(tag, language_label(tag)) for tag in TRANSLATABLE],
        translation=translation,
        chosen_names=", ".join(language_label(tag) for tag in form.languages),
    )


@bp.route("/specifications/new", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def new_specification() -> ResponseReturnValue:
    """Create a specification (admin): every Annex I element, its texts in English and in the
    EU languages chosen (``?languages=``), each problem at its field (422); created, it is
    audited and its page shown."""
    form = form_class(SpecificationForm, chosen_languages())()
    if request.method == "GET":
        return _form_page(form)
    data = form.checked()
    if data is None:
        return _form_page(form), 422
    db = get_session()
    partnership = db.get_one(Partnership, own_partnership_id())
    try:
        spec = create_specification(
            db, partnership, data, base_url=config.base_url(), shapes=config.edc_shapes()
        )
    except Conflict:
        form.slug_taken()
        return _form_page(form), 422
    db.add(
        AuditEvent(
            actor=actor(),
            organisation_id=staff_user().organisation_id,
            action="create_specification",
            details={"specification": spec.slug},
        )
    )
    db.flush()
    slug = spec.slug
    db.commit()
    flash(_("The specification is created."))
    return redirect(url_for("staff.specification", slug=slug))
