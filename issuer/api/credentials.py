"""``/api/v1/credentials``: issue, list, read and change the status of credentials.

A token always issues as its own organisation. It changes a credential's status only when its
organisation awards it, unless the token has the partnership scope (403 ``forbidden``)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy import select

from issuer import config
from issuer.api import schemas
from issuer.api.common import (
    awarding_bodies,
    bp,
    caller_organisation,
    created,
    field_problems,
    issue_response,
    json_body,
    limit,
    page,
    partnership_credential,
)
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, ensure_caller_may_act_on, require
from issuer.credentials import issuance, reissue
from issuer.credentials.search import learner_words
from issuer.db import get_session
from issuer.errors import InvalidInput
from issuer.json_response import stored_json
from issuer.models import CredentialState, IssuedCredential, Learner, Organisation, Role
from issuer.specifications.services import get_specification

E = schemas.ErrorResponse


def _learner_problems(error: InvalidInput) -> dict[str, Any]:
    """The per-field problems of a learner error, each field named ``learner.<field>``."""
    details = error.details
    fields = details.get("fields") if isinstance(details, dict) else None
    if not isinstance(fields, dict) or not fields:
        return {"learner": error.message}
    return {
        name if name == "learner" else f"learner.{name}": problem
        for name, problem in fields.items()
    }


def _issue_request(
    data: dict[str, Any], issuer: Organisation
) -> tuple[schemas.IssueRequest, issuance.LearnerInput, list[Organisation]]:
    """The body checked by ``schemas.IssueRequest``, the learner by the issuance rules and the
    awarding bodies against the partnership: 422 naming every bad member at once."""
    problems: dict[str, Any] = {}
    request_model: schemas.IssueRequest | None = None
    try:
        request_model = schemas.IssueRequest.model_validate(data)
    except ValidationError as error:
        problems = field_problems(error, schemas.ISSUE_PROBLEMS)
    learner: issuance.LearnerInput | None = None
    if "learner" not in problems:
        try:
            learner = issuance.LearnerInput.from_json(data["learner"])
        except InvalidInput as error:
            problems.update(_learner_problems(error))
    bodies: list[Organisation] = [issuer]
    if "awardingBodies" not in problems:
        try:
            bodies = awarding_bodies(data.get("awardingBodies"), issuer)
        except ValueError as error:
            problems["awardingBodies"] = str(error)
    if problems or request_model is None or learner is None:
        raise InvalidInput(
            "the request is missing or has malformed fields", details={"fields": problems}
        )
    return request_model, learner, bodies


@bp.post("/credentials")
@operation(
    "issueCredential",
    "credentials",
    {201: schemas.IssueResponse, 404: E, 422: E},
    role="issuer",
    json=schemas.IssueRequest,
)
@require(Role.ISSUER)
def issue_credential_view() -> ResponseReturnValue:
    """Issue a credential to a learner (issuer role).

    The token's organisation is the issuer and the first awarding body, whatever the token's
    scope. Every awarding body signs (a joint award is a proof set). A failure leaves nothing
    written. The learner management URL in the answer is shown only this once."""
    data = json_body()
    session = get_session()
    caller = current_caller()
    issuer = caller_organisation()
    body_model, learner, bodies = _issue_request(data, issuer)
    specification = get_specification(session, caller.partnership_id, body_model.specification)
    issued = issuance.issue_credential(
        session,
        issuer=issuer,
        specification=specification,
        learner=learner,
        awarding_bodies=bodies,
        actor=caller.actor,
        base_url=config.base_url(),
        passphrase=config.key_passphrase(),
        grade=body_model.grade,
        valid_until=body_model.validUntil,
    )
    body = issue_response(issued)
    session.commit()
    return created(body, url_for("api.get_credential_view", ref=issued.credential.uuid))


@bp.get("/credentials")
@operation(
    "listCredentials",
    "credentials",
    {200: schemas.CredentialList, 404: E, 422: E},
    query=schemas.CredentialQuery,
)
@require(Role.VIEWER)
def list_credentials() -> ResponseReturnValue:
    """The partnership's credentials, newest first, a page at a time.

    Filters: ``state``, ``specification`` (slug), ``q`` (every word must occur in the learner's
    given name, family name or reference, in any case, accents
    folded: :mod:`issuer.credentials.search`). ``nextCursor`` fetches the next page."""
    session = get_session()
    caller = current_caller()
    size = limit()
    query = select(IssuedCredential).where(IssuedCredential.partnership_id == caller.partnership_id)
    state = request.args.get("state")
    if state is not None:
        try:
            query = query.where(IssuedCredential.state == CredentialState(state))
        except ValueError:
            raise InvalidInput(
                "state must be one of active, suspended, revoked",
                details={"fields": {"state": state}},
            ) from None
    slug = request.args.get("specification")
    if slug:
        specification = get_specification(session, caller.partnership_id, slug)
        query = query.where(IssuedCredential.specification_id == specification.id)
    text = request.args.get("q") or ""
    if text.strip():
        query = query.join(Learner, Learner.id == IssuedCredential.learner_id)
        query = query.where(learner_words(text))
    credentials, next_cursor = page(query, IssuedCredential.id, size)
    base = config.base_url()
    return jsonify(
        {
            "credentials": [issuance.credential_json(c, base_url=base) for c in credentials],
            "nextCursor": next_cursor,
        }
    )


@bp.get("/credentials/<ref>")
@operation("getCredential", "credentials", {200: schemas.CredentialDetail, 404: E})
@require(Role.VIEWER)
def get_credential_view(ref: str) -> ResponseReturnValue:
    """A credential's metadata and signed document; 404 ``unknown_credential``."""
    credential = partnership_credential(ref)
    session = get_session()
    replaces, replaced_by = (
        reissue.replaces(session, credential),
        reissue.replaced_by(session, credential),
    )
    return jsonify(
        {
            "credential": issuance.credential_json(credential, base_url=config.base_url()),
            "document": stored_json(credential.document),
            "replaces": replaces.credential_uri if replaces else None,
            "replacedBy": replaced_by.credential_uri if replaced_by else None,
        }
    )


