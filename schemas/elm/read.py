# cython: annotation_typing=False
"""Reading a European Learning Model credential as JSON: the one reader of the ELM graph.

ELM values may be one object or a list of them, nodes may be given as an object or by their id,
and language maps may hold a string or a list per language; these helpers absorb every form and
can keep each value's place in the document (keys and list indices from the top, see
:mod:`schemas.paths`). Below them are readers of the facts a person reads first: the title, the
learner, the awarding bodies, ECTS credits, the EQF level, learning outcomes, the assessment
and grade, the dates. The issuer's pages (:mod:`issuer.display`), the verifier's report
(:mod:`verifier.credential`) and the Annex I checks (:mod:`schemas.elm.annex1`) each shape
them their own way.

Nothing here raises for any JSON value, and nothing trusts the document: what comes out is plain
text or data read from it, to be escaped by whoever shows it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from schemas.compiled import adopt_twin
from schemas.elm.vocab import ECTS, ENGLISH, EQF_LEVELS

#: A value and its place in the document (keys and list indices from the top).
Located = tuple[Any, tuple[str | int, ...]]

#: The language preference when a reader states none: English, then any language given.
ENGLISH_FIRST: tuple[str, ...] = (ENGLISH,)

_HOURS = re.compile(r"^PT(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")

_NOTHING: Mapping[str, Any] = MappingProxyType({})

_recursion_limit = sys.getrecursionlimit


# --- one or many, nodes -----------------------------------------------------------------------


def is_object(value: Any) -> bool:
    """``isinstance(value, Mapping)``, answered without the ABC's machinery for JSON's own
    types (a ``dict`` is one; a ``str`` or a ``list`` is not), which every reader asks first."""
    kind = type(value)
    if kind is dict:
        return True
    return kind is not str and kind is not list and isinstance(value, Mapping)


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: ``[]`` for None, itself for a list, ``[value]`` otherwise."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects among one or many values (anything else is left out), in order."""
    return [item for item in as_list(value) if is_object(item)]


