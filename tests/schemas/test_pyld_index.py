"""schemas.pyld_index: pyld's duplicate check answers as before, in linear time."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld.jsonld import JsonLdProcessor

from demo.reference import reference_credential, reference_keypair
from schemas import pyld_index
from schemas.jsonld import canonicalize_plain
from schemas.pyld_index import INDEX_FROM, indexed_values

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([1.0, 0.0, -1.5, float("nan")])
    | st.sampled_from(["a", "b", "1", "true", ""])
)
VALUES = (
    SCALARS
    | st.builds(
        lambda v, t, lang, index: {
            "@value": v,
            **({"@type": t} if t else {}),
            **({"@language": lang} if lang else {}),
            **({"@index": index} if index else {}),
        },
        SCALARS | st.lists(SCALARS, max_size=2) | st.dictionaries(st.just("k"), SCALARS),
        st.sampled_from([None, "http://x/t"]),
        st.sampled_from([None, "en", "da"]),
        st.sampled_from([None, "i"]),
    )
    | st.builds(lambda i: {"@id": i}, st.sampled_from(["urn:a", "urn:b", "_:b0"]))
    | st.builds(lambda i, v: {"@id": i, "@value": v}, st.just("urn:a"), SCALARS)
    | st.just({"@list": [1]})
    | st.lists(SCALARS, max_size=2)
    | st.builds(dict)
)


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(items=st.lists(VALUES, min_size=INDEX_FROM, max_size=INDEX_FROM + 12), probe=VALUES)
def test_same_answer_as_pyld(items: list[Any], probe: Any) -> None:
    subject = {"p": list(items)}
    expected = pyld_index._original_has_value(subject, "p", probe)
    with indexed_values():
        assert JsonLdProcessor.has_value(subject, "p", probe) == expected
        # After the array grew (the index catches up), for a copy of the probe, the probe
        # itself (identity) and every item.
        subject["p"].append(copy.deepcopy(probe))
        subject["p"].append(probe)
        for value in [probe, copy.deepcopy(probe), *items]:
            assert JsonLdProcessor.has_value(subject, "p", value) == (
                pyld_index._original_has_value(subject, "p", value)
            )


def test_outside_the_context_pyld_scans() -> None:
    subject = {"p": [{"@value": str(n)} for n in range(40)]}
    assert JsonLdProcessor.has_value(subject, "p", {"@value": "7"}) is True
    assert JsonLdProcessor.has_value(subject, "p", {"@value": "x"}) is False


def test_one_property_with_thousands_of_values_costs_linear_comparisons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pyld compared each of n values with all before it (n²/2): 2,000 titles were 2 million
    comparisons and 10,000 took 51 s; indexed, the comparisons are a handful."""
    calls = 0
    original = JsonLdProcessor.compare_values

    def counting(v1: Any, v2: Any) -> bool:
        nonlocal calls
        calls += 1
        return bool(original(v1, v2))

    monkeypatch.setattr(JsonLdProcessor, "compare_values", staticmethod(counting))
    monkeypatch.setattr(pyld_index, "_compare", counting)
    document = reference_credential(reference_keypair(), outcomes=1)
    document["credentialSubject"]["hasClaim"]["title"] = {"en": [f"t{n}" for n in range(2000)]}
    canonical = canonicalize_plain(document)
    assert canonical.count("\n") > 2000
    assert calls < 20_000
