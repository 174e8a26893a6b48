"""The Annex I report as this project wrote it before it was made faster (commit 4bd156c):
``schemas/elm/annex1.py`` and ``annex1_values.py``, over the readers frozen in
:mod:`tests.schemas.elm.read_reference`; pure Python, the oracle the faster report is held to
(``test_annex1_reference.py``).

Do not change this module to follow a change of the rules: change the rules' own tests. It
shares with the report only what the speed work left as it was: the profile schema's checks
(:mod:`schemas.elm.profile`), the vocabulary and :func:`schemas.paths.format_path`.
"""


from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from schemas.elm.profile import ELEMENTS, Element, definition_issues, element, schema_issues
from schemas.elm.vocab import (
    ACCREDITATION_PROFILE,
    ACHIEVEMENT_TYPE,
    ACTIVITY_TYPE,
    DIPLOMA_SUPPLEMENT,
    EDC_TYPE,
    EQF_LEVELS,
    ISSUED_MANDATE_PROFILE,
    SPECIFICATION_TYPES,
)
from schemas.errors import SchemaIssue
from schemas.paths import format_path
from tests.schemas.elm.read_reference import (
    Located,
    decimal,
    hours,
    is_ects,
    items,
    label,
    node_id,
    note,
    plain,
    text,
    types,
    walk,
    walk_values,
)

Roots = dict[str, list[Located]]
MAX_VALUE = 160
OUTCOMES_SHOWN = 3


def short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…"


def _join(values: Sequence[str | None], separator: str = "; ") -> str | None:
    unique = list(dict.fromkeys(v for v in values if v))
    return short(separator.join(unique)) if unique else None


def values_at(roots: Roots, root: str, *steps: str) -> list[Any]:
    starts = [start for start, _ in roots[root] if start is not None]
    return [value for start in starts for value in walk_values(start, steps)]


def _at_places(roots: Roots, key: str) -> list[Any]:
    return [value for place in element(key).where for value in values_at(roots, *place.split("."))]


def _learner(roots: Roots) -> str | None:
    subject = roots["subject"][0][0]
    name = text(subject.get("fullName")) or _join(
        [text(subject.get("givenName")), text(subject.get("familyName"))], " "
    )
    if name:
        return short(name)
    identifiers = values_at(roots, "subject", "nationalID") + values_at(
        roots, "subject", "identifier"
    )
    return _join([_notation(i) for i in identifiers])


def _notation(node: Any) -> str | None:
    if isinstance(node, Mapping) and isinstance(node.get("notation"), str):
        return str(node["notation"])
    return node_id(node)


def _title(roots: Roots) -> str | None:
    titles = values_at(roots, "claim", "title") + values_at(roots, "specification", "title")
    return next((short(t) for t in map(text, titles) if t), None)


def _country(roots: Roots) -> str | None:
    countries = []
    for code in _at_places(roots, "country"):
        identifier = node_id(code)
        notation = identifier.rsplit("/", 1)[-1] if identifier else None
        name = text(code.get("prefLabel")) if isinstance(code, Mapping) else None
        countries.append(f"{name} ({notation})" if name and notation else name or notation)
    return _join(countries)


def _awarding_bodies(roots: Roots) -> str | None:
    return _join([label(body) for body in _at_places(roots, "awardingBody")])


def _date(roots: Roots) -> str | None:
    dates = _at_places(roots, "dateOfIssuing")
    return next((short(d) for d in dates if isinstance(d, str) and d.strip()), None)


def _outcomes(roots: Roots) -> str | None:
    outcomes = _at_places(roots, "learningOutcomes")
    if not outcomes:
        return None
    titles = [text(o.get("title")) if isinstance(o, Mapping) else None for o in outcomes]
    shown = [t for t in titles if t][:OUTCOMES_SHOWN]
    count = f"{len(outcomes)} learning outcome{('s' if len(outcomes) != 1 else '')}"
    if not shown:
        return count
    more = "; …" if len(outcomes) > len(shown) else ""
    return short(f"{count}: " + "; ".join(shown) + more)


def _workload(roots: Roots) -> str | None:
    credits = []
    for credit in values_at(roots, "specification", "creditPoint"):
        point = credit.get("point") if isinstance(credit, Mapping) else None
        number = decimal(point)
        shown = plain(number) if number is not None else text(point)
        if not shown:
            continue
        frameworks = [label(f) for f, _ in items(credit.get("framework"))]
        if is_ects(credit):
            credits.append(f"{shown} ECTS")
        elif any(frameworks):
            credits.append(f"{shown} credits ({_join(frameworks, ', ')})")
        else:
            credits.append(f"{shown} credits")
    volume = _join(
        [v for v in values_at(roots, "specification", "volumeOfLearning") if isinstance(v, str)],
        ", ",
    )
    credit_text = _join(credits)
    if credit_text and volume:
        return short(f"{credit_text} ({volume})")
    return credit_text or volume


