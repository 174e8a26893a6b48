"""The pinned contexts in schemas/contexts/: same JSON values as published, not byte copies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from schemas.jsonld import canonicalize, expand_strict
from schemas.loader import CONTEXTS_DIR, PINNED_CONTEXT_URLS, StaticDocumentLoader
from tests.conftest import read_json

from .conftest import CITIZENSHIP_V4RC1, EXAMPLES_V2

MANIFEST: dict[str, dict[str, str]] = json.loads(
    (CONTEXTS_DIR / "manifest.json").read_text(encoding="utf-8")
)
EXPECTED_URLS = {
    "https://www.w3.org/2018/credentials/v1",
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://w3id.org/security/data-integrity/v1",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/did/v1",
    "https://www.w3.org/ns/credentials/status/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
}


def reserialize(value: Any) -> bytes:
    """How our files were written from the published value (see contexts/SOURCES.md)."""
    return (json.dumps(value, indent=4, ensure_ascii=False) + "\n").encode("utf-8")


def test_manifest_pins_exactly_the_product_contexts() -> None:
    assert set(MANIFEST) == EXPECTED_URLS == PINNED_CONTEXT_URLS
    assert EXAMPLES_V2 in MANIFEST
    assert CITIZENSHIP_V4RC1 not in MANIFEST


def test_every_file_in_the_folder_is_in_the_manifest() -> None:
    listed = {entry["file"] for entry in MANIFEST.values()}
    on_disk = {path.name for path in CONTEXTS_DIR.glob("*.jsonld")}
    assert on_disk == listed


@pytest.mark.parametrize("url", sorted(EXPECTED_URLS))
class TestPinnedContext:
    def test_manifest_sha256_is_the_files(self, url: str) -> None:
        entry = MANIFEST[url]
        data = (CONTEXTS_DIR / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]

    def test_manifest_names_source_and_licence(self, url: str) -> None:
        entry = MANIFEST[url]
        assert entry["source"]
        assert entry["licence"]
        sources = (CONTEXTS_DIR / "SOURCES.md").read_text(encoding="utf-8")
        assert url in sources
        assert entry["file"] in sources

    def test_parses_to_the_published_value(
        self, url: str, published_contexts: dict[str, Path]
    ) -> None:
        ours = read_json(CONTEXTS_DIR / MANIFEST[url]["file"])
        published = read_json(published_contexts[url])
        assert ours == published
        # Term for term, in the same order, at every level.
        assert json.dumps(ours) == json.dumps(published)

    def test_is_a_reserialization_not_a_byte_copy(
        self, url: str, published_contexts: dict[str, Path]
    ) -> None:
        ours = (CONTEXTS_DIR / MANIFEST[url]["file"]).read_bytes()
        published = published_contexts[url].read_bytes()
        assert ours == reserialize(json.loads(published))
        assert hashlib.sha256(ours).digest() != hashlib.sha256(published).digest()


@pytest.fixture(scope="module")
def published_loader(published_contexts: dict[str, Path]) -> StaticDocumentLoader:
    """A loader serving the published files only, none of ours."""
    return StaticDocumentLoader(
        {url: read_json(path) for url, path in published_contexts.items()},
        include_pinned=False,
    )


def test_eu_sample_expands_identically_under_published_contexts(
    eu_sample: dict[str, Any], published_loader: StaticDocumentLoader
) -> None:
    assert expand_strict(eu_sample) == expand_strict(eu_sample, loader=published_loader)


@pytest.mark.parametrize(
    "vector",
    ["w3c/eddsa-rdfc-2022/employmentAuth.json", "w3c/ob3/credential.json"],
)
def test_vectors_canonicalize_identically_under_published_contexts(
    vector: str,
    reference: Path,
    vector_loader: StaticDocumentLoader,
    published_loader: StaticDocumentLoader,
) -> None:
    document = read_json(reference / vector)
    assert canonicalize(document, loader=vector_loader) == canonicalize(
        document, loader=published_loader
    )
