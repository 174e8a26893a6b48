"""Fixtures for the W3C Data Integrity vectors: their folder and a loader with their contexts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.loader import StaticDocumentLoader

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
CITIZENSHIP_V4 = "https://w3id.org/citizenship/v4rc1"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@pytest.fixture(scope="session")
def w3c(reference: Path) -> Path:
    """``../shared/reference/w3c``."""
    return reference / "w3c"


@pytest.fixture(scope="session")
def vector_loader(reference: Path) -> StaticDocumentLoader:
    """The pinned contexts plus the test-only contexts the W3C vectors use (read from shared)."""
    contexts = reference / "contexts"
    extra = {
        EXAMPLES_V2: json.loads((contexts / "credentials-examples-v2.jsonld").read_text("utf-8")),
        CITIZENSHIP_V4: json.loads((contexts / "citizenship-v4rc1.jsonld").read_text("utf-8")),
    }
    return StaticDocumentLoader().with_documents(extra)
