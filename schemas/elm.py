"""Reading a European Learning Model credential as JSON: one or many, language maps, concepts.

ELM values may be one object or a list of them, and language maps may hold a string or a list
per language; these helpers absorb both forms and keep each value's place in the document
(keys and list indices from the top, see :mod:`schemas.paths`). They never raise for any JSON
value and trust nothing: what they return is plain text or data read from the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

#: The ECTS credit framework (EU vocabulary ``education-credit``).
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"

#: A value and its place in the document (keys and list indices from the top).
Located = tuple[Any, tuple[str | int, ...]]

_HOURS = re.compile(r"^PT(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


def items(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[Located]:
    """``value`` itself, or each item of it when it is a list (ELM's one or many)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield item, (*path, index)
    else:
        yield value, path


def walk(root: Located, steps: tuple[str, ...]) -> Iterator[Located]:
    """Every value at ``steps`` below ``root``, stepping through lists at every level (a list
    found at the end is given item by item)."""
    if not steps:
        yield from items(*root)
        return
    for node, path in items(*root):
        if isinstance(node, Mapping) and steps[0] in node:
            yield from walk((node[steps[0]], (*path, steps[0])), steps[1:])


def types(node: Any) -> set[str]:
    """The names in a node's ``type`` (a string or a list of them); empty for anything else."""
    if not isinstance(node, Mapping):
        return set()
    declared = node.get("type")
    values = declared if isinstance(declared, list) else [declared]
    return {value for value in values if isinstance(value, str)}


def node_id(node: Any) -> str | None:
    """The ``id`` of a node given as a string or as an object with a string ``id``."""
    if isinstance(node, str):
        return node
    if isinstance(node, Mapping) and isinstance(node.get("id"), str):
        return str(node["id"])
    return None


def text(value: Any) -> str | None:
    """A non-blank plain string, or a language map's English text (else its first language's
    with any); None when there is none."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        return next((t for t in map(text, value) if t), None)
    if isinstance(value, Mapping):
        for language in ("en", *value.keys()):
            found = text(value.get(language)) if language in value else None
            if found:
                return found
    return None


def label(node: Any) -> str | None:
    """A concept's or organisation's name: its prefLabel, legalName, title or notation, else
    its id."""
    if isinstance(node, Mapping):
        for key in ("prefLabel", "legalName", "title", "notation"):
            found = text(node.get(key))
            if found:
                return found
    return node_id(node)


def note(node: Any) -> str | None:
    """A note's text (``noteLiteral``), a web resource's ``contentURL``, else its label."""
    if isinstance(node, Mapping):
        return text(node.get("noteLiteral")) or text(node.get("contentURL")) or label(node)
    return text(node)


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
    if not isinstance(credit, Mapping):
        return False
    return any(
        node_id(framework) == ECTS or "european credit transfer" in (label(framework) or "").lower()
        for framework, _ in items(credit.get("framework"))
    )