def _level(roots: Roots) -> str | None:
    levels = []
    for level in _at_places(roots, "level"):
        identifier = node_id(level)
        number = EQF_LEVELS.get(identifier) if identifier else None
        levels.append(f"EQF {number}" if number else identifier)
    return _join(levels)


def _assessment(roots: Roots) -> str | None:
    specifications = values_at(roots, "assessment", "specifiedBy")
    kinds = [label(k) for s in specifications for k, _ in walk((s, ()), ("dcType",))]
    titles = [text(s.get("title")) for s in specifications if isinstance(s, Mapping)]
    assessments = values_at(roots, "assessment")
    titles += [text(a.get("title")) for a in assessments if isinstance(a, Mapping)]
    modes = [label(m) for s in specifications for m, _ in walk((s, ()), ("mode",))]
    kind = _join(kinds) or _join(titles[:1])
    mode = _join(modes, ", ")
    if kind and mode:
        return short(f"{kind} ({mode})")
    return kind or mode


def _participation(roots: Roots) -> str | None:
    return _join([label(concept) for concept in _at_places(roots, "participation")], ", ")


def _quality_assurance(roots: Roots) -> str | None:
    shown = []
    for accreditation in _at_places(roots, "qualityAssurance"):
        if not isinstance(accreditation, Mapping):
            shown.append(node_id(accreditation))
            continue
        kind = text(accreditation.get("title")) or _join(
            [label(t) for t, _ in items(accreditation.get("dcType"))]
        )
        agent = label(accreditation.get("accreditingAgent"))
        shown.append(f"{kind} ({agent})" if kind and agent else kind or agent)
    return _join(shown)


def _notes(key: str) -> Callable[[Roots], str | None]:

    def read(roots: Roots) -> str | None:
        return _join([note(n) for n in _at_places(roots, key)])

    return read


def _supervision(roots: Roots) -> str | None:
    return _join([label(concept) for concept in _at_places(roots, "supervision")])


def _integration(roots: Roots) -> str | None:
    shown: list[str | None] = []
    for partial in values_at(roots, "specification", "isPartialQualification"):
        if partial is True:
            shown.append("a partial qualification")
        elif partial is False:
            shown.append("not a partial qualification")
        else:
            shown.append(f"isPartialQualification: {partial!r}")
    wholes = values_at(roots, "claim", "isPartOf") + values_at(roots, "specification", "isPartOf")
    shown += [f"part of {label(whole)}" for whole in wholes if label(whole)]
    parts = values_at(roots, "claim", "hasPart") + values_at(roots, "specification", "hasPart")
    if parts:
        shown.append(f"made of {len(parts)} part{('s' if len(parts) != 1 else '')}")
    return _join(shown)


VALUES: dict[str, Callable[[Roots], str | None]] = {
    "learner": _learner,
    "title": _title,
    "country": _country,
    "awardingBody": _awarding_bodies,
    "dateOfIssuing": _date,
    "learningOutcomes": _outcomes,
    "workload": _workload,
    "level": _level,
    "assessment": _assessment,
    "participation": _participation,
    "qualityAssurance": _quality_assurance,
    "prerequisites": _notes("prerequisites"),
    "supervision": _supervision,
    "grade": _notes("grade"),
    "integration": _integration,
    "furtherInformation": _notes("furtherInformation"),
}


def element_value(key: str, roots: Roots) -> str | None:
    return VALUES[key](roots)


FULL_QUALIFICATION_ECTS = Decimal(60)
FULL_QUALIFICATION_HOURS = Decimal(1500)


class Reason(StrEnum):
    MICRO_CREDENTIAL = "micro_credential"
    NOT_ELM_CREDENTIAL = "not_elm_credential"
    DIPLOMA_SUPPLEMENT = "diploma_supplement"
    NOT_LEARNING_CREDENTIAL = "not_learning_credential"
    PARTICIPATION = "participation"
    NO_LEARNING_ACHIEVEMENT = "no_learning_achievement"
    SEVERAL_ACHIEVEMENTS = "several_achievements"
    NOT_ACHIEVEMENT_SPECIFICATION = "not_achievement_specification"
    FULL_QUALIFICATION = "full_qualification"


