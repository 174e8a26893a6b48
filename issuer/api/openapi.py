"""The issuer's OpenAPI 3.1 description, served at ``GET /openapi.json`` (no auth).

It documents every route of the JSON API (``/api/v1``), the VC API issue endpoint, and the
public routes: share links and their QR codes, status lists and DID documents. Schemas are
JSON Schema 2020-12 (OpenAPI 3.1's dialect); every error is the ``Error`` schema. Tests check
that the document's paths and the app's URL rules are the same set and that real answers
validate against the response schemas.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from issuer.specifications.rules import SPECIFICATION_FIELDS
from schemas.loader import PINNED_CONTEXT_URLS

OPENAPI_VERSION = "3.1.0"
#: The contexts a credential to sign may start with (issuer.api.vc_api.check_shape).
VC_CONTEXTS = ("https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2")
API_VERSION = "1.0.0"


#: Operations that need more than the viewer role (every other API operation reads).
STRONGER_ROLES = {
    "createSpecification": "admin",
    "issueCredential": "issuer",
    "suspendCredential": "issuer",
    "reinstateCredential": "issuer",
    "revokeCredential": "issuer",
    "createShareLinkForCredential": "issuer",
    "createBulkJob": "issuer",
    "resumeBulkJob": "issuer",
    "vcApiIssueCredential": "issuer",
}


def ref(name: str) -> dict[str, str]:
    """A reference to ``components/schemas/<name>``."""
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _path_param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _query_param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _op(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    *,
    role: str | None = "viewer",
    description: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An operation; ``role`` is the API token role it needs (None: public, no token)."""
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if role is not None:
        role = STRONGER_ROLES.get(operation_id, role)
    if role is None:
        operation["security"] = []
    else:
        needs = f"Needs an API token with the {role} role (or a stronger one)."
        description = f"{description} {needs}" if description else needs
        responses = {**responses, "401": _error("Unauthorized")}
        if role != "viewer":
            responses.setdefault("403", _error("Forbidden"))
    # Any request may be refused at the edge (issuer.edge): NUL or a lone surrogate in the query
    # (400 invalid_input); a body may also be malformed (400) or too large (413).
    responses = {"400": _error("BadRequest"), **responses}
    if body:
        responses.setdefault("413", _error("PayloadTooLarge"))
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = body
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


#: Text that is not blank (the API trims text and refuses blank text).
NOT_BLANK = {"type": "string", "pattern": "\\S"}
#: One line of text, not blank: no control characters (the learner's names, a grade).
TEXT_LINE = {
    "type": "string",
    "pattern": "^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$",
}
LANGUAGE_MAP = {
    "type": "object",
    "description": 'A language map: language code → text, e.g. {"en": "…", "da": "…"}.',
    "additionalProperties": NOT_BLANK,
    "minProperties": 1,
}
TEXT_OR_MAP = {"oneOf": [NOT_BLANK, ref("LanguageMap")]}
DATE_TIME = {"type": "string", "format": "date-time"}
#: A page cursor as the API hands it out (``nextCursor``).
CURSOR = {"type": "string", "pattern": "^[1-9][0-9]{0,18}$"}
#: A moment the API accepts: RFC 3339, between 1900-01-01 and 9999-01-01 UTC (issuer.dates).
MOMENT_RANGE = "Between 1900-01-01 and 9999-01-01 (UTC); in the future."
#: ECTS as text: a decimal number above 0 and at most 180.
ECTS_TEXT = (
    "^(?:(?:[1-9]|[1-9][0-9]|1[0-7][0-9])(?:\\.[0-9]+)?|180(?:\\.0+)?|0?\\.[0-9]*[1-9][0-9]*)$"
)
#: An ISO 8601 duration (issuer.partnerships.services.DURATION).
DURATION = (
    "^P(?!$)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$"
)

NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _schemas() -> dict[str, Any]:
    esco_skill = {
        "type": "object",
        "required": ["id", "label"],
        "properties": {
            "id": {"type": "string", "pattern": "^http://data\\.europa\\.eu/esco/skill/"},
            "label": {"type": "string"},
        },
    }
    outcome = {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": TEXT_OR_MAP,
            "escoSkills": {"type": "array", "items": esco_skill},
        },
    }
    quality = {
        "type": "object",
        "required": ["title", "typeIri", "typeLabel", "agent"],
        "properties": {
            "title": TEXT_OR_MAP,
            "typeIri": {"type": "string"},
            "typeLabel": {"type": "string"},
            "agent": {
                "type": "object",
                "required": ["id", "legalName", "country", "countryLabel"],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "legalName": {"type": "string", "minLength": 1},
                    "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "countryLabel": {"type": "string", "minLength": 1},
                },
            },
        },
    }
    specification_properties: dict[str, Any] = {
        "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"},
        "title": TEXT_OR_MAP,
        "description": TEXT_OR_MAP,
        "learningOutcomes": {
            "type": "array",
            "minItems": 1,
            "items": {"oneOf": [NOT_BLANK, outcome]},
        },
        "ects": {
            "oneOf": [
                {"type": "string", "pattern": ECTS_TEXT},
                {"type": "number", "exclusiveMinimum": 0, "maximum": 180},
            ],
            "description": "ECTS credit points (0 < ects ≤ 180); answers give a string.",
        },
        "volumeOfLearning": {
            "type": "string",
            "pattern": DURATION,
            "maxLength": 40,
            "description": "ISO 8601 duration, e.g. PT125H",
        },
        "eqfLevel": {"type": "integer", "minimum": 1, "maximum": 8},
        "iscedField": {"type": "string", "pattern": "^\\d{2,4}$"},
        "iscedLabel": {**NOT_BLANK, "maxLength": 300},
        "assessmentType": TEXT_OR_MAP,
        "participationMode": {"type": "string", "enum": ["online", "blended"]},
        "learningSetting": {"type": "string", "enum": ["non-formal"]},
        "qualityAssurance": quality,
        "prerequisites": TEXT_OR_MAP,
        "language": {"type": "string", "pattern": "^[A-Z]{3}$"},
    }
    required_spec = list(SPECIFICATION_FIELDS)
    credential_state = {"type": "string", "enum": ["active", "suspended", "revoked"]}
    return {
        "Error": {
            "type": "object",
            "description": "Every error answer. `code` is stable; `message` is for people.",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                        "message": {"type": "string"},
                        "details": {
                            "description": "Where the problem is; for invalid input "
                            '`{"fields": {field: problem}}` naming every bad field.'
                        },
                    },
                }
            },
        },
        "LanguageMap": LANGUAGE_MAP,
        "SpecificationInput": {
            "type": "object",
            "description": "A micro-credential specification: the EU standard elements "
            "(Council Recommendation of 16 June 2022, Annex I) every award of it carries.",
            "required": required_spec,
            # an optional member given as null counts as absent
            "properties": {
                name: (schema if name in required_spec else {"anyOf": [schema, {"type": "null"}]})
                for name, schema in specification_properties.items()
            },
        },
        "Specification": {
            "type": "object",
            "required": [*required_spec, "uri", "learningSetting", "language"],
            "properties": {
                **specification_properties,
                "uri": {"type": "string", "format": "uri"},
                "title": ref("LanguageMap"),
                "ects": {"type": "string"},
            },
        },
        "SpecificationList": {
            "type": "object",
            "required": ["specifications"],
            "properties": {"specifications": {"type": "array", "items": ref("Specification")}},
        },
        "Organisation": {
            "type": "object",
            "required": ["slug", "legalName", "country", "did"],
            "properties": {
                "slug": {"type": "string"},
                "legalName": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "countryLabel": {"type": "string"},
                "did": {"type": "string", "pattern": "^did:web:"},
                "identifier": {"type": "string"},
                "homepage": {"type": "string"},
            },
        },
        "OrganisationList": {
            "type": "object",
            "required": ["organisations"],
            "properties": {"organisations": {"type": "array", "items": ref("Organisation")}},
        },
        "LearnerInput": {
            "type": "object",
            "required": ["reference", "givenName", "familyName"],
            "properties": {
                "reference": {
                    **TEXT_LINE,
                    "maxLength": 200,
                    "description": "The partnership's own reference (student number, e-mail).",
                },
                "givenName": {**TEXT_LINE, "maxLength": 200},
                "familyName": {**TEXT_LINE, "maxLength": 200},
                "email": {
                    "type": "string",
                    "pattern": "^[^@\\s]+@[^@\\s.]+(?:\\.[^@\\s.]+)+$",
                    "maxLength": 320,
                },
                "dateOfBirth": {
                    "type": "string",
                    "format": "date",
                    "description": "YYYY-MM-DD, from 1900-01-01 to yesterday.",
                },
            },
        },
        "IssueRequest": {
            "type": "object",
            "required": ["specification", "learner"],
            "properties": {
                "specification": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A specification's slug.",
                },
                "learner": ref("LearnerInput"),
                "awardingBodies": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "string"},
                    "description": "Organisation slugs of a joint award. The caller's "
                    "organisation must be among them and is the issuer (first awarding body); "
                    "every awarding body signs (a proof set). Default: the caller's "
                    "organisation alone.",
                },
                "grade": {**TEXT_LINE, "maxLength": 500},
                "validUntil": {
                    "type": "string",
                    "anyOf": [{"format": "date-time"}, {"format": "date"}],
                    "description": "ISO 8601 date-time with a time zone, or a date (valid to "
                    f"the end of that day, UTC). {MOMENT_RANGE}",
                },
            },
        },
        "Credential": {
            "type": "object",
            "description": "An issued credential's metadata (no tokens, no signed document). "
            "The learner's names are the stored ones (those of the latest issuance).",
            "required": [
                "id",
                "state",
                "issuedAt",
                "issuer",
                "awardingBodies",
                "specification",
                "learner",
                "statusEntries",
            ],
            "properties": {
                "id": {"type": "string", "pattern": "^urn:uuid:"},
                "state": credential_state,
                "issuedAt": DATE_TIME,
                "issuer": {"type": "string", "description": "The issuing organisation's slug."},
                "awardingBodies": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string"},
                    "description": "Slugs of the awarding bodies, the issuer first.",
                },
                "specification": {"type": "string"},
                "learner": {
                    "type": "object",
                    "required": ["reference", "givenName", "familyName"],
                    "properties": {
                        "reference": {"type": "string"},
                        "givenName": {"type": "string"},
                        "familyName": {"type": "string"},
                    },
                },
                "statusEntries": {"type": "array", "items": ref("StatusEntry")},
            },
        },
        "StatusEntry": {
            "type": "object",
            "required": [
                "id",
                "type",
                "statusPurpose",
                "statusListIndex",
                "statusListCredential",
            ],
            "properties": {
                "id": {"type": "string"},
                "type": {"const": "BitstringStatusListEntry"},
                "statusPurpose": {"type": "string", "enum": ["revocation", "suspension"]},
                "statusListIndex": {"type": "string", "pattern": "^[0-9]+$"},
                "statusListCredential": {"type": "string", "format": "uri"},
            },
        },
        "SignedCredential": {
            "type": "object",
            "description": "A W3C Verifiable Credential (JSON-LD) with Data Integrity "
            "proof(s): one proof per awarding body for a joint award.",
            "required": ["@context", "type", "issuer", "credentialSubject", "proof"],
            "properties": {
                "@context": {
                    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
                },
                "proof": {
                    "oneOf": [
                        ref("DataIntegrityProof"),
                        {"type": "array", "items": ref("DataIntegrityProof")},
                    ]
                },
            },
        },
        "DataIntegrityProof": {
            "type": "object",
            "required": ["type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"],
            "properties": {
                "type": {"const": "DataIntegrityProof"},
                "cryptosuite": {"type": "string", "enum": ["eddsa-rdfc-2022", "ecdsa-rdfc-2019"]},
                "created": DATE_TIME,
                "verificationMethod": {"type": "string"},
                "proofPurpose": {"const": "assertionMethod"},
                "proofValue": {"type": "string"},
            },
        },
        "IssueResponse": {
            "type": "object",
            "required": ["credential", "document", "shareUrl", "learnerManageUrl", "qr"],
            "properties": {
                "credential": ref("Credential"),
                "document": ref("SignedCredential"),
                "shareUrl": {"type": "string", "format": "uri"},
                "learnerManageUrl": {
                    "type": "string",
                    "format": "uri",
                    "description": "The learner's link to manage share links. Shown only "
                    "in this answer: only its hash is stored.",
                },
                "qr": ref("QrCodes"),
            },
        },
        "QrCodes": {
            "type": "object",
            "description": "URLs of the share link's QR code images (they encode the "
            "verifier's page for the link).",
            "required": ["png", "svg"],
            "properties": {
                "png": {"type": "string", "format": "uri"},
                "svg": {"type": "string", "format": "uri"},
            },
        },
        "CredentialDetail": {
            "type": "object",
            "required": ["credential", "document"],
            "properties": {
                "credential": ref("Credential"),
                "document": ref("SignedCredential"),
            },
        },
        "CredentialList": {
            "type": "object",
            "required": ["credentials", "nextCursor"],
            "properties": {
                "credentials": {"type": "array", "items": ref("Credential")},
                "nextCursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last.",
                },
            },
        },
        "StatusChange": {
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": 2000}},
        },
        "BulkJob": {
            "type": "object",
            "description": "A bulk issuance and its progress; refused rows are in errors.csv.",
            "required": [
                "id",
                "state",
                "totalRows",
                "issuedRows",
                "errorRows",
                "pendingRows",
                "filename",
                "createdAt",
                "updatedAt",
                "failure",
            ],
            "properties": {
                "id": {"type": "integer"},
                "state": {"type": "string", "enum": ["pending", "running", "done", "failed"]},
                "totalRows": {"type": "integer", "minimum": 0},
                "issuedRows": {"type": "integer", "minimum": 0},
                "errorRows": {"type": "integer", "minimum": 0},
                "pendingRows": {"type": "integer", "minimum": 0},
                "filename": {"type": "string"},
                "createdAt": DATE_TIME,
                "updatedAt": DATE_TIME,
                "failure": {
                    "type": ["string", "null"],
                    "description": "Why a failed job stopped; resuming it carries on.",
                },
            },
        },
        "BulkUpload": {
            "type": "object",
            "required": ["file", "specification"],
            "properties": {
                "file": {
                    "type": "string",
                    "format": "binary",
                    "contentMediaType": "text/csv",
                    "description": "CSV with a header row; columns reference, given_name, "
                    "family_name (required) and email, date_of_birth, grade (optional).",
                },
                "specification": NOT_BLANK,
                "awardingBodies": {
                    "type": "string",
                    "description": "Comma-separated organisation slugs (a joint award).",
                },
            },
        },
        "AuditEvent": {
            "type": "object",
            "required": ["id", "at", "actor", "action"],
            "properties": {
                "id": {"type": "integer"},
                "at": DATE_TIME,
                "actor": {"type": "string"},
                "organisation": {"type": ["string", "null"]},
                "action": {"type": "string"},
                "credential": {"type": ["string", "null"]},
                "reason": {"type": ["string", "null"]},
                "details": {"type": ["object", "null"]},
            },
        },
        "AuditEventList": {
            "type": "object",
            "required": ["events", "nextCursor"],
            "properties": {
                "events": {"type": "array", "items": ref("AuditEvent")},
                "nextCursor": {"type": ["string", "null"]},
            },
        },
        "VcIssueRequest": {
            "type": "object",
            "required": ["credential"],
            "additionalProperties": False,
            "properties": {
                "credential": {
                    "type": "object",
                    "description": "An unsigned W3C VC (v1 or v2), pinned contexts only, "
                    "every term defined by them (JSON-LD: 400 `undefined_term` otherwise).",
                    "required": ["@context", "type", "credentialSubject"],
                    "not": {"required": ["proof"]},
                    "properties": {
                        "@context": {
                            "oneOf": [
                                {"enum": list(VC_CONTEXTS)},
                                {
                                    "type": "array",
                                    "minItems": 1,
                                    "prefixItems": [{"enum": list(VC_CONTEXTS)}],
                                    "items": {"enum": sorted(PINNED_CONTEXT_URLS)},
                                },
                            ]
                        },
                        "type": {
                            "oneOf": [
                                {"const": "VerifiableCredential"},
                                {"type": "array", "contains": {"const": "VerifiableCredential"}},
                            ]
                        },
                        "credentialSubject": {
                            "oneOf": [
                                {"type": "object", "minProperties": 1},
                                {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {"type": "object", "minProperties": 1},
                                },
                            ]
                        },
                    },
                },
                "options": {
                    "type": "object",
                    "description": "Only proofPurpose assertionMethod is accepted; any other "
                    "option is refused (unsupported_option).",
                    "properties": {"proofPurpose": {"const": "assertionMethod"}},
                    "additionalProperties": False,
                },
            },
        },
        "VcIssueResponse": {
            "type": "object",
            "required": ["verifiableCredential"],
            "properties": {"verifiableCredential": ref("SignedCredential")},
        },
        "ShareLink": {
            "type": "object",
            "description": "A learner's link to a credential, with its QR codes and the "
            "verifier URL they encode. Share-link expiry is not credential expiry.",
            "required": [
                "token",
                "url",
                "qr",
                "verifyUrl",
                "createdAt",
                "expiresAt",
                "withdrawnAt",
                "live",
            ],
            "properties": {
                "token": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "qr": ref("QrCodes"),
                "verifyUrl": {"type": "string", "format": "uri"},
                "createdAt": DATE_TIME,
                "expiresAt": NULLABLE_DATE_TIME,
                "withdrawnAt": NULLABLE_DATE_TIME,
                "live": {"type": "boolean"},
            },
        },
        "ShareLinkList": {
            "type": "object",
            "required": ["credential", "shareLinks"],
            "properties": {
                "credential": {
                    "type": "object",
                    "required": ["id", "state"],
                    "properties": {
                        "id": {"type": "string", "pattern": "^urn:uuid:"},
                        "state": credential_state,
                    },
                },
                "shareLinks": {"type": "array", "items": ref("ShareLink")},
            },
        },
        "ShareLinkCreate": {
            "type": "object",
            "properties": {"expiresAt": NULLABLE_DATE_TIME},
        },
        "ShareLinkUpdate": {
            "type": "object",
            "properties": {"expiresAt": NULLABLE_DATE_TIME},
        },
        "DidDocument": {
            "type": "object",
            "required": ["@context", "id"],
            "properties": {
                "@context": {"type": "array", "items": {"type": "string"}},
                "id": {"type": "string", "pattern": "^did:web:"},
                "verificationMethod": {"type": "array", "items": {"type": "object"}},
                "assertionMethod": {"type": "array"},
                "service": {"type": "array", "items": {"type": "object"}},
            },
        },
    }


