"""Evaluating a recognition rule on one credential or a set: the decision, criterion by
criterion.

Each credential is verified first (its report comes with it). Only a credential whose verdict
is ``verified`` is read at all; an unconfirmed or not verified one is left out, and its entry
says why (the verdict and what decided it). The verified credentials must be the same
learner's (the same subject id, else the same full name and no other date of birth): the first
verified credential's learner is the set's, another learner's credential is left out.

Then the rule's criteria, in two kinds:

- **each** (``eqfLevel``, ``iscedFields``, ``provider``, ``issuedWithinYears``, ``assessed``):
  every credential that counts must meet them. A verified credential that fails one does not
  count; the criterion is ``met`` when every verified credential meets it, ``partly_met`` when
  some do, ``not_met`` when none does;
- **together** (``ects``, ``escoSkills``): what the credentials that count reach together —
  ``met``, ``partly_met`` (some: "3 of 5 ECTS") or ``not_met`` (none).

The decision: ``not_recognised`` when no credential counts; ``recognised`` when at least one
counts and every *together* criterion is met; ``partly_recognised`` otherwise, with what is
missing in words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final

from verifier.recognition.facts import Facts, credential_facts
from verifier.recognition.rules import Rule
from verifier.recognition.wording import english, say, source_name
from verifier.report import Report, Verdict

RECOGNISED: Final = "recognised"
PARTLY_RECOGNISED: Final = "partly_recognised"
NOT_RECOGNISED: Final = "not_recognised"
MET, PARTLY_MET, NOT_MET = "met", "partly_met", "not_met"
DECISION_TYPE: Final = "RecognitionDecision"


@dataclass(frozen=True)
class Said:
    """Something the decision says: a stable code and its parameters (words: :meth:`words`)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def words(self, locale: str | None = None) -> str:
        """The sentence in ``locale`` (default: the current request's language, else English)."""
        return say(self.code, self.params, locale=locale)

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "message", "params"}`` (the message in English)."""
        return {
            "code": self.code,
            "message": english(self.code, self.params),
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class Candidate:
    """One credential offered for recognition: a name (its file, its place in a request), the
    document as given and the verifier's report on it."""

    name: str
    document: Any
    report: Report


@dataclass
class Entry:
    """What the decision says of one credential: its verdict, whether it counts, and why not."""

    candidate: Candidate
    label: str
    facts: Facts | None = None
    counted: bool = False
    reasons: list[Said] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        """The credential's verdict."""
        return self.candidate.report.verdict

    def to_dict(self, *, with_document: bool = True) -> dict[str, Any]:
        """The JSON form: name, id, title, issuer, verdict, counted, reasons, facts (verified
        only) and, with ``with_document``, the credential itself."""
        summary = self.candidate.report.summary or {}
        document = self.candidate.document
        data: dict[str, Any] = {
            "name": self.candidate.name,
            "id": document.get("id") if isinstance(document, Mapping) else None,
            "title": self.label,
            "issuer": summary.get("issuer"),
            "verdict": self.verdict.value,
            "counted": self.counted,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }
        if self.facts is not None:
            data["facts"] = self.facts.to_dict()
        if with_document:
            data["credential"] = document
        return data


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of the rule: what it asks, how it ended, and the findings behind it
    (what failed, what is missing, how a total was reached)."""

    criterion: str
    scope: str
    status: str
    requirement: tuple[Said, ...]
    outcome: Said
    findings: tuple[Said, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, every sentence in English with its code."""
        return {
            "criterion": self.criterion,
            "scope": self.scope,
            "status": self.status,
            "requirement": "; ".join(english(s.code, s.params) for s in self.requirement),
            "outcome": self.outcome.to_dict(),
            "findings": [finding.to_dict() for finding in self.findings],
        }


