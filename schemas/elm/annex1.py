# cython: annotation_typing=False
"""The EU standard elements of a micro-credential (Annex I), element by element.

:func:`is_micro_credential` decides whether Annex I applies to a credential at all, and
:func:`annex1_report` says, for each of the 16 elements of :data:`schemas.elm.profile.ELEMENTS`,
whether the credential states it (``present``), leaves it out (``missing``) or states it
wrongly (``malformed``), with a short value to show a person and the place in the document.
The mandatory elements are judged by the profile schema (:func:`schemas.elm.profile.schema_issues`);
the optional ones by the ``$defs`` entries the schema's table names for their places.

Nothing here trusts the document: every value shown is plain text read from it, to be escaped by
whoever displays it.

Which credentials are micro-credentials
---------------------------------------
ELM 3.x has no marker that says "this is a micro-credential" (ELM 3.4 announces one; honour it
here when it is published). A credential is therefore judged one when all of these hold, and
the first rule that fails is the reason it is not:

1. It is a European Digital Credential (``EuropeanDigitalCredential`` among its types). A plain
   W3C credential, an Open Badge or any other kind carries no ELM claim that Annex I could be
   read from.
2. Its credential profile is not a Diploma Supplement (transcript-like: a degree with every
   course it is made of), nor an accreditation record or an issued mandate (which record no
   learning). The profiles are concepts of the EU vocabulary ``snb/credential``.
3. It claims a learning achievement (``LearningAchievement`` among a claim's types). A
   certificate of participation claims a ``LearningActivity`` instead, and other claims
   (assessment, entitlement) record no achievement.
4. It claims exactly one learning achievement, made of fewer than two achievements
   (``hasPart``). Several achievements side by side, or as the parts of one, are a transcript
   of records (or a degree with its courses), not one small unit of learning.
5. The achievement is specified by a ``Qualification`` or a ``LearningAchievementSpecification``
   (ELM's classes for what was achieved), when its specification states a type.
6. Its notional workload is below a full qualification's: fewer than 60 ECTS credits (one
   full-time academic year, the smallest full higher-education qualifications such as a
   one-year master's) or, when no ECTS credits are stated, fewer than 1,500 hours (60 credits
   at the ECTS Users' Guide's lower 25 hours per credit) stated in hours. A workload stated in
   days, weeks, months or years is not converted (a "year" of learning is no number of hours).
   ``isPartialQualification`` is not used: the EU's own micro-credential sample states
   ``false`` for 2 ECTS credits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from schemas.compiled import adopt_twin
from schemas.elm.annex1_places import Places, Roots, split_place
from schemas.elm.annex1_values import element_value, short
from schemas.elm.profile import ELEMENTS, Element, definition_issues, schema_issues
from schemas.elm.read import (
    Located,
    decimal,
    hours,
    is_ects,
    is_object,
    node_id,
    plain,
    types,
    walk,
)
from schemas.elm.vocab import (
    ACCREDITATION_PROFILE,
    ACHIEVEMENT_TYPE,
    ACTIVITY_TYPE,
    DIPLOMA_SUPPLEMENT,
    EDC_TYPE,
    ISSUED_MANDATE_PROFILE,
    SPECIFICATION_TYPES,
)
from schemas.errors import SchemaIssue
from schemas.paths import format_path

#: A full qualification's workload: at least this many ECTS credits, or hours without credits.
FULL_QUALIFICATION_ECTS = Decimal(60)
FULL_QUALIFICATION_HOURS = Decimal(1500)


class Reason(StrEnum):
    """Why Annex I applies to a credential or not (stable codes, in ``details.reason``)."""

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
    """Whether Annex I applies; ``explanation`` completes "This credential is (not) a
    micro-credential (…)" in English, e.g. ``it records a full qualification of 180 ECTS
    credits``."""

    applicable: bool
    reason: Reason
    explanation: str

    def __bool__(self) -> bool:
        return self.applicable


class Status(StrEnum):
    """How a credential states one element."""

    PRESENT = "present"
    MISSING = "missing"
    MALFORMED = "malformed"


class ElementResult(NamedTuple):
    """One element of the report: the table's row, its status, a short value to show, the
    place in the document (where it was found, or where it was looked for) and a message for
    people (the element's name and value, or what is missing or wrong, with paths).

    ``value`` is what is stated (``present``), what is stated and what is wrong with it
    (``malformed``, e.g. ``5 ECTS (125 hours): must be an ISO 8601 duration …``), or None
    (``missing``, or nothing readable stated). Immutable (a named tuple: a report makes 16 of
    them, at a third of a frozen dataclass's cost)."""

    element: Element
    status: Status
    value: str | None
    path: str
    message: str
    issues: tuple[SchemaIssue, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"number", "key", "element", "required", "status", "value", "path", "message"}``."""
        return {
            "number": self.element.number,
            "key": self.element.key,
            "element": self.element.label,
            "required": self.element.required,
            "status": str(self.status),  # its value (a StrEnum's str), without the property
            "value": self.value,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True)
class Annex1Report:
    """Every element's result (in Annex I order; empty when Annex I does not apply)."""

    applicability: Applicability
    elements: tuple[ElementResult, ...]

    @property
    def missing_required(self) -> list[str]:
        """Keys of the mandatory elements not stated, in Annex I order."""
        return [
            r.element.key
            for r in self.elements
            if r.element.required and r.status is Status.MISSING
        ]

    @property
    def malformed(self) -> list[str]:
        """Keys of the elements (mandatory or optional) stated wrongly, in Annex I order."""
        return [r.element.key for r in self.elements if r.status is Status.MALFORMED]

    @property
    def complete(self) -> bool:
        """True when every mandatory element is present and well-formed (optional ones never
        count). A credential Annex I does not apply to is never complete."""
        return self.applicability.applicable and all(
            r.status is Status.PRESENT for r in self.elements if r.element.required
        )

    def result(self, key: str) -> ElementResult:
        """The result of the element called ``key``."""
        return next(r for r in self.elements if r.element.key == key)


# --- which credentials are micro-credentials ---------------------------------------------------


@dataclass(frozen=True)
class _Achievement:
    """The one learning achievement of a micro-credential, and where it sits."""

    subject: Located
    claim: Located


def _not(reason: Reason, explanation: str) -> Applicability:
    return Applicability(False, reason, explanation)


def _judge(credential: Any) -> tuple[Applicability, _Achievement | None]:
    """Rules 1 to 6 of the module, in order: the first that fails gives the reason."""
    if not is_object(credential) or EDC_TYPE not in types(credential):
        return _not(
            Reason.NOT_ELM_CREDENTIAL,
            "it is not a European Digital Credential of the European Learning Model",
        ), None
    refusal = _by_profile(credential)
    if refusal is not None:
        return refusal, None
    found = _the_achievement(credential)
    if isinstance(found, Applicability):
        return found, None
    specifications = [s for s, _ in walk(found.claim, ("specifiedBy",))]
    refusal = _by_specification(specifications)
    if refusal is not None:
        return refusal, None
    return Applicability(
        True, Reason.MICRO_CREDENTIAL, "it records one learning achievement of limited workload"
    ), found


def _by_profile(credential: Mapping[str, Any]) -> Applicability | None:
    """Rule 2: a credential profile of a credential that is no micro-credential (a Diploma
    Supplement, an accreditation record, an issued mandate; the EU vocabulary's other profiles,
    "Generic" and "Converted", say nothing either way)."""
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
    """Rules 3 and 4: the one learning achievement claimed, else why there is not one."""
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
    """Rules 5 and 6: what the achievement is specified as, and its workload."""
    for specification in specifications:
        kinds = types(specification)
        if kinds and not kinds & SPECIFICATION_TYPES:
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
    """The workload, as text, when it is a full qualification's; else None."""
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
    """Whether Annex I applies to ``credential`` (see the module's rules), with the reason.

    Never raises for any JSON value; a credential that is not one is never judged a
    micro-credential.
    """
    return _judge(credential)[0]


# --- element by element ------------------------------------------------------------------------


def annex1_report(credential: Any, *, plain: bool | None = None) -> Annex1Report:
    """Each Annex I element of ``credential``: present, missing or malformed, with its value.

    When Annex I does not apply (:func:`is_micro_credential`), the report has no elements.
    Mandatory elements are judged by :func:`schemas.elm.profile.schema_issues`, counting only the
    issues in the credential's own parts and its one learning achievement (not in other claims
    beside it); an element with issues is ``malformed`` when something is stated at one of its
    places, ``missing`` otherwise. Optional elements are ``malformed`` when a value at one of
    their places does not match its ``$defs`` shape. Never raises for any JSON value.
    ``plain``: True when the caller knows ``credential`` is plain JSON (then so is every part of
    it, and no schema check walks it to find out; see
    :meth:`schemas.json_schema.Schema.surely_valid`).
    """
    applicability, achievement = _judge(credential)
    if achievement is None:
        return Annex1Report(applicability, ())
    places = Places(_roots(credential, achievement))
    issues = _own_issues(credential, achievement, plain)
    return Annex1Report(
        applicability, tuple(_evaluate(row, places, issues, plain) for row in ELEMENTS)
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
    """The profile's issues, less those inside claims and subjects other than the achievement's
    (a certificate may carry an activity beside its achievement: it is no Annex I matter)."""
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


def _found(row: Element, places: Places) -> list[tuple[str, Located]]:
    """Each value stated at one of the element's places, with the place it was found at."""
    return [(place, located) for place in row.where for located in places.located(place)]


def _property_path(path: tuple[str | int, ...]) -> str:
    """The path of the property a value was found in (without the list index of an item)."""
    end = len(path)
    while end and isinstance(path[end - 1], int):
        end -= 1
    return format_path(path[:end])


def _expected_path(row: Element, roots: Roots) -> str:
    root, steps = split_place(row.where[0])
    return format_path((*roots[root][0][1], *steps))


def _evaluate(
    row: Element, places: Places, all_issues: list[SchemaIssue], plain: bool | None
) -> ElementResult:
    found = _found(row, places)
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
    value = element_value(row.key, places) if found else None
    if issues and found:
        status, path = Status.MALFORMED, issues[0].path
        message = f"{row.label}: " + "; ".join(
            f"{issue.path}: {issue.message}" if issue.path else issue.message for issue in issues
        )
        wrong = "; ".join(dict.fromkeys(issue.message for issue in issues))
        value = short(f"{value}: {wrong}" if value else wrong)
    elif issues or not found:
        status = Status.MISSING
        path = issues[0].path if issues else _expected_path(row, places.roots)
        reasons = "; ".join(dict.fromkeys(issue.message for issue in issues))
        message = f"{row.label}: not stated" + (f" ({reasons})" if reasons else "") + "."
    else:
        status, path = Status.PRESENT, _property_path(found[0][1][1])
        message = f"{row.label}: {value}" if value else f"{row.label}: stated."
    return ElementResult(row, status, value, path, message, tuple(issues))


#: The functions above as written here (the tests hold the twin to them).
python_functions = (annex1_report, is_micro_credential)

# The compiled twin of this very source, when built (schemas.compiled): its classes too, so that
# every caller sees one Status, one ElementResult, one Annex1Report.
adopt_twin(
    globals(),
    (
        "Reason",
        "Applicability",
        "Status",
        "ElementResult",
        "Annex1Report",
        "annex1_report",
        "is_micro_credential",
    ),
)