def first(value: Any) -> Mapping[str, Any]:
    """The first of one or many values when it is an object; an empty mapping otherwise (an
    absent value, an empty list, a node given by its id, any other JSON)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if is_object(value) else _NOTHING


def items(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[Located]:
    """``value`` itself, or each item of it when it is a list (ELM's one or many)."""
    return iter(_one_or_many(value, path))


def walk(root: Located, steps: tuple[str, ...]) -> list[Located]:
    """Every value at ``steps`` below ``root``, in document order, stepping through lists at
    every level (a list found at the end is given item by item)."""
    level = [root]
    for step in steps:
        below: list[Located] = []
        for value, path in level:
            if isinstance(value, list):
                for index, node in enumerate(value):
                    if is_object(node) and step in node:
                        below.append((node[step], (*path, index, step)))
            elif is_object(value) and step in value:
                below.append((value[step], (*path, step)))
        level = below
    return [found for value, path in level for found in _one_or_many(value, path)]


def walk_values(root: Any, steps: tuple[str, ...]) -> list[Any]:
    """The values of :func:`walk` from the value ``root``, without their paths."""
    level = [root]
    for step in steps:
        below: list[Any] = []
        for value in level:
            if isinstance(value, list):
                for node in value:
                    if is_object(node) and step in node:
                        below.append(node[step])
            elif is_object(value) and step in value:
                below.append(value[step])
        level = below
    found: list[Any] = []
    for value in level:
        if isinstance(value, list):
            found += value
        else:
            found.append(value)
    return found


def _one_or_many(value: Any, path: tuple[str | int, ...]) -> list[Located]:
    """:func:`items` as a list."""
    if isinstance(value, list):
        return [(item, (*path, index)) for index, item in enumerate(value)]
    return [(value, path)]


def types(node: Any) -> set[str]:
    """The names in a node's ``type`` (a string or a list of them); empty for anything else."""
    if not is_object(node):
        return set()
    declared = node.get("type")
    values = declared if isinstance(declared, list) else [declared]
    return {value for value in values if isinstance(value, str)}


def node_id(node: Any) -> str | None:
    """The ``id`` of a node given as a string or as an object with a string ``id``."""
    if isinstance(node, str):
        return node
    if is_object(node) and isinstance(node.get("id"), str):
        return str(node["id"])
    return None


# --- language maps --------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A string from the credential, as stated, and the language-map key it was found under
    (``None``: a plain string, not tagged)."""

    value: str
    lang: str | None = None


def tagged(value: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> Text | None:
    """The first non-blank string of a plain string, a list or a language map, as stated, with
    its language.

    A language map gives its text in the first of ``languages`` it has, else in the first of
    its own languages that has any; a list gives its first item that has text; a JSON-LD value
    object (``@value``) its value, untagged. None when there is no text (blank strings, numbers
    and anything else are no text). Never raises for any JSON value.
    """
    found = _tagged(value, languages)
    return Text(*found) if found is not None else None


def _tagged(
    value: Any, languages: tuple[str, ...], depth: int = 0
) -> tuple[str, str | None] | None:
    """:func:`tagged`'s rule, as ``(text, language)`` (the one place it is written). ``depth``:
    how far ``value`` lies below the first call; past Python's recursion limit this raises
    ``RecursionError``, as the interpreter itself would (a compiled twin has no such guard)."""
    if isinstance(value, str):
        return (value, None) if value.strip() else None
    if depth >= _recursion_limit():
        raise RecursionError("a value nested too deeply to read its text")
    if isinstance(value, list):
        for item in value:
            found = _tagged(item, languages, depth + 1)
            if found is not None:
                return found
        return None
    if is_object(value):
        if "@value" in value:
            found = _tagged(value["@value"], languages, depth + 1)
            if found is not None:
                return (found[0], None)
        for language in (*languages, *value.keys()):
            if language == "@value" or language not in value:
                continue
            found = _tagged(value[language], languages, depth + 1)
            if found is not None:
                return (found[0], str(language))
    return None


def text(value: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> str | None:
    """:func:`tagged`'s string, as stated (surrounding spaces kept); None when there is none."""
    if type(value) is str:  # the rule's first case, without making a Text
        return value if value.strip() else None
    found = _tagged(value, languages)
    return found[0] if found is not None else None


def trimmed(value: Any) -> str | None:
    """:func:`text` (English first) without surrounding whitespace; None when there is none."""
    found = text(value)
    return found.strip() if found is not None else None


def label(node: Any) -> str | None:
    """A concept's or organisation's name: its prefLabel, legalName, title or notation, else
    its id."""
    if is_object(node):
        for key in ("prefLabel", "legalName", "title", "notation"):
            found = trimmed(node.get(key))
            if found:
                return found
    return node_id(node)


def note(node: Any) -> str | None:
    """A note's text (``noteLiteral``), a web resource's ``contentURL``, else its label."""
    if is_object(node):
        return trimmed(node.get("noteLiteral")) or trimmed(node.get("contentURL")) or label(node)
    return trimmed(node)


# --- numbers, durations, dates ----------------------------------------------------------------


def decimal(value: Any) -> Decimal | None:
    """A finite number given as a JSON number or a decimal string (``"2"``, ``1.5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def plain(number: Decimal) -> str:
    """``number`` without exponent or trailing zeros (``Decimal("5.0")`` gives ``5``)."""
    return format(number.normalize(), "f")


def hours(duration: Any) -> Decimal | None:
    """The hours of an ISO 8601 duration stated in hours, minutes or seconds (``PT125H``);
    None for any other (days, weeks, months and years are no fixed number of learning hours)."""
    match = _HOURS.match(duration) if isinstance(duration, str) else None
    if match is None:
        return None
    whole, minutes, seconds = (Decimal(part or 0) for part in match.groups())
    return whole + minutes / 60 + seconds / 3600


def is_ects(credit: Any) -> bool:
    """Whether a ``CreditPoint`` counts in ECTS (its framework is the ECTS concept)."""
    if not is_object(credit):
        return False
    return any(
        node_id(framework) == ECTS or "european credit transfer" in (label(framework) or "").lower()
        for framework, _ in items(credit.get("framework"))
    )


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 date-time (a date alone means its midnight, UTC; no zone means UTC), in the
    zone it states; None if ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the credential's facts -------------------------------------------------------------------


def issuer_id(credential: Any) -> str | None:
    """The issuer's identifier (``issuer`` as a string or as an object's ``id``)."""
    return node_id(credential.get("issuer")) if is_object(credential) else None


def subject(credential: Any) -> Mapping[str, Any]:
    """The (first) credential subject, the learner's node; empty when there is none."""
    if not is_object(credential):
        return _NOTHING
    return first(credential.get("credentialSubject"))


def claims(credential: Any) -> list[Mapping[str, Any]]:
    """Every claim (``credentialSubject.hasClaim``) that is an object, of every subject, in
    document order."""
    if not is_object(credential):
        return []
    return [
        claim
        for person in objects(credential.get("credentialSubject"))
        for claim in objects(person.get("hasClaim"))
    ]


def claim(credential: Any) -> Mapping[str, Any]:
    """The first claim (the learning achievement of a micro-credential); empty when none."""
    return next(iter(claims(credential)), _NOTHING)


