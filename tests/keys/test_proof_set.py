"""keys.proof_set: the W3C proof-set and proof-chain vectors, and every-proof-must-verify."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keys.did_key import keypair_with_did_key
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof, proofs_of
from keys.proof_set import NO_PROOF, ProofSetResult, verify_proofs
from keys.resolver import DidResolver

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chain_dir(w3c: Path) -> Path:
    return w3c / "eddsa-rdfc-2022" / "proof-set-chain"


@pytest.fixture(scope="module")
def chain_keys(chain_dir: Path) -> dict[str, KeyPair]:
    pairs = load(chain_dir / "multiKeyPairs.json")
    return {name: keypair_with_did_key(KeyPair.from_multikey(doc)) for name, doc in pairs.items()}


def sign_like(document: dict, config: dict, keypair: KeyPair, loader) -> dict:
    return add_proof(
        document,
        keypair,
        created=config["created"],
        proof_id=config.get("id"),
        previous_proof=config.get("previousProof"),
        loader=loader,
    )


def verify_open(document: dict, controllers: set, loader) -> ProofSetResult:
    """``verify_proofs`` as the verifier's seal check calls it: ``controllers`` may seal, any
    controller may sign a chained proof."""
    return verify_proofs(
        document,
        resolver=DidResolver(),
        controllers=controllers,
        chain_controllers=None,
        loader=loader,
        now=datetime.now(UTC),
    )


class TestPublishedSetAndChain:
    """Rebuild the four published documents proof by proof, byte for byte."""

    def test_proof_set_then_chain_reproduced(self, chain_dir, chain_keys, vector_loader):
        document = load(chain_dir / "unsigned.json")
        steps = [
            ("proofSetConfig1.json", "keyPair1", "signedProofSet1.json"),
            ("proofSetConfig2.json", "keyPair2", "signedProofSet2.json"),
            ("proofChainConfig1.json", "keyPair3", "signedProofChain1.json"),
            ("proofChainConfig2.json", "keyPair4", "signedProofChain2.json"),
        ]
        for config_file, key_name, expected_file in steps:
            config = load(chain_dir / config_file)
            document = sign_like(document, config, chain_keys[key_name], vector_loader)
            assert document == load(chain_dir / expected_file), expected_file

    def test_chain_signed_by_the_set_rule_differs(self, chain_dir, chain_keys, vector_loader):
        document = load(chain_dir / "signedProofSet2.json")
        config = load(chain_dir / "proofChainConfig1.json")
        as_set = {k: v for k, v in config.items() if k != "previousProof"}
        signed = sign_like(document, as_set, chain_keys["keyPair3"], vector_loader)
        chained = load(chain_dir / "signedProofChain1.json")
        assert signed["proof"][-1]["proofValue"] != chained["proof"][-1]["proofValue"]

    @pytest.mark.parametrize(
        "name",
        [
            "signedProofSet1.json",
            "signedProofSet2.json",
            "signedProofChain1.json",
            "signedProofChain2.json",
        ],
    )
    def test_published_documents_verify_every_proof(self, chain_dir, vector_loader, name):
        document = load(chain_dir / name)
        result = verify_proofs(document, resolver=DidResolver(), loader=vector_loader, now=NOW)
        assert result.verified, [(r.code, r.message) for r in result.results]
        assert len(result.results) == len(proofs_of(document))

    def test_previous_proof_naming_nothing_fails(self, chain_dir, vector_loader):
        document = load(chain_dir / "signedProofChain2.json")
        document["proof"][3]["previousProof"] = "urn:uuid:not-there"
        result = verify_proofs(document, resolver=DidResolver(), loader=vector_loader, now=NOW)
        assert not result.verified
        assert result.results[3].code == "previous_proof_missing"
        assert all(r.verified for r in result.results[:3])


class TestEveryProofMustVerify:
    def test_one_bad_proof_fails_the_set(self, chain_dir, vector_loader):
        document = load(chain_dir / "signedProofSet2.json")
        broken = copy.deepcopy(document)
        broken["proof"][1]["proofValue"] = document["proof"][0]["proofValue"]
        result = verify_proofs(broken, resolver=DidResolver(), loader=vector_loader, now=NOW)
        assert not result.verified
        assert [r.verified for r in result.results] == [True, False]
        assert result.results[1].code == "invalid_signature"

    def test_signer_outside_the_allowed_controllers(self, chain_dir, chain_keys, vector_loader):
        document = load(chain_dir / "signedProofSet2.json")
        allowed = {chain_keys["keyPair1"].controller}
        result = verify_proofs(
            document, resolver=DidResolver(), controllers=allowed, loader=vector_loader, now=NOW
        )
        assert [r.verified for r in result.results] == [True, False]
        assert result.results[1].code == "key_not_authorized"
        assert not result.verified

    def test_no_proof(self, chain_dir, vector_loader):
        result = verify_proofs(
            load(chain_dir / "unsigned.json"), resolver=DidResolver(), loader=vector_loader, now=NOW
        )
        assert not result.verified
        assert result.code == NO_PROOF

    def test_proof_that_is_not_an_object(self, chain_dir, vector_loader):
        document = load(chain_dir / "unsigned.json")
        document["proof"] = ["zabc"]
        result = verify_proofs(document, resolver=DidResolver(), loader=vector_loader, now=NOW)
        assert not result.verified
        assert result.code == "malformed_proof"

    def test_did_web_without_fetcher_is_unresolved_not_invalid(self, chain_dir, vector_loader):
        keypair = KeyPair.generate(Algorithm.ED25519).with_ids(
            "did:web:university.example#key-1", "did:web:university.example"
        )
        signed = add_proof(load(chain_dir / "unsigned.json"), keypair, loader=vector_loader)
        result = verify_proofs(
            signed, resolver=DidResolver(), loader=vector_loader, now=datetime.now(UTC)
        )
        assert not result.verified
        assert result.results[0].unresolved

    def test_mixed_suites_joint_award(self, chain_dir, vector_loader):
        ed = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        p256 = keypair_with_did_key(KeyPair.generate(Algorithm.P256))
        document = load(chain_dir / "unsigned.json")
        signed = add_proof(
            add_proof(document, ed, loader=vector_loader), p256, loader=vector_loader
        )
        result = verify_proofs(
            signed,
            resolver=DidResolver(),
            controllers={ed.controller, p256.controller},
            loader=vector_loader,
            now=datetime.now(UTC),
        )
        assert result.verified
        assert result.signers == [ed.controller, p256.controller]


class TestChainRoles:
    """A chain by two signers: the seal by an expected controller, the chained proof by another."""

    def _chain(self, chain_dir, vector_loader):
        first = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        second = keypair_with_did_key(KeyPair.generate(Algorithm.P256))
        document = load(chain_dir / "unsigned.json")
        sealed = add_proof(document, first, proof_id="urn:uuid:seal-1", loader=vector_loader)
        chained = add_proof(sealed, second, previous_proof="urn:uuid:seal-1", loader=vector_loader)
        return first, second, chained

    def test_chain_by_two_signers_verifies_when_chained_signers_are_open(
        self, chain_dir, vector_loader
    ):
        first, second, chained = self._chain(chain_dir, vector_loader)
        result = verify_proofs(
            chained,
            resolver=DidResolver(),
            controllers={first.controller},
            chain_controllers=None,
            loader=vector_loader,
            now=datetime.now(UTC),
        )
        assert result.verified, [(r.code, r.message) for r in result.results]
        assert [r.role for r in result.results] == ["seal", "chained"]
        assert result.signers == [first.controller, second.controller]

    def test_chained_signer_checked_against_controllers_by_default(self, chain_dir, vector_loader):
        first, _, chained = self._chain(chain_dir, vector_loader)
        result = verify_proofs(
            chained,
            resolver=DidResolver(),
            controllers={first.controller},
            loader=vector_loader,
            now=datetime.now(UTC),
        )
        assert not result.verified
        assert result.results[1].code == "key_not_authorized"

    def test_a_strangers_start_endorsed_by_the_issuers_chained_proof(
        self, chain_dir, vector_loader
    ):
        # the W3C proof-chain vector's shape (the eddsa suite verifies it): a witness's proof,
        # then the issuer's proof naming it
        first, second, chained = self._chain(chain_dir, vector_loader)
        result = verify_open(chained, {second.controller}, vector_loader)
        assert result.verified, [(r.code, r.message) for r in result.results]
        assert [r.role for r in result.results] == ["chained", "chained"]
        assert result.signers == [first.controller, second.controller]

    def test_a_strangers_start_not_endorsed_is_refused(self, chain_dir, vector_loader):
        # both proofs by strangers: nobody allowed signed anything
        _, _, chained = self._chain(chain_dir, vector_loader)
        issuer = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        result = verify_open(chained, {issuer.controller}, vector_loader)
        assert not result.verified
        assert [r.verified for r in result.results] == [False, True]
        assert result.results[0].code == "key_not_authorized"

    def test_a_strangers_seal_beside_the_issuers_is_refused(self, chain_dir, vector_loader):
        stranger = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        issuer = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        document = load(chain_dir / "unsigned.json")
        signed = add_proof(document, stranger, proof_id="urn:uuid:s", loader=vector_loader)
        signed = add_proof(signed, issuer, loader=vector_loader)  # a set: it names nothing
        result = verify_open(signed, {issuer.controller}, vector_loader)
        assert [r.verified for r in result.results] == [False, True]
        assert result.results[0].code == "key_not_authorized"

    def test_a_start_is_endorsed_only_by_a_verified_proof(self, chain_dir, vector_loader):
        _, second, chained = self._chain(chain_dir, vector_loader)
        chained["proof"][1]["proofValue"] = chained["proof"][0]["proofValue"]  # forged
        result = verify_open(chained, {second.controller}, vector_loader)
        assert [r.verified for r in result.results] == [False, False]
        assert result.results[0].code == "key_not_authorized"

    def test_dangling_previous_proof_is_an_error(self, chain_dir, vector_loader):
        first, _, chained = self._chain(chain_dir, vector_loader)
        chained["proof"][1]["previousProof"] = "urn:uuid:not-there"
        result = verify_proofs(
            chained,
            resolver=DidResolver(),
            controllers={first.controller},
            chain_controllers=None,
            loader=vector_loader,
            now=datetime.now(UTC),
        )
        assert not result.verified
        assert result.results[1].code == "previous_proof_missing"

    def test_a_chain_without_a_seal_is_refused(self, chain_dir, vector_loader):
        _, _, chained = self._chain(chain_dir, vector_loader)
        chained["proof"] = [chained["proof"][1]]
        result = verify_proofs(
            chained, resolver=DidResolver(), loader=vector_loader, now=datetime.now(UTC)
        )
        assert not result.verified
        assert result.code == "no_seal_proof"