@dataclass(frozen=True)
class Decision:
    """The answer: ``recognised``, ``partly_recognised`` or ``not_recognised``, the headline,
    each criterion's result and each credential's entry."""

    rule: Rule
    decision: str
    headline: Said
    criteria: tuple[CriterionResult, ...]
    entries: tuple[Entry, ...]
    evaluated_at: datetime

    @property
    def learner(self) -> dict[str, Any] | None:
        """The learner of the verified credentials (id and name), if any was verified."""
        facts = next((e.facts for e in self.entries if e.facts is not None), None)
        if facts is None:
            return None
        return {"id": facts.learner_id, "name": facts.learner_name}

    def to_dict(self, *, with_documents: bool = True) -> dict[str, Any]:
        """The decision as JSON: the rule (as written), the decision and its message, the
        criteria, the credentials it rests on (with the documents unless told otherwise)."""
        return {
            "type": DECISION_TYPE,
            "decision": self.decision,
            "message": english(self.headline.code, self.headline.params),
            "evaluatedAt": self.evaluated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rule": {
                "id": self.rule.id,
                "title": self.rule.title(),
                "institution": self.rule.institution(),
                "recognisedAs": self.rule.target(),
                "document": dict(self.rule.document),
            },
            "learner": self.learner,
            "criteria": [criterion.to_dict() for criterion in self.criteria],
            "credentials": [e.to_dict(with_document=with_documents) for e in self.entries],
        }


# --- the learner and the verdicts --------------------------------------------------------------


def _label(candidate: Candidate) -> str:
    title = (candidate.report.summary or {}).get("title")
    return f"{title} ({candidate.name})" if title else candidate.name


def _open_points(report: Report) -> str:
    if report.verdict is Verdict.UNCONFIRMED:
        return "; ".join(point.message for point in report.unconfirmed)
    failed = [c for c in report.checks if c.outcome.value == "error" and c.check != "recognition"]
    return "; ".join(f"{c.message} [{c.code}]" for c in failed[:2]) or "the seal is not genuine"


def _same_learner(first: Facts, other: Facts) -> bool:
    if first.learner_id is not None and first.learner_id == other.learner_id:
        return True
    if not first.learner_name or not other.learner_name:
        return False
    same_name = first.learner_name.strip().casefold() == other.learner_name.strip().casefold()
    born = (first.date_of_birth or "")[:10], (other.date_of_birth or "")[:10]
    return same_name and (not all(born) or born[0] == born[1])


def _admit(candidates: Sequence[Candidate]) -> tuple[list[Entry], list[Entry]]:
    """Every entry, and those whose facts may be read (verified, the set's learner)."""
    entries = [Entry(c, _label(c)) for c in candidates]
    pool: list[Entry] = []
    for entry in entries:
        verdict = entry.verdict
        if verdict is not Verdict.VERIFIED:
            code = (
                "left_out_unconfirmed"
                if verdict is Verdict.UNCONFIRMED
                else "left_out_not_verified"
            )
            why = _open_points(entry.candidate.report)
            entry.reasons.append(Said(code, {"credential": entry.label, "why": why}))
            continue
        entry.facts = credential_facts(entry.candidate.document, entry.candidate.report)
        if pool and not _same_learner(_facts(pool[0]), entry.facts):
            entry.reasons.append(
                Said(
                    "left_out_other_learner",
                    {
                        "credential": entry.label,
                        "learner": entry.facts.learner_name or entry.facts.learner_id,
                        "first": _facts(pool[0]).learner_name or _facts(pool[0]).learner_id,
                    },
                )
            )
            continue
        pool.append(entry)
    return entries, pool


def _facts(entry: Entry) -> Facts:
    assert entry.facts is not None  # only entries with facts reach the pool
    return entry.facts


# --- criteria for each credential ---------------------------------------------------------------

Check = Callable[[Entry, datetime], list[Said]]


def _each_checks(rule: Rule) -> list[tuple[str, tuple[Said, ...], Check]]:
    """The rule's criteria for each credential: name, what it asks, the check."""
    found: list[tuple[str, tuple[Said, ...], Check]] = []
    if rule.eqf_min is not None or rule.eqf_max is not None:
        found.append(("eqfLevel", (_eqf_requirement(rule),), lambda e, now: _eqf(rule, e)))
    if rule.fields:
        fields = " or ".join(rule.fields)
        found.append(
            (
                "iscedFields",
                (Said("req_fields", {"fields": fields}),),
                lambda e, now: _field(rule, e),
            )
        )
    if rule.provider is not None:
        found.append(("provider", _provider_requirement(rule), lambda e, now: _provider(rule, e)))
    if rule.issued_within_years is not None:
        years = {"years": rule.issued_within_years}
        found.append(
            (
                "issuedWithinYears",
                (Said("req_issued_within", years),),
                lambda e, now: _age(rule, e, now),
            )
        )
    if rule.assessed:
        found.append(("assessed", (Said("req_assessed"),), lambda e, now: _assessed(e)))
    return found


