"""The accreditation registry's model: its credentials' frame, the reason codes, and the types
every part works with — limits, agencies, accreditation records (counted or refused), the
registry, an assessment.

The model is the European Learning Model's ``Accreditation`` (the one the EU's register uses):
an accreditation names the accredited ``organisation``, the ``accreditingAgent``, when it was
issued (``dateIssued``) and when it ends (``expiryDate``), and optional limits —
``limitQualification`` (qualification IRIs), ``limitEQFLevel`` (EQF level IRIs),
``limitField`` (ISCED-F IRIs) and ``limitJurisdiction`` (countries, or NUTS regions); see
:mod:`verifier.registry.vocabulary` for the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from keys.errors import DidResolutionError
from keys.proof import format_datetime
from schemas.elm.read import as_list
from schemas.elm.vocab import CREDENTIAL_CONTEXT
from verifier.registry.vocabulary import (
    COUNTRY,
    NUTS,
    RegistryFormatError,
    eqf_level,
    field_covers,
    isced_field,
    jurisdiction_iri,
    region_country,
)

CONTEXT: Final = CREDENTIAL_CONTEXT

REGISTRY_TYPE: Final = "AccreditationRegistry"
REGISTRY_VERSION: Final = 1
AGENCIES_PROFILE: Final = "urn:microcred:registry:accreditation-agencies"
RECORD_PROFILE: Final = "urn:microcred:registry:accreditation-record"

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

    def failures(self, facts: BodyFacts) -> list[str]:
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


@dataclass(frozen=True)
class BodyFacts:
    """What the credential says about one awarding body and the claims it awards."""

    countries: frozenset[str]
    regions: frozenset[str]
    eqf_levels: tuple[int | None, ...]
    fields: tuple[str | None, ...]
    qualifications: tuple[str | None, ...]


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


@dataclass
class AccreditationRegistry:
    """A verified registry: the authority, the agencies it recognises, the records that count
    and those refused. ``problem`` is set when the registry itself did not verify; it then
    holds no agencies and no records, and every credential's accreditation is unchecked.
    :mod:`verifier.registry.load` makes one; :mod:`verifier.registry.assess` consults it."""

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
