"""schemas.json_text: JSON from outside, read with bounded work and stable refusals."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.json_text import JsonInputError, count_values, load_json, nesting_depth, read_json
from tests.json_walk import values_and_longest


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


# --- the shortcuts answer exactly as the full reader -----------------------------------------
#
# ``reference_read`` is the reader with every step always run: the bracket scan before parsing,
# every parsed string searched for NUL and lone surrogates after. ``read_json`` skips the scan
# when the text's own brackets and commas prove it within the limits, and the search when no
# escape can have made such a character; these tests hold it to the same answer (the value, or
# the refusal's code) on accepted and refused inputs alike.

_NOT_TEXT = re.compile("[\ud800-\udfff\x00]")


def _reject(name: str) -> None:
    raise ValueError(name)


def reference_read(data: bytes | str, *, max_bytes: int, max_depth: int, max_nodes: int | None):
    """``("ok", value)`` or ``("refused", code)``: every step run, the slow way."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        return "refused", "too_large"
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        return "refused", "not_utf8"
    if not text.strip():
        return "refused", "empty"
    if nesting_depth(text, max_depth) > max_depth:
        return "refused", "too_deep"
    if max_nodes is not None and count_values(text) > max_nodes:
        return "refused", "too_many_nodes"
    try:
        value = json.loads(text, parse_constant=_reject)
    except RecursionError:
        return "refused", "too_deep"
    except ValueError:
        return "refused", "not_json"
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _NOT_TEXT.search(item):
                return "refused", "invalid_input"
        elif isinstance(item, dict):
            if any(_NOT_TEXT.search(key) for key in item):
                return "refused", "invalid_input"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return "ok", value


def ours(data: bytes | str, **limits):
    try:
        value, bounds = read_json(data, **limits)
    except JsonInputError as error:
        return ("refused", error.code), None
    return ("ok", value), bounds


def assert_same_answer(data: bytes | str, **limits) -> None:
    """``read_json`` answers as the full reader, and its bounds hold for what it returns."""
    expected = reference_read(data, **limits)
    found, bounds = ours(data, **limits)
    assert found == expected
    if bounds is not None:
        values, longest = values_and_longest(found[1])
        assert values <= bounds.values
        assert longest <= bounds.chars


# Strings that exercise every path: NUL, lone high and low surrogates, a pair, non-ASCII (an
# escape that is harmless), brackets, commas, quotes and backslashes (so ``\\u0000`` can be
# literal text), and the letters of an escape.
_HOSTILE_TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "\x00", "\ud800", "\udbff", "\udc00", "\udfff", "\U0001f600", "\u00f8", "[", "{",
         "]", "}", ",", '"', "\\", "u", "0", "d", "D", "8", "c", " "]
    ),
    max_size=12,
)  # fmt: skip
_HOSTILE_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(_HOSTILE_TEXT, inner, max_size=5),
    max_leaves=40,
)
_LIMITS = st.fixed_dictionaries(
    {
        "max_bytes": st.sampled_from([10, 200, 10_000]),
        "max_depth": st.integers(0, 12),
        "max_nodes": st.none() | st.integers(0, 60),
    }
)
_ESCAPE = re.compile(r"\\u([0-9a-f]{4})")


@settings(max_examples=600, deadline=None)
@given(
    value=_HOSTILE_JSON,
    limits=_LIMITS,
    ensure_ascii=st.booleans(),
    compact=st.booleans(),
    upper_hex=st.booleans(),
    as_bytes=st.booleans(),
)
def test_the_reader_answers_as_the_full_reader_on_json(
    value, limits, ensure_ascii, compact, upper_hex, as_bytes
):
    """Any JSON value with hostile strings, written every way (escaped or raw, upper- or
    lower-case hex, compact or not), as bytes or as text, under limits small enough that the
    scan's shortcut is taken and refused alike."""
    text = json.dumps(value, ensure_ascii=ensure_ascii, separators=(",", ":") if compact else None)
    if upper_hex:
        text = _ESCAPE.sub(lambda found: "\\u" + found.group(1).upper(), text)
    data = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert_same_answer(data, **limits)


