"""Staff routes for learners' records:

- ``POST /api/v1/learners/signin-link`` (issuer role): a sign-in link to a learner's record, the
  learner found by the partnership's reference or by e-mail address. The answer carries the
  link (shown once) and the learner's e-mail address: the caller delivers it (the issuer sends
  no mail itself; a mail queue can call :func:`issuer.sharing.record.new_signin_link` directly);
- ``GET /api/v1/credentials/<uuid>/ob3`` (viewer role): the credential's achievement as a
  signed Open Badges 3.0 ``AchievementCredential``.
"""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from issuer import config
from issuer.api import learner_schemas as models
from issuer.api import schemas
from issuer.api.common import bp, field_problems
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, require
from issuer.credentials.issuance import SigningKeys, get_credential
from issuer.credentials.ob3 import achievement_credential
from issuer.db import get_session
from issuer.edge import json_body
from issuer.errors import InvalidInput
from issuer.models import Role
from issuer.sharing.links import iso_moment
from issuer.sharing.record import find_learner, new_signin_link

E = schemas.ErrorResponse


@bp.post("/learners/signin-link")
@operation(
    "createLearnerSigninLink",
    "learner record",
    {201: models.SigninLink, 404: E, 409: E, 422: E},
    role="issuer",
    json=models.SigninLinkRequest,
)
@require(Role.ISSUER)
def signin_link() -> ResponseReturnValue:
    """A sign-in link to the record of the partnership's learner given by ``reference`` or
    ``email`` → 201 (404 ``unknown_learner``; 409 ``ambiguous_learner`` when several
    learners share the address)."""
    try:
        given = models.SigninLinkRequest.model_validate(json_body())
    except ValidationError as error:
        raise InvalidInput(
            "the request has malformed fields", details={"fields": field_problems(error, {})}
        ) from None
    caller = current_caller()
    session = get_session()
    learner = find_learner(
        session, caller.partnership_id, reference=given.reference, email=given.email
    )
    link = new_signin_link(
        session,
        learner,
        base_url=config.base_url(),
        actor=caller.actor,
        organisation_id=caller.organisation_id,
    )
    session.commit()
    body = {
        "signinUrl": link.url,
        "expiresAt": iso_moment(link.expires_at),
        "email": link.email,
        "learner": learner.reference,
    }
    return jsonify(body), 201


@bp.get("/credentials/<credential_uuid>/ob3")
@operation(
    "getCredentialOpenBadge",
    "credentials",
    {200: (None, "The signed Open Badges 3.0 AchievementCredential."), 404: E, 409: E},
)
@require(Role.VIEWER)
def credential_ob3(credential_uuid: str) -> ResponseReturnValue:
    """The credential's achievement as a signed OB 3.0 ``AchievementCredential`` (409
    ``credential_revoked`` for a revoked one)."""
    session = get_session()
    credential = get_credential(session, current_caller().partnership_id, credential_uuid)
    badge = achievement_credential(credential, keys=SigningKeys(config.key_passphrase()))
    response = jsonify(badge)
    response.mimetype = "application/ld+json"
    return response
