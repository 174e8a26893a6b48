"""``/api/v1/stacks/<specification>``: what a learner holds towards a stackable award (viewer),
and claiming it for them (issuer role): the award is issued by the caller's organisation with
``hasPart`` links to its parts (``issuer.stacking.services``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from issuer import config
from issuer.api import schemas, stack_schemas
from issuer.api.common import (
    awarding_bodies,
    bp,
    caller_organisation,
    created,
    field_problems,
    issue_response,
    json_body,
)
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, require
from issuer.db import get_session
from issuer.errors import InvalidInput
from issuer.models import Organisation, Role
from issuer.specifications.services import get_specification
from issuer.stacking import services as stacking

E = schemas.ErrorResponse


def _eligibility_json(found: stacking.Eligibility) -> dict[str, Any]:
    learner = found.learner
    return {
        "specification": found.award.slug,
        "stacking": found.rule,
        "learner": {
            "reference": learner.reference,
            "givenName": learner.given_name,
            "familyName": learner.family_name,
        },
        "credentials": [stack_schemas.candidate_json(c) for c in found.candidates],
        "parts": [c.credential.credential_uri for c in found.chosen],
        "ects": format(found.ects.normalize(), "f"),
        "satisfied": found.satisfied,
        "claimed": found.claimed.credential_uri if found.claimed else None,
    }


@bp.get("/stacks/<specification>")
@operation(
    "getStackEligibility",
    "stacking",
    {200: stack_schemas.Eligibility, 404: E, 422: E},
    query=stack_schemas.EligibilityQuery,
)
@require(Role.VIEWER)
def stack_eligibility(specification: str) -> ResponseReturnValue:
    """What a learner (``?learner=`` their reference) holds towards a stackable award: each
    credential of one of the rule's specifications and whether it counts (revoked, suspended
    and expired ones do not), the parts a claim would stack and whether they meet the rule.

    404 ``unknown_specification``, ``unknown_learner``; 422 ``not_stackable``."""
    reference = request.args.get("learner", "")
    if not reference.strip():
        raise InvalidInput(
            "learner is required", details={"fields": {"learner": "the learner's reference"}}
        )
    session = get_session()
    caller = current_caller()
    award = get_specification(session, caller.partnership_id, specification)
    stacking.stacking_rule(award)
    learner = stacking.find_learner(session, caller.partnership_id, reference)
    return jsonify(_eligibility_json(stacking.eligibility(session, award, learner)))


def _claim_request(
    data: Any, issuer: Organisation
) -> tuple[stack_schemas.ClaimRequest, list[Organisation]]:
    problems: dict[str, str] = {}
    model: stack_schemas.ClaimRequest | None = None
    try:
        model = stack_schemas.ClaimRequest.model_validate(data)
    except ValidationError as error:
        problems = field_problems(error, stack_schemas.CLAIM_PROBLEMS)
    bodies: list[Organisation] = [issuer]
    if model is not None:
        try:
            bodies = awarding_bodies(model.awardingBodies, issuer)
        except ValueError as error:
            problems["awardingBodies"] = str(error)
    if problems or model is None:
        raise InvalidInput(
            "the request is missing or has malformed fields", details={"fields": problems}
        )
    return model, bodies


@bp.post("/stacks/<specification>/claims")
@operation(
    "claimStack",
    "stacking",
    {201: stack_schemas.ClaimResponse, 404: E, 409: E, 422: E},
    role="issuer",
    json=stack_schemas.ClaimRequest,
)
@require(Role.ISSUER)
def claim_stack(specification: str) -> ResponseReturnValue:
    """Issue a stackable award to a learner whose live credentials meet its rule (issuer role).

    The caller's organisation issues it (and is the first awarding body); it states its parts
    (``hasPart``, each part ``isPartOf`` it). 404 ``unknown_specification``,
    ``unknown_learner``; 409 ``stack_incomplete`` (details: parts and ECTS found and needed),
    ``already_claimed``; 422 ``not_stackable``, ``part_not_qualifying`` (details.parts: each
    credential named that cannot be a part, and why). The learner management URL in the answer
    is shown only this once."""
    data = json_body()
    session = get_session()
    caller = current_caller()
    issuer = caller_organisation()
    model, bodies = _claim_request(data, issuer)
    award = get_specification(session, caller.partnership_id, specification)
    issued, chosen = stacking.claim_stack(
        session,
        award=award,
        learner=stacking.find_learner(session, caller.partnership_id, model.learner),
        issuer=issuer,
        awarding_bodies=bodies,
        parts=model.parts,
        actor=caller.actor,
        base_url=config.base_url(),
        passphrase=config.key_passphrase(),
    )
    body = issue_response(issued) | {"parts": [c.credential.credential_uri for c in chosen]}
    session.commit()
    return created(body, url_for("api.get_credential_view", ref=issued.credential.uuid))