@bp.get("/credentials/<ref>/document")
@operation(
    "getCredentialDocument",
    "credentials",
    {200: (None, "The signed JSON-LD (application/ld+json)."), 404: E},
)
@require(Role.VIEWER)
def get_credential_document(ref: str) -> ResponseReturnValue:
    """The signed credential exactly as stored, byte for byte."""
    credential = partnership_credential(ref)
    return Response(credential.document, mimetype="application/ld+json")


def _change_status(ref: str, action: str) -> ResponseReturnValue:
    try:
        change = schemas.StatusChange.model_validate(json_body(allow_empty=True))
    except ValidationError:
        raise InvalidInput(
            f"reason must be a string of at most {schemas.MAX_REASON} characters",
            details={"fields": {"reason": "malformed"}},
        ) from None
    session = get_session()
    credential = partnership_credential(ref)
    ensure_caller_may_act_on(credential)  # 403 on another member's credential
    credential = issuance.change_status(
        session, credential, action, actor=current_caller().actor, reason=change.reason or None
    )
    body = issuance.credential_json(credential, base_url=config.base_url())
    session.commit()
    return jsonify(body)


STATUS_RESPONSES = {200: schemas.Credential, 404: E, 409: E, 422: E}


@bp.post("/credentials/<ref>/suspend")
@operation(
    "suspendCredential", "credentials", STATUS_RESPONSES, role="issuer", json=schemas.StatusChange
)
@require(Role.ISSUER)
def suspend_credential(ref: str) -> ResponseReturnValue:
    """Suspend a credential (sets its suspension bit); 409 if it is not active.

    Recorded in the audit log with the reason. The token's organisation must have issued the
    credential or be one of its awarding bodies, unless the token has the partnership scope
    (403 `forbidden`)."""
    return _change_status(ref, "suspend")


@bp.post("/credentials/<ref>/reinstate")
@operation(
    "reinstateCredential", "credentials", STATUS_RESPONSES, role="issuer", json=schemas.StatusChange
)
@require(Role.ISSUER)
def reinstate_credential(ref: str) -> ResponseReturnValue:
    """Reinstate a suspended credential; 409 if it is not suspended.

    Recorded in the audit log with the reason. The token's organisation must have issued the
    credential or be one of its awarding bodies, unless the token has the partnership scope
    (403 `forbidden`)."""
    return _change_status(ref, "reinstate")


@bp.post("/credentials/<ref>/revoke")
@operation(
    "revokeCredential", "credentials", STATUS_RESPONSES, role="issuer", json=schemas.StatusChange
)
@require(Role.ISSUER)
def revoke_credential(ref: str) -> ResponseReturnValue:
    """Revoke a credential for good (sets its revocation bit); 409 if revoked already.

    Recorded in the audit log with the reason. The token's organisation must have issued the
    credential or be one of its awarding bodies, unless the token has the partnership scope
    (403 `forbidden`)."""
    return _change_status(ref, "revoke")
