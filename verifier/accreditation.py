"""The accreditation registry: who accredited which awarding body, for what, and who says so.

The model is the European Learning Model's ``Accreditation`` (the one the EU's register uses):
an accreditation names the accredited ``organisation``, the ``accreditingAgent``, when it was
issued (``dateIssued``) and when it ends (``expiryDate``), and optional limits —
``limitQualification`` (qualification IRIs), ``limitEQFLevel`` (EQF level IRIs),
``limitField`` (ISCED-F IRIs; a tree: ``06`` covers ``061`` and ``0688``, ``061`` does not cover
``0688``) and ``limitJurisdiction`` (countries, or NUTS regions; a tree too: ``DK0`` covers
``DK01``).

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
   when a credential is assessed — the credential's facts also fall within the agency's scope.

Both kinds of credential are W3C VCs with exactly the credentials' own pinned contexts
``[VC v1, EDC-AP, Data Integrity v2]`` (the pinned VC v2 context has no ``@vocab``, and it
cannot be combined with EDC-AP, which redefines its protected ``description``), so every term
is an EDC term and passes strict expansion; ``dateIssued`` is the EDC term for ``dc:issued``
(``issued`` is not defined inside an ``Accreditation``). A marker in ``credentialProfiles`` says
which kind a credential is. Limit values are IRIs: ``http://data.europa.eu/snb/eqf/6``,
``http://data.europa.eu/snb/isced-f/06``,
``http://publications.europa.eu/resource/authority/country/DNK``,
``http://data.europa.eu/nuts/code/DK01``.

The registry file
-----------------
One plain JSON envelope (not JSON-LD: the project refuses nested ``@context`` s, and each
credential inside carries its own), every credential in it verified on its own::

    {"type": "AccreditationRegistry", "version": 1,
     "agencies": {<agencies credential, signed by the authority>},
     "records": [{<record credential, signed by an agency>}, ...]}

:func:`load_registry` verifies the chain once (the authority's signature, then every record).
It never raises for bad content: a registry whose agencies credential fails carries a
:class:`RegistryProblem` (the check reports ``unchecked`` / ``registry_invalid``), and records
that fail are kept aside as :class:`RefusedRecord` with a reason code.

:meth:`AccreditationRegistry.assess` then tells, for every awarding body of a credential,
whether an accreditation covers it:

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
did not resolve). Refused records carry ``record_invalid``, ``signature_invalid``,
``did_unresolved``, ``agency_not_recognised`` or ``agency_out_of_scope``. A registry that cannot
be used carries ``registry_malformed``, ``authority_mismatch`` (the agencies credential is not
the pinned authority's), ``signature_invalid``, ``did_unresolved`` or, once the agencies
credential's optional ``expirationDate`` has passed, ``registry_expired``.

The functions that build and sign these credentials (for ``microcred registry``) are here too.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from keys.errors import DidResolutionError
from keys.keypairs import KeyPair
from keys.proof import add_proof, format_datetime
from keys.proof_set import ProofSetResult, verify_proofs
from keys.resolver import DidResolver
from schemas.loader import StaticDocumentLoader
from verifier.credential import as_list, awarding_bodies, claims, node_id, parse_date, text

VC_V1: Final = "https://www.w3.org/2018/credentials/v1"
EDC_AP: Final = "http://data.europa.eu/snb/model/context/edc-ap"
DATA_INTEGRITY_V2: Final = "https://w3id.org/security/data-integrity/v2"
CONTEXT: Final = (VC_V1, EDC_AP, DATA_INTEGRITY_V2)

REGISTRY_TYPE: Final = "AccreditationRegistry"
REGISTRY_VERSION: Final = 1
AGENCIES_PROFILE: Final = "urn:microcred:registry:accreditation-agencies"
RECORD_PROFILE: Final = "urn:microcred:registry:accreditation-record"

EQF: Final = "http://data.europa.eu/snb/eqf/"
ISCED_F: Final = "http://data.europa.eu/snb/isced-f/"
COUNTRY: Final = "http://publications.europa.eu/resource/authority/country/"
NUTS: Final = "http://data.europa.eu/nuts/code/"

# Assessment codes.
ACCREDITED: Final = "accredited"
NOT_ACCREDITED: Final = "not_accredited"
ACCREDITATION_EXPIRED: Final = "accreditation_expired"
EQF_OUT_OF_SCOPE: Final = "eqf_out_of_scope"
FIELD_OUT_OF_SCOPE: Final = "field_out_of_scope"
JURISDICTION_OUT_OF_SCOPE: Final = "jurisdiction_out_of_scope"
QUALIFICATION_OUT_OF_SCOPE: Final = "qualification_out_of_scope"
AGENCY_NOT_RECOGNISED: Final = "agency_not_recognised"
AGENCY_OUT_OF_SCOPE: Final = "agency_out_of_scope"
ISSUE_DATE_MISSING: Final = "issue_date_missing"
RECORD_UNVERIFIED: Final = "record_unverified"
# Codes of refused records (with AGENCY_NOT_RECOGNISED, AGENCY_OUT_OF_SCOPE) and of problems.
RECORD_INVALID: Final = "record_invalid"
SIGNATURE_INVALID: Final = "signature_invalid"
DID_UNRESOLVED: Final = DidResolutionError.code
REGISTRY_MALFORMED: Final = "registry_malformed"
AUTHORITY_MISMATCH: Final = "authority_mismatch"
REGISTRY_EXPIRED: Final = "registry_expired"

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

# NUTS country prefixes (NUTS uses EL for Greece and UK for the United Kingdom) → ISO alpha-3.
NUTS_COUNTRIES: Final = {
    "AL": "ALB", "AT": "AUT", "BE": "BEL", "BG": "BGR", "CH": "CHE", "CY": "CYP", "CZ": "CZE",
    "DE": "DEU", "DK": "DNK", "EE": "EST", "EL": "GRC", "ES": "ESP", "FI": "FIN", "FR": "FRA",
    "HR": "HRV", "HU": "HUN", "IE": "IRL", "IS": "ISL", "IT": "ITA", "LI": "LIE", "LT": "LTU",
    "LU": "LUX", "LV": "LVA", "ME": "MNE", "MK": "MKD", "MT": "MLT", "NL": "NLD", "NO": "NOR",
    "PL": "POL", "PT": "PRT", "RO": "ROU", "RS": "SRB", "SE": "SWE", "SI": "SVN", "SK": "SVK",
    "TR": "TUR", "UK": "GBR",
}  # fmt: skip
_COUNTRY_CODE: Final = re.compile(r"[A-Z]{3}")
_NUTS_CODE: Final = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")
_ISCED_CODE: Final = re.compile(r"[0-9]{2,4}")


class RegistryFormatError(ValueError):
    """Input that does not describe an agency, a record or a registry (the message says why)."""


# --- values: EQF levels, ISCED-F fields, jurisdictions -------------------------------------


def eqf_level(value: Any) -> int | None:
    """The EQF level 1..8 of an int, a digit string or an EQF IRI; None if it is none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.removeprefix(EQF)
        if not value.isdigit():
            return None
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def isced_field(value: Any) -> str | None:
    """The ISCED-F code (2 to 4 digits) of a code or an ISCED-F IRI; None otherwise."""
    if not isinstance(value, str):
        return None
    code = value.removeprefix(ISCED_F)
    return code if _ISCED_CODE.fullmatch(code) else None


