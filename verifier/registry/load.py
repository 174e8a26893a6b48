"""Reading a registry file: verifying its chain of signatures and parsing what it says.

The chain (EBSI style)
----------------------
1. The accrediting **authority** is a DID the verifier pins in its configuration. It signs one
   *agencies credential*: the accreditation **agencies** it recognises, each an ``Organisation``
   (its DID and name) with an ``Accreditation`` whose limits are the agency's scope
   (jurisdictions, EQF levels 1..max, fields), ``accreditingAgent`` the authority.
2. Each **agency** signs one *record credential* per accredited organisation: the
   ``Organisation`` (its DID, optionally other ``identifier`` s) with one ``Accreditation``
   whose ``accreditingAgent`` is the agency.
3. A record counts only when its proof verifies with a key of its issuer, its issuer is an
   agency in the authority's list, its explicit limits stay within that agency's scope, and —
   when a credential is assessed (:mod:`verifier.registry.assess`) — the credential's facts also
   fall within the agency's scope.

Both kinds of credential are W3C VCs with exactly the credentials' own pinned contexts
``[VC v1, EDC-AP, Data Integrity v2]`` (the pinned VC v2 context has no ``@vocab``, and it
cannot be combined with EDC-AP, which redefines its protected ``description``), so every term
is an EDC term and passes strict expansion; ``dateIssued`` is the EDC term for ``dc:issued``
(``issued`` is not defined inside an ``Accreditation``). A marker in ``credentialProfiles`` says
which kind a credential is. Limit values are IRIs (:mod:`verifier.registry.vocabulary`).

The registry file
-----------------
One plain JSON envelope (not JSON-LD: the project refuses nested ``@context`` s, and each
credential inside carries its own), every credential in it verified on its own::

    {"type": "AccreditationRegistry", "version": 1,
     "agencies": {<agencies credential, signed by the authority>},
     "records": [{<record credential, signed by an agency>}, ...]}

:func:`load_registry` verifies the chain once (the authority's signature, then every record).
It never raises for bad content: a registry whose agencies credential fails carries a
:class:`~verifier.registry.model.RegistryProblem` (the check reports ``unchecked`` /
``registry_invalid``), and records that fail are kept aside as
:class:`~verifier.registry.model.RefusedRecord` with a reason code.

Refused records carry ``record_invalid``, ``signature_invalid``, ``did_unresolved``,
``agency_not_recognised`` or ``agency_out_of_scope``. A registry that cannot be used carries
``registry_malformed``, ``authority_mismatch`` (the agencies credential is not the pinned
authority's), ``signature_invalid``, ``did_unresolved`` or, once the agencies credential's
optional ``expirationDate`` has passed, ``registry_expired``
(:meth:`~verifier.registry.model.AccreditationRegistry.problem_at`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keys.proof_set import ProofSetResult, verify_proofs
from keys.resolver import DidResolver
from schemas.elm.read import as_list, node_id, parse_date, text
from schemas.loader import StaticDocumentLoader
from verifier.registry.model import (
    AGENCIES_PROFILE,
    AGENCY_NOT_RECOGNISED,
    AGENCY_OUT_OF_SCOPE,
    AUTHORITY_MISMATCH,
    CONTEXT,
    DID_UNRESOLVED,
    RECORD_INVALID,
    RECORD_PROFILE,
    REGISTRY_MALFORMED,
    REGISTRY_TYPE,
    REGISTRY_VERSION,
    SIGNATURE_INVALID,
    AccreditationRecord,
    AccreditationRegistry,
    Agency,
    Limits,
    RefusedRecord,
)
from verifier.registry.vocabulary import (
    COUNTRY,
    EQF,
    ISCED_F,
    NUTS,
    RegistryFormatError,
    country_code,
    eqf_level,
    isced_field,
    region_code,
)


def load_registry(
    document: Any,
    *,
    authority: str,
    resolver: DidResolver,
    now: datetime | None = None,
    loader: StaticDocumentLoader | None = None,
) -> AccreditationRegistry:
    """Verify a registry envelope against the pinned ``authority`` DID; never raises for bad
    content. The agencies credential must be signed by the authority (else the result carries a
    ``problem``); each record is verified and either counts or is refused with a reason."""
    now = now or datetime.now(UTC)
    if not isinstance(document, Mapping) or document.get("type") != REGISTRY_TYPE:
        return AccreditationRegistry.unusable(
            authority, REGISTRY_MALFORMED, f"not a registry (a JSON object of type {REGISTRY_TYPE})"
        )
    if document.get("version") != REGISTRY_VERSION:
        return AccreditationRegistry.unusable(
            authority, REGISTRY_MALFORMED, f"unknown registry version {document.get('version')!r}"
        )
    records = document.get("records")
    if not isinstance(records, list):
        return AccreditationRegistry.unusable(
            authority, REGISTRY_MALFORMED, "records is not a list"
        )
    agencies_document: Mapping[str, Any] = document.get("agencies") or {}
    try:
        issuer = _check_envelope(agencies_document, AGENCIES_PROFILE)
    except RegistryFormatError as error:
        return AccreditationRegistry.unusable(authority, REGISTRY_MALFORMED, f"agencies: {error}")
    if issuer != authority:
        return AccreditationRegistry.unusable(
            authority,
            AUTHORITY_MISMATCH,
            f"the agencies credential is issued by {issuer}, not by the authority {authority}",
        )
    outcome = verify_proofs(
        agencies_document, resolver=resolver, controllers=[authority], loader=loader, now=now
    )
    if not outcome.verified:
        code, message = _proof_failure(outcome)
        return AccreditationRegistry.unusable(
            authority,
            DID_UNRESOLVED if code == DID_UNRESOLVED else SIGNATURE_INVALID,
            f"the authority's signature on the agencies credential: {message}",
        )
    try:
        agencies = _parse_agencies(agencies_document, authority)
    except RegistryFormatError as error:
        return AccreditationRegistry.unusable(authority, REGISTRY_MALFORMED, f"agencies: {error}")
    valid_until = None
    if "expirationDate" in agencies_document:
        valid_until = parse_date(agencies_document["expirationDate"])
        if valid_until is None:
            return AccreditationRegistry.unusable(
                authority, REGISTRY_MALFORMED, "agencies: expirationDate is not a date-time"
            )
    registry = AccreditationRegistry(authority, agencies, valid_until=valid_until)
    for index, record_document in enumerate(records):
        judged = _judge_record(index, record_document, agencies, resolver, now, loader)
        if isinstance(judged, AccreditationRecord):
            registry.records.append(judged)
        else:
            registry.refused.append(judged)
    return registry


def load_registry_file(
    path: str | Path,
    *,
    authority: str,
    resolver: DidResolver,
    now: datetime | None = None,
    loader: StaticDocumentLoader | None = None,
) -> AccreditationRegistry:
    """:func:`load_registry` on a file; an unreadable or non-JSON file is an unusable registry."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        return AccreditationRegistry.unusable(
            authority, REGISTRY_MALFORMED, f"cannot read {path}: {error}"
        )
    return load_registry(document, authority=authority, resolver=resolver, now=now, loader=loader)


