"""``schemas/elm/read.py``'s readers as they were before the Annex I report was made faster
(commit 4bd156c), frozen in pure Python for :mod:`tests.schemas.elm.annex1_reference` and the
differential tests of the readers (``test_read.py``). Do not change them to follow a rule.
"""


from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from schemas.elm.vocab import ECTS, ENGLISH

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
