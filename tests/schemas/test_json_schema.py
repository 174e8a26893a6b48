"""The compiled JSON Schema validator never changes a verdict: whenever it says "valid", the
reference (``jsonschema``) says so too, and the issues reported are the reference's, on the
profile schemas, every code point near their patterns and generated documents."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.elm import profile
from schemas.json_schema import PYTHON_SPACE, Schema, Unportable, portable_pattern


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


PATTERNS = sorted(
    set(_patterns(profile.microcredential_schema())) | set(_patterns(profile.credential_schema()))
)
# Code points where regular-expression engines are known to disagree, plus every one below
# U+3100 (controls, Latin, the spaces, the digits of other scripts).
CODE_POINTS = [
    *(c for c in range(0x3100) if not 0xD800 <= c <= 0xDFFF),
    0xFEFF,
    0xFF10,
    0x1D7CE,
    0x10FFFF,
]


def test_the_profile_schemas_are_compiled() -> None:
    assert profile._validator().compiled
    assert profile._credential_validator().compiled


def test_python_space_is_pythons_whitespace() -> None:
    written = re.compile(f"[{PYTHON_SPACE}]")
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        assert (written.fullmatch(chr(code)) is not None) == chr(code).isspace(), hex(code)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_compiled_patterns_accept_nothing_python_refuses(pattern: str) -> None:
    schema = Schema({"type": "string", "pattern": pattern})
    assert schema.compiled
    reference = re.compile(pattern)
    seeds = ["", "a:b", "2024-01-01T00:00:00Z", "P1D", "en", "1.5"]
    for code in CODE_POINTS:
        char = chr(code)
        for seed in seeds:
            for text in (seed + char, char + seed, seed[:3] + char + seed[3:]):
                if schema.surely_valid(text):
                    assert reference.search(text) is not None, (pattern, hex(code), text)


def test_unportable_escapes_are_refused() -> None:
    for pattern in (r"\w+", r"\bword", r"\p{L}", r"(a)\1", r"[\S]"):
        with pytest.raises(Unportable):
            portable_pattern(pattern)
    assert not Schema({"type": "string", "pattern": r"^\w+$"}).compiled
    assert Schema({"type": "string", "pattern": r"^\w+$"}).is_valid("word")


def test_values_the_compiled_validator_cannot_read_go_to_the_reference() -> None:
    schema = Schema({"type": "array"})
    assert not schema.surely_valid((1, 2))  # a tuple is no JSON: the reference decides
    assert not schema.is_valid((1, 2))
    huge = Schema({"type": "integer", "minimum": 0})
    assert huge.is_valid(10**40)


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["", " ", "\x1c", "\x85", "\ufeff", "2024-01-01T00:00:00Z\n", "a:b c"]),
    st.sampled_from(["http://data.europa.eu/snb/eqf/9", "http://data.europa.eu/snb/eqf/6"]),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, (*path, index))
    return found


def _messages(schema: Schema, document: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(map(str, e.absolute_path)), tuple(map(str, e.absolute_schema_path)), e.message)
        for e in schema.iter_errors(document)
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_documents_get_the_references_issues(
    data: st.DataObject, micro_credential: dict[str, Any]
) -> None:
    document = copy.deepcopy(micro_credential)
    places = _places(document)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(places[1:]))
        parent: Any = document
        try:
            for step in path[:-1]:
                parent = parent[step]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(_VALUES)
        except (KeyError, IndexError, TypeError):
            continue
    for schema in (profile._validator(), profile._credential_validator()):
        expected = sorted(
            (tuple(map(str, e.absolute_path)), tuple(map(str, e.absolute_schema_path)), e.message)
            for e in schema.reference.iter_errors(document)
        )
        assert _messages(schema, document) == expected
        assert schema.is_valid(document) == (not expected)
