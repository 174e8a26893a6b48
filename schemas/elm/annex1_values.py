# cython: annotation_typing=False
"""The short text shown for each Annex I element: "EQF 6", "5 ECTS (PT125H)", names, a date.

Each function reads one element of :data:`schemas.elm.profile.ELEMENTS` from the credential's
places (:class:`schemas.elm.annex1_places.Places`, which walks each place once for all of them)
and gives plain text of at most :data:`MAX_VALUE` characters, or None when nothing readable is
stated. The text is read from the document: escape it to display it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from schemas.compiled import adopt_twin
from schemas.elm.annex1_places import Places
from schemas.elm.profile import ELEMENTS
from schemas.elm.read import (
    decimal,
    is_ects,
    is_object,
    items,
    label,
    node_id,
    note,
    plain,
    text,
    walk_values,
)
from schemas.elm.vocab import EQF_LEVELS

MAX_VALUE = 160
OUTCOMES_SHOWN = 3


def short(value: str) -> str:
    """``value`` on one line, cut to :data:`MAX_VALUE` characters with an ellipsis."""
    value = " ".join(value.split())
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…"


def _join(values: Sequence[str | None], separator: str = "; ") -> str | None:
    unique = list(dict.fromkeys([v for v in values if v]))
    return short(separator.join(unique)) if unique else None


#: The places the table gives for each element, by key.
_WHERE: dict[str, tuple[str, ...]] = {row.key: row.where for row in ELEMENTS}


def _at_places(places: Places, key: str) -> list[Any]:
    """Every value at the places the table gives for element ``key``."""
    where = _WHERE[key]
    if len(where) == 1:
        return places.values(where[0])
    return [value for place in where for value in places.values(place)]


def _learner(places: Places) -> str | None:
    subject = places.roots["subject"][0][0]
    name = text(subject.get("fullName")) or _join(
        [text(subject.get("givenName")), text(subject.get("familyName"))], " "
    )
    if name:
        return short(name)
    identifiers = places.values("subject.nationalID") + places.values("subject.identifier")
    return _join([_notation(i) for i in identifiers])


def _notation(node: Any) -> str | None:
    if is_object(node) and isinstance(node.get("notation"), str):
        return str(node["notation"])
    return node_id(node)


def _title(places: Places) -> str | None:
    titles = places.values("claim.title") + places.values("specification.title")
    return next((short(t) for t in map(text, titles) if t), None)


def _country(places: Places) -> str | None:
    countries = []
    for code in _at_places(places, "country"):
        identifier = node_id(code)
        notation = identifier.rsplit("/", 1)[-1] if identifier else None
        name = text(code.get("prefLabel")) if is_object(code) else None
        countries.append(f"{name} ({notation})" if name and notation else name or notation)
    return _join(countries)


def _awarding_bodies(places: Places) -> str | None:
    return _join([label(body) for body in _at_places(places, "awardingBody")])


def _date(places: Places) -> str | None:
    dates = _at_places(places, "dateOfIssuing")
    return next((short(d) for d in dates if isinstance(d, str) and d.strip()), None)


def _outcomes(places: Places) -> str | None:
    outcomes = _at_places(places, "learningOutcomes")
    if not outcomes:
        return None
    titles = [text(o.get("title")) if is_object(o) else None for o in outcomes]
    shown = [t for t in titles if t][:OUTCOMES_SHOWN]
    count = f"{len(outcomes)} learning outcome{'s' if len(outcomes) != 1 else ''}"
    if not shown:
        return count
    more = "; …" if len(outcomes) > len(shown) else ""
    return short(f"{count}: " + "; ".join(shown) + more)


def _workload(places: Places) -> str | None:
    credits = []
    for credit in places.values("specification.creditPoint"):
        point = credit.get("point") if is_object(credit) else None
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
        [v for v in places.values("specification.volumeOfLearning") if isinstance(v, str)],
        ", ",
    )
    credit_text = _join(credits)
    if credit_text and volume:
        return short(f"{credit_text} ({volume})")
    return credit_text or volume


def _level(places: Places) -> str | None:
    levels = []
    for level in _at_places(places, "level"):
        identifier = node_id(level)
        number = EQF_LEVELS.get(identifier) if identifier else None
        levels.append(f"EQF {number}" if number else identifier)
    return _join(levels)


def _assessment(places: Places) -> str | None:
    specifications = places.values("assessment.specifiedBy")
    kinds = [label(k) for s in specifications for k in walk_values(s, ("dcType",))]
    titles = [text(s.get("title")) for s in specifications if is_object(s)]
    assessments = places.values("assessment")
    titles += [text(a.get("title")) for a in assessments if is_object(a)]
    modes = [label(m) for s in specifications for m in walk_values(s, ("mode",))]
    kind = _join(kinds) or _join(titles[:1])
    mode = _join(modes, ", ")
    if kind and mode:
        return short(f"{kind} ({mode})")
    return kind or mode


def _participation(places: Places) -> str | None:
    return _join([label(concept) for concept in _at_places(places, "participation")], ", ")


def _quality_assurance(places: Places) -> str | None:
    shown = []
    for accreditation in _at_places(places, "qualityAssurance"):
        if not is_object(accreditation):
            shown.append(node_id(accreditation))
            continue
        kind = text(accreditation.get("title")) or _join(
            [label(t) for t, _ in items(accreditation.get("dcType"))]
        )
        agent = label(accreditation.get("accreditingAgent"))
        shown.append(f"{kind} ({agent})" if kind and agent else kind or agent)
    return _join(shown)


def _notes(key: str) -> Callable[[Places], str | None]:
    def read(places: Places) -> str | None:
        return _join([note(n) for n in _at_places(places, key)])

    return read


def _supervision(places: Places) -> str | None:
    return _join([label(concept) for concept in _at_places(places, "supervision")])


def _integration(places: Places) -> str | None:
    shown: list[str | None] = []
    for partial in places.values("specification.isPartialQualification"):
        if partial is True:
            shown.append("a partial qualification")
        elif partial is False:
            shown.append("not a partial qualification")
        else:
            shown.append(f"isPartialQualification: {partial!r}")
    wholes = places.values("claim.isPartOf") + places.values("specification.isPartOf")
    shown += [f"part of {label(whole)}" for whole in wholes if label(whole)]
    parts = places.values("claim.hasPart") + places.values("specification.hasPart")
    if parts:
        shown.append(f"made of {len(parts)} part{'s' if len(parts) != 1 else ''}")
    return _join(shown)


#: The reader of each element's value, by key (every key of the table has one).
VALUES: dict[str, Callable[[Places], str | None]] = {
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


def element_value(key: str, places: Places) -> str | None:
    """The short text shown for element ``key`` of the credential whose places are
    ``places``."""
    return VALUES[key](places)


#: The functions above as written here (the tests hold the twin to them).
python_functions = (element_value, short)

adopt_twin(globals(), ("element_value", "short"))
