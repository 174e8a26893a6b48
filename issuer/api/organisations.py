"""``/api/v1/organisations``: the members of the caller's partnership."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from issuer.api import schemas
from issuer.api.common import bp
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, require
from issuer.db import get_session
from issuer.models import Organisation, Role


def organisation_json(organisation: Organisation) -> dict[str, Any]:
    """The API JSON of a member organisation (``schemas.Organisation``)."""
    data: dict[str, Any] = {
        "slug": organisation.slug,
        "legalName": organisation.legal_name,
        "country": organisation.country,
        "countryLabel": organisation.country_label,
        "did": organisation.did,
        "didMethod": organisation.did_method.value,
    }
    if organisation.identifier:
        data["identifier"] = organisation.identifier
    if organisation.homepage:
        data["homepage"] = organisation.homepage
    return data


@bp.get("/organisations")
@operation("listOrganisations", "organisations", {200: schemas.OrganisationList})
@require(Role.VIEWER)
def list_organisations() -> ResponseReturnValue:
    """The member organisations of the caller's partnership."""
    organisations = get_session().scalars(
        select(Organisation)
        .where(Organisation.partnership_id == current_caller().partnership_id)
        .order_by(Organisation.id)
    )
    return jsonify({"organisations": [organisation_json(o) for o in organisations]})
