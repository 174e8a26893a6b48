"""Deciding whether an accreditation in a verified registry covers the awarding bodies (or the
issuer) of a credential.

:func:`assess` tells, for every awarding body of a credential, whether an accreditation covers
it:

- the credential's issue date (``issued``, else ``validFrom``, else ``issuanceDate``; never
  later than ``now``) lies within the accreditation's ``[dateIssued, expiryDate]``;
- the body's ``id`` is the accredited organisation's DID, or one of the identifiers the
  *agency* lists for it. Identifiers a credential claims for its own bodies are never enough:
  anyone can write a registration number into their own credential;
- every limit holds for every claim the body awards: EQF level of ``specifiedBy.eqfLevel``,
  ISCED-F field of ``specifiedBy.thematicArea``, qualification ``specifiedBy.id``, and the
  jurisdiction of the body's ``location.address.countryCode`` (and NUTS
  ``location.spatialCode``). A limit that cannot be evaluated (the credential does not say)
  fails: nothing is assumed;
- the same facts lie within the scope the authority recognises the record's agency for.

When several records name a body, one that covers it is enough; when none does, the reason is
that of the record with the fewest failures.

Reason codes (stable): ``accredited``, ``not_accredited``, ``accreditation_expired`` (also for
not yet valid at the issue date; ``details.when`` says which), ``eqf_out_of_scope``,
``field_out_of_scope``, ``jurisdiction_out_of_scope``, ``qualification_out_of_scope``,
``agency_not_recognised``, ``agency_out_of_scope``, ``issue_date_missing``, and
``record_unverified`` (the only record naming the body could not be checked: its agency's key
did not resolve).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from schemas.elm.read import as_list, awarding_bodies, claims, node_id, parse_date, text
from verifier.registry.model import (
    ACCREDITATION_EXPIRED,
    ACCREDITED,
    AGENCY_NOT_RECOGNISED,
    AGENCY_OUT_OF_SCOPE,
    DID_UNRESOLVED,
    EQF_OUT_OF_SCOPE,
    FIELD_OUT_OF_SCOPE,
    ISSUE_DATE_MISSING,
    JURISDICTION_OUT_OF_SCOPE,
    NOT_ACCREDITED,
    QUALIFICATION_OUT_OF_SCOPE,
    RECORD_UNVERIFIED,
    AccreditationRecord,
    AccreditationRegistry,
    Agency,
    Assessment,
    BodyFacts,
)
from verifier.registry.vocabulary import country_code, eqf_level, isced_field, region_code

_LIMIT_CODES: Final = {
    "jurisdictions": JURISDICTION_OUT_OF_SCOPE,
    "eqf_levels": EQF_OUT_OF_SCOPE,
    "fields": FIELD_OUT_OF_SCOPE,
    "qualifications": QUALIFICATION_OUT_OF_SCOPE,
}
_MESSAGES: Final = {
    ACCREDITED: "accredited",
    NOT_ACCREDITED: "no accreditation in the registry names this awarding body",
    ACCREDITATION_EXPIRED: "the accreditation was not in force on the credential's issue date",
    EQF_OUT_OF_SCOPE: "the credential's EQF level is outside the accreditation's limits",
    FIELD_OUT_OF_SCOPE: "the credential's ISCED-F field is outside the accreditation's limits",
    JURISDICTION_OUT_OF_SCOPE: "the awarding body's country or region is outside the limits",
    QUALIFICATION_OUT_OF_SCOPE: "the qualification is not one the accreditation names",
    AGENCY_NOT_RECOGNISED: "the accreditation was made by an agency the authority does not list",
    AGENCY_OUT_OF_SCOPE: "the accreditation goes beyond the scope the agency is recognised for",
    ISSUE_DATE_MISSING: "the credential has no readable issue date",
    RECORD_UNVERIFIED: "the accreditation naming this body could not be checked (key unresolved)",
}


def assess(
    registry: AccreditationRegistry, credential: Mapping[str, Any], now: datetime | None = None
) -> list[Assessment]:
    """For each awarding body of ``credential`` (every body of a joint award), whether an
    accreditation in ``registry`` covers it. ``now`` caps the issue date (a credential cannot
    have been issued later than now); it defaults to the current time."""
    now = now or datetime.now(UTC)
    issued = issue_date(credential)
    return [
        _assess_body(registry, credential, body, None if issued is None else min(issued, now))
        for body in awarding_bodies(credential)
    ]


def assess_party(
    registry: AccreditationRegistry,
    credential: Mapping[str, Any],
    party: Mapping[str, Any],
    now: datetime | None = None,
    *,
    all_claims: bool = False,
) -> Assessment:
    """Whether an accreditation in ``registry`` covers one party of ``credential`` (an awarding
    body, or — with ``all_claims`` — an issuer that awards nothing itself, judged for every
    claim)."""
    now = now or datetime.now(UTC)
    issued = issue_date(credential)
    return _assess_body(
        registry,
        credential,
        party,
        None if issued is None else min(issued, now),
        all_claims=all_claims,
    )


def _assess_body(
    registry: AccreditationRegistry,
    credential: Mapping[str, Any],
    body: Mapping[str, Any],
    issued: datetime | None,
    *,
    all_claims: bool = False,
) -> Assessment:
    body_id = str(node_id(body))
    name = text(body.get("legalName")) or text(body.get("prefLabel"))
    if issued is None:
        return _assessment(body_id, name, ISSUE_DATE_MISSING)
    candidates = [r for r in registry.records if r.names(body_id)]
    if not candidates:
        return _uncovered(registry, body_id, name)
    facts = body_facts(credential, body, body_id, all_claims=all_claims)
    judged = []
    for record in candidates:
        agency = registry.agencies[record.agency]
        codes = []
        if not record.in_force(issued):
            codes.append(ACCREDITATION_EXPIRED)
        codes += [_LIMIT_CODES[f] for f in record.limits.failures(facts)]
        if agency.scope.failures(facts):
            codes.append(AGENCY_OUT_OF_SCOPE)
        if not codes:
            return _assessment(body_id, name, ACCREDITED, record, agency, covered=True)
        judged.append((len(codes), record, agency, codes))
    listed = tuple(
        {"record": r.id, "agency": r.agency, "codes": codes, **_when(r, issued, codes)}
        for _, r, _, codes in judged
    )
    _, record, agency, codes = min(judged, key=lambda item: item[0])
    return _assessment(
        body_id,
        name,
        codes[0],
        record,
        agency,
        candidates=listed,
        extra=_when(record, issued, codes),
    )


def _uncovered(registry: AccreditationRegistry, body_id: str, name: str | None) -> Assessment:
    """No record that counts names the body: say why, if a refused record explains it."""
    for refused in registry.refused:
        if refused.organisation != body_id:
            continue
        if refused.authentic and refused.code in (AGENCY_NOT_RECOGNISED, AGENCY_OUT_OF_SCOPE):
            return _assessment(
                body_id, name, refused.code, extra={"refusedRecord": refused.to_dict()}
            )
        if refused.code == DID_UNRESOLVED:
            return _assessment(
                body_id, name, RECORD_UNVERIFIED, extra={"refusedRecord": refused.to_dict()}
            )
    return _assessment(body_id, name, NOT_ACCREDITED)


def _assessment(
    body: str,
    name: str | None,
    code: str,
    record: AccreditationRecord | None = None,
    agency: Agency | None = None,
    *,
    covered: bool = False,
    candidates: tuple[dict[str, Any], ...] = (),
    extra: Mapping[str, Any] | None = None,
) -> Assessment:
    return Assessment(
        body, name, covered, code, _MESSAGES[code], record, agency, candidates, dict(extra or {})
    )


def _when(record: AccreditationRecord, issued: datetime, codes: list[str]) -> dict[str, str]:
    if ACCREDITATION_EXPIRED not in codes:
        return {}
    return {"when": "not_yet_valid" if issued < record.issued else "expired"}


def issue_date(credential: Mapping[str, Any]) -> datetime | None:
    """The credential's issue date: ``issued``, else ``validFrom``, else ``issuanceDate``."""
    for member in ("issued", "validFrom", "issuanceDate"):
        if member in credential:
            return parse_date(credential[member])
    return None


