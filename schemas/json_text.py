"""Reading JSON text from outside with bounded work: one reader for every door of both apps.

:func:`load_json` refuses, each with a stable code, before or while parsing:

- more than ``max_bytes`` (``too_large``) — checked first, on the raw bytes;
- text that is not UTF-8 (``not_utf8``) or is empty (``empty``);
- nesting deeper than ``max_depth`` (``too_deep``) — found by a scan of the brackets outside
  strings *before* the parser runs, so no input can drive a recursive parser into the ground;
- anything that is not JSON, and the non-standard constants ``NaN``/``Infinity``
  (``not_json``);
- strings (values or member names) holding a lone surrogate (``"\\ud800"``, which no UTF-8
  encoder, database or canonicalizer accepts) or a NUL character (``invalid_input``).

The work is linear in the size of the text, which is bounded first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

DEFAULT_MAX_DEPTH: Final = 64
# A string token (with its escapes), or one bracket: the scanner skips everything else.
_TOKENS: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPENING: Final = frozenset("[{")
# A lone surrogate or NUL in a decoded string.
_FORBIDDEN: Final = re.compile("[\ud800-\udfff\x00]")


class JsonInputError(ValueError):
    """JSON text refused; ``code`` is stable, ``status`` the HTTP status it maps to."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def nesting_depth(text: str, limit: int) -> int:
    """The deepest nesting of arrays and objects in ``text`` (brackets inside strings do not
    count), scanning no further once ``limit`` is exceeded (then ``limit + 1``)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif token in "]}":
            depth -= 1
    return deepest


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


def load_json(data: bytes | str, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The JSON value in ``data``, read with bounded work; raises :class:`JsonInputError`
    (see the module for the codes) for anything else."""
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
    if nesting_depth(text, max_depth) > max_depth:
        raise JsonInputError("too_deep", f"The JSON is nested more than {max_depth} levels deep.")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:  # not reachable after the scan; kept as a last guard
        raise JsonInputError("too_deep", "The JSON is nested too deeply.") from None
    except ValueError as error:
        raise JsonInputError("not_json", f"This is not valid JSON ({error}).") from None
    for string in _strings(value):
        found = _FORBIDDEN.search(string)
        if found:
            what = "a NUL character" if found.group() == "\x00" else "a lone surrogate"
            raise JsonInputError(
                "invalid_input", f"A string holds {what} ({found.group()!r}), which is not text."
            )
    return value