def field_covers(limits: Iterable[str], code: str) -> bool:
    """True when ``code`` is one of ``limits`` or below one in the tree (``06`` covers ``0688``)."""
    return any(code.startswith(limit) for limit in limits)


def country_code(value: Any) -> str | None:
    """The ISO 3166 alpha-3 code of a country IRI (EU authority table) or a bare code."""
    if not isinstance(value, str):
        return None
    code = value.removeprefix(COUNTRY)
    return code if _COUNTRY_CODE.fullmatch(code) else None


def region_code(value: Any) -> str | None:
    """The NUTS code of a NUTS IRI, or of a bare code that is not three letters (those are
    countries: write a three-letter NUTS region such as ``DEA`` as its IRI)."""
    if not isinstance(value, str):
        return None
    if value.startswith(NUTS):
        code = value[len(NUTS) :]
    elif _COUNTRY_CODE.fullmatch(value):
        return None
    else:
        code = value
    return code if _NUTS_CODE.fullmatch(code) and code[:2] in NUTS_COUNTRIES else None


def region_country(region: str) -> str:
    """The alpha-3 country of a NUTS region code."""
    return NUTS_COUNTRIES[region[:2]]


def jurisdiction_iri(value: Any) -> str:
    """The IRI of a jurisdiction given as an alpha-3 country, a NUTS code or an IRI."""
    country = country_code(value)
    if country is not None:
        return COUNTRY + country
    region = region_code(value)
    if region is not None:
        return NUTS + region
    raise RegistryFormatError(f"{value!r} is not a country (alpha-3) or NUTS region")