def specification(achievement: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a claim says was achieved (its first ``specifiedBy``); empty when it says none."""
    return first(achievement.get("specifiedBy"))


def title(credential: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> Text | None:
    """The credential's title: its claim's, else the claim's specification's."""
    achievement = claim(credential)
    return tagged(achievement.get("title"), languages) or tagged(
        specification(achievement).get("title"), languages
    )


def learner(credential: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> Text | None:
    """The learner's full name, else their given and family names joined (untagged)."""
    person = subject(credential)
    name = tagged(person.get("fullName"), languages)
    if name is not None:
        return name
    parts = [text(person.get(key), languages) for key in ("givenName", "familyName")]
    joined = " ".join(part for part in parts if part is not None)
    return Text(joined) if joined else None


def awarding_bodies(credential: Any) -> list[Mapping[str, Any]]:
    """Every awarding body named by any claim's ``awardedBy``, once each (by id), in document
    order; a body given by its id alone comes as ``{"id": ...}``, one without an id is left
    out."""
    bodies: dict[str, Mapping[str, Any]] = {}
    for achievement in claims(credential):
        for process in objects(achievement.get("awardedBy")):
            for body in as_list(process.get("awardingBody")):
                identifier = node_id(body)
                if identifier is not None and identifier not in bodies:
                    bodies[identifier] = body if is_object(body) else {"id": body}
    return list(bodies.values())


def ects(spec: Mapping[str, Any]) -> str | None:
    """The ECTS credits of a specification's first credit point counted in ECTS (see
    :func:`is_ects`), as stated (a number given as a JSON number comes as its text)."""
    for credit in objects(spec.get("creditPoint")):
        if is_ects(credit):
            point = credit.get("point")
            return str(point) if isinstance(point, str | int | float) else None
    return None


def eqf_level(spec: Mapping[str, Any]) -> str | None:
    """The EQF level (``"1"`` to ``"8"``) of a specification's first ``eqfLevel`` (a concept or
    its IRI); None when it is not an EQF level's IRI."""
    level = EQF_LEVELS.get(node_id(next(iter(as_list(spec.get("eqfLevel"))), None)) or "")
    return str(level) if level is not None else None


def outcomes(spec: Mapping[str, Any], languages: tuple[str, ...] = ENGLISH_FIRST) -> list[Text]:
    """The titles of a specification's learning outcomes that have one, in order."""
    titles = (tagged(o.get("title"), languages) for o in objects(spec.get("learningOutcome")))
    return [t for t in titles if t is not None]


def assessment(
    achievement: Mapping[str, Any], languages: tuple[str, ...] = ENGLISH_FIRST
) -> Text | None:
    """How a claim was assessed: its (first) assessment's title, else that assessment's
    specification's title."""
    proof = first(achievement.get("provenBy"))
    return tagged(proof.get("title"), languages) or tagged(
        first(proof.get("specifiedBy")).get("title"), languages
    )


def grade(
    achievement: Mapping[str, Any], languages: tuple[str, ...] = ENGLISH_FIRST
) -> Text | None:
    """The grade a claim's (first) assessment gives (its ``grade`` note's text)."""
    return tagged(
        first(first(achievement.get("provenBy")).get("grade")).get("noteLiteral"), languages
    )


def issued(credential: Any) -> Any:
    """When the credential was issued, as stated: ``issued``, else ``validFrom``, else
    ``issuanceDate`` (the first that is truthy; not checked to be a date)."""
    if not is_object(credential):
        return None
    return credential.get("issued") or credential.get("validFrom") or credential.get("issuanceDate")


def valid_until(credential: Any) -> Any:
    """When the credential stops being valid, as stated: ``validUntil``, else
    ``expirationDate`` (not checked to be a date)."""
    if not is_object(credential):
        return None
    return credential.get("validUntil") or credential.get("expirationDate")


#: Every reader here, compiled (``schemas.compiled``) into a twin: the Annex I report calls them
#: for every element, the verifier's summary and checks for every credential.
COMPILED = (
    "is_object", "as_list", "objects", "first", "items", "walk", "walk_values", "_one_or_many",
    "types", "node_id", "tagged", "_tagged", "text", "trimmed", "label", "note", "decimal",
    "plain", "hours", "is_ects", "parse_date", "issuer_id", "subject", "claims", "claim",
    "specification", "title", "learner", "awarding_bodies", "ects", "eqf_level", "outcomes",
    "assessment", "grade", "issued", "valid_until",
)  # fmt: skip
#: The functions above as written here (the tests hold the twin to them).
python_functions = {name: globals()[name] for name in COMPILED}

# The twin's Text too, so that every caller sees one Text.
adopt_twin(globals(), ("Text", *COMPILED))
