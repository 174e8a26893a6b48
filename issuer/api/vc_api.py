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
  ``related_resource_digest_mismatch``,
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

Status: the credential gets a ``BitstringStatusListEntry`` per purpose (``revocation``, then
``suspension``) in the caller organisation's lists, as ``credentialStatus`` (a list), as the
issuer's own API gives its credentials — when all of these hold:

- the credential has an ``id`` (its own, or ``options.credentialId``): the entries are found by
  it later, and a status nobody could ever change is no status; without an id none is added;
- it carries no ``credentialStatus`` of its own: **a caller's status is kept as given** and none
  is added (the caller manages that status; re-signing a credential must not change it);
- its contexts define the terms: the VC v2 context does; a VC v1 credential gets entries only
  when it lists ``https://www.w3.org/ns/credentials/status/v1`` (the v1 context does not define
  ``BitstringStatusListEntry``, and no context is added for it).

The credential itself is not stored. Its status entries are, with its id
(``StatusEntry.credential_ref``, :mod:`issuer.status.references`) — issuing again under the same
id (a retry, a corrected re-issue) gives the credential the same entries, so its status follows
the id and repeats spend none — so
``POST /credentials/status`` can revoke, suspend or reinstate it and the served list
(``GET /status/<id>``) shows the bit.

Options (W3C VC API ``IssueCredentialOptions``): ``proofPurpose`` (``assertionMethod`` only:
what is done anyway), ``credentialId`` (a URL; set as the credential's ``id`` when it has none,
400 ``credential_id_mismatch`` when it has another) and ``credentialStatus``
(``{"type": "BitstringStatusListEntry"}``, the only kind given). Any other option, or another
value, is refused with 400 ``unsupported_option``, never silently ignored: an option the caller
relies on must not be dropped. Each issuance is recorded in the audit log as ``issue_vc_api``
(with its status entries); each status change as ``revoke``, ``suspend`` or ``reinstate``.
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
from issuer.models import AuditEvent, Organisation, Role, StatusEntry, StatusPurpose
from issuer.partnerships.services import signing_keypair
from issuer.status.lists import entry_json
from issuer.status.references import MAX_REFERENCE, change_reference_status, reserve_for_reference
from keys.proof import add_proof
from schemas.elm.build import xsd_datetime
from schemas.elm.vocab import (
    DATA_INTEGRITY_V1,
    DATA_INTEGRITY_V2,
    STATUS_LIST_V1,
    VC_V1,
    VC_V2,
)
from schemas.errors import SchemaError
from schemas.jsonld import check_strict
from schemas.vc_rules import check_credential

bp = Blueprint("vc_api", __name__)

