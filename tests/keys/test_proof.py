"""keys.proof against the published W3C vectors, stage by stage, and its refusals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keys.cryptosuites import get_cryptosuite
from keys.did_key import keypair_with_did_key
from keys.errors import (
    InvalidSignature,
    KeyNotAuthorized,
    MalformedProof,
    MalformedProofValue,
    ProofCreatedInFuture,
    ProofPurposeMismatch,
    UnsupportedCryptosuite,
    UnsupportedProofType,
)
from keys.keypairs import Algorithm, KeyPair
from keys.proof import (
    add_proof,
    create_proof,
    create_verify_data,
    proof_configuration,
    verify_proof,
)
from keys.purposes import AssertionProofPurpose, ProofPurpose
from keys.resolver import DidResolver
from schemas.errors import UndefinedTerm, UnknownContext

VECTOR_NOW = datetime(2024, 1, 1, tzinfo=UTC)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load(path: Path) -> dict:
    return json.loads(read(path))


# (folder, file suffix, key file, input file) for each published vector with intermediates
EDDSA = [
    ("eddsa-rdfc-2022", "DataInt", "eddsa-rdfc-2022/keyPair.json", "unsigned.json"),
    ("eddsa-rdfc-2022/employ", "DataInt", "eddsa-rdfc-2022/keyPair.json", "employmentAuth.json"),
]
ECDSA = [
    (
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256",
        "ECDSAP256",
        "ecdsa-rdfc-2019/p256KeyPair.json",
        "unsigned.json",
    ),
    (
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/employ",
        "ECDSAP256",
        "ecdsa-rdfc-2019/p256KeyPair.json",
        "employmentAuth.json",
    ),
    (
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384",
        "ECDSAP384",
        "ecdsa-rdfc-2019/p384KeyPair.json",
        "unsigned.json",
    ),
    (
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/employ",
        "ECDSAP384",
        "ecdsa-rdfc-2019/p384KeyPair.json",
        "employmentAuth.json",
    ),
]


def vector_key(w3c: Path, key_file: str) -> KeyPair:
    return keypair_with_did_key(KeyPair.from_multikey(load(w3c / key_file)))


def vector_input(w3c: Path, folder: str, input_file: str) -> dict:
    suite_dir = folder.split("/")[0]
    return load(w3c / suite_dir / input_file)


class TestVerifyDataStages:
    """Every intermediate value of the published vectors, so a failure names its stage."""

    @pytest.mark.parametrize(("folder", "suffix", "key_file", "input_file"), EDDSA + ECDSA)
    def test_each_stage_matches(self, w3c, vector_loader, folder, suffix, key_file, input_file):
        base = w3c / folder
        keypair = vector_key(w3c, key_file)
        document = vector_input(w3c, folder, input_file)
        config = load(base / f"proofConfig{suffix}.json")
        suite = get_cryptosuite(config["cryptosuite"])
        data = create_verify_data(
            document,
            proof_configuration(document, config),
            suite,
            keypair.algorithm,
            loader=vector_loader,
        )
        assert data.canonical_document == read(base / f"canonDoc{suffix}.txt")
        assert data.canonical_proof_configuration == read(base / f"proofCanon{suffix}.txt")
        assert data.document_hash.hex() == read(base / f"docHash{suffix}.txt").strip()
        assert data.proof_hash.hex() == read(base / f"proofHash{suffix}.txt").strip()
        assert data.combined.hex() == read(base / f"combinedHash{suffix}.txt").strip()

    @pytest.mark.parametrize(("folder", "suffix", "key_file", "input_file"), EDDSA)
    def test_eddsa_proof_value_reproduced_byte_for_byte(
        self, w3c, vector_loader, folder, suffix, key_file, input_file
    ):
        base = w3c / folder
        keypair = vector_key(w3c, key_file)
        document = vector_input(w3c, folder, input_file)
        config = load(base / f"proofConfig{suffix}.json")
        signed = add_proof(document, keypair, created=config["created"], loader=vector_loader)
        assert signed["proof"]["proofValue"] == read(base / f"sigBTC58{suffix}.txt").strip()
        assert signed == load(base / f"signed{suffix}.json")

    @pytest.mark.parametrize(("folder", "suffix", "key_file", "input_file"), EDDSA + ECDSA)
    def test_published_signed_credential_verifies(
        self, w3c, vector_loader, folder, suffix, key_file, input_file
    ):
        signed = load(w3c / folder / f"signed{suffix}.json")
        result = verify_proof(
            signed, signed["proof"], resolver=DidResolver(), loader=vector_loader, now=VECTOR_NOW
        )
        assert result.controller == signed["proof"]["verificationMethod"].split("#")[0]
        assert result.cryptosuite == signed["proof"]["cryptosuite"]

    @pytest.mark.parametrize(("folder", "suffix", "key_file", "input_file"), ECDSA)
    def test_ecdsa_signature_over_published_hash_verifies_and_ours_round_trips(
        self, w3c, vector_loader, folder, suffix, key_file, input_file
    ):
        keypair = vector_key(w3c, key_file)
        combined = bytes.fromhex(read(w3c / folder / f"combinedHash{suffix}.txt").strip())
        keypair.verify(bytes.fromhex(read(w3c / folder / f"sigHex{suffix}.txt").strip()), combined)
        document = vector_input(w3c, folder, input_file)
        signed = add_proof(document, keypair, created="2023-02-24T23:36:38Z", loader=vector_loader)
        verify_proof(
            signed, signed["proof"], resolver=DidResolver(), loader=vector_loader, now=VECTOR_NOW
        )


class TestOpenBadgesVector:
    def test_ob3_proof_value_reproduced(self, w3c, vector_loader):
        ob3 = w3c / "ob3"
        key = load(ob3 / "key.json")
        keypair = KeyPair.from_multikey(
            {
                "publicKeyMultibase": key["publicKeyMultibase"],
                "secretKeyMultibase": key["secretKeyMultibase"],
            }
        ).with_ids(key["verificationMethod"], key["controller"])
        credential = load(ob3 / "credential.json")
        config = load(ob3 / "proof-config.json")
        expected = load(ob3 / "expected.json")
        proof = create_proof(credential, keypair, created=config["created"], loader=vector_loader)
        data = create_verify_data(
            credential,
            proof_configuration(credential, config),
            get_cryptosuite("eddsa-rdfc-2022"),
            Algorithm.ED25519,
            loader=vector_loader,
        )
        assert data.canonical_document == read(ob3 / "document-canon.txt")
        assert data.canonical_proof_configuration == read(ob3 / "proof-canon.txt")
        assert data.document_hash.hex() == expected["documentHashHex"]
        assert data.proof_hash.hex() == expected["proofHashHex"]
        assert proof["proofValue"] == expected["proofValue"]


@pytest.fixture
def ed_key() -> KeyPair:
    return keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))


@pytest.fixture
def signed_vector(w3c, vector_loader, ed_key) -> dict:
    document = load(w3c / "eddsa-rdfc-2022" / "unsigned.json")
    return add_proof(document, ed_key, created="2023-02-24T23:36:38Z", loader=vector_loader)


def verify(document: dict, loader, **kwargs):
    proof = document["proof"]
    return verify_proof(
        document,
        proof,
        resolver=DidResolver(),
        loader=loader,
        now=kwargs.pop("now", VECTOR_NOW),
        **kwargs,
    )


class TestVerifyProofRefusals:
    def test_a_fresh_proof_verifies(self, signed_vector, vector_loader, ed_key):
        assert verify(signed_vector, vector_loader).controller == ed_key.controller

    def test_tampered_value(self, signed_vector, vector_loader):
        signed_vector["credentialSubject"]["alumniOf"] = "Another School"
        with pytest.raises(InvalidSignature):
            verify(signed_vector, vector_loader)

    def test_tampered_proof_option(self, signed_vector, vector_loader):
        signed_vector["proof"]["created"] = "2023-02-24T23:36:39Z"
        with pytest.raises(InvalidSignature):
            verify(signed_vector, vector_loader)

    def test_unknown_proof_type(self, signed_vector, vector_loader):
        signed_vector["proof"]["type"] = "Ed25519Signature2020"
        with pytest.raises(UnsupportedProofType):
            verify(signed_vector, vector_loader)

    def test_unknown_cryptosuite(self, signed_vector, vector_loader):
        signed_vector["proof"]["cryptosuite"] = "eddsa-jcs-2022"
        with pytest.raises(UnsupportedCryptosuite):
            verify(signed_vector, vector_loader)

    def test_suite_that_does_not_fit_the_key(self, signed_vector, vector_loader):
        signed_vector["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
        with pytest.raises(KeyNotAuthorized):
            verify(signed_vector, vector_loader)

    @pytest.mark.parametrize("value", ["not-multibase", "zz0OIl", "z3", 42])
    def test_malformed_proof_value(self, signed_vector, vector_loader, value):
        signed_vector["proof"]["proofValue"] = value
        with pytest.raises((MalformedProofValue, MalformedProof)):
            verify(signed_vector, vector_loader)

    def test_wrong_purpose(self, signed_vector, vector_loader):
        with pytest.raises(ProofPurposeMismatch):
            verify(signed_vector, vector_loader, purpose=ProofPurpose(term="authentication"))

    def test_created_in_the_future(self, signed_vector, vector_loader):
        with pytest.raises(ProofCreatedInFuture):
            verify(signed_vector, vector_loader, now=datetime(2023, 2, 24, 23, 0, tzinfo=UTC))

    def test_created_within_clock_skew_is_accepted(self, signed_vector, vector_loader):
        now = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC) - timedelta(minutes=1)
        verify(signed_vector, vector_loader, now=now)

    def test_controller_not_the_issuer(self, signed_vector, vector_loader):
        purpose = AssertionProofPurpose(controllers={signed_vector["issuer"]})
        with pytest.raises(KeyNotAuthorized):
            verify(signed_vector, vector_loader, purpose=purpose)

    def test_key_of_another_did_behind_a_borrowed_fragment(self, signed_vector, vector_loader):
        other = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        fragment = signed_vector["proof"]["verificationMethod"].split("#")[1]
        signed_vector["proof"]["verificationMethod"] = f"{other.controller}#{fragment}"
        with pytest.raises(Exception) as caught:
            verify(signed_vector, vector_loader)
        assert getattr(caught.value, "code", None) in {
            "invalid_did",
            "key_not_authorized",
            "did_unresolved",
        }

    def test_missing_member(self, signed_vector, vector_loader):
        del signed_vector["proof"]["verificationMethod"]
        with pytest.raises(MalformedProof):
            verify(signed_vector, vector_loader)

    def test_added_unsigned_undefined_term_is_refused_not_dropped(self, vector_loader, ed_key):
        document = {
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "https://w3id.org/security/data-integrity/v2",
            ],
            "id": "urn:uuid:0b7d7a9e-5d0e-4f8e-9f0e-1c2d3e4f5a6b",
            "type": ["VerifiableCredential"],
            "issuer": ed_key.controller,
            "issuanceDate": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:learner"},
        }
        signed = add_proof(document, ed_key, loader=vector_loader)
        verify(signed, vector_loader, now=datetime.now(UTC))
        tampered = copy.deepcopy(signed)
        tampered["credentialSubject"]["grade"] = "A+"
        with pytest.raises(UndefinedTerm):
            verify(tampered, vector_loader, now=datetime.now(UTC))

    def test_unknown_context_is_refused(self, signed_vector):
        signed_vector["@context"].append("https://w3id.org/citizenship/v4rc1")
        with pytest.raises(UnknownContext):
            verify(signed_vector, None)


class TestCreateProof:
    def test_add_proof_keeps_earlier_proofs(self, w3c, vector_loader, ed_key):
        document = load(w3c / "eddsa-rdfc-2022" / "unsigned.json")
        second = keypair_with_did_key(KeyPair.generate(Algorithm.P256))
        once = add_proof(document, ed_key, loader=vector_loader)
        twice = add_proof(once, second, loader=vector_loader)
        assert isinstance(twice["proof"], list)
        assert twice["proof"][0] == once["proof"]
        assert twice["proof"][1]["cryptosuite"] == "ecdsa-rdfc-2019"
        assert "proof" not in document

    def test_default_created_is_now_to_the_second(self, w3c, vector_loader, ed_key):
        document = load(w3c / "eddsa-rdfc-2022" / "unsigned.json")
        before = datetime.now(UTC).replace(microsecond=0)
        proof = create_proof(document, ed_key, loader=vector_loader)
        created = datetime.fromisoformat(proof["created"])
        assert before <= created <= datetime.now(UTC)
        assert proof["created"].endswith("Z")

    def test_public_key_cannot_sign(self, w3c, vector_loader, ed_key):
        document = load(w3c / "eddsa-rdfc-2022" / "unsigned.json")
        with pytest.raises(Exception) as caught:
            create_proof(document, ed_key.public_only(), loader=vector_loader)
        assert caught.value.code == "invalid_key"
