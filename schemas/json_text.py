"""Reading JSON text from outside with bounded work: one reader for every door of both apps.

:func:`load_json` refuses, each with a stable code, before or while parsing:

- more than ``max_bytes`` (``too_large``) — checked first, on the raw bytes;
- text that is not UTF-8 (``not_utf8``) or is empty (``empty``);
- nesting deeper than ``max_depth`` (``too_deep``) — found by a scan of the brackets outside
  strings *before* the parser runs, so no input can drive a recursive parser into the ground;
- more than ``max_nodes`` JSON values (``too_many_nodes``, when a limit is given) — counted by
  the same scan (commas and brackets), so the parser never builds millions of objects;
- anything that is not JSON, and the non-standard constants ``NaN``/``Infinity``
  (``not_json``);
- strings (values or member names) holding a lone surrogate (``"\\ud800"``, which no UTF-8
  encoder, database or canonicalizer accepts) or a NUL character (``invalid_input``).

The work is linear in the size of the text, which is bounded first. Two steps are skipped where
the text itself proves they would pass (each answers exactly as the full step, tested so):

- the bracket scan, when the text holds no more ``[``/``{`` than ``max_depth`` and no more
  brackets and commas than ``max_nodes`` allows (counted inside strings too, so only ever more
  than the scan counts); when only the depth is left to find and the bytes hold no backslash,
  it is found on the quotes and brackets alone;
- the search of every parsed string for NUL and lone surrogates, when the text was decoded from
  UTF-8 here and holds no ``\\u0000`` nor ``\\uD800``..``\\uDFFF`` escape: the parser refuses a
  raw control character and UTF-8 decoding a raw surrogate, so only those escapes make them.

:func:`read_json` also says what the text bounds about the value (:class:`TextBounds`), so that
later structural checks need not walk the value again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Final

import orjson

from schemas.value_walk import holds_float

DEFAULT_MAX_DEPTH: Final = 64
# A string token (with its escapes) or one bracket (and one comma, when counting values): the
# scanner skips everything else.
_STRING: Final = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRING_TOKEN: Final = re.compile(_STRING, re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}
_BYTE_STEP: Final = {ord(","): 0} | {ord(mark): step for mark, step in _DEPTH_STEP.items()}
_NOT_MARK: Final = bytes(b for b in range(256) if b not in b'"[]{},')
# A lone surrogate or NUL in a decoded string.
_FORBIDDEN: Final = re.compile("[\ud800-\udfff\x00]")
# The only escapes that decode to a NUL or to a surrogate (paired or not): ``\u0000`` and
# ``\uD800``..``\uDFFF`` (hex digits in either case; JSON has no other way to write them).
_FORBIDDEN_ESCAPE: Final = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF])")


class JsonInputError(ValueError):
    """JSON text refused; ``code`` is stable, ``status`` the HTTP status it maps to."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class TextBounds:
    """What a JSON text proves about the value parsed from it: no string or member name in the
    value is longer than ``chars`` characters (the text's own length: decoding an escape only
    shortens it), and the value holds at most ``values`` JSON values, counted as
    :func:`count_values` counts them (member names not counted; a duplicate member name's
    earlier values are in the text, not in the value)."""

    chars: int
    values: int


def nesting_depth(text: str, limit: int) -> int:
    """The deepest nesting of arrays and objects in ``text`` (brackets inside strings do not
    count), scanning no further once ``limit`` is exceeded (then ``limit + 1``)."""
    return _scan(text, limit, None)[0]


def count_values(text: str, limit: int | None = None) -> int:
    """How many JSON values (containers and scalars, member names not counted) the JSON text
    ``text`` holds, from its commas and brackets outside strings; with ``limit``, the scan stops
    once the count exceeds it. Exact for valid JSON; for other text, a count the parser's
    refusal makes moot."""
    return _scan(text, None, limit if limit is not None else len(text) + 1)[1]


def _outside_strings(text: str) -> str:
    """``text`` with every string emptied (``""`` left). Without an escaped quote, every quote
    is a string's first or last (when the text is JSON), so a split on quotes finds them at C
    speed; otherwise the regular expression does (some times slower on long strings)."""
    if '\\"' in text:
        return _STRING_TOKEN.sub('""', text)
    return '""'.join(text.split('"')[0::2])


def _scan(text: str, max_depth: int | None, max_nodes: int | None) -> tuple[int, int]:
    """(deepest nesting, JSON values) of ``text``; the values are counted only when
    ``max_nodes`` is given (else the count is meaningless). Each step runs in C: the strings
    are emptied by one regular expression, the rest counted with ``str`` methods, and only the
    brackets are walked (with ``accumulate``), so a long string costs one pass."""
    structure = _outside_strings(text)
    brackets = _NOT_BRACKET.sub("", structure)
    deepest = max(0, max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0))
    if max_depth is not None and deepest > max_depth:
        deepest = max_depth + 1  # as far as a scan that stops there would tell
    if max_nodes is None:
        return deepest, 0
    compact = "".join(structure.split())  # outside strings, JSON has no other whitespace
    containers = brackets.count("[") + brackets.count("{")
    empty = compact.count("[]") + compact.count("{}")
    return deepest, compact.count(",") + containers + 1 - empty


