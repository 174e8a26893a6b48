"""JSON Schema (Draft 2020-12) validation that costs little: a compiled validator answers
"valid?", and ``jsonschema`` (the reference) says what is wrong only when something is.

:class:`Schema` holds both validators of one schema. ``jsonschema-rs`` (Rust) checks a credential
in tens of microseconds where ``jsonschema`` (Python) takes milliseconds, but it is trusted in
one direction only: when it says *valid*, the document is valid; when it says anything else (or
raises, or was not built), ``jsonschema`` decides and gives the errors. So the issues reported
are always ``jsonschema``'s, and the only thing the compiled validator could change is a
"valid" verdict — which is why its regular expressions are made to accept no more than
Python's: ``\\s``/``\\S`` in a ``pattern`` are written out as Python's whitespace class (the Rust
engine's ``\\s`` leaves out U+001C..U+001F and U+0085 and takes U+FEFF); its ``\\d`` (ASCII) and
``$`` (no newline before the end) only ever refuse more. A schema whose patterns use other
escapes that could differ gets no compiled validator. ``tests/schemas/test_json_schema.py``
compares the two on every code point near the patterns and on generated documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

#: Python's ``\s`` for text (``str.isspace``), as a character-class body.
PYTHON_SPACE = "".join(
    f"\\u{code:04X}"
    for code in [
        *range(0x09, 0x0E),
        *range(0x1C, 0x21),
        0x85,
        0xA0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    ]
)
# Escapes whose meaning is the same in both engines or stricter in the Rust one.
_SAFE_ESCAPE = re.compile(r"\\[.\-+*?()\[\]{}^$|/\\dntrfv]")


def is_plain_json(value: Any) -> bool:
    """True when ``value`` is made of ``dict`` (string keys), ``list``, ``str``, ``int``,
    ``float``, ``bool`` and ``None`` only — what the compiled validator reads as the reference
    does (it takes a tuple for an array, where ``jsonschema`` does not)."""
    stack = [value]
    pop = stack.pop
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            for key, member in item.items():
                if type(key) is not str:
                    return False
                kind = type(member)
                if kind is dict or kind is list:
                    stack.append(member)
                elif not (kind is str or kind is int or kind is float or kind is bool) and (
                    member is not None
                ):
                    return False
        elif kind is list:
            stack.extend(item)
        elif not (kind is str or kind is int or kind is float or kind is bool) and item is not None:
            return False
    return True


class Unportable(ValueError):
    """A pattern whose meaning in the compiled validator could be wider than in Python's."""


def portable_pattern(pattern: str) -> str:
    """``pattern`` for the compiled validator: ``\\s`` and ``\\S`` written out as Python's
    whitespace (inside a class and outside); :class:`Unportable` for an escape that could mean
    more there than here (``\\w``, ``\\b``, Unicode classes, back-references…)."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            pair = pattern[index : index + 2]
            if pair == "\\s":
                out.append(PYTHON_SPACE if in_class else f"[{PYTHON_SPACE}]")
            elif pair == "\\S":
                if in_class:
                    raise Unportable(f"\\S inside a class in {pattern!r}")
                out.append(f"[^{PYTHON_SPACE}]")
            elif _SAFE_ESCAPE.fullmatch(pair):
                out.append(pair)
            else:
                raise Unportable(f"{pair!r} in {pattern!r}")
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


def _portable(schema: Any) -> Any:
    """A copy of ``schema`` with every ``pattern`` made portable (see :func:`portable_pattern`)."""
    if isinstance(schema, Mapping):
        if "patternProperties" in schema:
            raise Unportable("patternProperties")
        return {
            key: (
                portable_pattern(value)
                if key == "pattern" and isinstance(value, str)
                else _portable(value)
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_portable(item) for item in schema]
    return schema


class Schema:
    """One Draft 2020-12 schema, with the reference validator and, where it can be built, the
    compiled one (see the module). :attr:`reference` is the ``jsonschema`` validator, whose
    ``schema`` is the schema as given."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.reference = Draft202012Validator(schema)
        self._compiled: Any = None
        try:
            self._compiled = jsonschema_rs.Draft202012Validator(
                _portable(schema), validate_formats=False
            )
        except Exception:  # an unportable pattern, or a schema the Rust side will not take
            self._compiled = None

    @property
    def compiled(self) -> bool:
        """True when the compiled validator is in use."""
        return self._compiled is not None

    def surely_valid(self, instance: Any, *, plain: bool | None = None) -> bool:
        """True only when the compiled validator says ``instance`` is valid (then it is);
        False means "ask the reference". ``plain``: what :func:`is_plain_json` says of
        ``instance``, when the caller knows already (it is asked otherwise)."""
        if plain is None:
            plain = is_plain_json(instance)
        if self._compiled is None or not plain:
            return False
        try:
            return bool(self._compiled.is_valid(instance))
        except Exception:  # not JSON it can read (a huge integer…): the reference decides
            return False

    def iter_errors(
        self, instance: Any, *, plain: bool | None = None
    ) -> Iterator[ValidationError]:
        """``jsonschema``'s errors for ``instance`` — none at all when it is surely valid
        (``plain`` as :meth:`surely_valid`)."""
        if self.surely_valid(instance, plain=plain):
            return iter(())
        return self.reference.iter_errors(instance)

    def is_valid(self, instance: Any, *, plain: bool | None = None) -> bool:
        """``jsonschema``'s verdict on ``instance``, from the compiled validator when it can
        (``plain`` as :meth:`surely_valid`)."""
        return self.surely_valid(instance, plain=plain) or bool(self.reference.is_valid(instance))
