"""Compiled twins (schemas.compiled): used only when current, and held to their Python source.

Every module with a twin is checked here against its own Python functions on generated
documents, hostile ones included; the rest of the suite (the fast path's differential tests
against pyld among them) runs on whichever is in use.
"""

from __future__ import annotations

import math
import os
import shutil
import tomllib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import compiled, shape, value_walk
from schemas.shape import MAX_DEPTH, Unsupported

REPO = Path(__file__).resolve().parents[2]
(READ_SHAPE_PYTHON,) = shape.python_functions


def _outcome(read: Any, document: Any) -> tuple[str, Any]:
    """What ``read`` makes of ``document``: its shape, or the refusal and its reason."""
    try:
        result = read(document)
    except Unsupported as refusal:
        return "unsupported", str(refusal)
    return "shape", (result.tokens, result.leaves, result.proof, result.key)


needs_twin = pytest.mark.skipif(
    "schemas.shape" not in compiled.in_use,
    reason=f"!! the compiled twin of schemas.shape is not in use: "
    f"{compiled.not_used.get('schemas.shape', '?')}; the Python walk ran instead",
)

_KEYS = st.sampled_from(
    ["id", "type", "@type", "@language", "@context", "proof", "name", "@vocab", "value"]
) | st.text(max_size=4)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**22), max_value=10**22)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(_KEYS, inner, max_size=4)
    | st.tuples(inner)
    | st.dictionaries(st.integers(0, 3), inner, max_size=2),
    max_leaves=20,
)
_DOCUMENTS = st.builds(
    lambda context, members: {**({"@context": context} if context is not None else {}), **members},
    st.none()
    | st.just("https://www.w3.org/ns/credentials/v2")
    | st.lists(st.sampled_from(["https://a.example", "https://b.example"]), max_size=2)
    | st.lists(st.integers(), max_size=1),
    st.dictionaries(_KEYS, _VALUES, max_size=5),
)


@needs_twin
@settings(max_examples=400, deadline=None)
@given(_DOCUMENTS)
def test_the_twin_reads_every_document_as_the_python_does(document: dict[str, Any]) -> None:
    assert _outcome(shape.read_shape, document) == _outcome(READ_SHAPE_PYTHON, document)


@needs_twin
@pytest.mark.parametrize(
    "document",
    [
        {"@context": "c", "a": [[[[{"b": 1}]]]]},
        {"@context": "c", "n": 10**21},
        {"@context": "c", "n": -(10**21) + 1},
        {"@context": "c", "n": [2**63 - 1, 2**63, -(2**63) - 1, 10**21 - 1, -(10**21)]},
        {"@context": "c", "type": [["A", ["B"]], "C"], "v": [["x", ["y"]]]},
        {"@context": "c", "f": 1e21},
        {"@context": "c", "f": 2.0, "g": 2.5, "h": -0.0},
        {"@context": "c", "f": math.nan},
        {"@context": "c", "s": {1, 2}},
        {"@context": "c", "o": OrderedDict(a=1)},
        {"@context": "c", "inner": {"@context": "x"}},
        {"@context": ["c", "d"], "type": ["A", "B"], "proof": {"type": "P", "v": "x"}, "z": None},
        OrderedDict([("@context", "c"), ("a", "b")]),
    ],
    ids=repr,
)
def test_the_twin_reads_edge_cases_as_the_python_does(document: dict[str, Any]) -> None:
    assert _outcome(shape.read_shape, document) == _outcome(READ_SHAPE_PYTHON, document)


@needs_twin
@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
@pytest.mark.parametrize("container", ["object", "list", "mixed"])
def test_the_twin_refuses_depth_where_the_python_does(depth: int, container: str) -> None:
    value: Any = "leaf"
    for level in range(depth):
        use_list = container == "list" or (container == "mixed" and level % 2)
        value = [value] if use_list else {"k": value}
    document = {"@context": "c", "v": value}
    assert _outcome(shape.read_shape, document) == _outcome(READ_SHAPE_PYTHON, document)


@needs_twin
def test_the_twin_makes_the_same_classes_callers_catch() -> None:
    with pytest.raises(Unsupported):
        shape.read_shape({"@context": "c", "x": object()})
    assert type(shape.read_shape({"@context": "c"})) is shape.Shape