def body_facts(
    credential: Mapping[str, Any],
    body: Mapping[str, Any],
    body_id: str,
    *,
    all_claims: bool = False,
) -> BodyFacts:
    """What ``credential`` says about one party (an awarding body, or with ``all_claims`` the
    issuer, judged for every claim it issues): its countries and regions, and the EQF levels,
    ISCED-F fields and qualifications of the claims it awards."""
    countries: set[str] = set()
    regions: set[str] = set()
    unreadable_place = False
    for location in as_list(body.get("location")):
        if not isinstance(location, Mapping):
            continue
        for address in as_list(location.get("address")):
            if isinstance(address, Mapping):
                for value in as_list(address.get("countryCode")):
                    code = country_code(node_id(value))
                    if code is None:
                        unreadable_place = True
                    else:
                        countries.add(code)
        for value in as_list(location.get("spatialCode")):
            region = region_code(node_id(value))
            if region is not None:
                regions.add(region)
    if unreadable_place:  # a country we cannot read is a place we cannot place
        countries.add("?")
    levels: list[int | None] = []
    fields: list[str | None] = []
    qualifications: list[str | None] = []
    for claim in claims(credential):
        bodies = [
            node_id(b)
            for process in as_list(claim.get("awardedBy"))
            if isinstance(process, Mapping)
            for b in as_list(process.get("awardingBody"))
        ]
        if not all_claims and body_id not in bodies:
            continue
        for spec in as_list(claim.get("specifiedBy")) or [None]:
            spec = spec if isinstance(spec, Mapping) else {}
            qualifications.append(node_id(spec))
            levels += [eqf_level(node_id(v)) for v in as_list(spec.get("eqfLevel"))] or [None]
            fields += [isced_field(node_id(v)) for v in as_list(spec.get("thematicArea"))] or [None]
    return BodyFacts(
        frozenset(countries),
        frozenset(regions),
        tuple(levels),
        tuple(fields),
        tuple(qualifications),
    )
