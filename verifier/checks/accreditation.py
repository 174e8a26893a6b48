"""``accreditation``: is every issuer and awarding body vouched for by a configured trust source?

The trust sources (see ``verifier.settings``) are the signed accreditation registry
(``verifier.registry``) and a plain trusted-issuers file (``verifier.trust``). The
parties are the credential's issuer and every awarding body of its claims (each body of a joint
award); an issuer that awards nothing itself is judged for every claim it issues.

A party is *vouched for* when the trusted-issuers file lists it (within its scope, if one is
given) or an accreditation in the registry covers it. Then:

- every party vouched for → ``ok`` (``accredited`` when the registry vouched for each,
  ``trusted`` when the trusted-issuers file vouched for one at least); the message and
  ``details.parties[].vouchedBy`` say who vouched: "accredited by <agency> in the registry of
  <authority>, record <id>, for EQF 5-7, ISCED-F 06" or "listed in <file> as <name>";
- a source knows the party and contradicts the claim (the accreditation had expired on the
  issue date, the EQF level or field is outside its limits, the party is listed for another
  scope…) and no other source vouches → ``error`` with that reason's code (the credential
  claims what its issuer is not accredited for);
- otherwise, a party no source knows, or one that cannot be consulted → ``unchecked``, which
  makes the verdict *unconfirmed*: ``no_trust_source`` (nothing is configured),
  ``not_in_trust_source`` (the party is in none: not listed, no accreditation record names
  it), ``registry_invalid`` (the registry did not verify) or ``record_unverified`` (its
  record's agency key did not resolve). Each party's own findings keep the sources' codes.

``details.parties`` lists every party's result; ``details.sources`` the sources consulted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.elm.read import awarding_bodies, claims, node_id, text
from verifier.registry.assess import assess_party, body_facts
from verifier.registry.model import (
    ACCREDITED,
    NOT_ACCREDITED,
    RECORD_UNVERIFIED,
    AccreditationRegistry,
    Assessment,
    Limits,
)
from verifier.report import CheckResult, Outcome
from verifier.trust import TrustedIssuers

CHECK = "accreditation"
TRUSTED = "trusted"
NO_TRUST_SOURCE = "no_trust_source"
NOT_IN_TRUST_SOURCE = "not_in_trust_source"
REGISTRY_INVALID = "registry_invalid"
OUT_OF_TRUSTED_SCOPE = "out_of_trusted_scope"
NO_AWARDING_BODY = "no_awarding_body"
# Results that mean "this source does not know the party" rather than "it says no".
_UNKNOWN = (NOT_ACCREDITED, NOT_IN_TRUST_SOURCE, RECORD_UNVERIFIED, REGISTRY_INVALID)


@dataclass(frozen=True)
class _Finding:
    """What one source says of one party: vouched (with who vouched), or a code and reason."""

    vouched: bool
    code: str
    message: str
    source: str
    data: dict[str, Any]


def check_accreditation(
    credential: Mapping[str, Any],
    registry: AccreditationRegistry | None = None,
    *,
    trusted: TrustedIssuers | None = None,
    now: datetime | None = None,
) -> CheckResult:
    """Judge every party of ``credential`` against the trust sources (see the module)."""
    now = now or datetime.now(UTC)
    parties = _parties(credential)
    sources = _sources(registry, trusted, now)
    if not parties or (claims(credential) and not awarding_bodies(credential)):
        return CheckResult(
            CHECK,
            Outcome.ERROR,
            NO_AWARDING_BODY,
            "The credential names no awarding body for its claims, so none can be vouched for.",
            {"sources": sources},
        )
    if registry is None and trusted is None:
        return CheckResult(
            CHECK,
            Outcome.UNCHECKED,
            NO_TRUST_SOURCE,
            "No trust source (accreditation registry or trusted-issuers list) is configured, so "
            "nobody confirmed who the issuer is.",
            {"parties": [_party_stub(p, role) for p, role in parties], "sources": sources},
        )
    judged = [
        _judge(credential, party, role, registry, trusted, now) for party, role in parties
    ]
    details: dict[str, Any] = {"parties": [entry for entry, _ in judged], "sources": sources}
    problem = registry.problem_at(now) if registry is not None else None
    if problem is not None:
        details["reason"] = problem.code
    errors = [(entry, f) for entry, f in judged if f.code not in _UNKNOWN and not f.vouched]
    if errors:
        entry, finding = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return CheckResult(
            CHECK,
            Outcome.ERROR,
            finding.code,
            f"{entry['name']}: {finding.message}{more}.",
            details,
        )
    open_points = [(entry, f) for entry, f in judged if not f.vouched]
    if open_points:
        first = open_points[0][1].code
        return CheckResult(
            CHECK,
            Outcome.UNCHECKED,
            NOT_IN_TRUST_SOURCE if first in (NOT_ACCREDITED, NOT_IN_TRUST_SOURCE) else first,
            "Not confirmed by any trust source: "
            + "; ".join(f"{entry['name']} ({f.message})" for entry, f in open_points)
            + ".",
            details,
        )
    code = ACCREDITED if all(f.source == "registry" for _, f in judged) else TRUSTED
    return CheckResult(
        CHECK,
        Outcome.OK,
        code,
        "Vouched for: " + "; ".join(f"{e['name']}, {f.message}" for e, f in judged) + ".",
        details,
    )


def _parties(credential: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str]]:
    """The issuer (role ``issuer``, or ``issuer and awarding body``) and every awarding body."""
    bodies = {node_id(b): b for b in awarding_bodies(credential)}
    issuer = credential.get("issuer")
    issuer_node = issuer if isinstance(issuer, Mapping) else {"id": issuer}
    issuer_id = node_id(issuer_node)
    found: list[tuple[Mapping[str, Any], str]] = []
    if issuer_id is not None:
        role = "issuer and awarding body" if issuer_id in bodies else "issuer"
        found.append((bodies.get(issuer_id, issuer_node), role))
    found += [(b, "awarding body") for i, b in bodies.items() if i != issuer_id]
    return found


def _stated_name(party: Mapping[str, Any]) -> str | None:
    return (
        text(party.get("legalName")) or text(party.get("prefLabel")) or text(party.get("name"))
    )


def _party_stub(party: Mapping[str, Any], role: str) -> dict[str, Any]:
    identifier = node_id(party)
    return {
        "id": identifier,
        "role": role,
        "statedName": _stated_name(party),
        "name": _stated_name(party) or identifier,
        "vouched": False,
    }


def _judge(
    credential: Mapping[str, Any],
    party: Mapping[str, Any],
    role: str,
    registry: AccreditationRegistry | None,
    trusted: TrustedIssuers | None,
    now: datetime,
) -> tuple[dict[str, Any], _Finding]:
    """The party's report entry and the finding that decides it: the first source that
    vouches, else the first that contradicts, else the first that does not know it."""
    findings = []
    if trusted is not None:
        findings.append(_from_list(credential, party, role, trusted))
    if registry is not None:
        findings.append(_from_registry(credential, party, role, registry, now))
    decisive = (
        next((f for f in findings if f.vouched), None)
        or next((f for f in findings if f.code not in _UNKNOWN), None)
        or findings[0]
    )
    entry = _party_stub(party, role)
    entry.update(vouched=decisive.vouched, code=decisive.code, source=decisive.source)
    if decisive.vouched:
        entry["vouchedBy"] = decisive.message
        entry["confirmedName"] = decisive.data.get("confirmedName")
    entry["findings"] = [
        {"source": f.source, "vouched": f.vouched, "code": f.code, "message": f.message, **f.data}
        for f in findings
    ]
    return entry, decisive


def _from_list(
    credential: Mapping[str, Any], party: Mapping[str, Any], role: str, trusted: TrustedIssuers
) -> _Finding:
    identifier = node_id(party)
    listed = trusted.get(identifier)
    if listed is None:
        return _Finding(False, NOT_IN_TRUST_SOURCE, f"not listed in {trusted.name}", "list", {})
    data = {"confirmedName": listed.name, "entry": listed.to_dict()}
    if listed.scope is not None:
        facts = body_facts(credential, party, str(identifier), all_claims=role == "issuer")
        failed = listed.scope.failures(facts)
        if failed:
            return _Finding(
                False,
                OUT_OF_TRUSTED_SCOPE,
                f"{trusted.name} trusts it only {describe_limits(listed.scope)}",
                "list",
                {**data, "failedLimits": failed},
            )
    scope = f", {describe_limits(listed.scope)}" if listed.scope is not None else ""
    message = f"listed in {trusted.name} as {listed.name}{scope}"
    return _Finding(True, TRUSTED, message, "list", data)


def _from_registry(
    credential: Mapping[str, Any],
    party: Mapping[str, Any],
    role: str,
    registry: AccreditationRegistry,
    now: datetime,
) -> _Finding:
    problem = registry.problem_at(now)
    if problem is not None:
        return _Finding(
            False,
            REGISTRY_INVALID,
            f"the accreditation registry cannot be used ({problem.code}: {problem.message})",
            "registry",
            {"registry": registry.summary()},
        )
    assessment = assess_party(registry, credential, party, now, all_claims=role == "issuer")
    data = {"registry": registry.summary(), "assessment": assessment.to_dict()}
    if assessment.covered:
        data["confirmedName"] = assessment.record.name if assessment.record else None
        return _Finding(True, ACCREDITED, _accredited_by(assessment, registry), "registry", data)
    return _Finding(False, assessment.code, assessment.message, "registry", data)


def _accredited_by(assessment: Assessment, registry: AccreditationRegistry) -> str:
    agency = assessment.agency
    record = assessment.record
    who = (agency.name or agency.id) if agency else "?"
    text_ = f"accredited by {who} in the registry of {registry.authority}"
    if record is not None:
        text_ += f", record {record.id}"
        limits = describe_limits(record.limits)
        if limits:
            text_ += f", {limits}"
    return text_


def describe_limits(limits: Limits) -> str:
    """The limits in a few words: "for EQF 5-7, ISCED-F 06, DNK" ("" when there are none)."""
    parts = []
    if limits.eqf_levels:
        levels = sorted(limits.eqf_levels)
        contiguous = levels == list(range(levels[0], levels[-1] + 1)) and len(levels) > 1
        parts.append(
            f"EQF {levels[0]}-{levels[-1]}"
            if contiguous
            else "EQF " + ", ".join(str(level) for level in levels)
        )
    if limits.fields:
        parts.append("ISCED-F " + ", ".join(sorted(limits.fields)))
    places = sorted(limits.countries or ()) + sorted(limits.regions or ())
    if places:
        parts.append(", ".join(places))
    if limits.qualifications:
        count = len(limits.qualifications)
        parts.append(f"{count} named qualification{'s' if count > 1 else ''}")
    return ("for " + ", ".join(parts)) if parts else ""


def _sources(
    registry: AccreditationRegistry | None, trusted: TrustedIssuers | None, now: datetime
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if registry is not None:
        problem = registry.problem_at(now)
        found.append(
            {
                "kind": "registry",
                **registry.summary(),
                **({"usable": False} if problem is not None else {"usable": True}),
            }
        )
    if trusted is not None:
        found.append({"kind": "trusted_issuers", **trusted.summary()})
    return found
