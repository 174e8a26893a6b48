"""Fixtures for the schemas tests: the EU samples and a loader with the W3C vectors' contexts.

Everything is read from ``../shared/reference`` at run time (the ``reference`` fixture skips
where it is absent). The test-only contexts (W3C examples v2, citizenship v4rc1) are added to
a loader here; the product never pins them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.loader import StaticDocumentLoader, document_loader
from tests.conftest import read_json

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
CITIZENSHIP_V4RC1 = "https://w3id.org/citizenship/v4rc1"


@pytest.fixture(scope="session")
def published_contexts(reference: Path) -> dict[str, Path]:
    """Context URL -> the published file in ``../shared/reference`` (``contexts.json``)."""
    folder = reference / "contexts"
    entries = read_json(folder / "contexts.json")
    return {url: (folder / entry["file"]).resolve() for url, entry in entries.items()}


@pytest.fixture(scope="session")
def vector_loader(published_contexts: dict[str, Path]) -> StaticDocumentLoader:
    """The pinned contexts plus the W3C examples v2 and citizenship v4rc1 contexts."""
    return document_loader.with_documents(
        {url: read_json(published_contexts[url]) for url in (EXAMPLES_V2, CITIZENSHIP_V4RC1)}
    )


@pytest.fixture(scope="session")
def _eu_sample_text(reference: Path) -> str:
    return (reference / "elm" / "Sample-MC-Annex1-unsigned.jsonld").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def _eu_signed_payload_text(reference: Path) -> str:
    sealed = read_json(reference / "elm" / "Sample-MC-Annex1-signed.jsonld")
    payload: str = sealed["payload"]
    return payload


@pytest.fixture
def eu_sample(_eu_sample_text: str) -> dict[str, Any]:
    """The EU's unsigned Annex I micro-credential sample, freshly parsed (safe to edit)."""
    document: dict[str, Any] = json.loads(_eu_sample_text)
    return document


@pytest.fixture
def eu_signed_payload(_eu_signed_payload_text: str) -> dict[str, Any]:
    """The credential inside the EU's JAdES-sealed sample (its ``payload``, a JSON string)."""
    document: dict[str, Any] = json.loads(_eu_signed_payload_text)
    return document


@pytest.fixture
def accreditation() -> dict[str, Any]:
    """An ELM Accreditation (the quality-assurance element), as our issuer would add one."""
    return {
        "id": "urn:epass:accreditation:1",
        "type": "Accreditation",
        "title": {"en": "Programme accreditation"},
        "dcType": {
            "id": "http://data.europa.eu/snb/accreditation/e8a5ddd7e4",
            "type": "Concept",
        },
        "accreditingAgent": {
            "id": "urn:epass:org:3",
            "type": "Organisation",
            "legalName": {"en": "Quality and Qualifications Ireland"},
        },
    }


@pytest.fixture
def micro_credential(eu_sample: dict[str, Any], accreditation: dict[str, Any]) -> dict[str, Any]:
    """The EU sample plus the one element it lacks: an accreditation on its qualification."""
    eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]["accreditation"] = accreditation
    return eu_sample
