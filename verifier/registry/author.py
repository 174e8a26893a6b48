"""Building and signing a registry (for ``microcred registry``): the authority's agencies
credential and an agency's record credential from simple JSON descriptions, their proofs, and
the registry envelope that bundles them (the forms :mod:`verifier.registry.load` reads)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from keys.keypairs import KeyPair
from keys.proof import add_proof, format_datetime
from schemas.elm.read import as_list, node_id, parse_date
from schemas.loader import StaticDocumentLoader
from verifier.registry.model import (
    AGENCIES_PROFILE,
    CONTEXT,
    RECORD_PROFILE,
    REGISTRY_TYPE,
    REGISTRY_VERSION,
    Limits,
    limits_from,
)
from verifier.registry.vocabulary import COUNTRY, EQF, ISCED_F, NUTS, RegistryFormatError


def agencies_credential(
    agencies: Sequence[Mapping[str, Any]],
    *,
    authority: str,
    issued: datetime | None = None,
    valid_until: datetime | None = None,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """The unsigned agencies credential of ``authority`` from simple entries::

        {"id": "did:…", "name": "…", "jurisdictions": ["DNK", "SE22"], "maxEQFLevel": 7,
         "fields": ["06", "07"]}

    (every scope member optional: absent = not limited). ``RegistryFormatError`` for bad input.
    """
    if not isinstance(agencies, Sequence) or isinstance(agencies, str | bytes) or not agencies:
        raise RegistryFormatError("the agencies must be a non-empty JSON list")
    document = _frame(_did(authority, "the authority"), AGENCIES_PROFILE, issued, credential_id)
    if valid_until is not None:
        document["expirationDate"] = format_datetime(valid_until)
    subjects = []
    seen: set[str] = set()
    for number, entry in enumerate(agencies, start=1):
        if not isinstance(entry, Mapping):
            raise RegistryFormatError(f"agency {number} is not a JSON object")
        agency_id = _did(entry.get("id"), f"agency {number}'s id")
        if agency_id in seen:
            raise RegistryFormatError(f"{agency_id} is listed twice")
        seen.add(agency_id)
        accreditation = {
            "id": f"{document['id']}#agency-{number}",
            "type": "Accreditation",
            "title": {"en": "Recognised accreditation agency"},
            "organisation": agency_id,
            "accreditingAgent": authority,
            **_limit_members(limits_from(entry, agency=True)),
        }
        subject: dict[str, Any] = {"id": agency_id, "type": "Organisation"}
        if entry.get("name") is not None:
            subject["legalName"] = _language_map(entry["name"], f"agency {number}'s name")
        subject["accreditation"] = accreditation
        subjects.append(subject)
    document["credentialSubject"] = subjects
    return document


def record_credential(
    record: Mapping[str, Any],
    *,
    agency: str,
    issued: datetime | None = None,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """The unsigned record credential of ``agency`` from a simple description::

        {"organisation": "did:…" | {"id": "did:…", "name": "…", "identifiers": ["…"]},
         "title": "…", "dcType": "<IRI>", "issued": "2024-01-01", "expiryDate": "2030-12-31",
         "limitQualification": ["<IRI>"], "limitEQFLevel": [6, 7], "limitField": ["06"],
         "limitJurisdiction": ["DNK"]}

    ``issued`` is required (it becomes ``dateIssued``); limits are optional. An
    ``accreditingAgent``, if given, must be ``agency``. ``RegistryFormatError`` for bad input.
    """
    if not isinstance(record, Mapping):
        raise RegistryFormatError("the record must be a JSON object")
    agent = record.get("accreditingAgent", agency)
    if agent != agency:
        raise RegistryFormatError(f"accreditingAgent {agent!r} is not the signing agency {agency}")
    organisation = record.get("organisation")
    if isinstance(organisation, str):
        organisation = {"id": organisation}
    if not isinstance(organisation, Mapping):
        raise RegistryFormatError("organisation must be a DID or an object with an id")
    org_id = organisation.get("id")
    if not isinstance(org_id, str) or ":" not in org_id:
        raise RegistryFormatError("the organisation's id must be a DID or IRI")
    if "issued" not in record:
        raise RegistryFormatError("the record needs issued (the accreditation's start date)")
    document = _frame(_did(agency, "the agency"), RECORD_PROFILE, issued, credential_id)
    accreditation: dict[str, Any] = {
        "id": f"{document['id']}#accreditation",
        "type": "Accreditation",
    }
    if record.get("title") is not None:
        accreditation["title"] = _language_map(record["title"], "title")
    if record.get("dcType") is not None:
        dc_type = record["dcType"]
        if not isinstance(dc_type, str) or ":" not in dc_type:
            raise RegistryFormatError("dcType must be an IRI")
        accreditation["dcType"] = dc_type
    accreditation["organisation"] = org_id
    accreditation["accreditingAgent"] = agency
    accreditation["dateIssued"] = _date(record["issued"], "issued")
    if record.get("expiryDate") is not None:
        accreditation["expiryDate"] = _date(record["expiryDate"], "expiryDate")
    accreditation.update(_limit_members(limits_from(record, agency=False)))
    subject: dict[str, Any] = {"id": org_id, "type": "Organisation"}
    if organisation.get("name") is not None:
        subject["legalName"] = _language_map(organisation["name"], "the organisation's name")
    identifiers = as_list(organisation.get("identifiers"))
    if identifiers:
        if not all(isinstance(i, str) and i for i in identifiers):
            raise RegistryFormatError("identifiers must be strings")
        subject["identifier"] = [
            {"id": f"{document['id']}#identifier-{n}", "type": "Identifier", "notation": value}
            for n, value in enumerate(identifiers, start=1)
        ]
    subject["accreditation"] = accreditation
    document["credentialSubject"] = subject
    return document


def sign(
    document: Mapping[str, Any],
    keypair: KeyPair,
    *,
    created: datetime | str | None = None,
    loader: StaticDocumentLoader | None = None,
) -> dict[str, Any]:
    """``document`` with a Data Integrity proof by ``keypair`` (its controller must be the
    document's issuer). Errors of ``keys.proof.add_proof`` pass through."""
    if keypair.controller != node_id(document.get("issuer")):
        raise RegistryFormatError(
            f"the key belongs to {keypair.controller}, the document's issuer is "
            f"{node_id(document.get('issuer'))}"
        )
    return add_proof(document, keypair, created=created, loader=loader)


def bundle(agencies: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The registry envelope holding the signed agencies credential and the signed records."""
    return {
        "type": REGISTRY_TYPE,
        "version": REGISTRY_VERSION,
        "agencies": dict(agencies),
        "records": [dict(r) for r in records],
    }


def _limit_members(limits: Limits) -> dict[str, list[str]]:
    """The JSON-LD limit members (IRIs) of ``limits``."""
    members: dict[str, list[str]] = {}
    if limits.qualifications:
        members["limitQualification"] = sorted(limits.qualifications)
    if limits.eqf_levels:
        members["limitEQFLevel"] = [f"{EQF}{level}" for level in sorted(limits.eqf_levels)]
    if limits.fields:
        members["limitField"] = [ISCED_F + code for code in sorted(limits.fields)]
    places = [COUNTRY + c for c in sorted(limits.countries or ())]
    places += [NUTS + r for r in sorted(limits.regions or ())]
    if places:
        members["limitJurisdiction"] = places
    return members


def _frame(issuer: str, profile: str, issued: datetime | None, credential_id: str | None) -> dict:
    moment = format_datetime(issued or datetime.now(UTC))
    return {
        "@context": list(CONTEXT),
        "id": credential_id or _new_id(),
        "type": ["VerifiableCredential"],
        "credentialProfiles": profile,
        "issuer": issuer,
        "issuanceDate": moment,
        "issued": moment,
    }


def _new_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _language_map(value: Any, what: str) -> dict[str, str]:
    if isinstance(value, str) and value:
        return {"en": value}
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    ):
        return dict(value)
    raise RegistryFormatError(f"{what} must be a string or a language map")


def _did(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("did:"):
        raise RegistryFormatError(f"{what} must be a DID, got {value!r}")
    return value


def _date(value: Any, what: str) -> str:
    moment = parse_date(value)
    if moment is None:
        raise RegistryFormatError(f"{what} must be an ISO 8601 date or date-time, got {value!r}")
    return format_datetime(moment)
