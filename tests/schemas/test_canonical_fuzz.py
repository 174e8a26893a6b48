"""Hypothesis over the canonicalization entry points with documents built from the pinned
contexts' own terms and arbitrary values — lone surrogates, NUL and other control characters,
huge and tiny numbers included.

For every document, the fast path (``canonicalize``, compiling then filling a template) and the
plain path (``canonicalize_plain``) give the same bytes or refuse alike with a
``SchemaError`` (never ``AttributeError``, ``UnicodeEncodeError`` or ``MemoryError``); so does
``canonicalize_nquads`` on arbitrary N-Quads text: a canonical form, ``ValueError`` for
malformed N-Quads, or a ``SchemaError``. Short, derandomized runs here; ``make fuzz`` runs the
``fuzz``-marked long ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import fastpath
from schemas.errors import SchemaError
from schemas.jsonld import canonicalize, canonicalize_plain
from schemas.loader import load_pinned_context
from schemas.rdfc import canonicalize_nquads

EU_CONTEXT = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
]
V2_CONTEXT = ["https://www.w3.org/ns/credentials/v2"]
SHORT = settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LONG = settings(SHORT, max_examples=2000, derandomize=False)


def _terms(url: str) -> list[str]:
    """The terms a pinned context defines (top level and in its scoped contexts)."""
    found: set[str] = set()
    stack = [load_pinned_context(url).get("@context", {})]
    while stack:
        context = stack.pop()
        for item in context if isinstance(context, list) else [context]:
            if not isinstance(item, dict):
                continue
            for term, definition in item.items():
                if not term.startswith("@"):
                    found.add(term)
                if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
                    stack.append(definition["@context"])
    return sorted(found)


EU_TERMS = sorted(set(_terms(EU_CONTEXT[1])) | set(_terms(EU_CONTEXT[0])))
V2_TERMS = _terms(V2_CONTEXT[0])
# Any text: lone surrogates (category Cs), NUL and other controls are allowed here on purpose.
TEXT = st.text(max_size=10) | st.sampled_from(["\ud800", "a\udfffb", "\x00", "\x7f\u2028", ""])
NUMBERS = (
    st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
)
IRIS = st.sampled_from(
    ["urn:x:1", "https://example.org/a#b", "did:key:z6Mk", "relative", "_:b0", "urn:\ud800"]
) | st.builds(lambda t: "urn:t:" + t, TEXT)


def _values(terms: list[str]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(terms)
    leaves = TEXT | NUMBERS | IRIS | st.none()
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(keys | st.sampled_from(["id", "type"]), inner, max_size=4)
            | st.builds(lambda v, lang: {"@value": v, "@language": lang}, TEXT, TEXT)
        ),
        max_leaves=12,
    )


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A document over the EDC profile's contexts or VC 2.0, with arbitrary values."""
    eu = draw(st.booleans())
    terms = EU_TERMS if eu else V2_TERMS
    body = draw(st.dictionaries(st.sampled_from(terms), _values(terms), max_size=4))
    return {
        "@context": EU_CONTEXT if eu else V2_CONTEXT,
        "type": ["VerifiableCredential", *(["EuropeanDigitalCredential"] if eu else [])],
        "id": draw(IRIS),
        **body,
    }


def outcome(function: Any, document: Any) -> Any:
    try:
        return ("ok", function(document))
    except SchemaError as error:
        return ("refused", type(error).__name__, error.code)


def assert_agree(document: dict[str, Any]) -> None:
    plain = outcome(canonicalize_plain, document)
    assert outcome(canonicalize, document) == plain
    assert outcome(canonicalize, document) == plain  # from the template this time


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    fastpath.clear_cache()


def test_terms_were_found() -> None:
    assert {"hasClaim", "learningOutcome", "title"} <= set(EU_TERMS)
    assert {"credentialSubject", "validFrom"} <= set(V2_TERMS)


@pytest.mark.parametrize(
    "value", ["\ud800", "x\udc00", {"@value": "\udbff", "@language": "en"}, ["ok", "\ud83d"]]
)
def test_lone_surrogates_are_refused_alike(value: Any) -> None:
    document = {"@context": V2_CONTEXT, "type": "VerifiableCredential", "name": value}
    assert outcome(canonicalize_plain, document) == ("refused", "InvalidJsonLd", "invalid_jsonld")
    assert_agree(document)


@pytest.mark.parametrize("identifier", ["relative", "urn:x:1"])
@pytest.mark.parametrize("context", [EU_CONTEXT, V2_CONTEXT])
def test_the_id_of_a_node_without_quads_is_checked_alike(
    identifier: str, context: list[str]
) -> None:
    # Found by ``make fuzz``: a node with an @id and nothing else writes no quad, yet strict
    # expansion refuses a relative @id; the template must not accept it.
    document = {"@context": context, "type": [], "id": identifier}
    expected = "ok" if identifier.startswith("urn:") else "refused"
    assert outcome(canonicalize_plain, document)[0] == expected
    assert_agree(document)


@SHORT
@given(documents())
def test_generated_documents_agree_or_refuse_alike(document: dict[str, Any]) -> None:
    assert_agree(document)


NQUADS_LINES = st.lists(
    st.builds(
        lambda s, p, o: f"{s} {p} {o} .\n",
        st.sampled_from(["<http://a/s>", "_:b0", "_:b1"]),
        st.sampled_from(["<http://a/p>", "<http://a/q>"]),
        st.sampled_from(["<http://a/o>", "_:b1", "_:b2"])
        | st.builds(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"', TEXT),
    ),
    max_size=8,
)


def nquads_outcome(text: str) -> Any:
    try:
        return ("ok", canonicalize_nquads(text))
    except ValueError:
        return ("malformed",)
    except SchemaError as error:
        return ("refused", error.code)


@SHORT
@given(NQUADS_LINES.map("".join) | st.text(max_size=60))
def test_nquads_text_gives_a_form_or_a_refusal(text: str) -> None:
    nquads_outcome(text)


@pytest.mark.fuzz
@LONG
@given(documents())
def test_fuzz_canonicalization(document: dict[str, Any]) -> None:
    assert_agree(document)


@pytest.mark.fuzz
@LONG
@given(NQUADS_LINES.map("".join) | st.text(max_size=200))
def test_fuzz_nquads(text: str) -> None:
    nquads_outcome(text)
