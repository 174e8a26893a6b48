"""schemas.render: the compiled twin of ``undecided_iris`` answers as the Python does (rendering
itself is held to the plain path by tests/schemas/test_fastpath.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import compiled, render

(UNDECIDED_PYTHON,) = render.python_functions

needs_twin = pytest.mark.skipif(
    "schemas.render" not in compiled.in_use,
    reason=f"!! the compiled twin of schemas.render is not in use: "
    f"{compiled.not_used.get('schemas.render', '?')}; the Python ran instead",
)

_VALUES = st.sampled_from(["did:a", "did:b", "urn:x", "", "é", "東"]) | st.integers(-3, 3)


def _outcome(function: Any, *arguments: Any) -> Any:
    try:
        return ("ok", function(*arguments))
    except Exception as error:
        return ("error", type(error))


@needs_twin
@settings(max_examples=400, deadline=None)
@given(
    st.lists(_VALUES, min_size=1, max_size=8).flatmap(
        lambda values: st.tuples(
            st.just(values),
            st.lists(st.integers(-len(values), len(values) - 1), unique=True, max_size=8),
            st.dictionaries(
                st.integers(-len(values), len(values)), st.sets(_VALUES, max_size=3), max_size=4
            ),
        )
    )
)
def test_the_twin_finds_the_undecided_leaves_as_the_python_does(
    case: tuple[list[Any], list[int], dict[int, set[Any]]],
) -> None:
    values, iris, same = case
    assert _outcome(render.undecided_iris, values, iris, same) == _outcome(
        UNDECIDED_PYTHON, values, iris, same
    )


@needs_twin
@pytest.mark.parametrize(
    ("values", "iris"),
    [([["a list"]], [0]), ([{"a": 1}], [0]), (["x"], [1]), (["x"], ["0"])],
    ids=["unhashable list", "unhashable dict", "index past the end", "index not a number"],
)
def test_the_twin_refuses_what_the_python_refuses(values: list[Any], iris: list[Any]) -> None:
    same: dict[Any, set[Any]] = {0: {"x"}}
    assert _outcome(render.undecided_iris, values, iris, same) == _outcome(
        UNDECIDED_PYTHON, values, iris, same
    )
    assert _outcome(UNDECIDED_PYTHON, values, iris, same)[0] == "error"


def test_a_value_remembered_at_another_leaf_is_still_undecided() -> None:
    values = ["did:a", "did:a", "did:b"]
    same = {0: {"did:a"}, 2: {"did:c"}}
    for undecided in {render.undecided_iris, UNDECIDED_PYTHON}:
        assert undecided(values, [0, 1, 2], same) == [1, 2]
