"""schemas.elm.read's readers, compiled into a twin (``read.COMPILED``): each answers as its own
Python does, and as the readers did before they were made faster
(:mod:`tests.schemas.elm.read_reference`), on any JSON value and on mappings, tuples and
``str`` subclasses a caller in Python may hand over."""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import compiled
from schemas.elm import read
from schemas.elm.vocab import ECTS
from tests.schemas.elm import read_reference


class _Text(str):
    """A ``str`` subclass (text all the same)."""


_KEYS = st.sampled_from(
    ["id", "en", "da", "@value", "title", "type", "point", "framework", "prefLabel", "legalName",
     "notation", "noteLiteral", "contentURL", "a", "b"]
)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5)
    | st.sampled_from([" ", "2", " 1.5 ", "1e400", "PT60H", "PT1M30S", "P1Y", "PT", ECTS])
    | st.builds(_Text, st.text(max_size=3))
)
#: Any JSON value, and the other containers a Python caller may give.
VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(_KEYS, inner, max_size=3)
    | st.builds(tuple, st.lists(inner, max_size=2))
    | st.builds(OrderedDict, st.dictionaries(_KEYS, inner, max_size=2))
    | st.builds(MappingProxyType, st.dictionaries(_KEYS, inner, max_size=2)),
    max_leaves=12,
)
_STEPS = st.lists(_KEYS, max_size=3).map(tuple)
_LANGUAGES = st.sampled_from([("en",), ("da", "en"), ()])


def _outcome(function: Any, *arguments: Any) -> Any:
    try:
        return "=", function(*arguments)
    except Exception as error:  # the same refusal counts as the same answer
        return "!", type(error)


def _same(name: str, *arguments: Any, reference: Any = None) -> None:
    python = read.python_functions[name]
    expected = _outcome(python, *arguments)
    assert _outcome(getattr(read, name), *arguments) == expected, name
    if reference is not None:
        assert _outcome(reference, *arguments) == expected, name


@settings(max_examples=500, deadline=None)
@given(VALUES, _STEPS, _LANGUAGES)
def test_every_reader_answers_as_its_python_and_as_before(
    value: Any, steps: tuple[str, ...], languages: tuple[str, ...]
) -> None:
    _same("walk", (value, ("root",)), steps, reference=read_reference.walk)
    _same("walk_values", value, steps, reference=read_reference.walk_values)
    _same("_one_or_many", value, ("p",))
    expected_items = [*read_reference.items(value, ("p",))]
    assert [*read.items(value, ("p",))] == expected_items
    assert [*read.python_functions["items"](value, ("p",))] == expected_items
    for name in ("as_list", "types", "node_id", "trimmed", "label", "note", "decimal", "hours"):
        _same(name, value, reference=getattr(read_reference, name, None))
    for name in ("objects", "first", "is_ects"):
        _same(name, value, reference=getattr(read_reference, name, None))
    _same("text", value, languages, reference=read_reference.text)
    _same("_tagged", value, languages)
    found = read.tagged(value, languages)
    before = read_reference.tagged(value, languages)
    assert (found and (found.value, found.lang)) == (before and (before.value, before.lang))
    assert read.is_object(value) is isinstance(value, (dict, OrderedDict, MappingProxyType))


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from([Decimal("5.0")]))
def test_plain_numbers(number: Decimal) -> None:
    _same("plain", number, reference=read_reference.plain)


def test_text_nested_deeper_than_python_recurses_is_refused_not_a_crash() -> None:
    value: Any = "deep"
    for _ in range(50_000):
        value = [value]
    for reader in (read.text, read.python_functions["text"], read.trimmed, read.note):
        with pytest.raises(RecursionError):
            reader(value)


@pytest.mark.skipif(
    "schemas.elm.read" not in compiled.in_use,
    reason=f"!! the compiled twin of schemas.elm.read is not in use: "
    f"{compiled.not_used.get('schemas.elm.read', '?')}",
)
def test_the_twin_is_in_use_and_keeps_one_text_class() -> None:
    assert read.walk is not read.python_functions["walk"]
    assert read.tagged("x") == read.Text("x")
    assert type(read.tagged({"en": "x"})) is read.Text
