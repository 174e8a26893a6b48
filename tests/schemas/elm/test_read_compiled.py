"""schemas.elm.read's readers, compiled into a twin (``read.COMPILED``): each answers as its own
Python does, and as the readers did before they were made faster
(:mod:`tests.schemas.elm.read_reference`), on any JSON value and on mappings, tuples and
``str`` subclasses a caller in Python may hand over."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schemas import compiled
from schemas.elm import read
from schemas.elm.vocab import ECTS
from tests.schemas.elm import read_reference


class _Text(str):
    """A ``str`` subclass (text all the same)."""


_KEYS = st.sampled_from(
    ["id", "en", "da", "@value", "title", "type", "point", "framework", "prefLabel", "legalName",
     "notation", "noteLiteral", "contentURL", "a", "b"]
)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5)
    | st.sampled_from([" ", "2", " 1.5 ", "1e400", "PT60H", "PT1M30S", "P1Y", "PT", ECTS])
    | st.builds(_Text, st.text(max_size=3))
)
#: Any JSON value, and the other containers a Python caller may give.
VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(_KEYS, inner, max_size=3)
    | st.builds(tuple, st.lists(inner, max_size=2))
    | st.builds(OrderedDict, st.dictionaries(_KEYS, inner, max_size=2))
    | st.builds(MappingProxyType, st.dictionaries(_KEYS, inner, max_size=2)),
    max_leaves=12,
)
_STEPS = st.lists(_KEYS, max_size=3).map(tuple)


def _some(**members: Any) -> Any:
    """Objects with any of ``members`` (each a strategy), as one or a list of them, or junk."""
    node = st.fixed_dictionaries({}, optional=members)
    return node | st.lists(node, max_size=2) | _SCALARS


_DATES = st.sampled_from(["", "2024-01-01", "2024-01-01T10:00:00+02:00", "x"]) | _SCALARS
_BODY = _some(id=st.sampled_from(["did:web:a", "did:web:b"]), legalName=VALUES)
_CLAIM = _some(
    title=VALUES,
    awardedBy=_some(awardingBody=_BODY | st.lists(_BODY, max_size=3)),
    specifiedBy=_some(
        title=VALUES,
        creditPoint=_some(point=VALUES, framework=_some(id=st.just(ECTS) | VALUES)),
        eqfLevel=st.sampled_from(["http://data.europa.eu/snb/eqf/6", {"id": "x"}]) | VALUES,
        learningOutcome=_some(title=VALUES),
    ),
    provenBy=_some(title=VALUES, grade=_some(noteLiteral=VALUES), specifiedBy=_some(title=VALUES)),
)
#: Credentials with the members the credential's readers read, each anything.
CREDENTIALS = st.fixed_dictionaries(
    {},
    optional={
        "issuer": VALUES | _some(id=VALUES),
        "credentialSubject": _some(
            fullName=VALUES, givenName=VALUES, familyName=VALUES, hasClaim=_CLAIM
        ),
        "issued": _DATES,
        "validFrom": _DATES,
        "issuanceDate": _DATES,
        "validUntil": _DATES,
        "expirationDate": _DATES,
    },
)
_LANGUAGES = st.sampled_from([("en",), ("da", "en"), ()])


def _outcome(function: Any, *arguments: Any) -> Any:
    try:
        return "=", function(*arguments)
    except Exception as error:  # the same refusal counts as the same answer
        return "!", type(error)


def _same(name: str, *arguments: Any, reference: Any = None) -> None:
    python = read.python_functions[name]
    expected = _outcome(python, *arguments)
    assert _outcome(getattr(read, name), *arguments) == expected, name
    if reference is not None:
        assert _outcome(reference, *arguments) == expected, name


def _texts(answer: Any) -> Any:
    """A reader's answer with each Text as ``(value, lang)`` (the reference has its own class)."""
    if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == "=":
        return "=", _texts(answer[1])
    if isinstance(answer, list):
        return [_texts(item) for item in answer]
    if hasattr(answer, "lang") and hasattr(answer, "value"):
        return ("Text", answer.value, answer.lang)
    return answer


def _same_with_texts(name: str, *arguments: Any) -> None:
    expected = _texts(_outcome(read.python_functions[name], *arguments))
    assert _texts(_outcome(getattr(read, name), *arguments)) == expected, name
    assert _texts(_outcome(getattr(read_reference, name), *arguments)) == expected, name


