"""``/api/v1/specifications``: the partnership's specifications (read: viewer; create: admin).
The body is validated by ``issuer.specifications.rules.SpecificationInput``."""

from __future__ import annotations

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue

from issuer import config
from issuer.api import schemas
from issuer.api.common import bp, caller_partnership, created, json_body
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, require
from issuer.db import get_session
from issuer.models import AuditEvent, Role
from issuer.specifications.services import (
    create_specification,
    get_specification,
    list_specifications,
    specification_json,
)


@bp.get("/specifications")
@operation("listSpecifications", "specifications", {200: schemas.SpecificationList})
@require(Role.VIEWER)
def list_specifications_view() -> ResponseReturnValue:
    """The partnership's micro-credential specifications, by slug."""
    found = list_specifications(get_session(), current_caller().partnership_id)
    return jsonify({"specifications": [specification_json(s) for s in found]})


@bp.post("/specifications")
@operation(
    "createSpecification",
    "specifications",
    {
        201: (schemas.Specification, "The new specification (Location: its URL)."),
        409: schemas.ErrorResponse,
        422: (schemas.ErrorResponse, "Missing or malformed fields, each named."),
    },
    role="admin",
    json=schemas.SpecificationInput,
)
@require(Role.ADMIN)
def create_specification_view() -> ResponseReturnValue:
    """Create a specification (admin role).

    422 ``invalid_input`` lists every missing or malformed field in ``details.fields``; 409
    when the slug is taken."""
    data = json_body()
    session = get_session()
    caller = current_caller()
    specification = create_specification(
        session,
        caller_partnership(),
        data,
        base_url=config.base_url(),
        shapes=config.edc_shapes(),
    )
    session.add(
        AuditEvent(
            actor=caller.actor,
            organisation_id=caller.organisation_id,
            action="create_specification",
            details={"specification": specification.slug},
        )
    )
    session.flush()
    body = specification_json(specification)
    session.commit()
    return created(body, url_for("api.get_specification_view", slug=specification.slug))


@bp.get("/specifications/<slug>")
@operation(
    "getSpecification", "specifications", {200: schemas.Specification, 404: schemas.ErrorResponse}
)
@require(Role.VIEWER)
def get_specification_view(slug: str) -> ResponseReturnValue:
    """One specification of the partnership; 404 ``unknown_specification``."""
    specification = get_specification(get_session(), current_caller().partnership_id, slug)
    return jsonify(specification_json(specification))
