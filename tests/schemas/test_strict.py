"""schemas.strict: pyld's expansion, refusing what pyld would drop, naming the original path."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.errors import InvalidJsonLd, UndefinedTerm
from schemas.loader import document_loader
from schemas.strict import StrictProcessor, is_absolute_iri

EU_CONTEXT = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
]


def expand(document: dict[str, Any]) -> list[Any]:
    options = {
        "documentLoader": document_loader,
        "contextResolver": document_loader.context_resolver(),
        "base": None,
    }
    result: list[Any] = StrictProcessor().expand(document, options)
    return result


@pytest.mark.parametrize(
    "value", ["urn:epass:org:1", "https://example.org/a", "_:b0", "mailto:a@b.eu", "x:y"]
)
def test_absolute_iris(value: str) -> None:
    assert is_absolute_iri(value)


@pytest.mark.parametrize("value", ["", "relative", "/path", "1http:x", "http://a b", None, 3])
def test_not_absolute_iris(value: object) -> None:
    assert not is_absolute_iri(value)


def test_aliased_keyword_is_named_as_written() -> None:
    document = {"@context": EU_CONTEXT, "id": "urn:x:1", "type": ["Person", "Nobody"]}
    with pytest.raises(UndefinedTerm) as caught:
        expand(document)
    assert caught.value.path == "type/1"


def test_keyword_written_as_a_keyword() -> None:
    document = {"@context": EU_CONTEXT, "@id": "urn:x:1", "@type": "Nobody"}
    with pytest.raises(UndefinedTerm) as caught:
        expand(document)
    assert caught.value.path == "@type"


def test_path_through_arrays_and_graphs() -> None:
    document = {
        "@context": EU_CONTEXT,
        "@graph": [
            {"id": "urn:x:1", "type": "Person"},
            {"id": "urn:x:2", "type": "Person", "hasClaim": [{"id": "urn:x:3", "nope": 1}]},
        ],
    }
    with pytest.raises(UndefinedTerm) as caught:
        expand(document)
    assert caught.value.path == "@graph/1/hasClaim/0/nope"


def test_relative_reference_inside_a_list() -> None:
    document = {
        "@context": EU_CONTEXT,
        "id": "urn:x:1",
        "hasSubOrganization": {"@list": ["urn:x:2", "relative"]},
    }
    with pytest.raises(UndefinedTerm) as caught:
        expand(document)
    assert caught.value.path == "hasSubOrganization"


def test_language_map_key_that_is_not_a_language_tag() -> None:
    document = {"@context": EU_CONTEXT, "id": "urn:x:1", "title": {"en": "ok", "not a tag": "x"}}
    with pytest.raises(InvalidJsonLd) as caught:
        expand(document)
    assert caught.value.path == "title"


def test_well_formed_document_expands_as_pyld_does() -> None:
    document = {"@context": EU_CONTEXT, "id": "urn:x:1", "type": "Person", "title": {"en": "A"}}
    assert expand(document) == [
        {
            "@id": "urn:x:1",
            "@type": ["http://data.europa.eu/snb/model/elm/Person"],
            "http://purl.org/dc/terms/title": [{"@value": "A", "@language": "en"}],
        }
    ]