#: Readers of one value.
ONE_VALUE = (
    "as_list", "types", "node_id", "trimmed", "label", "note", "decimal", "hours", "objects",
    "first", "is_ects", "parse_date", "issuer_id", "subject", "claims", "claim", "issued",
    "valid_until", "awarding_bodies",
)  # fmt: skip
#: Readers of a value and the languages preferred.
WITH_LANGUAGES = ("text", "tagged", "title", "learner")
#: Readers of a claim or a specification (a mapping).
OF_A_NODE = ("specification", "ects", "eqf_level")
OF_A_NODE_WITH_LANGUAGES = ("outcomes", "assessment", "grade")


@settings(max_examples=500, deadline=None)
@given(VALUES, _STEPS, _LANGUAGES)
def test_every_reader_answers_as_its_python_and_as_before(
    value: Any, steps: tuple[str, ...], languages: tuple[str, ...]
) -> None:
    assert set(read.COMPILED) == {
        *ONE_VALUE, *WITH_LANGUAGES, *OF_A_NODE, *OF_A_NODE_WITH_LANGUAGES,
        "is_object", "items", "walk", "walk_values", "_one_or_many", "_tagged", "plain",
    }  # fmt: skip
    _same("walk", (value, ("root",)), steps, reference=read_reference.walk)
    _same("walk_values", value, steps, reference=read_reference.walk_values)
    _same("_one_or_many", value, ("p",))
    expected_items = [*read_reference.items(value, ("p",))]
    assert [*read.items(value, ("p",))] == expected_items
    assert [*read.python_functions["items"](value, ("p",))] == expected_items
    for name in ONE_VALUE:
        _same_with_texts(name, value)
    for name in WITH_LANGUAGES:
        _same_with_texts(name, value, languages)
    _same("_tagged", value, languages)
    node = value if isinstance(value, Mapping) else {"title": value, "creditPoint": value}
    for name in OF_A_NODE:
        _same_with_texts(name, node)
    for name in OF_A_NODE_WITH_LANGUAGES:
        _same_with_texts(name, node, languages)
    assert read.is_object(value) is isinstance(value, (dict, OrderedDict, MappingProxyType))


_TWICE = {"id": "did:web:a", "legalName": {"en": "Second"}}
_AWARDED = {"awardedBy": [{"awardingBody": ["did:web:a", _TWICE, {"legalName": "x"}]}]}


@settings(max_examples=500, deadline=None)
@given(CREDENTIALS, _LANGUAGES)
@example({"credentialSubject": {"hasClaim": [_AWARDED, {"title": {"en": " ", "da": "T"}}]}}, ())
@example({"issued": "", "validFrom": "2024-01-01", "validUntil": 0, "expirationDate": "x"}, ())
def test_the_credentials_readers_answer_as_their_python_and_as_before(
    credential: dict[str, Any], languages: tuple[str, ...]
) -> None:
    for name in ONE_VALUE:
        _same_with_texts(name, credential)
    for name in WITH_LANGUAGES:
        _same_with_texts(name, credential, languages)
    for achievement in read.claims(credential):
        for name in OF_A_NODE_WITH_LANGUAGES:
            _same_with_texts(name, read.specification(achievement), languages)
            _same_with_texts(name, achievement, languages)
        for name in OF_A_NODE:
            _same_with_texts(name, read.specification(achievement))


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from([Decimal("5.0")]))
def test_plain_numbers(number: Decimal) -> None:
    _same("plain", number, reference=read_reference.plain)


def test_text_nested_deeper_than_python_recurses_is_refused_not_a_crash() -> None:
    value: Any = "deep"
    for _ in range(50_000):
        value = [value]
    for reader in (read.text, read.python_functions["text"], read.trimmed, read.note):
        with pytest.raises(RecursionError):
            reader(value)


@pytest.mark.skipif(
    "schemas.elm.read" not in compiled.in_use,
    reason=f"!! the compiled twin of schemas.elm.read is not in use: "
    f"{compiled.not_used.get('schemas.elm.read', '?')}",
)
def test_the_twin_is_in_use_and_keeps_one_text_class() -> None:
    assert read.walk is not read.python_functions["walk"]
    assert read.tagged("x") == read.Text("x")
    assert type(read.tagged({"en": "x"})) is read.Text