def _reject_constant(name: str) -> Any:
    raise ValueError(f"the JSON constant {name} is not allowed")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, member names included (iteratively)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load_json(
    data: bytes | str,
    *,
    max_bytes: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int | None = None,
) -> Any:
    """The JSON value in ``data``, read with bounded work; raises :class:`JsonInputError`
    (see the module for the codes) for anything else."""
    return read_json(data, max_bytes=max_bytes, max_depth=max_depth, max_nodes=max_nodes)[0]


def read_json(
    data: bytes | str,
    *,
    max_bytes: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int | None = None,
) -> tuple[Any, TextBounds]:
    """The JSON value in ``data`` as :func:`load_json` reads it (the same value, the same
    refusals), and what its text bounds about it (:class:`TextBounds`)."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise JsonInputError(
            "too_large", f"The JSON is larger than {max_bytes:,} bytes ({size:,}).", 413
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JsonInputError("not_utf8", "The text is not UTF-8.") from None
    else:
        text = data
    if not text.strip():
        raise JsonInputError("empty", "There is no JSON: the text is empty.")
    # The quotes, brackets and commas of the bytes (ASCII: the same in the text, one C pass).
    marks = data.translate(None, _NOT_MARK) if isinstance(data, bytes) else None
    opens, values = _raw_counts(marks if marks is not None else text)
    if max_nodes is not None and values > max_nodes:  # not proven within: count the values
        deepest, values = _scan(text, max_depth, max_nodes)
    elif opens > max_depth:  # the values are proven within; the depth is not
        deepest = _depth(data, marks, text, max_depth)
    else:
        deepest = 0  # at most ``opens``: within
    if deepest > max_depth:
        raise JsonInputError("too_deep", f"The JSON is nested more than {max_depth} levels deep.")
    if max_nodes is not None and values > max_nodes:
        raise JsonInputError(
            "too_many_nodes", f"The JSON holds more than {max_nodes:,} values.", 413
        )
    try:
        value = _parsed(data, text)
    except RecursionError:  # not reachable after the scan; kept as a last guard
        raise JsonInputError("too_deep", "The JSON is nested too deeply.") from None
    except ValueError as error:
        raise JsonInputError("not_json", f"This is not valid JSON ({error}).") from None
    if _may_hold_forbidden(text, decoded=isinstance(data, bytes)):
        _refuse_forbidden(value)
    return value, TextBounds(chars=len(text), values=values)


def _parsed(data: bytes | str, text: str) -> Any:
    """The JSON value of ``text`` (``data`` decoded), as ``json.loads`` makes it (NaN and
    Infinity refused): read by orjson (in C, several times faster) from ``data``; anything orjson
    refuses (what JSON allows but orjson does not: a number too large for a float, a lone
    surrogate escape, a byte order mark; and what is not JSON) is read by ``json.loads``, which
    gives its value or its error as it always has, and so is any text whose value holds a float
    (orjson reads an integer beyond 64 bits as a float; credentials seldom hold floats). Where
    orjson's value is kept, it is ``json.loads``'s (``tests/schemas/test_json_text.py`` holds
    the two together)."""
    try:
        value = orjson.loads(data)
        if not holds_float(value):  # orjson makes an integer beyond 64 bits a float
            return value
    except orjson.JSONDecodeError:
        pass
    return json.loads(text, parse_constant=_reject_constant)


def _raw_counts(text: str | bytes) -> tuple[int, int]:
    """(opening brackets, commas + opening brackets + 1) of ``text`` (or of its marks, which
    hold every bracket and comma of it), counted everywhere, inside strings too: upper bounds
    on what the scan finds, which counts only what lies outside strings (its depth is at most
    its opening brackets, its values — commas + containers + 1 - empty containers — at most
    the second figure)."""
    if isinstance(text, bytes):
        opens = text.count(b"{") + text.count(b"[")
        return opens, opens + text.count(b",") + 1
    opens = text.count("{") + text.count("[")
    return opens, opens + text.count(",") + 1


def _depth(data: bytes | str, marks: bytes | None, text: str, max_depth: int) -> int:
    """The scan's depth of ``text`` (``data`` decoded), as :func:`nesting_depth` finds it.

    From ``marks`` (the quotes, brackets and commas of the bytes, in order) when the bytes hold
    no backslash: then every quote opens or closes a string (the scan's own reading), and a
    quote or bracket is the same byte in UTF-8 as in the text, so the scan's brackets are those
    between the quoted runs of the marks."""
    if marks is None or b"\\" in data:
        return _scan(text, max_depth, None)[0]
    structure = b"".join(marks.split(b'"')[0::2])
    return max(0, max(accumulate(map(_BYTE_STEP.__getitem__, structure)), default=0))


def _may_hold_forbidden(text: str, *, decoded: bool) -> bool:
    """False when no string parsed from ``text`` can hold a NUL or a surrogate: no escape
    that makes one, and (for text not decoded from UTF-8 here, which may hold raw surrogates)
    no such raw character either. A raw NUL is refused by the parser inside strings and
    outside them."""
    if _FORBIDDEN_ESCAPE.search(text) is not None:
        return True
    return not decoded and _FORBIDDEN.search(text) is not None


def _refuse_forbidden(value: Any) -> None:
    """:class:`JsonInputError` (``invalid_input``) when a string of ``value`` (member names
    included) holds a NUL or a lone surrogate."""
    for string in _strings(value):
        found = _FORBIDDEN.search(string)
        if found:
            what = "a NUL character" if found.group() == "\x00" else "a lone surrogate"
            raise JsonInputError(
                "invalid_input", f"A string holds {what} ({found.group()!r}), which is not text."
            )
