"""schemas.json_text: JSON from outside, read with bounded work and stable refusals."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.json_text import JsonInputError, count_values, load_json, nesting_depth


def code_of(data, **limits) -> str:
    with pytest.raises(JsonInputError) as raised:
        load_json(data, **{"max_bytes": 1_000_000, **limits})
    return raised.value.code


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"\xff\xfe{}", "not_utf8"),
        (b"{", "not_json"),
        (b'{"a": NaN}', "not_json"),
        (b'{"a": Infinity}', "not_json"),
        (b'{"a": "\\ud800"}', "invalid_input"),
        (b'{"\\udfff": 1}', "invalid_input"),
        (b'["x\\u0000y"]', "invalid_input"),
        (b"[" * 65 + b"]" * 65, "too_deep"),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "too_deep"),
    ],
)
def test_refusals(data, code):
    assert code_of(data) == code


def test_too_large_is_413_and_checked_first():
    with pytest.raises(JsonInputError) as raised:
        load_json(b"[" * 2000, max_bytes=1000)
    assert (raised.value.code, raised.value.status) == ("too_large", 413)


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"a": "[[[[[[[[[[{{{{{{{{", "b": ['\\"[[[']})
    assert nesting_depth(text, 64) == 2
    assert load_json(text, max_bytes=1000, max_depth=2)["a"].startswith("[[[")


def test_exactly_at_the_limit_is_accepted():
    assert load_json("[" * 64 + "]" * 64, max_bytes=1000) == load_json(
        "[" * 64 + "]" * 64, max_bytes=1000
    )
    assert code_of("[" * 65 + "]" * 65) == "too_deep"


def test_a_pair_of_surrogates_is_a_character():
    assert load_json(b'{"a": "\\ud83d\\ude00"}', max_bytes=100) == {"a": "\U0001f600"}


def test_bom_is_accepted():
    assert load_json(b"\xef\xbb\xbf{}", max_bytes=100) == {}


def test_a_million_open_brackets_are_refused_by_the_scan():
    """The parser never sees them: the scan stops at the limit."""
    assert nesting_depth("[" * 1_000_000, 64) == 65
    assert code_of(b"[" * 1_000_000) == "too_deep"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=30,
    )
)
def test_any_json_round_trips_or_is_refused_with_a_code(value):
    """Whatever JSON value: it is returned as it was, or refused with a stable code (lone
    surrogates and NUL are the only strings refused)."""
    text = json.dumps(value)
    try:
        assert load_json(text, max_bytes=10_000_000) == value
    except JsonInputError as error:
        assert error.code in ("invalid_input", "too_deep")


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_refuse_with_a_code(data):
    try:
        load_json(data, max_bytes=1000)
    except JsonInputError as error:
        assert error.code in {"empty", "not_utf8", "not_json", "too_deep", "invalid_input"}


def _depth_and_values(value) -> tuple[int, int]:
    """The nesting depth and number of JSON values of a parsed value, counted on the value."""
    if isinstance(value, dict):
        inner = [_depth_and_values(v) for v in value.values()]
    elif isinstance(value, list):
        inner = [_depth_and_values(v) for v in value]
    else:
        return 0, 1
    return 1 + max((d for d, _ in inner), default=0), 1 + sum(n for _, n in inner)


@given(
    st.recursive(
        st.none() | st.integers() | st.text(alphabet='ab"\\[]{},: \n\u00e9'),
        lambda c: st.lists(c) | st.dictionaries(st.text(alphabet='k"\\[{,'), c),
        max_leaves=40,
    ),
    st.booleans(),
    st.booleans(),
)
def test_the_scan_counts_what_the_parser_finds(value, ensure_ascii, compact):
    """Depth and values from the scan (quotes, backslashes and brackets inside strings, with
    and without escaped quotes, any whitespace) equal those of the parsed value."""
    text = json.dumps(
        value, ensure_ascii=ensure_ascii, separators=(",", ":") if compact else None
    )
    depth, values = _depth_and_values(value)
    assert nesting_depth(text, 64) == depth
    assert count_values(text) == values


def test_a_raw_lone_surrogate_in_text_given_as_str_is_refused():
    """Text handed over as ``str`` (not decoded from UTF-8 here) may hold a raw surrogate."""
    assert code_of('{"a": "x\ud800"}') == "invalid_input"
