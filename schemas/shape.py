"""The *shape* of a JSON-LD document and its leaf values, read in one walk (see
:mod:`schemas.fastpath`).

The shape holds the ``@context``, every object's keys in order, the string values of ``type``
and the ``@``-keywords of :data:`CONSTANT_KEYS`, booleans and nulls, and the *kind* of every
other leaf (string, integer, float); the leaves are those other strings and numbers, in
document order.
Two documents with the same shape differ only in their leaves. A top-level ``proof`` member is
noted as it is read, so the shape and leaves of the document *without* it (what a Data
Integrity proof signs) come from the same walk (:meth:`Shape.without_proof`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyld.jsonld import _is_double

from schemas.compiled import adopt_twin

#: Deepest nesting accepted (as :data:`schemas.contexts_check.MAX_DEPTH`; deeper goes the plain
#: way, which refuses it).
MAX_DEPTH = 64

# Shape tokens (never strings, so they cannot be confused with keys or constant values).
OPEN_OBJECT, CLOSE, OPEN_LIST, STR, INT, FLOAT, TRUE, FALSE, NULL = range(9)
CONSTANT_KEYS = frozenset({"type", "@type", "@language", "@direction", "@index", "@vocab"})


class Unsupported(Exception):
    """This document or shape is not handled by the fast path; use the plain path."""


class ShapeKey:
    """A shape's tokens as a dictionary key: hashed once (a long tuple is hashed again at every
    lookup), equal to the key of every document of the same shape."""

    __slots__ = ("hash", "tokens")

    def __init__(self, tokens: tuple[Any, ...]) -> None:
        self.tokens = tokens
        self.hash = hash(tokens)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, ShapeKey) and self.hash == other.hash and self.tokens == other.tokens
        )


@dataclass(slots=True)
class Shape:
    """A document's shape tokens and leaves, and where its top-level ``proof`` sits in both
    (``proof`` = (first token, end token, first leaf, end leaf), or None)."""

    tokens: list[Any]
    leaves: list[Any]
    proof: tuple[int, int, int, int] | None

    @property
    def key(self) -> ShapeKey:
        """The shape key (equal for documents of the same shape)."""
        return ShapeKey(tuple(self.tokens))

    def without_proof(self) -> Shape:
        """The shape and leaves of the document without its top-level ``proof`` member."""
        if self.proof is None:
            return self
        first, end, leaf_first, leaf_end = self.proof
        return Shape(
            self.tokens[:first] + self.tokens[end:],
            self.leaves[:leaf_first] + self.leaves[leaf_end:],
            None,
        )


def read_shape(document: Mapping[str, Any]) -> Shape:
    """The :class:`Shape` of ``document``; :class:`Unsupported` if unusual: anything
    :func:`schemas.contexts_check.check_contexts` might refuse (an inline or nested
    ``@context``, non-JSON values, non-finite numbers, deep nesting) or integers of 1e21 and
    above, so the plain path reports it."""
    tokens: list[Any] = []
    leaves: list[Any] = []
    context = document.get("@context")
    if isinstance(context, str):
        tokens.append(context)
    elif isinstance(context, list) and context and all(isinstance(c, str) for c in context):
        tokens.append(tuple(context))
    else:
        raise Unsupported("@context")
    tokens.append(OPEN_OBJECT)
    proof: tuple[int, int, int, int] | None = None
    for key, item in document.items():
        if type(key) is not str:
            raise Unsupported("key")
        if key == "@context":
            continue
        first = len(tokens)
        leaf_first = len(leaves)
        _members({key: item}, 2, tokens, leaves)
        if key == "proof":
            proof = (first, len(tokens), leaf_first, len(leaves))
    tokens.append(CLOSE)
    return Shape(tokens, leaves, proof)


# The walk below is the reference; its compiled twin (shape.pyx, the same functions over
# CPython's C API) is held to it by tests/schemas/test_compiled.py.


def _scalar(value: object, tokens: list[Any], leaves: list[Any]) -> None:
    """Add a boolean, null or number to the shape (numbers as leaves too)."""
    if value is True:
        tokens.append(TRUE)
    elif value is False:
        tokens.append(FALSE)
    elif value is None:
        tokens.append(NULL)
    elif type(value) is int:
        if abs(value) >= 1e21:
            raise Unsupported("large integer")
        tokens.append(INT)
        leaves.append(value)
    elif type(value) is float:
        if not math.isfinite(value) or abs(value) >= 1e21:
            raise Unsupported("float")
        tokens.append(FLOAT if _is_double(value) else INT)
        leaves.append(value)
    else:
        raise Unsupported("not JSON")


def _members(value: dict[str, Any], depth: int, tokens: list[Any], leaves: list[Any]) -> None:
    """Add an object's keys and members (at nesting ``depth``)."""
    if "@context" in value:
        raise Unsupported("nested @context")
    tokens.append(tuple(value))  # the keys, in order
    for key, item in value.items():
        if type(key) is not str:
            raise Unsupported("key")
        kind = type(item)
        if kind is str:
            if key in CONSTANT_KEYS:
                tokens.append(item)
            else:
                tokens.append(STR)
                leaves.append(item)
        elif kind is dict:
            if depth > MAX_DEPTH:
                raise Unsupported("depth")
            tokens.append(OPEN_OBJECT)
            _members(item, depth + 1, tokens, leaves)
            tokens.append(CLOSE)
        elif kind is list:
            _items(item, depth, key in CONSTANT_KEYS, tokens, leaves)
        else:
            _scalar(item, tokens, leaves)


def _items(
    value: list[Any], depth: int, constant: bool, tokens: list[Any], leaves: list[Any]
) -> None:
    """Add an array's items (strings as constants when ``constant``: a ``type`` list)."""
    if depth > MAX_DEPTH:
        raise Unsupported("depth")
    tokens.append(OPEN_LIST)
    for item in value:
        kind = type(item)
        if kind is str:
            if constant:
                tokens.append(item)
            else:
                tokens.append(STR)
                leaves.append(item)
        elif kind is dict:
            if depth >= MAX_DEPTH:
                raise Unsupported("depth")
            tokens.append(OPEN_OBJECT)
            _members(item, depth + 2, tokens, leaves)
            tokens.append(CLOSE)
        elif kind is list:
            _items(item, depth + 1, constant, tokens, leaves)
        else:
            _scalar(item, tokens, leaves)
    tokens.append(CLOSE)


def shape_chars(key: ShapeKey) -> int:
    """Characters of member names and constant values in a shape key (its size in memory)."""
    total = 0
    for token in key.tokens:
        if type(token) is str:
            total += len(token)
        elif type(token) is tuple:
            total += sum(len(part) for part in token if type(part) is str)
    return total


def shape_of(document: dict[str, Any]) -> tuple[ShapeKey, list[Any]]:
    """Return ``(shape key, leaf values)`` of ``document``; see :func:`read_shape`."""
    shape = read_shape(document)
    return shape.key, shape.leaves


#: The functions above as written here (the tests hold the twin to them).
python_functions = (read_shape,)

# The compiled twin (shape.pyx, schemas.compiled), when built: it uses this module's classes, so
# every caller sees one Shape and one Unsupported.
adopt_twin(globals(), ("read_shape",))
