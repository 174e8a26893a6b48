"""The structural rule counted the slow way, for tests that hold a faster reader or check to
it: every JSON value once, every string and member name measured."""

from __future__ import annotations

from typing import Any


def values_and_longest(value: Any) -> tuple[int, int]:
    """(JSON values, longest string or member name) of a parsed value; tuples read as arrays,
    as the verifier's general walk reads them."""
    values, longest, stack = 0, 0, [value]
    while stack:
        item = stack.pop()
        values += 1
        if isinstance(item, str):
            longest = max(longest, len(item))
        elif isinstance(item, dict):
            longest = max([longest, *map(len, item)])
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return values, longest
