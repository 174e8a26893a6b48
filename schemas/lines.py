"""The canonical N-Quads of a filled ground template: its distinct lines, sorted, in UTF-8.

A template without blank nodes (:class:`schemas.template.Template`, ``direct``) is its N-Quads
cut at the slots; filled with a document's rendered values, RDFC-1.0's answer is its distinct
lines in code point order, which is UTF-8 byte order. These functions do that work on the
rendered values (each a ``str`` with nothing left to escape, so no newline) and nothing else:

- :func:`utf8_size`: the bytes the filled N-Quads take (the size bound is checked on it);
- :func:`sorted_distinct_lines`: the canonical N-Quads themselves, or None past a bound;
- :func:`nothing_to_escape`: whether literal texts can be written as they are.

Written here in Python, they have a compiled twin written against CPython's C API
(``schemas/lines.pyx``: each line built once, from each value's own UTF-8, sorted, the
duplicates dropped as they are copied), used when built from its current source
(:mod:`schemas.compiled`); ``tests/schemas/test_lines.py`` holds the two to the same answers.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from schemas.compiled import adopt_twin

# The bytes that need an escape in an N-Quads literal (controls, quote, backslash); no byte of
# a multi-byte UTF-8 sequence is one of them (the rule itself: schemas.template.escape).
ESCAPED_BYTES = bytes([*range(0x20), 0x7F, ord('"'), ord("\\")])


@dataclass(frozen=True, slots=True)
class LinePlan:
    """A ground template in the two forms these functions read: ``pieces`` (constant UTF-8
    text, a slot between each two) with ``refs`` (the value index of each slot), and the same
    cut into lines: ``consts`` (distinct constant fragments) and ``ops`` (per line: its number
    of parts, then each part: a fragment's index, or ``-1 - value index``)."""

    pieces: tuple[bytes, ...]
    refs: tuple[int, ...]
    consts: tuple[bytes, ...]
    ops: array[int]
    constant_size: int


def line_plan(pieces: Sequence[bytes], refs: Sequence[int]) -> LinePlan:
    """The :class:`LinePlan` of N-Quads cut into ``pieces`` (constant text at even indices; the
    odd ones stand for slots and are not read) whose slots take values ``refs``. Every line of
    the N-Quads ends in a newline, and no value holds one."""
    constant = list(pieces[0::2])
    if len(constant) != len(refs) + 1 or (constant[-1] and not constant[-1].endswith(b"\n")):
        raise ValueError("pieces and refs do not make N-Quads lines")
    index: dict[bytes, int] = {}
    ops = array("i")
    line: list[int] = []
    for number, piece in enumerate(constant):
        for cut, part in enumerate(piece.split(b"\n")):
            if cut:
                ops.append(len(line))
                ops.extend(line)
                line = []
            if part:
                line.append(index.setdefault(part, len(index)))
        if number < len(refs):
            line.append(-1 - refs[number])
    if line:
        raise ValueError("the last line does not end in a newline")
    return LinePlan(
        pieces=tuple(pieces),
        refs=tuple(refs),
        consts=tuple(index),
        ops=ops,
        constant_size=sum(map(len, constant)),
    )


def utf8_size(values: Sequence[str], plan: LinePlan) -> int:
    """Bytes of the N-Quads ``plan`` makes of ``values`` (every line, duplicates included).
    ``UnicodeEncodeError`` for a lone surrogate, ``AttributeError`` or ``TypeError`` for a
    value that is not text (the plain path reports both)."""
    return plan.constant_size + sum(len(values[ref].encode("utf-8")) for ref in plan.refs)


def sorted_distinct_lines(values: Sequence[str], plan: LinePlan, limit: int) -> bytes | None:
    """The distinct lines of the N-Quads ``plan`` makes of ``values``, sorted, in UTF-8 (each
    ending in a newline); None when those N-Quads (duplicates included) pass ``limit`` bytes.
    Raises as :func:`utf8_size`."""
    if utf8_size(values, plan) > limit:
        return None
    pieces = list(plan.pieces)
    pieces[1::2] = [values[ref].encode("utf-8") for ref in plan.refs]
    lines = b"".join(pieces).split(b"\n")
    lines.pop()
    return b"\n".join(sorted(set(lines))) + b"\n" if lines else b""


def nothing_to_escape(texts: Sequence[str]) -> bool:
    """True when no text has a character an N-Quads literal escapes (a control character, a
    quote, a backslash). ``UnicodeEncodeError`` for a lone surrogate."""
    data = "".join(texts).encode("utf-8")
    return len(data.translate(None, ESCAPED_BYTES)) == len(data)


#: The Python functions above, whichever run (the tests hold the compiled twin to them).
python_functions = (utf8_size, sorted_distinct_lines, nothing_to_escape)

adopt_twin(globals(), ("utf8_size", "sorted_distinct_lines", "nothing_to_escape"))