# --- limits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """An accreditation's limits (an agency's scope uses the same shape); None = no limit."""

    qualifications: frozenset[str] | None = None
    eqf_levels: frozenset[int] | None = None
    fields: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    regions: frozenset[str] | None = None

    @property
    def limits_jurisdiction(self) -> bool:
        """True when the jurisdiction is limited (to countries, regions, or both)."""
        return self.countries is not None or self.regions is not None

    def covers_place(self, countries: Iterable[str], regions: Iterable[str]) -> bool:
        """True when the place (a body's countries and NUTS regions) lies within the limit:
        every country it names is a listed country, or one of its regions lies in (below) a
        listed region of that country. A place that names neither is not within any limit."""
        if not self.limits_jurisdiction:
            return True
        allowed_countries = self.countries or frozenset()
        allowed_regions = self.regions or frozenset()
        countries, regions = set(countries), set(regions)
        if not countries:
            countries = {region_country(r) for r in regions}
        if not countries:
            return False
        for country in countries:
            if country in allowed_countries:
                continue
            if not any(
                region_country(r) == country and field_covers(allowed_regions, r) for r in regions
            ):
                return False
        return True

    def within(self, scope: Limits) -> list[str]:
        """The limits (names of fields) in which these explicit limits exceed ``scope``.

        A limit left open here is not an excess: the scope is applied again when a credential
        is assessed."""
        excess = []
        if (
            scope.qualifications is not None
            and self.qualifications is not None
            and not self.qualifications <= scope.qualifications
        ):
            excess.append("qualifications")
        if (
            scope.eqf_levels is not None
            and self.eqf_levels is not None
            and not self.eqf_levels <= scope.eqf_levels
        ):
            excess.append("eqf_levels")
        if (
            scope.fields is not None
            and self.fields is not None
            and not all(field_covers(scope.fields, f) for f in self.fields)
        ):
            excess.append("fields")
        if scope.limits_jurisdiction and self.limits_jurisdiction:
            places_ok = all(scope.covers_place({c}, ()) for c in self.countries or ()) and all(
                scope.covers_place((), {r}) for r in self.regions or ()
            )
            if not places_ok:
                excess.append("jurisdictions")
        return excess

    def failures(self, facts: _BodyFacts) -> list[str]:
        """The limits (names, in a fixed order) the facts of one awarding body break."""
        failed = []
        if not self.covers_place(facts.countries, facts.regions):
            failed.append("jurisdictions")
        if self.eqf_levels is not None and not (
            facts.eqf_levels and all(level in self.eqf_levels for level in facts.eqf_levels)
        ):
            failed.append("eqf_levels")
        if self.fields is not None and not (
            facts.fields
            and all(f is not None and field_covers(self.fields, f) for f in facts.fields)
        ):
            failed.append("fields")
        if self.qualifications is not None and not (
            facts.qualifications
            and all(q is not None and q in self.qualifications for q in facts.qualifications)
        ):
            failed.append("qualifications")
        return failed

    def to_dict(self) -> dict[str, Any]:
        """The limits that are set, as JSON (codes, sorted)."""
        data: dict[str, Any] = {}
        if self.qualifications is not None:
            data["qualifications"] = sorted(self.qualifications)
        if self.eqf_levels is not None:
            data["eqfLevels"] = sorted(self.eqf_levels)
        if self.fields is not None:
            data["fields"] = sorted(self.fields)
        if self.limits_jurisdiction:
            data["jurisdictions"] = sorted(self.countries or ()) + sorted(self.regions or ())
        return data


def _parse_limits(accreditation: Mapping[str, Any]) -> Limits:
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