_JSONISH = st.lists(
    st.sampled_from(
        ["[", "]", "{", "}", ",", ":", '"', '"a"', "1", " ", "\\", "\\u0000", "\\ud800",
         "\\uDC00", "\\uD83D\\uDE00", "\\u00f8", "\\\\u0000", "u0000", "\x00", "\ud800", "null",
         "NaN", "\u00f8"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(text=_JSONISH, limits=_LIMITS, as_bytes=st.booleans())
def test_the_reader_answers_as_the_full_reader_on_any_text(text, limits, as_bytes):
    """Text that is mostly not JSON (unbalanced brackets, escapes outside strings, raw NUL and
    surrogates): the same refusal, code for code."""
    data = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert_same_answer(data, **limits)


_NO_BACKSLASH = st.lists(
    st.sampled_from(["[", "]", "{", "}", ",", ":", '"', '"a"', '"[{"', "1", " ", "\u00f8", "null"]),
    max_size=60,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(text=_NO_BACKSLASH, max_depth=st.integers(0, 12), max_nodes=st.none() | st.integers(30, 90))
def test_the_depth_read_from_bytes_without_backslashes_is_the_scans(text, max_depth, max_nodes):
    """Bytes with no backslash (every quote opens or closes a string) and more brackets than
    the depth allows: the depth is read from the quotes and brackets alone, and answers as the
    scan does, brackets inside strings, unbalanced quotes and non-ASCII included."""
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
        assert_same_answer(data, max_bytes=10_000, max_depth=max_depth, max_nodes=max_nodes)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 300 + "]" * 300,
        "[" * 257 + "]" * 257,
        "[" * 256 + "]" * 256,
        '["' + "[" * 300 + '"]',  # brackets only inside a string: counted, yet shallow
        "[" + "0," * 30_000 + "0]",
        "[" + "[]," * 20_000 + "[]]",
        '{"a":' * 200 + "1" + "}" * 200,
        '["x\\u0000y"]',
        '["\\\\u0000"]',  # a backslash, then the letters u0000: text, not a NUL
        '{"\\uDFFF": 1}',
        '["\\ud83d\\ude00", "\\ud83d"]',
        "[" * 100_000,
    ],
)
@pytest.mark.parametrize("max_nodes", [None, 20_000])
def test_deep_nesting_and_huge_arrays_answer_as_the_full_reader(text, max_nodes):
    for data in (text, text.encode("utf-8")):
        assert_same_answer(data, max_bytes=2_000_000, max_depth=256, max_nodes=max_nodes)


def test_the_shortcuts_are_taken_for_an_ordinary_credential(monkeypatch):
    """A credential with a few non-ASCII escapes, well within the limits: neither the scan nor
    the string search runs, and the bounds still hold."""
    import schemas.json_text as json_text

    document = {"name": "Søren Ærø", "items": [{"n": n, "s": "[x]"} for n in range(50)]}
    text = json.dumps(document)
    assert "\\u00f8" in text

    def never(*args, **kwargs):
        raise AssertionError("not expected to run")

    monkeypatch.setattr(json_text, "_scan", never)
    monkeypatch.setattr(json_text, "_strings", never)
    value, bounds = read_json(text.encode(), max_bytes=10_000, max_depth=256, max_nodes=20_000)
    assert value == document
    assert bounds.values >= 1 + 2 + 50 * 3 and bounds.chars == len(text)


def _typed(value):
    """``value`` with each number's type and exact value (a float by its ``repr``: -0.0 and
    0.0 differ), for comparing two parsers' values."""
    if isinstance(value, dict):
        return ("object", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [_typed(item) for item in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def _standard_library_only(monkeypatch) -> None:
    """Make orjson refuse everything: the reader then parses as it did before orjson read it."""
    import orjson

    from schemas import json_text

    def refused(_data):
        raise orjson.JSONDecodeError("refused for the test", "", 0)

    monkeypatch.setattr(json_text.orjson, "loads", refused)


_NUMBER_TEXTS = st.sampled_from(
    ["-0", "-0.0", "0e0", "1e400", "-1e400", "1e-400", "123456789012345678901234567890",
     "-9223372036854775809", "18446744073709551616", "9223372036854775807", "1.5e308",
     "2.2250738585072014e-308", "4.9e-324", "0.1", "1E2", "1e+2", "100000000000000000000.0"]
) | st.floats(allow_nan=False, allow_infinity=False).map(repr) | st.integers().map(str)
_TEXTS = st.recursive(
    _NUMBER_TEXTS
    | st.sampled_from(['"\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', "true", "null", '"é"'])
    | st.text(max_size=5).map(json.dumps),
    lambda inner: st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    | st.lists(st.tuples(st.sampled_from(["a", "b", "é", "\\ud800"]), inner), max_size=4).map(
        lambda members: "{" + ",".join(f'"{key}": {item}' for key, item in members) + "}"
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(_TEXTS, st.booleans(), st.booleans())
def test_orjson_reads_what_the_standard_library_reads(text, as_bytes, bom):
    """Every value, refusal and code is what the standard library's reading gives: numbers of
    every kind (beyond 64 bits, beyond a float, -0), duplicate member names, escapes, BOMs."""
    data = (("\ufeff" if bom else "") + text).encode() if as_bytes else text

    def outcome():
        try:
            return ("value", _typed(load_json(data, max_bytes=1_000_000, max_nodes=10_000)))
        except JsonInputError as error:
            return ("refused", error.code, error.message)

    ours = outcome()
    with pytest.MonkeyPatch.context() as monkeypatch:
        _standard_library_only(monkeypatch)
        assert outcome() == ours