def parse_limits(accreditation: Mapping[str, Any]) -> Limits:
    """The limits of a signed ``Accreditation`` node; ``RegistryFormatError`` for a bad value.

    An empty list is no limit: it has no triples, so a signature cannot tell it from absent."""

    def values(member: str) -> list[Any]:
        found = [node_id(v) for v in as_list(accreditation.get(member))]
        if any(v is None for v in found):
            raise RegistryFormatError(f"{member} holds a value that is not an IRI")
        return found

    def parsed(member: str, parse: Any) -> frozenset[Any] | None:
        raw = values(member)
        if not raw:
            return None
        result = [parse(v) for v in raw]
        bad = [v for v, p in zip(raw, result, strict=True) if p is None]
        if bad:
            raise RegistryFormatError(f"{member} holds {bad[0]!r}, not a known code")
        return frozenset(result)

    qualifications = values("limitQualification")
    places = values("limitJurisdiction")
    countries = [country_code(v) for v in places if v.startswith(COUNTRY)]
    regions = [region_code(v) for v in places if v.startswith(NUTS)]
    if len(countries) + len(regions) != len(places) or None in countries or None in regions:
        raise RegistryFormatError(
            "limitJurisdiction holds an IRI that is no country or NUTS region"
        )
    limited_place = bool(places)
    return Limits(
        qualifications=frozenset(qualifications) if qualifications else None,
        eqf_levels=parsed("limitEQFLevel", lambda v: eqf_level(v) if v.startswith(EQF) else None),
        fields=parsed("limitField", lambda v: isced_field(v) if v.startswith(ISCED_F) else None),
        countries=frozenset(c for c in countries if c) if limited_place else None,
        regions=frozenset(r for r in regions if r) if limited_place else None,
    )


def _check_envelope(document: Any, profile: str) -> str:
    """The issuer DID of a registry credential of kind ``profile``, after checking its frame."""
    if not isinstance(document, Mapping):
        raise RegistryFormatError("not a JSON object")
    if document.get("@context") != list(CONTEXT):
        raise RegistryFormatError(f"@context must be exactly {list(CONTEXT)}")
    if "VerifiableCredential" not in as_list(document.get("type")):
        raise RegistryFormatError("not a VerifiableCredential")
    if as_list(document.get("credentialProfiles")) != [profile]:
        raise RegistryFormatError(f"credentialProfiles is not {profile}")
    issuer = node_id(document.get("issuer"))
    if not issuer:
        raise RegistryFormatError("no issuer")
    return issuer


