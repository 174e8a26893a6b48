"""The stored text of a credential (``issuer.credentials.issuance.serialize``): compact JSON
with UTF-8 characters kept, the same text ``json.dumps`` writes but for the spelling of some
floats, and what orjson refuses still written."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.credentials.issuance import serialize


def reference(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


texts = st.text(st.characters(codec="utf-8"), max_size=30)  # any character but surrogates
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | texts
finite = st.floats(allow_nan=False, allow_infinity=False)


def values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
        max_leaves=20,
    )


@settings(max_examples=300, deadline=None)
@given(values(scalars))
def test_same_text_as_json_dumps_without_floats(document: Any) -> None:
    assert serialize(document) == reference(document)


@settings(max_examples=300, deadline=None)
@given(values(scalars | finite))
def test_floats_read_back_as_the_same_values(document: Any) -> None:
    assert json.loads(serialize(document)) == json.loads(reference(document))


def test_what_orjson_refuses_is_written_as_json_dumps_writes_it() -> None:
    for document in (
        {"big": 2**70},  # beyond 64 bits
        {"lone": "\ud800"},  # a lone surrogate (checks elsewhere refuse it first)
        {1: "a non-string key"},
    ):
        assert serialize(document) == reference(document)


def test_text_is_compact_and_keeps_characters() -> None:
    assert serialize({"name": "Grøn dataanalyse", "n": [1, 2.5, None, True]}) == (
        '{"name":"Grøn dataanalyse","n":[1,2.5,null,true]}'
    )