@dataclass(frozen=True)
class Applicability:
    applicable: bool
    reason: Reason
    explanation: str

    def __bool__(self) -> bool:
        return self.applicable


class Status(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class ElementResult:
    element: Element
    status: Status
    value: str | None
    path: str
    message: str
    issues: tuple[SchemaIssue, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.element.number,
            "key": self.element.key,
            "element": self.element.label,
            "required": self.element.required,
            "status": self.status.value,
            "value": self.value,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True)
class Annex1Report:
    applicability: Applicability
    elements: tuple[ElementResult, ...]

    @property
    def missing_required(self) -> list[str]:
        return [
            r.element.key
            for r in self.elements
            if r.element.required and r.status is Status.MISSING
        ]

    @property
    def malformed(self) -> list[str]:
        return [r.element.key for r in self.elements if r.status is Status.MALFORMED]

    @property
    def complete(self) -> bool:
        return self.applicability.applicable and all(
            r.status is Status.PRESENT for r in self.elements if r.element.required
        )

    def result(self, key: str) -> ElementResult:
        return next(r for r in self.elements if r.element.key == key)


@dataclass(frozen=True)
class _Achievement:
    subject: Located
    claim: Located


def _not(reason: Reason, explanation: str) -> Applicability:
    return Applicability(False, reason, explanation)


def _judge(credential: Any) -> tuple[Applicability, _Achievement | None]:
    if not isinstance(credential, Mapping) or EDC_TYPE not in types(credential):
        return (
            _not(
                Reason.NOT_ELM_CREDENTIAL,
                "it is not a European Digital Credential of the European Learning Model",
            ),
            None,
        )
    refusal = _by_profile(credential)
    if refusal is not None:
        return (refusal, None)
    found = _the_achievement(credential)
    if isinstance(found, Applicability):
        return (found, None)
    specifications = [s for s, _ in walk(found.claim, ("specifiedBy",))]
    refusal = _by_specification(specifications)
    if refusal is not None:
        return (refusal, None)
    return (
        Applicability(
            True, Reason.MICRO_CREDENTIAL, "it records one learning achievement of limited workload"
        ),
        found,
    )


def _by_profile(credential: Mapping[str, Any]) -> Applicability | None:
    profiles = {node_id(p) for p, _ in walk((credential, ()), ("credentialProfiles",))}
    if DIPLOMA_SUPPLEMENT in profiles:
        return _not(
            Reason.DIPLOMA_SUPPLEMENT, "it is a Diploma Supplement, which describes a full degree"
        )
    if profiles & {ACCREDITATION_PROFILE, ISSUED_MANDATE_PROFILE}:
        return _not(
            Reason.NOT_LEARNING_CREDENTIAL,
            "it records an accreditation or a mandate to issue credentials, not learning",
        )
    return None


def _the_achievement(credential: Mapping[str, Any]) -> _Achievement | Applicability:
    achievements: list[_Achievement] = []
    activities = 0
    for subject in walk((credential, ()), ("credentialSubject",)):
        for claim in walk(subject, ("hasClaim",)):
            kinds = types(claim[0])
            if ACHIEVEMENT_TYPE in kinds:
                achievements.append(_Achievement(subject, claim))
            elif ACTIVITY_TYPE in kinds:
                activities += 1
    if not achievements and activities:
        return _not(Reason.PARTICIPATION, "it records participation in a learning activity")
    if not achievements:
        return _not(Reason.NO_LEARNING_ACHIEVEMENT, "it claims no learning achievement")
    if len(achievements) > 1:
        return _not(
            Reason.SEVERAL_ACHIEVEMENTS,
            f"it records {len(achievements)} learning achievements, as a transcript does",
        )
    claim = achievements[0].claim
    parts = [p for p, _ in walk(claim, ("hasPart",)) if ACHIEVEMENT_TYPE in types(p)]
    if len(parts) > 1:
        return _not(
            Reason.SEVERAL_ACHIEVEMENTS,
            f"its achievement is made of {len(parts)} learning achievements, as a transcript "
            "or a degree is",
        )
    return achievements[0]


def _by_specification(specifications: list[Any]) -> Applicability | None:
    for specification in specifications:
        kinds = types(specification)
        if kinds and (not kinds & SPECIFICATION_TYPES):
            return _not(
                Reason.NOT_ACHIEVEMENT_SPECIFICATION,
                f"its achievement is specified by a {', '.join(sorted(kinds))}, not by a "
                "qualification",
            )
    workload = _full_workload(specifications)
    if workload:
        return _not(Reason.FULL_QUALIFICATION, f"it records a full qualification of {workload}")
    return None


def _full_workload(specifications: list[Any]) -> str | None:
    credits = [
        decimal(credit.get("point"))
        for specification in specifications
        for credit, _ in walk((specification, ()), ("creditPoint",))
        if is_ects(credit)
    ]
    stated = [c for c in credits if c is not None]
    if stated:
        most = max(stated)
        return f"{plain(most)} ECTS credits" if most >= FULL_QUALIFICATION_ECTS else None
    volumes = [
        hours(volume)
        for specification in specifications
        for volume, _ in walk((specification, ()), ("volumeOfLearning",))
    ]
    counted = [h for h in volumes if h is not None]
    if counted and max(counted) >= FULL_QUALIFICATION_HOURS:
        return f"{plain(max(counted))} hours of learning"
    return None


def is_micro_credential(credential: Any) -> Applicability:
    return _judge(credential)[0]


def annex1_report(credential: Any, *, plain: bool | None = None) -> Annex1Report:
    applicability, achievement = _judge(credential)
    if achievement is None:
        return Annex1Report(applicability, ())
    roots = _roots(credential, achievement)
    issues = _own_issues(credential, achievement, plain)
    return Annex1Report(
        applicability, tuple(_evaluate(row, roots, issues, plain) for row in ELEMENTS)
    )


def _roots(credential: Mapping[str, Any], achievement: _Achievement) -> Roots:
    claim = achievement.claim
    return {
        "credential": [(credential, ())],
        "subject": [achievement.subject],
        "claim": [claim],
        "specification": list(walk(claim, ("specifiedBy",)))
        or [(None, (*claim[1], "specifiedBy"))],
        "assessment": list(walk(claim, ("provenBy",))) or [(None, (*claim[1], "provenBy"))],
    }


def _own_issues(
    credential: Mapping[str, Any], achievement: _Achievement, plain: bool | None
) -> list[SchemaIssue]:
    foreign: list[str] = []
    for subject in walk((credential, ()), ("credentialSubject",)):
        if subject[1] != achievement.subject[1]:
            foreign.append(format_path(subject[1]))
            continue
        foreign += [
            format_path(claim[1])
            for claim in walk(subject, ("hasClaim",))
            if claim[1] != achievement.claim[1]
        ]
    return [
        issue
        for issue in schema_issues(dict(credential), plain=plain)
        if not any(issue.path == f or issue.path.startswith(f + "/") for f in foreign)
    ]


def _found(row: Element, roots: Roots) -> list[tuple[str, Located]]:
    found = []
    for place in row.where:
        root, steps = _place(place)
        for start in roots[root]:
            if start[0] is not None:
                found += [(place, located) for located in walk(start, steps)]
    return found


@functools.cache
def _place(place: str) -> tuple[str, tuple[str, ...]]:
    root, *steps = place.split(".")
    return (root, tuple(steps))


def _property_path(path: tuple[str | int, ...]) -> str:
    end = len(path)
    while end and isinstance(path[end - 1], int):
        end -= 1
    return format_path(path[:end])


def _expected_path(row: Element, roots: Roots) -> str:
    root, *steps = row.where[0].split(".")
    return format_path((*roots[root][0][1], *steps))


def _evaluate(
    row: Element, roots: Roots, all_issues: list[SchemaIssue], plain: bool | None
) -> ElementResult:
    found = _found(row, roots)
    if row.required:
        issues = [issue for issue in all_issues if issue.element == row.key]
    else:
        issues = [
            issue
            for place, (value, path) in found
            if place in row.shapes
            for issue in definition_issues(
                row.shapes[place], value, path=format_path(path), element=row.key, plain=plain
            )
        ]
    value = element_value(row.key, roots) if found else None
    if issues and found:
        status, path = (Status.MALFORMED, issues[0].path)
        message = f"{row.label}: " + "; ".join(
            f"{issue.path}: {issue.message}" if issue.path else issue.message for issue in issues
        )
        wrong = "; ".join(dict.fromkeys(issue.message for issue in issues))
        value = short(f"{value}: {wrong}" if value else wrong)
    elif issues or not found:
        status = Status.MISSING
        path = issues[0].path if issues else _expected_path(row, roots)
        reasons = "; ".join(dict.fromkeys(issue.message for issue in issues))
        message = f"{row.label}: not stated" + (f" ({reasons})" if reasons else "") + "."
    else:
        status, path = (Status.PRESENT, _property_path(found[0][1][1]))
        message = f"{row.label}: {value}" if value else f"{row.label}: stated."
    return ElementResult(row, status, value, path, message, tuple(issues))