def _responses() -> dict[str, Any]:
    def error(description: str) -> dict[str, Any]:
        return _json(ref("Error"), description)

    return {
        "BadRequest": error(
            "The body is not JSON or not a JSON object, or is nested more than 64 levels deep "
            "(`invalid_json`); text (in the body, the query, a form field or a file name) holds a "
            "NUL character or a lone surrogate (`invalid_input`); or another malformed request."
        ),
        "Unauthorized": error("No API token, or an unknown or revoked one (`unauthorized`)."),
        "Forbidden": error(
            "The token's role does not allow this, or its scope does not reach this "
            "credential or bulk job: another member's, for an organisation token (`forbidden`)."
        ),
        "NotFound": error(
            "Not found in the caller's partnership (`unknown_credential`, "
            "`unknown_specification`, `unknown_bulk_job`, `not_found`)."
        ),
        "Conflict": error("Conflicts with the current state (e.g. revoking a revoked credential)."),
        "InvalidInput": error(
            "Missing or malformed fields (`invalid_input`); `details.fields` names each one."
        ),
        "PayloadTooLarge": error(
            "The body exceeds the server's limit, whatever its transfer encoding "
            "(`payload_too_large`): 2 MiB for JSON, 20 MiB for an upload."
        ),
    }


def _unavailable(description: str) -> dict[str, Any]:
    """A share page's error: JSON for programs, a short HTML page for browsers (Accept)."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": ref("Error")},
            "text/html": {"schema": {"type": "string"}},
        },
    }


def _credential_id() -> dict[str, Any]:
    return _path_param("id", "The credential's UUID (or its `urn:uuid:` id).")


def _paths() -> dict[str, Any]:
    e = _error
    json_200 = _json
    credential_ops = {}
    for action, summary in (
        ("suspend", "Suspend a credential (sets its suspension bit)."),
        ("reinstate", "Reinstate a suspended credential."),
        ("revoke", "Revoke a credential for good (sets its revocation bit)."),
    ):
        credential_ops[f"/api/v1/credentials/{{id}}/{action}"] = {
            "post": _op(
                f"{action}Credential",
                summary,
                "credentials",
                {
                    "200": json_200(ref("Credential"), "The credential, with its new state."),
                    "400": e("BadRequest"),
                    "404": e("NotFound"),
                    "409": e("Conflict"),
                    "422": e("InvalidInput"),
                },
                description="Recorded in the audit log with the reason. The token's "
                "organisation must have issued the credential or be one of its awarding "
                "bodies, unless the token has the partnership scope (403 `forbidden`).",
                parameters=[_credential_id()],
                body={
                    "required": False,
                    "content": {"application/json": {"schema": ref("StatusChange")}},
                },
            )
        }
    job_id = _path_param("id", "The bulk job's id.", {"type": "integer"})
    manage_token = _path_param("manageToken", "The learner's management token.")
    share_token = _path_param("token", "A share link's token.")
    return {
        "/api/v1/specifications": {
            "get": _op(
                "listSpecifications",
                "The partnership's micro-credential specifications.",
                "specifications",
                {"200": json_200(ref("SpecificationList"), "The specifications, by slug.")},
            ),
            "post": _op(
                "createSpecification",
                "Create a specification (admin role).",
                "specifications",
                {
                    "201": {
                        **json_200(ref("Specification"), "The new specification."),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    "400": e("BadRequest"),
                    "409": e("Conflict"),
                    "422": e("InvalidInput"),
                },
                body=_json_body(ref("SpecificationInput"), "The specification."),
            ),
        },
        "/api/v1/specifications/{slug}": {
            "get": _op(
                "getSpecification",
                "One specification.",
                "specifications",
                {"200": json_200(ref("Specification"), "The specification."), "404": e("NotFound")},
                parameters=[_path_param("slug", "The specification's slug.")],
            )
        },
        "/api/v1/organisations": {
            "get": _op(
                "listOrganisations",
                "The member organisations of the caller's partnership.",
                "organisations",
                {"200": json_200(ref("OrganisationList"), "The members.")},
            )
        },
        "/api/v1/credentials": {
            "get": _op(
                "listCredentials",
                "The partnership's credentials, newest first, a page at a time.",
                "credentials",
                {
                    "200": json_200(ref("CredentialList"), "A page of credentials."),
                    "404": e("NotFound"),
                    "422": e("InvalidInput"),
                },
                parameters=[
                    _query_param(
                        "state",
                        "Only credentials in this state.",
                        {"type": "string", "enum": ["active", "suspended", "revoked"]},
                    ),
                    _query_param(
                        "specification",
                        "Only credentials of this specification (slug).",
                        {"type": "string"},
                    ),
                    _query_param(
                        "q",
                        "Search the learner's names and reference; every word must match.",
                        {"type": "string"},
                    ),
                    _query_param(
                        "limit",
                        "Page size (1-200, default 50).",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                    ),
                    _query_param("cursor", "`nextCursor` of the previous page.", CURSOR),
                ],
            ),
            "post": _op(
                "issueCredential",
                "Issue a credential to a learner (issuer role).",
                "credentials",
                {
                    "201": {
                        **json_200(
                            ref("IssueResponse"),
                            "The issued, signed credential, its "
                            "first share link and the learner's management link.",
                        ),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    "400": e("BadRequest"),
                    "404": e("NotFound"),
                    "422": e("InvalidInput"),
                },
                description="The token's organisation is the issuer and the first awarding "
                "body, whatever the token's scope. Every awarding body signs (a joint award is "
                "a proof set). A failure leaves nothing written.",
                body=_json_body(ref("IssueRequest"), "What to issue, to whom."),
            ),
        },
        "/api/v1/credentials/{id}": {
            "get": _op(
                "getCredential",
                "A credential's metadata and signed document.",
                "credentials",
                {"200": json_200(ref("CredentialDetail"), "The credential."), "404": e("NotFound")},
                parameters=[_credential_id()],
            )
        },
        "/api/v1/credentials/{id}/document": {
            "get": _op(
                "getCredentialDocument",
                "The signed credential exactly as stored, byte for byte.",
                "credentials",
                {
                    "200": {
                        "description": "The signed JSON-LD.",
                        "content": {"application/ld+json": {"schema": ref("SignedCredential")}},
                    },
                    "404": e("NotFound"),
                },
                parameters=[_credential_id()],
            )
        },
        **credential_ops,
        "/api/v1/credentials/{id}/share-links": {
            "post": _op(
                "createShareLinkForCredential",
                "Create another share link to a credential (issuer role).",
                "share links",
                {
                    "201": {
                        **json_200(ref("ShareLink"), "The new share link."),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    "404": e("NotFound"),
                    "409": e("Conflict"),
                    "422": e("InvalidInput"),
                },
                description="The token's organisation must have issued the credential or be "
                "one of its awarding bodies, unless the token has the partnership scope (403 "
                "`forbidden`).",
                parameters=[_credential_id()],
                body={
                    "required": False,
                    "content": {"application/json": {"schema": ref("ShareLinkCreate")}},
                },
            )
        },
        "/api/v1/credentials/{id}/learner-link": {
            "post": _op(
                "renewLearnerLink",
                "Give the learner a new management link; the old one stops working (issuer"
                " role). Only a hash is stored, so this is how a bulk-issued learner gets one.",
                "share links",
                {
                    "201": json_200(
                        {
                            "type": "object",
                            "required": ["learnerManageUrl", "manageToken"],
                            "properties": {
                                "learnerManageUrl": {"type": "string"},
                                "manageToken": {"type": "string"},
                            },
                        },
                        "The new management link (shown once).",
                    ),
                    "401": e("Unauthorized"),
                    "403": e("Forbidden"),
                    "404": e("NotFound"),
                },
                description="The token's organisation must have issued the credential or be "
                "one of its awarding bodies, unless the token has the partnership scope (403 "
                "`forbidden`).",
                parameters=[_credential_id()],
            )
        },
        "/api/v1/bulk-jobs": {
            "post": _op(
                "createBulkJob",
                "Upload a CSV of learners and issue a credential to each (issuer role).",
                "bulk jobs",
                {
                    "202": {
                        **json_200(ref("BulkJob"), "The job, started."),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    "404": e("NotFound"),
                    "413": e("PayloadTooLarge"),
                    "422": e("InvalidInput"),
                },
                description="Rows that cannot be issued are listed in the job's errors.csv; "
                "the others are issued.",
                body={
                    "required": True,
                    "content": {"multipart/form-data": {"schema": ref("BulkUpload")}},
                },
            )
        },
        "/api/v1/bulk-jobs/{id}": {
            "get": _op(
                "getBulkJob",
                "A bulk job's progress.",
                "bulk jobs",
                {"200": json_200(ref("BulkJob"), "The job."), "404": e("NotFound")},
                parameters=[job_id],
            )
        },
        "/api/v1/bulk-jobs/{id}/errors.csv": {
            "get": _op(
                "getBulkJobErrors",
                "The refused rows of a bulk job (line, reference, code, message).",
                "bulk jobs",
                {
                    "200": {
                        "description": "CSV, as an attachment.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "404": e("NotFound"),
                },
                parameters=[job_id],
            )
        },
        "/api/v1/bulk-jobs/{id}/resume": {
            "post": _op(
                "resumeBulkJob",
                "Carry on with a job whose worker stopped (issuer role).",
                "bulk jobs",
                {
                    "202": {
                        **json_200(ref("BulkJob"), "The job, restarted."),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    "404": e("NotFound"),
                    "409": e("Conflict"),
                },
                description="The token's organisation must be the job's issuer or one of the "
                "bodies it awards with, unless the token has the partnership scope (403 "
                "`forbidden`).",
                parameters=[job_id],
            )
        },
        "/api/v1/audit": {
            "get": _op(
                "listAuditEvents",
                "The partnership's audit log (who, when, what, why), newest first.",
                "audit",
                {
                    "200": json_200(ref("AuditEventList"), "A page of events."),
                    "404": e("NotFound"),
                    "422": e("InvalidInput"),
                },
                parameters=[
                    _query_param(
                        "credential", "Only events of this credential (UUID).", {"type": "string"}
                    ),
                    _query_param(
                        "limit",
                        "Page size (1-500, default 100).",
                        {"type": "integer", "minimum": 1, "maximum": 500},
                    ),
                    _query_param("cursor", "`nextCursor` of the previous page.", CURSOR),
                ],
            )
        },
        "/api/v1/learner/{manageToken}/share-links": {
            "get": _op(
                "listShareLinks",
                "The learner's share links to their credential.",
                "share links",
                {"200": json_200(ref("ShareLinkList"), "The share links."), "404": e("NotFound")},
                role=None,
                description="Authorised by the management token in the URL (no API token).",
                parameters=[manage_token],
            ),
            "post": _op(
                "createShareLink",
                "Create a share link (optionally expiring).",
                "share links",
                {
                    "201": {
                        **json_200(ref("ShareLink"), "The new share link."),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    "404": e("NotFound"),
                    "409": e("Conflict"),
                    "422": e("InvalidInput"),
                },
                role=None,
                description="Authorised by the management token in the URL (no API token). "
                'Body: `{"expiresAt": ISO date-time}` (optional).',
                parameters=[manage_token],
                body={
                    "required": False,
                    "content": {"application/json": {"schema": ref("ShareLinkCreate")}},
                },
            ),
        },
        "/api/v1/learner/{manageToken}/share-links/{token}": {
            "patch": _op(
                "updateShareLink",
                "Change a share link's expiry.",
                "share links",
                {
                    "200": json_200(ref("ShareLink"), "The share link."),
                    "404": e("NotFound"),
                    "409": e("Conflict"),
                    "422": e("InvalidInput"),
                },
                role=None,
                description="A withdrawn link stays withdrawn (409).",
                parameters=[manage_token, share_token],
                body=_json_body(ref("ShareLinkUpdate"), "The new expiry (null: never)."),
            ),
            "delete": _op(
                "withdrawShareLink",
                "Withdraw a share link (it stops working at once).",
                "share links",
                {
                    "204": {"description": "Withdrawn (again: still 204)."},
                    "404": e("NotFound"),
                },
                role=None,
                parameters=[manage_token, share_token],
            ),
        },
        "/credentials/issue": {
            "post": _op(
                "vcApiIssueCredential",
                "W3C VC API: sign a credential with the caller organisation's key.",
                "vc api",
                {
                    "201": json_200(ref("VcIssueResponse"), "The signed credential."),
                    "400": e("BadRequest"),
                    "403": e("Forbidden"),
                },
                description="The credential must use pinned contexts only and define every "
                "term (400 `unknown_context`, `context_not_pinned`, `undefined_term`); its "
                "issuer must be absent (set to the caller's DID) or the caller's DID (403 "
                "`issuer_mismatch`). A VC v1 credential without a proof context gets the Data "
                "Integrity v2 context. Unsupported options: 400 `unsupported_option`.",
                body=_json_body(ref("VcIssueRequest"), "The credential and options."),
            )
        },
        "/c/{token}": {
            "get": _op(
                "getSharedCredential",
                "A shared credential: HTML for people, the signed JSON-LD for machines.",
                "public",
                {
                    "200": {
                        "description": "The credential (content negotiation on Accept).",
                        "content": {
                            "text/html": {"schema": {"type": "string"}},
                            "application/ld+json": {"schema": ref("SignedCredential")},
                        },
                    },
                    "404": _unavailable("No such share link (`unknown_share_link`)."),
                    "410": _unavailable(
                        "The share link was withdrawn or has expired (not the credential)."
                    ),
                },
                role=None,
                parameters=[share_token],
            )
        },
        "/c/{token}/qr.png": {
            "get": _op(
                "getShareQrPng",
                "A QR code (PNG) of the verifier URL for this share link.",
                "public",
                {
                    "200": {
                        "description": "PNG image.",
                        "content": {
                            "image/png": {
                                "schema": {"type": "string", "contentMediaType": "image/png"}
                            }
                        },
                    },
                    "404": _unavailable("No such share link (`unknown_share_link`)."),
                    "410": _unavailable("The share link is withdrawn or expired."),
                },
                role=None,
                parameters=[share_token],
            )
        },
        "/c/{token}/qr.svg": {
            "get": _op(
                "getShareQrSvg",
                "A QR code (SVG) of the verifier URL for this share link.",
                "public",
                {
                    "200": {
                        "description": "SVG image.",
                        "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                    },
                    "404": _unavailable("No such share link (`unknown_share_link`)."),
                    "410": _unavailable("The share link is withdrawn or expired."),
                },
                role=None,
                parameters=[share_token],
            )
        },
        "/c/{token}/certificate.pdf": {
            "get": _op(
                "getShareCertificatePdf",
                "A printable one-page A4 certificate (PDF) of the shared credential, with the "
                "QR code of its verifier URL; revoked and suspended credentials are marked.",
                "public",
                {
                    "200": {
                        "description": "PDF document (an attachment).",
                        "content": {
                            "application/pdf": {
                                "schema": {"type": "string", "contentMediaType": "application/pdf"}
                            }
                        },
                    },
                    "404": _unavailable("No such share link (`unknown_share_link`)."),
                    "410": _unavailable("The share link is withdrawn or expired."),
                },
                role=None,
                parameters=[share_token],
            )
        },
        "/status/{id}": {
            "get": _op(
                "getStatusList",
                "A signed Bitstring Status List credential (cacheable; ETag).",
                "public",
                {
                    "200": {
                        "description": "The signed BitstringStatusListCredential.",
                        "content": {"application/vc": {"schema": ref("SignedCredential")}},
                    },
                    "304": {"description": "Not modified (If-None-Match)."},
                    "404": e("NotFound"),
                },
                role=None,
                parameters=[_path_param("id", "The status list's id.", {"type": "integer"})],
            )
        },
        "/orgs/{partnership}/{organisation}/did.json": {
            "get": _op(
                "getOrganisationDidDocument",
                "An organisation's did:web DID document: current keys, retired keys (with "
                "`expires`, under `assertionMethod` only) and compromised keys (with `revoked`, "
                "in no verification relationship).",
                "public",
                {
                    "200": {
                        "description": "The DID document.",
                        "content": {
                            "application/did+json": {"schema": ref("DidDocument")},
                            "application/json": {"schema": ref("DidDocument")},
                        },
                    },
                    "404": e("NotFound"),
                },
                role=None,
                parameters=[
                    _path_param("partnership", "The partnership's slug."),
                    _path_param("organisation", "The organisation's slug."),
                ],
            )
        },
        "/.well-known/did.json": {
            "get": _op(
                "getIssuerDidDocument",
                "The issuer host's DID document (did:web:<host>), listing member organisations.",
                "public",
                {
                    "200": {
                        "description": "The DID document.",
                        "content": {
                            "application/did+json": {"schema": ref("DidDocument")},
                            "application/json": {"schema": ref("DidDocument")},
                        },
                    },
                    "404": e("NotFound"),
                },
                role=None,
            )
        },
        "/did.json": {
            "get": _op(
                "getIssuerDidDocumentAtPath",
                "The issuer's DID document when its base URL has a path.",
                "public",
                {
                    "200": {
                        "description": "The DID document.",
                        "content": {
                            "application/did+json": {"schema": ref("DidDocument")},
                            "application/json": {"schema": ref("DidDocument")},
                        },
                    },
                    "404": e("NotFound"),
                },
                role=None,
            )
        },
        "/openapi.json": {
            "get": _op(
                "getOpenApi",
                "This OpenAPI document.",
                "public",
                {"200": json_200({"type": "object"}, "The OpenAPI 3.1 document.")},
                role=None,
            )
        },
    }


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "microcred issuer",
            "version": API_VERSION,
            "summary": "Issue European micro-credentials as W3C Verifiable Credentials.",
            "description": "Issues micro-credentials carrying the EU standard elements as "
            "W3C Verifiable Credentials (JSON-LD, European Learning Model) secured with Data "
            "Integrity proofs, and publishes them through share links, Bitstring Status Lists "
            "and did:web DID documents. API routes need `Authorization: Bearer <token>`; "
            "every answer is scoped to the token's partnership. Errors are "
            '`{"error": {"code", "message", "details"}}` with stable codes.',
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": name}
            for name in (
                "specifications",
                "organisations",
                "credentials",
                "bulk jobs",
                "audit",
                "share links",
                "vc api",
                "public",
            )
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token of an organisation, with a role (viewer, "
                    "issuer, admin) and a scope. Every token reads its whole partnership and "
                    "issues as its own organisation. An `organisation` token (the default) "
                    "changes only credentials its organisation issued or co-awards; a "
                    "`partnership` token, granted deliberately, any of the partnership's.",
                }
            },
            "schemas": _schemas(),
            "responses": _responses(),
        },
    }


def document(base_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI document (a fresh copy), with ``servers`` naming ``base_url`` if given."""
    result = copy.deepcopy(_document())
    if base_url:
        result["servers"] = [{"url": base_url.rstrip("/")}]
    return result


def openapi_json() -> ResponseReturnValue:
    """``GET /openapi.json``: the OpenAPI document of this issuer (no auth)."""
    response = jsonify(document(current_app.config.get("ISSUER_BASE_URL")))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