def test_twins_are_built_where_there_is_a_compiler() -> None:
    """``make install`` builds every twin pyproject.toml lists when a C compiler is present; an
    extension that failed to build, or a build that compiled nothing, shows up here (not as a
    slow path)."""
    if os.environ.get(compiled.PURE_PYTHON_VARIABLE, "") not in ("", "0"):
        pytest.skip(f"{compiled.PURE_PYTHON_VARIABLE} is set: twins refused on purpose")
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("!! no C compiler on this machine: the compiled twins are not built")
    listed = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "microcred"
    ]["compiled-twins"]
    assert len(listed) >= 3
    assert compiled.not_in_use(listed) == []


def test_twin_names() -> None:
    assert compiled.twin_name("schemas.shape") == "schemas._shape_compiled"
    assert compiled.is_twin("schemas._shape_compiled")
    assert not compiled.is_twin("schemas.shape")
    assert compiled.twin("schemas._shape_compiled", shape.__file__) is None


def test_a_twin_of_another_source_is_not_used(tmp_path: Path) -> None:
    source = Path(shape.__file__).with_suffix(".pyx")  # the twin's source (C API)
    edited = tmp_path / "shape.pyx"
    edited.write_bytes(source.read_bytes() + b"\n# edited\n")
    assert compiled.twin("schemas.shape", str(edited)) is None
    reason = compiled.not_used.pop("schemas.shape")
    if "not built" in reason:
        pytest.skip("!! the compiled twin of schemas.shape is not built")
    assert "another version" in reason
    assert compiled.twin("schemas.shape", str(source)) is not None
    assert compiled.twin("schemas.shape", shape.__file__) is None  # not from the .py
    assert "another version" in compiled.not_used.pop("schemas.shape")


def test_an_unbuilt_twin_is_not_used() -> None:
    assert compiled.twin("schemas.json_text", str(REPO / "schemas" / "json_text.py")) is None
    assert "not built" in compiled.not_used.pop("schemas.json_text")


def test_not_in_use_names_the_modules_that_run_as_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compiled, "in_use", {"schemas.shape"})
    assert compiled.not_in_use(["schemas/shape.py"]) == []
    monkeypatch.setattr(compiled, "in_use", set())
    monkeypatch.setitem(compiled.not_used, "schemas.shape", "not built (why)")
    assert compiled.not_in_use(["schemas/shape.py"]) == [
        "schemas.shape: its compiled twin is NOT in use (not built (why))"
    ]


def test_pure_python_refuses_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compiled.PURE_PYTHON_VARIABLE, "1")
    assert compiled.twin("schemas.shape", shape.__file__) is None
    assert "MICROCRED_PURE_PYTHON" in compiled.not_used.pop("schemas.shape")


class _Text(str):
    """A str subclass (read as text by the generous walks)."""


class _Real(float):
    """A float subclass (a float to the generous walks)."""


_NAMES = st.text(max_size=8)
needs_walk_twin = pytest.mark.skipif(
    "schemas.value_walk" not in compiled.in_use,
    reason=f"!! the compiled twin of schemas.value_walk is not in use: "
    f"{compiled.not_used.get('schemas.value_walk', '?')}; the Python walk ran instead",
)
_GENEROUS = st.recursive(
    _SCALARS | st.builds(_Text, st.text(max_size=8)) | st.builds(_Real, st.floats()),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(_NAMES | st.builds(_Text, _NAMES) | st.integers(), inner, max_size=4)
    | st.builds(tuple, st.lists(inner, max_size=3))
    | st.builds(OrderedDict, st.dictionaries(_NAMES | st.integers(), inner, max_size=3)),
    max_leaves=25,
)


@needs_walk_twin
@settings(max_examples=400, deadline=None)
@given(
    _GENEROUS,
    st.integers(-2, 30) | st.just(2**70),
    st.integers(-2, 9) | st.just(2**70),
    st.none() | st.integers(-2, 30) | st.just(2**70),
)
def test_the_walk_twin_counts_and_measures_as_the_python(
    value: Any, max_values: int, max_string: int, stop_after: int | None
) -> None:
    python_count, python_first_past, python_holds_float = value_walk.python_functions
    assert value_walk.holds_float(value) is python_holds_float(value)
    assert value_walk.first_past(value, max_values, max_string) == python_first_past(
        value, max_values, max_string
    )
    assert value_walk.count_values(value, stop_after) == python_count(value, stop_after)
    assert value_walk.count_values(value) == python_count(value)