def _accreditation_of(subject: Any, agent: str) -> tuple[str, Mapping[str, Any]]:
    """The subject's id and its one ``Accreditation``, checked to name the subject and ``agent``."""
    if not isinstance(subject, Mapping) or not node_id(subject):
        raise RegistryFormatError("a credentialSubject without an id")
    subject_id = str(node_id(subject))
    found = as_list(subject.get("accreditation"))
    if len(found) != 1 or not isinstance(found[0], Mapping):
        raise RegistryFormatError(f"{subject_id} must carry exactly one accreditation object")
    accreditation = found[0]
    if "Accreditation" not in as_list(accreditation.get("type")):
        raise RegistryFormatError(f"the accreditation of {subject_id} is not an Accreditation")
    if node_id(accreditation.get("organisation")) != subject_id:
        raise RegistryFormatError(f"the accreditation of {subject_id} names another organisation")
    if node_id(accreditation.get("accreditingAgent")) != agent:
        raise RegistryFormatError(
            f"the accreditation of {subject_id} names another accreditingAgent than its issuer"
        )
    return subject_id, accreditation


def _parse_agencies(document: Mapping[str, Any], authority: str) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    for subject in as_list(document.get("credentialSubject")):
        agency_id, accreditation = _accreditation_of(subject, authority)
        if agency_id in agencies:
            raise RegistryFormatError(f"{agency_id} is listed twice")
        agencies[agency_id] = Agency(
            agency_id, text(subject.get("legalName")), parse_limits(accreditation)
        )
    if not agencies:
        raise RegistryFormatError("lists no agency")
    return agencies


def _judge_record(
    index: int,
    document: Any,
    agencies: Mapping[str, Agency],
    resolver: DidResolver,
    now: datetime,
    loader: StaticDocumentLoader | None,
) -> AccreditationRecord | RefusedRecord:
    record_id = node_id(document.get("id")) if isinstance(document, Mapping) else None
    claimed = _claimed_organisation(document)

    def refuse(
        code: str, message: str, issuer: str | None, authentic: bool = False
    ) -> RefusedRecord:
        return RefusedRecord(index, record_id, issuer, claimed, code, message, authentic)

    try:
        issuer = _check_envelope(document, RECORD_PROFILE)
    except RegistryFormatError as error:
        return refuse(RECORD_INVALID, str(error), None)
    outcome = verify_proofs(
        document, resolver=resolver, controllers=[issuer], loader=loader, now=now
    )
    if not outcome.verified:
        code, message = _proof_failure(outcome)
        return refuse(
            DID_UNRESOLVED if code == DID_UNRESOLVED else SIGNATURE_INVALID, message, issuer
        )
    try:
        record = _parse_record(index, document, issuer)
    except RegistryFormatError as error:
        return refuse(RECORD_INVALID, str(error), issuer)
    agency = agencies.get(issuer)
    if agency is None:
        return refuse(
            AGENCY_NOT_RECOGNISED,
            f"{issuer} is not an agency the authority recognises",
            issuer,
            True,
        )
    excess = record.limits.within(agency.scope)
    if excess:
        return refuse(
            AGENCY_OUT_OF_SCOPE,
            f"the record's {', '.join(excess)} go beyond the agency's recognised scope",
            issuer,
            True,
        )
    return record


def _claimed_organisation(document: Any) -> str | None:
    if not isinstance(document, Mapping):
        return None
    subjects = as_list(document.get("credentialSubject"))
    return node_id(subjects[0]) if len(subjects) == 1 else None


def _parse_record(index: int, document: Mapping[str, Any], issuer: str) -> AccreditationRecord:
    record_id = node_id(document.get("id"))
    if not record_id:
        raise RegistryFormatError("a record needs an id")
    subjects = as_list(document.get("credentialSubject"))
    if len(subjects) != 1:
        raise RegistryFormatError("a record has exactly one credentialSubject (the organisation)")
    subject = subjects[0]
    organisation, accreditation = _accreditation_of(subject, issuer)
    issued = parse_date(accreditation.get("dateIssued"))
    if issued is None:
        raise RegistryFormatError("the accreditation needs a dateIssued date-time")
    expiry = None
    if "expiryDate" in accreditation:
        expiry = parse_date(accreditation["expiryDate"])
        if expiry is None:
            raise RegistryFormatError("expiryDate is not a date-time")
    identifiers = set()
    for identifier in as_list(subject.get("identifier")):
        for value in (node_id(identifier), _notation(identifier)):
            if value:
                identifiers.add(value)
    return AccreditationRecord(
        index=index,
        id=record_id,
        organisation=organisation,
        name=text(subject.get("legalName")),
        identifiers=frozenset(identifiers),
        agency=issuer,
        issued=issued,
        expiry=expiry,
        limits=parse_limits(accreditation),
        title=text(accreditation.get("title")),
        type=node_id(accreditation.get("dcType")),
    )


def _notation(identifier: Any) -> str | None:
    if isinstance(identifier, Mapping) and isinstance(identifier.get("notation"), str):
        return str(identifier["notation"])
    return None


def _proof_failure(outcome: ProofSetResult) -> tuple[str, str]:
    if outcome.code is not None:
        return outcome.code, outcome.message or outcome.code
    failed = next(r for r in outcome.results if not r.verified)
    return failed.code or SIGNATURE_INVALID, f"{failed.code}: {failed.message}"
