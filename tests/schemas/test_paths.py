"""schemas.paths: one way to name a place in a document."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import paths
from schemas.paths import format_path

(FORMAT_PATH_PYTHON,) = paths.python_functions


class _Key(str):
    """A ``str`` subclass (a key all the same)."""


def test_keys_and_indices_joined_by_slashes() -> None:
    assert format_path(["credentialSubject", "hasClaim", 0, "fooBar"]) == (
        "credentialSubject/hasClaim/0/fooBar"
    )


def test_top_level_is_empty() -> None:
    assert format_path([]) == ""


def test_slash_and_tilde_in_keys_are_escaped_as_in_json_pointer() -> None:
    assert format_path(["http://schema.org/name", "a~b", 2]) == "http:~1~1schema.org~1name/a~0b/2"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.integers()
        | st.booleans()
        | st.text(alphabet="a/~1", max_size=4)
        | st.builds(_Key, st.text(alphabet="a/~", max_size=3))
        | st.none(),
        max_size=6,
    )
)
def test_the_twin_names_places_as_the_python_does(parts: list[object]) -> None:
    def outcome(function: object) -> object:
        try:
            return function(parts)  # type: ignore[operator]
        except TypeError:
            return TypeError

    assert outcome(format_path) == outcome(FORMAT_PATH_PYTHON)