# --- the registry's parts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    """An accreditation agency the authority recognises, and the scope it is recognised for."""

    id: str
    name: str | None
    scope: Limits

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"id", "name", "scope"}``."""
        return {"id": self.id, "name": self.name, "scope": self.scope.to_dict()}


@dataclass(frozen=True)
class AccreditationRecord:
    """One accreditation an agency signed: the organisation, its dates and its limits."""

    index: int
    id: str
    organisation: str
    name: str | None
    identifiers: frozenset[str]
    agency: str
    issued: datetime
    expiry: datetime | None
    limits: Limits
    title: str | None = None
    type: str | None = None

    def names(self, body_id: str) -> bool:
        """True when the awarding body ``body_id`` is this record's organisation."""
        return body_id == self.organisation or body_id in self.identifiers

    def in_force(self, moment: datetime) -> bool:
        """True when ``moment`` lies within ``[issued, expiry]``."""
        return self.issued <= moment and (self.expiry is None or moment <= self.expiry)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form shown in reports."""
        return {
            "id": self.id,
            "organisation": self.organisation,
            "name": self.name,
            "agency": self.agency,
            "title": self.title,
            "type": self.type,
            "issued": format_datetime(self.issued),
            "expiryDate": format_datetime(self.expiry) if self.expiry else None,
            "limits": self.limits.to_dict(),
        }


@dataclass(frozen=True)
class RefusedRecord:
    """A record that does not count, and why (``code`` is stable).

    ``organisation`` is what the record names — trusted only when ``authentic`` (its own
    signature verified, as for a record of an agency the authority does not list)."""

    index: int
    id: str | None
    issuer: str | None
    organisation: str | None
    code: str
    message: str
    authentic: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form shown by ``microcred registry check``."""
        return {
            "index": self.index,
            "id": self.id,
            "issuer": self.issuer,
            "organisation": self.organisation,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class RegistryProblem:
    """Why a configured registry cannot be used (its agencies credential did not verify)."""

    code: str
    message: str


@dataclass(frozen=True)
class Assessment:
    """Whether an accreditation covers one awarding body of a credential.

    ``record`` and ``agency`` are the covering record, or (when none covers) the nearest
    candidate; ``candidates`` lists every record that names the body, with its reasons."""

    body: str
    name: str | None
    covered: bool
    code: str
    message: str
    record: AccreditationRecord | None = None
    agency: Agency | None = None
    candidates: tuple[dict[str, Any], ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in the check's details."""
        data: dict[str, Any] = {
            "body": self.body,
            "name": self.name,
            "covered": self.covered,
            "code": self.code,
            "message": self.message,
        }
        if self.agency is not None:
            data["agency"] = {"id": self.agency.id, "name": self.agency.name}
        if self.record is not None:
            data["record"] = self.record.to_dict()
            data["limits"] = self.record.limits.to_dict()
        if self.candidates:
            data["candidates"] = list(self.candidates)
        data.update(self.extra)
        return data


@dataclass(frozen=True)
class _BodyFacts:
    """What the credential says about one awarding body and the claims it awards."""

    countries: frozenset[str]
    regions: frozenset[str]
    eqf_levels: tuple[int | None, ...]
    fields: tuple[str | None, ...]
    qualifications: tuple[str | None, ...]


@dataclass
class AccreditationRegistry:
    """A verified registry: the authority, the agencies it recognises, the records that count
    and those refused. ``problem`` is set when the registry itself did not verify; it then
    holds no agencies and no records, and every credential's accreditation is unchecked."""

    authority: str
    agencies: dict[str, Agency] = field(default_factory=dict)
    records: list[AccreditationRecord] = field(default_factory=list)
    refused: list[RefusedRecord] = field(default_factory=list)
    problem: RegistryProblem | None = None
    valid_until: datetime | None = None

    @classmethod
    def unusable(cls, authority: str, code: str, message: str) -> AccreditationRegistry:
        """A registry that cannot be used, with the reason (e.g. its file is unreadable)."""
        return cls(authority=authority, problem=RegistryProblem(code, message))

    def problem_at(self, now: datetime) -> RegistryProblem | None:
        """Why the registry cannot be used at ``now`` (its problem, or its list has expired)."""
        if self.problem is not None:
            return self.problem
        if self.valid_until is not None and now > self.valid_until:
            return RegistryProblem(
                REGISTRY_EXPIRED,
                f"the authority's list of agencies expired on {format_datetime(self.valid_until)}",
            )
        return None

    def assess(
        self, credential: Mapping[str, Any], now: datetime | None = None
    ) -> list[Assessment]:
        """For each awarding body of ``credential`` (every body of a joint award), whether an
        accreditation in this registry covers it. ``now`` caps the issue date (a credential
        cannot have been issued later than now); it defaults to the current time."""
        now = now or datetime.now(UTC)
        issued = issue_date(credential)
        return [
            self._assess_body(credential, body, None if issued is None else min(issued, now))
            for body in awarding_bodies(credential)
        ]

    def assess_party(
        self,
        credential: Mapping[str, Any],
        party: Mapping[str, Any],
        now: datetime | None = None,
        *,
        all_claims: bool = False,
    ) -> Assessment:
        """Whether an accreditation covers one party of ``credential`` (an awarding body, or —
        with ``all_claims`` — an issuer that awards nothing itself, judged for every claim)."""
        now = now or datetime.now(UTC)
        issued = issue_date(credential)
        return self._assess_body(
            credential,
            party,
            None if issued is None else min(issued, now),
            all_claims=all_claims,
        )

    def _assess_body(
        self,
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
        candidates = [r for r in self.records if r.names(body_id)]
        if not candidates:
            return self._uncovered(body_id, name)
        facts = body_facts(credential, body, body_id, all_claims=all_claims)
        judged = []
        for record in candidates:
            agency = self.agencies[record.agency]
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

    def _uncovered(self, body_id: str, name: str | None) -> Assessment:
        """No record that counts names the body: say why, if a refused record explains it."""
        for refused in self.refused:
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

    def summary(self) -> dict[str, Any]:
        """A short JSON description: authority, counts, problem."""
        data: dict[str, Any] = {
            "authority": self.authority,
            "agencies": len(self.agencies),
            "records": len(self.records),
            "refused": len(self.refused),
        }
        if self.problem is not None:
            data["problem"] = {"code": self.problem.code, "message": self.problem.message}
        return data


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
) -> _BodyFacts:
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
    return _BodyFacts(
        frozenset(countries),
        frozenset(regions),
        tuple(levels),
        tuple(fields),
        tuple(qualifications),
    )


# --- loading and verifying -------------------------------------------------------------------


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
            agency_id, text(subject.get("legalName")), _parse_limits(accreditation)
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
        limits=_parse_limits(accreditation),
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


# --- building and signing (the ``microcred registry`` commands) ------------------------------


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


def _codes(value: Any, parse: Any, what: str) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    parsed = [parse(v) for v in values]
    for raw, result in zip(values, parsed, strict=True):
        if result is None:
            raise RegistryFormatError(f"{what}: {raw!r} is not valid")
    return parsed


def limits_from(entry: Mapping[str, Any], *, agency: bool) -> Limits:
    """Limits from a simple description (codes, not IRIs): an agency's ``jurisdictions``,
    ``maxEQFLevel`` and ``fields``, or a record's (and a trusted issuer's) ``limitEQFLevel``,
    ``limitField``, ``limitJurisdiction`` and ``limitQualification``. Raises
    :class:`RegistryFormatError` naming the first value that is not valid."""
    places = entry.get("jurisdictions" if agency else "limitJurisdiction")
    countries: list[str] = []
    regions: list[str] = []
    for place in as_list(places):
        iri = jurisdiction_iri(place)
        if iri.startswith(COUNTRY):
            countries.append(iri[len(COUNTRY) :])
        else:
            regions.append(iri[len(NUTS) :])
    if agency:
        maximum = entry.get("maxEQFLevel")
        levels = None
        if maximum is not None:
            top = eqf_level(maximum)
            if top is None:
                raise RegistryFormatError(f"maxEQFLevel must be 1..8, got {maximum!r}")
            levels = frozenset(range(1, top + 1))
        fields = entry.get("fields")
        qualifications = None
    else:
        raw_levels = entry.get("limitEQFLevel")
        levels = frozenset(_codes(raw_levels, eqf_level, "limitEQFLevel")) if raw_levels else None
        fields = entry.get("limitField")
        raw_quals = entry.get("limitQualification")
        qualifications = None
        if raw_quals:
            quals = raw_quals if isinstance(raw_quals, list) else [raw_quals]
            if not all(isinstance(q, str) and ":" in q for q in quals):
                raise RegistryFormatError("limitQualification must list qualification IRIs")
            qualifications = frozenset(quals)
    return Limits(
        qualifications=qualifications,
        eqf_levels=levels,
        fields=frozenset(_codes(fields, isced_field, "fields")) if fields else None,
        countries=frozenset(countries) if places else None,
        regions=frozenset(regions) if places else None,
    )


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
