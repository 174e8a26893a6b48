"""The W3C VC API issuing endpoint: ``POST /credentials/issue``.

A caller with an issuer token sends ``{"credential": {...}, "options": {...}}`` and gets back
``201 {"verifiableCredential": ...}``: the credential with one more Data Integrity proof, made
with the current key of the caller's organisation (``eddsa-rdfc-2022`` for Ed25519 keys,
``ecdsa-rdfc-2019`` for P-256 / P-384, ``proofPurpose: assertionMethod``).

What is checked before signing, and what is added:

- the credential is a JSON object whose first ``@context`` is the VC v1 or v2 context, whose
  ``type`` includes ``VerifiableCredential``, which has a ``credentialSubject`` and no
  ``proof`` yet (400 ``invalid_credential`` / ``proof_present``);
- it passes ``schemas.jsonld.check_strict``: pinned contexts only, no inline or nested
  context, no term that does not expand (400 with the schema error's code:
  ``unknown_context``, ``context_not_pinned``, ``undefined_term``, ``invalid_jsonld``);
- it meets the W3C VC data-model rules of its version (``schemas.vc_rules``; 400 with the
  rule's code and ``details.path``: ``invalid_issuer``, ``invalid_subject``, ``invalid_date``,
  ``invalid_validity_period``, ``invalid_typed_object``, ``invalid_related_resource``,
  ``invalid_language_value``, ``invalid_id``, ``invalid_type``);
- inline ``@context`` objects may define new terms only (400 ``context_redefines_term``);
- its ``issuer`` (a string, or an object's ``id``) is absent — it is then set to the caller
  organisation's DID — or equal to that DID (else 403 ``issuer_mismatch``);
- proof terms must be defined by the credential's own contexts. The VC v2 context and the Data
  Integrity contexts define them; **a VC v1 credential carrying neither gets
  ``https://w3id.org/security/data-integrity/v2`` appended to its ``@context`` before it is
  signed** (the returned credential shows the added context);
- a VC v1 credential without ``issuanceDate`` gets one (now, UTC): VC 1.1 verifiers refuse a
  v1 credential without it.

Options: only ``{"proofPurpose": "assertionMethod"}`` (what is done anyway) is accepted; any
other option is refused with 400 ``unsupported_option``, never silently ignored. Each issuance
is recorded in the audit log as ``issue_vc_api``. The credential is not stored.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from issuer import config
from issuer.api import schemas
from issuer.api.common import caller_organisation, json_body
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, require
from issuer.db import get_session
from issuer.errors import ApiError, Forbidden
from issuer.models import AuditEvent, Role
from issuer.partnerships.services import signing_keypair
from keys.proof import add_proof
from schemas.elm.build import xsd_datetime
from schemas.elm.vocab import DATA_INTEGRITY_V1, DATA_INTEGRITY_V2, VC_V1, VC_V2
from schemas.errors import SchemaError
from schemas.jsonld import check_strict
from schemas.vc_rules import check_credential

bp = Blueprint("vc_api", __name__)

PROOF_CONTEXTS = (VC_V2, DATA_INTEGRITY_V1, DATA_INTEGRITY_V2)
#: Options accepted, with the only value each may take.
SUPPORTED_OPTIONS = {"proofPurpose": "assertionMethod"}


def _invalid(message: str, code: str = "invalid_credential") -> ApiError:
    return ApiError(message, code=code, status=400)


def _schema_error(error: SchemaError) -> ApiError:
    details = {"path": error.path} if error.path is not None else None
    return ApiError(error.message, code=error.code, status=400, details=details)


def check_options(options: Any) -> None:
    """Refuse options this issuer does not honour (400 ``unsupported_option``)."""
    if options is None:
        return
    if not isinstance(options, dict):
        raise _invalid("options must be a JSON object", code="invalid_input")
    for name, value in options.items():
        if name not in SUPPORTED_OPTIONS or value != SUPPORTED_OPTIONS[name]:
            raise ApiError(
                f"option {name!r} is not supported",
                code="unsupported_option",
                status=400,
                details={"option": name},
            )


def _contexts(credential: dict[str, Any]) -> list[str]:
    context = credential.get("@context")
    if isinstance(context, list):
        return [c for c in context if isinstance(c, str)]
    return [context] if isinstance(context, str) else []


def check_shape(credential: dict[str, Any]) -> None:
    """The W3C VC basics the issuer relies on (400 ``invalid_credential``)."""
    contexts = _contexts(credential)
    if not contexts or contexts[0] not in (VC_V1, VC_V2):
        raise _invalid(f"the first @context must be {VC_V1} or {VC_V2}")
    types = credential.get("type")
    types = types if isinstance(types, list) else [types]
    if "VerifiableCredential" not in types:
        raise _invalid("type must include VerifiableCredential")
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if not subject or not all(isinstance(s, dict) and s for s in subjects):
        raise _invalid("a credential needs a credentialSubject: an object, or a list of them")


def check_rules(credential: dict[str, Any]) -> None:
    """The W3C VC data-model rules (:func:`schemas.vc_rules.check_credential`): 400 with the
    first problem's code (``invalid_issuer``, ``invalid_date``, ``invalid_validity_period`` …),
    its path in ``details`` and every problem in ``details["problems"]``."""
    problems = check_credential(credential)
    if problems:
        first = problems[0]
        raise ApiError(
            f"{first.path or '(credential)'}: {first.message}",
            code=first.code,
            status=400,
            details={
                "path": first.path,
                "problems": [
                    {"path": p.path, "code": p.code, "message": p.message} for p in problems
                ],
            },
        )


def check_issuer(credential: dict[str, Any], did: str) -> None:
    """Set an absent ``issuer`` to ``did``; 403 ``issuer_mismatch`` when it names anyone else.
    A present ``null`` issuer is not absent: :func:`check_rules` refuses it first."""
    if "issuer" not in credential:
        credential["issuer"] = did
        return
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != did:
        raise Forbidden(
            "the credential's issuer is not the caller's organisation",
            code="issuer_mismatch",
            details={"expected": did},
        )


def prepare(credential: Any, did: str, *, now: datetime | None = None) -> dict[str, Any]:
    """A copy of ``credential`` checked and completed for signing by ``did``."""
    if not isinstance(credential, dict):
        raise _invalid("credential must be a JSON object", code="invalid_input")
    if "proof" in credential:
        raise _invalid("the credential carries a proof already", code="proof_present")
    try:
        check_strict(credential)
    except SchemaError as error:
        if error.path is None:  # JSON-LD could not say where: a data-model rule may
            check_rules({"issuer": did, **credential})
        raise _schema_error(error) from None
    check_shape(credential)
    result = copy.deepcopy(credential)
    if "issuer" not in result:
        result["issuer"] = did
    check_rules(result)
    check_issuer(result, did)
    contexts = _contexts(result)
    if not any(url in PROOF_CONTEXTS for url in contexts):
        result["@context"] = [*contexts, DATA_INTEGRITY_V2]
    if contexts[0] == VC_V1 and "issuanceDate" not in result:
        result["issuanceDate"] = xsd_datetime(now or datetime.now(UTC))
    return result


def _request(body: dict[str, Any]) -> schemas.VcIssueRequest:
    """The body checked by ``schemas.VcIssueRequest``: 400 ``invalid_input`` for a member it
    does not know or a missing credential; the credential itself is checked by
    :func:`prepare` (400 ``invalid_credential`` …)."""
    unknown = sorted(set(body) - set(schemas.VcIssueRequest.model_fields))
    if unknown:
        raise _invalid(f"unexpected member(s): {', '.join(unknown)}", code="invalid_input")
    if "credential" not in body:
        raise _invalid("credential is required", code="invalid_input")
    check_options(body.get("options"))
    try:
        return schemas.VcIssueRequest.model_validate(body)
    except ValidationError:
        raise _invalid("credential must be a JSON object", code="invalid_input") from None


@bp.post("/credentials/issue")
@operation(
    "vcApiIssueCredential",
    "vc api",
    {201: (schemas.VcIssueResponse, "The signed credential.")},
    role="issuer",
    json=schemas.VcIssueRequest,
)
@require(Role.ISSUER)
def issue() -> ResponseReturnValue:
    """W3C VC API: sign a credential with the caller organisation's key.

    The credential must use pinned contexts only and define every term (400
    `unknown_context`, `context_not_pinned`, `undefined_term`); its issuer must be absent (set
    to the caller's DID) or the caller's DID (403 `issuer_mismatch`). A VC v1 credential
    without a proof context gets the Data Integrity v2 context. Unsupported options: 400
    `unsupported_option`."""
    body = json_body()
    request_model = _request(body)
    organisation = caller_organisation()
    credential = prepare(request_model.credential, organisation.did)
    keypair = signing_keypair(organisation, config.key_passphrase())
    try:
        signed = add_proof(credential, keypair)
    except SchemaError as error:
        raise _schema_error(error) from None
    caller = current_caller()
    session = get_session()
    types = credential.get("type")
    session.add(
        AuditEvent(
            actor=caller.actor,
            organisation_id=caller.organisation_id,
            action="issue_vc_api",
            details={
                "id": credential.get("id") if isinstance(credential.get("id"), str) else None,
                "type": types if isinstance(types, list) else [types],
                "verificationMethod": keypair.id,
            },
        )
    )
    session.commit()
    return jsonify({"verifiableCredential": signed}), 201
