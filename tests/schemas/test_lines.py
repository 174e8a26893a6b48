"""schemas.lines: a ground template's canonical lines, and its compiled twin held to the Python.

The Python functions are the reference: each is checked here against the rule written out the
slow way (join, split, distinct, sort), and the twin (``schemas/lines.pyx``) against them on
generated templates and values, non-ASCII, duplicates, bounds and bad values included.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import compiled, lines
from schemas.lines import line_plan

PYTHON_SIZE, PYTHON_LINES, PYTHON_ESCAPE = lines.python_functions

needs_twin = pytest.mark.skipif(
    "schemas.lines" not in compiled.in_use,
    reason=f"!! the compiled twin of schemas.lines is not in use: "
    f"{compiled.not_used.get('schemas.lines', '?')}; the Python runs instead",
)

# Constant text of N-Quads lines (no slot character; newlines end lines) and values (rendered
# terms: any text but a newline, lone surrogates apart, which are tested on their own).
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=6
)
_CONSTANT = st.lists(st.sampled_from(["<a> ", "<b> ", '"', " .", "\n", "é", "😀", "x"]), max_size=5)


@st.composite
def _templates(draw: st.DrawFn) -> tuple[list[bytes], list[int], list[str]]:
    """(pieces, refs, values): N-Quads pieces in UTF-8 whose last piece ends a line."""
    values = draw(st.lists(_TEXT | st.sampled_from(["same", "same", "a" * 300]), max_size=8))
    slots = draw(st.integers(0, 10)) if values else 0
    refs = [draw(st.integers(0, len(values) - 1)) for _ in range(slots)]
    constants = ["".join(draw(_CONSTANT)) for _ in range(slots + 1)]
    if not constants[-1].endswith("\n"):
        constants[-1] += " .\n"
    pieces: list[bytes] = []
    for number, text in enumerate(constants):
        pieces.append(text.encode("utf-8"))
        if number < slots:
            pieces.append(b"")
    return pieces, refs, values


def _slow(pieces: list[bytes], refs: list[int], values: list[str]) -> bytes:
    parts = list(pieces)
    parts[1::2] = [values[ref].encode("utf-8") for ref in refs]
    nquads = b"".join(parts)
    distinct = sorted(set(nquads.split(b"\n")[:-1]))
    return b"".join(line + b"\n" for line in distinct)


def _outcome(function: Any, *arguments: Any) -> tuple[str, Any]:
    try:
        return "ok", function(*arguments)
    except (UnicodeEncodeError, TypeError, AttributeError) as error:
        return "raises", type(error) is UnicodeEncodeError


@settings(max_examples=300, deadline=None)
@given(_templates())
def test_the_python_lines_are_the_rule(template: tuple[list[bytes], list[int], list[str]]) -> None:
    pieces, refs, values = template
    plan = line_plan(pieces, refs)
    expected = _slow(pieces, refs, values)
    size = len(b"".join([*pieces[0::2], *(values[r].encode("utf-8") for r in refs)]))
    assert PYTHON_SIZE(values, plan) == size
    assert PYTHON_LINES(values, plan, size) == expected
    assert PYTHON_LINES(values, plan, size - 1) is None


@needs_twin
@settings(max_examples=500, deadline=None)
@given(_templates())
def test_the_twin_answers_as_the_python(template: tuple[list[bytes], list[int], list[str]]) -> None:
    pieces, refs, values = template
    plan = line_plan(pieces, refs)
    size = PYTHON_SIZE(values, plan)
    assert lines.utf8_size(values, plan) == size
    for limit in (size, size - 1, 0, 10**9):
        assert lines.sorted_distinct_lines(values, plan, limit) == PYTHON_LINES(
            values, plan, limit
        )
    texts = [values[ref] for ref in refs]
    assert lines.nothing_to_escape(texts) == PYTHON_ESCAPE(texts)


@needs_twin
@pytest.mark.parametrize(
    "value",
    ["\ud800", "ok\udfff", 7, None, b"bytes"],
    ids=["lone surrogate", "trailing surrogate", "int", "None", "bytes"],
)
def test_the_twin_refuses_what_the_python_refuses(value: Any) -> None:
    pieces = [b"<s> <p> \"", b"", b'" .\n']
    plan = line_plan(pieces, [0])
    for twin, python in zip(
        (lines.utf8_size, lambda v, p: lines.sorted_distinct_lines(v, p, 10**6)),
        (PYTHON_SIZE, lambda v, p: PYTHON_LINES(v, p, 10**6)),
        strict=True,
    ):
        assert _outcome(twin, [value], plan) == _outcome(python, [value], plan)
    assert _outcome(lines.nothing_to_escape, [value]) == _outcome(PYTHON_ESCAPE, [value])


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("plain text", True),
        ("data:image/png;base64," + "A" * 5000, True),
        ("Åbo Akademi, København, 東京", True),
        ("emoji 😀", True),
        ("a\tb", False),
        ('say "hi"', False),
        ("back\\slash", False),
        ("del\x7f", False),
        ("é\x01", False),
        ("😀\n", False),
    ],
)
def test_nothing_to_escape(text: str, clean: bool) -> None:
    for check in {lines.nothing_to_escape, PYTHON_ESCAPE}:
        assert check(["fine", text]) is clean


@needs_twin
@pytest.mark.parametrize("filler", ["A", "é", "東"], ids=["ascii", "latin-1", "utf-8"])
def test_every_character_at_every_place_of_a_long_text(filler: str) -> None:
    """The twin scans sixteen bytes, then eight, then one at a time: each of the first 256
    code points, at each place of a text long enough for all three, is judged as the Python
    judges it."""
    for code in range(256):
        for place in range(0, 41):
            text = filler * place + chr(code) + filler * (40 - place)
            assert lines.nothing_to_escape([text]) is PYTHON_ESCAPE([text]), (code, place)


def test_a_lone_surrogate_is_refused_by_both() -> None:
    for check in {lines.nothing_to_escape, PYTHON_ESCAPE}:
        with pytest.raises(UnicodeEncodeError):
            check(["\udc80"])


def test_line_plan_cuts_lines_at_newlines() -> None:
    plan = line_plan([b"<s> <p> \"", b"", b'" .\n<s> <q> <', b"", b"> .\n"], [1, 0])
    assert plan.consts == (b'<s> <p> "', b'" .', b"<s> <q> <", b"> .")
    assert list(plan.ops) == [3, 0, -2, 1, 3, 2, -1, 3]
    assert plan.constant_size == len(b'<s> <p> "" .\n<s> <q> <> .\n')


@pytest.mark.parametrize(
    ("pieces", "refs"),
    [([b"<s> <p> <o> ."], []), ([b"a\n", b"", b"b"], [0]), ([b"a\n"], [0])],
    ids=["no final newline", "unterminated last line", "refs without slots"],
)
def test_line_plan_refuses_what_is_not_nquads_lines(pieces: list[bytes], refs: list[int]) -> None:
    with pytest.raises(ValueError, match=r"N-Quads|newline"):
        line_plan(pieces, refs)