def _eqf_requirement(rule: Rule) -> Said:
    if rule.eqf_min is not None and rule.eqf_max is not None:
        return Said("req_eqf_range", {"min": rule.eqf_min, "max": rule.eqf_max})
    if rule.eqf_min is not None:
        return Said("req_eqf_min", {"min": rule.eqf_min})
    return Said("req_eqf_max", {"max": rule.eqf_max})


def _eqf(rule: Rule, entry: Entry) -> list[Said]:
    facts, name = _facts(entry), entry.label
    if not facts.eqf_levels:
        return [Said("eqf_missing", {"credential": name})]
    problems = []
    for level in facts.eqf_levels:
        if rule.eqf_min is not None and level < rule.eqf_min:
            problems.append(
                Said("eqf_below", {"credential": name, "level": level, "min": rule.eqf_min})
            )
        if rule.eqf_max is not None and level > rule.eqf_max:
            problems.append(
                Said("eqf_above", {"credential": name, "level": level, "max": rule.eqf_max})
            )
    return problems


def _field(rule: Rule, entry: Entry) -> list[Said]:
    facts, name = _facts(entry), entry.label
    if not facts.fields:
        return [Said("field_missing", {"credential": name})]
    wanted = " or ".join(rule.fields)
    return [
        Said("field_outside", {"credential": name, "field": code, "fields": wanted})
        for code in facts.fields
        if not any(code.startswith(allowed) for allowed in rule.fields)
    ]


def _sources(rule: Rule) -> str:
    assert rule.provider is not None
    return " or ".join(source_name(s) for s in sorted(rule.provider.sources, reverse=True))


def _types(rule: Rule) -> str:
    assert rule.provider is not None
    return " or ".join(kind.name() for kind in rule.provider.types)


def _provider_requirement(rule: Rule) -> tuple[Said, ...]:
    assert rule.provider is not None
    said = [Said("req_provider", {"sources": _sources(rule)})]
    if rule.provider.types:
        said.append(Said("req_provider_types", {"types": _types(rule)}))
    if rule.provider.places:
        said.append(Said("req_provider_places", {"places": ", ".join(rule.provider.places)}))
    return tuple(said)


def _provider(rule: Rule, entry: Entry) -> list[Said]:
    provider = rule.provider
    assert provider is not None
    problems = []
    for body in _facts(entry).bodies:
        if body.source not in provider.sources:
            problems.append(
                Said("body_not_vouched", {"body": body.name, "sources": _sources(rule)})
            )
            continue
        if provider.types and body.accreditation_type not in {t.id for t in provider.types}:
            problems.append(Said("body_type", {"body": body.name, "types": _types(rule)}))
        if provider.countries is not None:
            if not body.countries:
                problems.append(Said("body_place_missing", {"body": body.name}))
            elif not body.countries <= provider.countries:
                outside = ", ".join(sorted(body.countries - provider.countries))
                places = ", ".join(provider.places)
                problems.append(
                    Said("body_place", {"body": body.name, "country": outside, "places": places})
                )
    return problems


