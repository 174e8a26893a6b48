"""Walks over a parsed JSON value that only count and measure: how many values it holds, the
first value past a count or a string past a length, and whether it holds a float. Iterative,
linear, stopping early.

Parsed JSON here is what ``json.loads`` makes, read generously: any mapping as an object, a
tuple as an array. These loops run on every document a verifier is handed, so this module has
a compiled twin (:mod:`schemas.compiled`); the Python below is the reference it is held to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.compiled import adopt_twin


def count_values(document: Any, stop_after: int | None = None) -> int:
    """JSON values in ``document`` (containers and scalars; member names not counted),
    counting no further than ``stop_after`` (then ``stop_after + 1``)."""
    count = 0
    limit = -1 if stop_after is None else stop_after
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        count += 1
        if count > limit >= 0:
            break
        kind = type(value)  # exact types first: what json.loads makes
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is str or kind is int or kind is float or kind is bool or value is None:
            continue
        elif isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return count


def first_past(document: Any, max_values: int, max_string: int) -> tuple[str, int] | None:
    """None when ``document`` holds at most ``max_values`` values and no string or member name
    longer than ``max_string``; else what the walk met first: ``("values", max_values + 1)``,
    or ``("string", its length)``."""
    count = 0
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        count += 1
        if count > max_values:
            return "values", count
        kind = type(value)  # exact types first: what json.loads makes, at C speed
        if kind is str:
            if len(value) > max_string:
                return "string", len(value)
        elif kind is dict:
            for key in value:
                if isinstance(key, str) and len(key) > max_string:
                    return "string", len(key)
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif isinstance(value, str):
            if len(value) > max_string:
                return "string", len(value)
        elif isinstance(value, Mapping):
            for key in value:
                if isinstance(key, str) and len(key) > max_string:
                    return "string", len(key)
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return None


def holds_float(document: Any) -> bool:
    """True when ``document`` holds a ``float`` anywhere (a member's value or an item, at any
    depth; read as generously as the walks above)."""
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is str or kind is int or kind is bool or value is None:
            continue
        elif isinstance(value, float):
            return True
        elif isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False


#: The functions above as written here (the tests hold the twin to them).
python_functions = (count_values, first_past, holds_float)

adopt_twin(globals(), ("count_values", "first_past", "holds_float"))
