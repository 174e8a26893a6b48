"""schemas.paths: one way to name a place in a document."""

from __future__ import annotations

from schemas.paths import format_path


def test_keys_and_indices_joined_by_slashes() -> None:
    assert format_path(["credentialSubject", "hasClaim", 0, "fooBar"]) == (
        "credentialSubject/hasClaim/0/fooBar"
    )


def test_top_level_is_empty() -> None:
    assert format_path([]) == ""


def test_slash_and_tilde_in_keys_are_escaped_as_in_json_pointer() -> None:
    assert format_path(["http://schema.org/name", "a~b", 2]) == "http:~1~1schema.org~1name/a~0b/2"
