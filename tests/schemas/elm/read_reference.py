"""``schemas/elm/read.py``'s readers as they were before the Annex I report was made faster
(commit 4bd156c), frozen in pure Python for :mod:`tests.schemas.elm.annex1_reference` and the
differential tests of the readers (``test_read.py``). Do not change them to follow a rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from schemas.elm.vocab import ECTS, ENGLISH, EQF_LEVELS

Located = tuple[Any, tuple[str | int, ...]]
ENGLISH_FIRST: tuple[str, ...] = (ENGLISH,)
_HOURS = re.compile(
    "^PT(?=\\d)(?:(\\d+(?:\\.\\d+)?)H)?(?:(\\d+(?:\\.\\d+)?)M)?(?:(\\d+(?:\\.\\d+)?)S)?$"
)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def items(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[Located]:
    return iter(_one_or_many(value, path))


def walk(root: Located, steps: tuple[str, ...]) -> list[Located]:
    level = [root]
    for step in steps:
        below: list[Located] = []
        for value, path in level:
            if isinstance(value, list):
                for index, node in enumerate(value):
                    if (type(node) is dict or isinstance(node, Mapping)) and step in node:
                        below.append((node[step], (*path, index, step)))
            elif (type(value) is dict or isinstance(value, Mapping)) and step in value:
                below.append((value[step], (*path, step)))
        level = below
    return [found for value, path in level for found in _one_or_many(value, path)]


def walk_values(root: Any, steps: tuple[str, ...]) -> list[Any]:
    level = [root]
    for step in steps:
        below: list[Any] = []
        for value in level:
            if isinstance(value, list):
                for node in value:
                    if (type(node) is dict or isinstance(node, Mapping)) and step in node:
                        below.append(node[step])
            elif (type(value) is dict or isinstance(value, Mapping)) and step in value:
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
    if isinstance(value, list):
        return [(item, (*path, index)) for index, item in enumerate(value)]
    return [(value, path)]


def types(node: Any) -> set[str]:
    if not isinstance(node, Mapping):
        return set()
    declared = node.get("type")
    values = declared if isinstance(declared, list) else [declared]
    return {value for value in values if isinstance(value, str)}


def node_id(node: Any) -> str | None:
    if isinstance(node, str):
        return node
    if isinstance(node, Mapping) and isinstance(node.get("id"), str):
        return str(node["id"])
    return None


@dataclass(frozen=True)
class Text:
    value: str
    lang: str | None = None


def tagged(value: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> Text | None:
    if isinstance(value, str):
        return Text(value) if value.strip() else None
    if isinstance(value, list):
        return next((t for t in (tagged(v, languages) for v in value) if t is not None), None)
    if isinstance(value, Mapping):
        if "@value" in value:
            found = tagged(value["@value"], languages)
            if found is not None:
                return Text(found.value)
        for language in (*languages, *value.keys()):
            if language == "@value" or language not in value:
                continue
            found = tagged(value[language], languages)
            if found is not None:
                return Text(found.value, str(language))
    return None


def text(value: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> str | None:
    found = tagged(value, languages)
    return found.value if found is not None else None


def trimmed(value: Any) -> str | None:
    found = text(value)
    return found.strip() if found is not None else None


def label(node: Any) -> str | None:
    if isinstance(node, Mapping):
        for key in ("prefLabel", "legalName", "title", "notation"):
            found = trimmed(node.get(key))
            if found:
                return found
    return node_id(node)


def note(node: Any) -> str | None:
    if isinstance(node, Mapping):
        return trimmed(node.get("noteLiteral")) or trimmed(node.get("contentURL")) or label(node)
    return trimmed(node)


def decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def hours(duration: Any) -> Decimal | None:
    match = _HOURS.match(duration) if isinstance(duration, str) else None
    if match is None:
        return None
    whole, minutes, seconds = (Decimal(part or 0) for part in match.groups())
    return whole + minutes / 60 + seconds / 3600


def is_ects(credit: Any) -> bool:
    if not isinstance(credit, Mapping):
        return False
    return any(
        (
            node_id(framework) == ECTS
            or "european credit transfer" in (label(framework) or "").lower()
            for framework, _ in items(credit.get("framework"))
        )
    )


_NOTHING: Mapping[str, Any] = MappingProxyType({})


def objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in as_list(value) if isinstance(item, Mapping)]


def first(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else _NOTHING


def parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def issuer_id(credential: Any) -> str | None:
    return node_id(credential.get("issuer")) if isinstance(credential, Mapping) else None


def subject(credential: Any) -> Mapping[str, Any]:
    if not isinstance(credential, Mapping):
        return _NOTHING
    return first(credential.get("credentialSubject"))


def claims(credential: Any) -> list[Mapping[str, Any]]:
    if not isinstance(credential, Mapping):
        return []
    return [
        claim
        for person in objects(credential.get("credentialSubject"))
        for claim in objects(person.get("hasClaim"))
    ]


def claim(credential: Any) -> Mapping[str, Any]:
    return next(iter(claims(credential)), _NOTHING)


def specification(achievement: Mapping[str, Any]) -> Mapping[str, Any]:
    return first(achievement.get("specifiedBy"))


def title(credential: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> Text | None:
    achievement = claim(credential)
    return tagged(achievement.get("title"), languages) or tagged(
        specification(achievement).get("title"), languages
    )


def learner(credential: Any, languages: tuple[str, ...] = ENGLISH_FIRST) -> Text | None:
    person = subject(credential)
    name = tagged(person.get("fullName"), languages)
    if name is not None:
        return name
    parts = [text(person.get(key), languages) for key in ("givenName", "familyName")]
    joined = " ".join(part for part in parts if part is not None)
    return Text(joined) if joined else None


def awarding_bodies(credential: Any) -> list[Mapping[str, Any]]:
    bodies: dict[str, Mapping[str, Any]] = {}
    for achievement in claims(credential):
        for process in objects(achievement.get("awardedBy")):
            for body in as_list(process.get("awardingBody")):
                identifier = node_id(body)
                if identifier is not None and identifier not in bodies:
                    bodies[identifier] = body if isinstance(body, Mapping) else {"id": body}
    return list(bodies.values())


def ects(spec: Mapping[str, Any]) -> str | None:
    for credit in objects(spec.get("creditPoint")):
        if is_ects(credit):
            point = credit.get("point")
            return str(point) if isinstance(point, str | int | float) else None
    return None


def eqf_level(spec: Mapping[str, Any]) -> str | None:
    level = EQF_LEVELS.get(node_id(next(iter(as_list(spec.get("eqfLevel"))), None)) or "")
    return str(level) if level is not None else None


def outcomes(spec: Mapping[str, Any], languages: tuple[str, ...] = ENGLISH_FIRST) -> list[Text]:
    titles = (tagged(o.get("title"), languages) for o in objects(spec.get("learningOutcome")))
    return [t for t in titles if t is not None]


def assessment(
    achievement: Mapping[str, Any], languages: tuple[str, ...] = ENGLISH_FIRST
) -> Text | None:
    proof = first(achievement.get("provenBy"))
    return tagged(proof.get("title"), languages) or tagged(
        first(proof.get("specifiedBy")).get("title"), languages
    )


def grade(
    achievement: Mapping[str, Any], languages: tuple[str, ...] = ENGLISH_FIRST
) -> Text | None:
    return tagged(
        first(first(achievement.get("provenBy")).get("grade")).get("noteLiteral"), languages
    )


def issued(credential: Any) -> Any:
    if not isinstance(credential, Mapping):
        return None
    return credential.get("issued") or credential.get("validFrom") or credential.get("issuanceDate")


def valid_until(credential: Any) -> Any:
    if not isinstance(credential, Mapping):
        return None
    return credential.get("validUntil") or credential.get("expirationDate")