PROOF_CONTEXTS = (VC_V2, DATA_INTEGRITY_V1, DATA_INTEGRITY_V2)
#: Options accepted with the only value each may take (``credentialId``: any string).
SUPPORTED_OPTIONS: dict[str, Any] = {
    "proofPurpose": "assertionMethod",
    "credentialId": str,
    "credentialStatus": {"type": "BitstringStatusListEntry"},
}
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"


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
        expected = SUPPORTED_OPTIONS.get(name)
        if expected is str:
            if isinstance(value, str) and value:
                continue
        elif name in SUPPORTED_OPTIONS and value == expected:
            continue
        raise ApiError(
            f"option {name!r} is not supported" + (" with this value" if expected else ""),
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


def with_credential_id(credential: Any, credential_id: str | None) -> Any:
    """``credential`` with ``options.credentialId`` as its ``id`` when it has none (a copy);
    400 ``credential_id_mismatch`` when it has another id."""
    if credential_id is None or not isinstance(credential, dict):
        return credential
    if "id" not in credential:
        return {**credential, "id": credential_id}
    if credential["id"] != credential_id:
        raise _invalid(
            "options.credentialId differs from the credential's id", code="credential_id_mismatch"
        )
    return credential


def prepare(
    credential: Any,
    did: str,
    *,
    now: datetime | None = None,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """A copy of ``credential`` checked and completed for signing by ``did`` (with
    ``credential_id`` as its ``id`` when it has none)."""
    if not isinstance(credential, dict):
        raise _invalid("credential must be a JSON object", code="invalid_input")
    if "proof" in credential:
        raise _invalid("the credential carries a proof already", code="proof_present")
    credential = with_credential_id(credential, credential_id)
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


def wants_status(credential: dict[str, Any]) -> bool:
    """Whether the issuer adds its status entries to ``credential`` (see the module): it has
    an ``id``, no ``credentialStatus`` of its own, and contexts that define the terms."""
    if "credentialStatus" in credential:
        return False
    reference = credential.get("id")
    if not isinstance(reference, str) or not 0 < len(reference) <= MAX_REFERENCE:
        return False
    contexts = _contexts(credential)
    return contexts[0] == VC_V2 or STATUS_LIST_V1 in contexts


def add_status(credential: dict[str, Any], organisation: Organisation) -> list[StatusEntry]:
    """Reserve the organisation's status entries for ``credential`` (recorded under its id)
    and set its ``credentialStatus`` to them; none when :func:`wants_status` says no."""
    if not wants_status(credential):
        return []
    entries = reserve_for_reference(get_session(), organisation, credential["id"])
    credential["credentialStatus"] = [entry_json(e, config.base_url()) for e in entries]
    return entries


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
    without a proof context gets the Data Integrity v2 context. A credential with an `id` (or
    `options.credentialId`) and no `credentialStatus` gets a `BitstringStatusListEntry` per
    purpose (revocation, suspension; VC v1 only with the status context). Options:
    `proofPurpose` (assertionMethod), `credentialId`, `credentialStatus`
    (`{"type": "BitstringStatusListEntry"}`); others: 400 `unsupported_option`."""
    body = json_body()
    request_model = _request(body)
    organisation = caller_organisation()
    options = request_model.options or {}
    credential = prepare(
        request_model.credential, organisation.did, credential_id=options.get("credentialId")
    )
    entries = add_status(credential, organisation)
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
                "statusEntries": [[e.status_list_id, e.list_index] for e in entries],
            },
        )
    )
    session.commit()
    return jsonify({"verifiableCredential": signed}), 201


def _status_changes(body: dict[str, Any]) -> tuple[str, list[tuple[StatusPurpose, bool]]]:
    """The credential id and the (purpose, value) changes of a status request; 400
    ``invalid_input`` for anything else."""
    unknown = sorted(set(body) - {"credentialId", "credentialStatus"})
    if unknown:
        raise _invalid(f"unexpected member(s): {', '.join(unknown)}", code="invalid_input")
    reference = body.get("credentialId")
    if not isinstance(reference, str) or not reference:
        raise _invalid("credentialId must be a non-empty string", code="invalid_input")
    given = body.get("credentialStatus")
    items = given if isinstance(given, list) else [given]
    changes: list[tuple[StatusPurpose, bool]] = []
    purposes = [p.value for p in StatusPurpose]
    for item in items:
        if not isinstance(item, dict) or item.get("type") != STATUS_ENTRY_TYPE:
            raise _invalid(
                f"credentialStatus must be an object (or a list of them) of type "
                f"{STATUS_ENTRY_TYPE}",
                code="invalid_input",
            )
        if set(item) - {"type", "statusPurpose", "status"}:
            raise _invalid("a status change has type, statusPurpose and status", "invalid_input")
        purpose, value = item.get("statusPurpose"), item.get("status", True)
        if purpose not in purposes or not isinstance(value, bool):
            raise _invalid(
                f"statusPurpose must be one of {', '.join(purposes)}; status a boolean",
                code="invalid_input",
            )
        changes.append((StatusPurpose(purpose), value))
    if not changes:
        raise _invalid("credentialStatus names no change", code="invalid_input")
    return reference, changes


@bp.post("/credentials/status")
@operation(
    "vcApiUpdateStatus",
    "vc api",
    {
        200: (schemas.VcStatusResponse, "The credential's status entries, as they now are."),
        404: schemas.ErrorResponse,
        409: schemas.ErrorResponse,
    },
    role="issuer",
    json=schemas.VcStatusRequest,
)
@require(Role.ISSUER)
def update_status() -> ResponseReturnValue:
    """W3C VC API: change the status of a credential issued by `POST /credentials/issue`.

    `{"credentialId": "<the credential's id>", "credentialStatus": {"type":
    "BitstringStatusListEntry", "statusPurpose": "revocation" | "suspension", "status": true}}`
    (or a list of such objects; `status` defaults to true: set the bit, false clears it). The
    caller organisation's status list shows the change at once (`GET /status/<id>`). 404
    `credential_not_found` when the organisation issued no credential with that id and a status
    entry; 409 `revocation_is_final` for clearing a revocation."""
    reference, changes = _status_changes(json_body())
    organisation = caller_organisation()
    session = get_session()
    actor = current_caller().actor
    entries: dict[int, StatusEntry] = {}
    for purpose, value in changes:
        for entry in change_reference_status(
            session, organisation, reference, purpose, value, actor=actor
        ):
            entries[entry.id] = entry
    session.commit()
    base_url = config.base_url()
    return jsonify(
        {
            "credentialId": reference,
            "credentialStatus": [
                {**entry_json(entry, base_url), "status": entry.is_set}
                for entry in sorted(entries.values(), key=lambda e: e.id)
            ],
        }
    )
