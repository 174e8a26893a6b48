"""pyld's node map in linear time: an exact, indexed ``JsonLdProcessor.has_value``.

pyld 3.3 builds its node map (``toRdf``, flattening) with ``add_value(..., allowDuplicate=False)``,
which asks ``has_value`` — a linear scan of ``compare_values`` over every value the property
already has. A property with n values therefore costs n²/2 comparisons: one array of 10,000
strings took 50 s, and so does one node whose ``@id`` is repeated across the document with
10,000 values in all. No limit on the shape of a document can rule that out cheaply (values
merge across objects by ``@id``), so the scan itself is made linear here.

Inside :func:`indexed_values` (a context, per thread), ``has_value`` on a value array of at
least :data:`INDEX_FROM` items keeps a hash index of that array: for each item the key that
``compare_values`` compares (a primitive with booleans kept apart from numbers, an ``@value``
object's value/type/language/index, or a node's ``@id``) and its identity. Items whose key
cannot be hashed (``@json`` literals, arrays) are compared as pyld does. The answer is the same
as pyld's for every input; outside the context (or for short arrays) pyld's own function runs.
Arrays only grow while pyld builds a node map; an index finding its array shorter is rebuilt.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Final

from pyld.jsonld import JsonLdProcessor

#: Arrays shorter than this are scanned as pyld scans them.
INDEX_FROM: Final = 16

_original_has_value = JsonLdProcessor.has_value
_compare = JsonLdProcessor.compare_values
_state = threading.local()
_UNHASHABLE: Final = object()


class _Index:
    """The keys, identities and unhashable items of one value array, as far as indexed."""

    __slots__ = ("ids", "items", "keys", "seen", "unhashable")

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.seen = 0
        self.keys: set[Any] = set()
        self.ids: set[int] = set()
        self.unhashable: list[Any] = []

    def catch_up(self) -> None:
        """Index the items appended since the last call."""
        for item in self.items[self.seen :]:
            if isinstance(item, dict):
                self.ids.add(id(item))
            key = _key(item)
            if key is _UNHASHABLE:
                self.unhashable.append(item)
            elif key is not None:
                self.keys.add(key)
        self.seen = len(self.items)

    def holds(self, value: Any) -> bool:
        """What ``any(compare_values(value, item) for item in items)`` answers."""
        key = _key(value)
        if key is _UNHASHABLE:
            return any(_compare(value, item) for item in self.items)
        if isinstance(value, dict) and id(value) in self.ids:
            return True
        if key is not None and key in self.keys:
            return True
        return any(_compare(value, item) for item in self.unhashable)


def _key(value: Any) -> Any:
    """The hashable key ``compare_values`` equality amounts to; ``None`` for an object that
    equals nothing but itself; :data:`_UNHASHABLE` where a plain comparison must decide."""
    try:
        if isinstance(value, dict):
            if "@value" in value:
                if "@id" in value:
                    return _UNHASHABLE
                literal = value["@value"]
                if isinstance(literal, bool):
                    literal = ("bool", literal)
                elif not isinstance(literal, str | int | float) and literal is not None:
                    return _UNHASHABLE
                key = ("value", value.get("@type"), value.get("@language"), value.get("@index"))
                hash(key)
                return (*key, literal)
            node_id = value.get("@id")
            if node_id is None:
                return None
            return ("id", node_id) if isinstance(node_id, str) else _UNHASHABLE
        if isinstance(value, bool):
            return ("bool", value)
        if isinstance(value, str | int | float) or value is None:
            return ("primitive", value)
    except TypeError:
        pass
    return _UNHASHABLE


def _has_value(subject: Any, property: str, value: Any) -> bool:
    indexes: dict[int, _Index] | None = getattr(_state, "indexes", None)
    values = subject.get(property) if indexes is not None and isinstance(subject, dict) else None
    if indexes is None or not isinstance(values, list) or len(values) < INDEX_FROM:
        return bool(_original_has_value(subject, property, value))
    index = indexes.get(id(values))
    if index is None or index.items is not values or index.seen > len(values):
        index = indexes[id(values)] = _Index(values)
    index.catch_up()
    return index.holds(value)


@contextlib.contextmanager
def indexed_values() -> Iterator[None]:
    """Within this context (in this thread), pyld's duplicate checks use hash indexes."""
    outer = getattr(_state, "indexes", None)
    _state.indexes = {} if outer is None else outer
    try:
        yield
    finally:
        _state.indexes = outer


JsonLdProcessor.has_value = staticmethod(_has_value)