def years_before(moment: datetime, years: int) -> datetime:
    """``moment`` ``years`` calendar years earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def _age(rule: Rule, entry: Entry, now: datetime) -> list[Said]:
    facts, name = _facts(entry), entry.label
    assert rule.issued_within_years is not None
    if facts.issued is None:
        return [Said("issued_missing", {"credential": name})]
    if facts.issued < years_before(now, rule.issued_within_years):
        date = facts.issued.date().isoformat()
        return [
            Said(
                "issued_too_long_ago",
                {"credential": name, "date": date, "years": rule.issued_within_years},
            )
        ]
    return []


def _assessed(entry: Entry) -> list[Said]:
    return [] if _facts(entry).assessed else [Said("not_assessed", {"credential": entry.label})]


def _judge_each(rule: Rule, pool: list[Entry], now: datetime) -> list[CriterionResult]:
    results = []
    failing: dict[int, list[Said]] = {id(e): [] for e in pool}
    for name, requirement, check in _each_checks(rule):
        findings: list[Said] = []
        meeting = 0
        for entry in pool:
            problems = check(entry, now)
            findings += problems
            failing[id(entry)] += problems
            meeting += not problems
        if not pool:
            status, outcome = NOT_MET, Said("nothing_verified")
        elif meeting == len(pool):
            status, outcome = MET, Said("each_met")
        elif meeting:
            status, outcome = (
                PARTLY_MET,
                Said("each_partly", {"count": meeting, "total": len(pool)}),
            )
        else:
            status, outcome = NOT_MET, Said("each_none")
        results.append(CriterionResult(name, "each", status, requirement, outcome, tuple(findings)))
    for entry in pool:
        problems = failing[id(entry)]
        entry.counted = not problems
        if problems:
            why = "; ".join(english(p.code, p.params) for p in problems)
            entry.reasons.append(Said("left_out_criteria", {"credential": entry.label, "why": why}))
        else:
            entry.reasons.append(Said("counted", {"credential": entry.label}))
    return results


# --- criteria together -------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _status(have: Decimal | int, need: Decimal | int) -> str:
    return MET if have >= need else (PARTLY_MET if have > 0 else NOT_MET)


def _ects(rule: Rule, counted: list[Entry]) -> CriterionResult:
    assert rule.ects_min is not None
    total = Decimal(0)
    notes: list[Said] = []
    for entry in counted:
        facts = _facts(entry)
        if facts.ects is not None:
            total += facts.ects
        elif rule.hours_per_credit is not None and facts.hours is not None:
            credits = (facts.hours / rule.hours_per_credit).quantize(Decimal("0.1"), ROUND_DOWN)
            total += credits
            notes.append(
                Said(
                    "ects_from_hours",
                    {
                        "credential": entry.label,
                        "hours": _number(facts.hours),
                        "ects": _number(credits),
                    },
                )
            )
        else:
            notes.append(Said("ects_missing", {"credential": entry.label}))
    need = {"need": _number(rule.ects_min)}
    requirement = [Said("req_ects", need)]
    if rule.hours_per_credit is not None:
        requirement.append(Said("req_ects_hours", {"hours": _number(rule.hours_per_credit)}))
    status = _status(total, rule.ects_min)
    outcome = Said(
        "ects_reached" if status == MET else "ects_total", {"have": _number(total), **need}
    )
    return CriterionResult("ects", "together", status, tuple(requirement), outcome, tuple(notes))


def _skills(rule: Rule, counted: list[Entry]) -> CriterionResult:
    covered: dict[str, str] = {}
    for entry in counted:
        for iri, (_, assessed) in _facts(entry).skills.items():
            if (assessed or not rule.skills_assessed_only) and iri not in covered:
                covered[iri] = entry.label
    have = [s for s in rule.skills if s.id in covered]
    findings = [
        Said("skill_covered", {"skill": s.name(), "credential": covered[s.id]}) for s in have
    ]
    status = _status(len(have), rule.skills_at_least)
    if status != MET:
        missing = "skill_missing_assessed" if rule.skills_assessed_only else "skill_missing"
        findings += [Said(missing, {"skill": s.name()}) for s in rule.skills if s.id not in covered]
    counts = {"need": rule.skills_at_least, "total": len(rule.skills)}
    requirement = Said("req_skills_assessed" if rule.skills_assessed_only else "req_skills", counts)
    reached = "skills_reached" if status == MET else "skills_total"
    outcome = Said(reached, {"have": len(have), "need": rule.skills_at_least})
    return CriterionResult(
        "escoSkills", "together", status, (requirement,), outcome, tuple(findings)
    )


# --- the decision ------------------------------------------------------------------------------


def evaluate(rule: Rule, candidates: Sequence[Candidate], now: datetime | None = None) -> Decision:
    """The decision of ``rule`` on ``candidates`` (each with its report), at ``now`` (default
    the current time); see the module for how it is reached. Never raises for any document."""
    now = now or datetime.now(UTC)
    entries, pool = _admit(candidates)
    results = _judge_each(rule, pool, now)
    counted = [e for e in pool if e.counted]
    together = []
    if rule.ects_min is not None:
        together.append(_ects(rule, counted))
    if rule.skills:
        together.append(_skills(rule, counted))
    target = {"target": rule.target()}
    if not counted:
        decision, headline = (
            NOT_RECOGNISED,
            Said("decision_not_recognised", {**target, "why": english("nothing_counts")}),
        )
    elif all(r.status == MET for r in together):
        decision, headline = RECOGNISED, Said("decision_recognised", target)
    else:
        missing = "; ".join(
            english(s.code, s.params)
            for r in together
            if r.status != MET
            for s in (r.outcome, *(f for f in r.findings if f.code.startswith("skill_missing")))
        )
        decision, headline = (
            PARTLY_RECOGNISED,
            Said("decision_partly_recognised", {**target, "missing": missing}),
        )
    return Decision(rule, decision, headline, (*results, *together), tuple(entries), now)
