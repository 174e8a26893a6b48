"""schemas.loader: pinned documents only, checked once, never leaked to a loader lacking them."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pyld.jsonld import JsonLdError, JsonLdProcessor

from schemas import loader as loader_module
from schemas.errors import SchemaError, UnknownContext
from schemas.jsonld import canonicalize, expand_strict
from schemas.loader import (
    CONTEXTS_DIR,
    MANIFEST,
    PINNED_CONTEXT_URLS,
    StaticDocumentLoader,
    document_loader,
    load_pinned_context,
)
from tests.conftest import read_json

from .conftest import CITIZENSHIP_V4RC1, EXAMPLES_V2

CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"


class TestLoadPinnedContext:
    def test_returns_the_parsed_file(self) -> None:
        for url in PINNED_CONTEXT_URLS:
            assert load_pinned_context(url) == read_json(CONTEXTS_DIR / MANIFEST[url]["file"])

    def test_parses_once_per_process(self) -> None:
        assert load_pinned_context(CREDENTIALS_V1) is load_pinned_context(CREDENTIALS_V1)

    def test_unknown_url(self) -> None:
        with pytest.raises(UnknownContext) as caught:
            load_pinned_context(CITIZENSHIP_V4RC1)
        assert caught.value.url == CITIZENSHIP_V4RC1
        assert caught.value.code == "unknown_context"

    def test_file_that_does_not_match_its_sha256(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for source in CONTEXTS_DIR.iterdir():
            shutil.copy(source, tmp_path / source.name)
        tampered = tmp_path / MANIFEST[CREDENTIALS_V1]["file"]
        tampered.write_bytes(tampered.read_bytes().replace(b'"@protected": true', b'"x": 1', 1))
        monkeypatch.setattr(loader_module, "CONTEXTS_DIR", tmp_path)
        load_pinned_context.cache_clear()
        try:
            with pytest.raises(SchemaError) as caught:
                load_pinned_context(CREDENTIALS_V1)
            assert type(caught.value) is SchemaError
        finally:
            load_pinned_context.cache_clear()


class TestStaticDocumentLoader:
    def test_serves_a_pinned_context_as_a_remote_document(self) -> None:
        remote = document_loader(CREDENTIALS_V1)
        assert remote == {
            "contextUrl": None,
            "documentUrl": CREDENTIALS_V1,
            "document": load_pinned_context(CREDENTIALS_V1),
            "contentType": "application/ld+json",
        }

    def test_refuses_any_other_url(self) -> None:
        with pytest.raises(UnknownContext) as caught:
            document_loader("https://example.org/context.jsonld", {})
        assert caught.value.url == "https://example.org/context.jsonld"

    def test_urls(self) -> None:
        assert document_loader.urls == PINNED_CONTEXT_URLS
        assert StaticDocumentLoader(include_pinned=False).urls == frozenset()

    def test_without_pinned_documents(self) -> None:
        with pytest.raises(UnknownContext):
            StaticDocumentLoader(include_pinned=False)(CREDENTIALS_V1)

    def test_extra_documents_are_copied(self) -> None:
        extra = {"@context": {"name": "https://schema.org/name"}}
        loader = StaticDocumentLoader({EXAMPLES_V2: extra})
        extra["@context"]["name"] = "https://evil.example/name"
        assert loader(EXAMPLES_V2)["document"] == {"@context": {"name": "https://schema.org/name"}}

    def test_with_documents_returns_a_new_loader(self) -> None:
        one = StaticDocumentLoader({"urn:a": {"@context": {}}}, include_pinned=False)
        two = one.with_documents({"urn:b": {"@context": {}}})
        assert one.urls == {"urn:a"}
        assert two.urls == {"urn:a", "urn:b"}
        assert document_loader.with_documents({"urn:b": {}}).urls == PINNED_CONTEXT_URLS | {"urn:b"}


@pytest.fixture
def examples_loader(published_contexts: dict[str, Path]) -> StaticDocumentLoader:
    return document_loader.with_documents(
        {CITIZENSHIP_V4RC1: read_json(published_contexts[CITIZENSHIP_V4RC1])}
    )


class TestResolvedContextsAreNotShared:
    """pyld caches resolved contexts by URL alone; a loader must still refuse what it lacks."""

    def test_a_loader_lacking_a_url_refuses_it_after_another_resolved_it(
        self, reference: Path, examples_loader: StaticDocumentLoader
    ) -> None:
        document = read_json(reference / "w3c" / "eddsa-rdfc-2022" / "employmentAuth.json")
        assert canonicalize(document, loader=examples_loader)
        with pytest.raises(UnknownContext) as caught:
            canonicalize(document)
        assert caught.value.url == CITIZENSHIP_V4RC1

    def test_even_below_the_top_level_check(
        self, reference: Path, examples_loader: StaticDocumentLoader
    ) -> None:
        # Straight to pyld with the resolver, skipping check_contexts.
        document = read_json(reference / "w3c" / "eddsa-rdfc-2022" / "employmentAuth.json")
        expand_strict(document, loader=examples_loader)
        options = {
            "documentLoader": document_loader,
            "contextResolver": document_loader.context_resolver(),
        }
        with pytest.raises(JsonLdError) as caught:
            JsonLdProcessor().expand(document, options)
        assert _causes(caught.value, UnknownContext)

    def test_a_loader_replacing_a_pinned_context_does_not_change_others(
        self, eu_sample: dict[str, Any]
    ) -> None:
        expected = canonicalize(eu_sample)
        v1 = json.loads(json.dumps(load_pinned_context(CREDENTIALS_V1)))
        v1["@context"]["VerifiableCredential"]["@id"] = "https://evil.example/Credential"
        altered = canonicalize(
            eu_sample, loader=document_loader.with_documents({CREDENTIALS_V1: v1})
        )
        assert "https://evil.example/Credential" in altered
        assert canonicalize(eu_sample) == expected

    def test_pinned_contexts_are_resolved_once_per_process(self, eu_sample: dict[str, Any]) -> None:
        canonicalize(eu_sample)
        counting = _CountingLoader()
        canonicalize(eu_sample, loader=counting)
        assert counting.calls == []

    def test_processing_leaves_pinned_documents_as_they_were(
        self, eu_sample: dict[str, Any]
    ) -> None:
        canonicalize(eu_sample)
        for url in PINNED_CONTEXT_URLS:
            assert load_pinned_context(url) == read_json(CONTEXTS_DIR / MANIFEST[url]["file"])


class _CountingLoader(StaticDocumentLoader):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        self.calls.append(url)
        return super().__call__(url, options)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


def test_never_touches_the_network(no_network: None, eu_sample: dict[str, Any]) -> None:
    load_pinned_context.cache_clear()
    assert canonicalize(eu_sample, loader=StaticDocumentLoader({}))
    eu_sample["@context"].append("https://example.org/unknown")
    with pytest.raises(UnknownContext):
        canonicalize(eu_sample)


def _causes(exc: BaseException, kind: type[BaseException]) -> bool:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, kind):
            return True
        current = current.__cause__
    return False
