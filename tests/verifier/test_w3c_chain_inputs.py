"""The W3C Data Integrity test suite's proof-chain inputs (eddsa-rdfc-2022, VC 1.1 and 2.0),
read at run time from the pinned suite package in ``../shared/interop``: the ``…Ok`` documents
verify through ``POST /credentials/verify`` (a witness's proof, then the issuer's proof naming
it; VC 1.1 ones with an inline context wrapped as ``{"@context": {…}}``), the ``…Fail`` ones
are refused."""

from __future__ import annotations

import json
import tarfile
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT
from verifier.app import create_app

PACKAGE = PROJECT_ROOT.parent / "shared" / "interop" / "w3c" / "deps"
INPUTS = "package/inputs/eddsa-rdfc-2022/"


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    """File name → parsed document, of every eddsa-rdfc-2022 input of the suite's package."""
    archives = sorted((PACKAGE / "data-integrity-test-suite-assertion").glob("*.tgz"))
    if not archives:
        pytest.skip(f"the W3C suite's assertion package is not found under {PACKAGE}")
    found: dict[str, Any] = {}
    with tarfile.open(archives[0]) as archive:
        for member in archive.getmembers():
            if member.name.startswith(INPUTS) and member.name.endswith(".json"):
                data = archive.extractfile(member)
                assert data is not None
                found[member.name.removeprefix(INPUTS)] = json.loads(data.read())
    return found


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    """A verifier with no trust source and no network (did:key resolves offline)."""
    return create_app({"TESTING": True, "SECRET_KEY": "test"}).test_client()


@pytest.mark.parametrize("version", ["1.1", "2.0"])
@pytest.mark.parametrize("shape", ["String", "Array"])
def test_a_chain_ending_in_the_issuers_proof_verifies(client, inputs, version, shape):
    document = inputs[f"{version}-previousProof{shape}Ok-SimpleSigned2.json"]
    response = client.post("/credentials/verify", json={"verifiableCredential": document})
    body = response.get_json()
    assert response.status_code == 200, body["errors"]
    seal = next(c for c in body["report"] if c["check"] == "seal")
    assert [p["role"] for p in seal["details"]["proofs"]] == ["chained", "chained"]


@pytest.mark.parametrize("version", ["1.1", "2.0"])
@pytest.mark.parametrize(
    "name",
    [
        "previousProofMissingFail",
        "previousProofStringMissingFail",
        "previousProofArrayMissingFail",
        "previousProofNotStringFail",
    ],
)
def test_a_broken_chain_is_refused(client, inputs, version, name):
    document = inputs[f"{version}-{name}-SimpleSigned2.json"]
    response = client.post("/credentials/verify", json={"verifiableCredential": document})
    assert response.status_code == 400
    assert response.get_json()["verified"] is False
