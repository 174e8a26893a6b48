"""keys.did_key: did:key identifiers and documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from keys.did_key import (
    did_key_for,
    keypair_with_did_key,
    parse_did_key,
    resolve_did_key,
    verification_method_id_for,
)
from keys.errors import InvalidDid, UnsupportedKeyType
from keys.keypairs import MULTIKEY_CONTEXT, Algorithm, KeyPair
from keys.multikey import encode_multibase

EDDSA_METHOD = (
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
)

# (key file, proof config whose verificationMethod is the key's did:key)
VECTORS = [
    ("eddsa-rdfc-2022/keyPair.json", "eddsa-rdfc-2022/proofConfigDataInt.json"),
    (
        "ecdsa-rdfc-2019/p256KeyPair.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/proofConfigECDSAP256.json",
    ),
    (
        "ecdsa-rdfc-2019/p384KeyPair.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/proofConfigECDSAP384.json",
    ),
]


def load(reference: Path, path: str) -> dict:
    return json.loads((reference / "w3c" / path).read_text(encoding="utf-8"))


@pytest.fixture(params=list(Algorithm), ids=str)
def keypair(request: pytest.FixtureRequest) -> KeyPair:
    return KeyPair.generate(request.param)


class TestNames:
    def test_eddsa_vector(self, reference: Path) -> None:
        keypair = KeyPair.from_multikey(load(reference, "eddsa-rdfc-2022/keyPair.json"))
        assert verification_method_id_for(keypair) == EDDSA_METHOD
        named = keypair_with_did_key(keypair)
        assert named.id == EDDSA_METHOD
        assert named.controller == did_key_for(keypair) == EDDSA_METHOD.split("#")[0]
        assert named.has_secret

    @pytest.mark.parametrize(("key_file", "config_file"), VECTORS)
    def test_vectors_verification_method(
        self, reference: Path, key_file: str, config_file: str
    ) -> None:
        keypair = KeyPair.from_multikey(load(reference, key_file))
        expected = load(reference, config_file)["verificationMethod"]
        assert verification_method_id_for(keypair) == expected

    def test_did_is_the_public_multibase(self, keypair: KeyPair) -> None:
        assert did_key_for(keypair) == "did:key:" + keypair.public_key_multibase


class TestResolve:
    def test_document(self, keypair: KeyPair) -> None:
        did = did_key_for(keypair)
        method_id = verification_method_id_for(keypair)
        assert resolve_did_key(did) == {
            "@context": ["https://www.w3.org/ns/did/v1", MULTIKEY_CONTEXT],
            "id": did,
            "verificationMethod": [
                {
                    "id": method_id,
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": keypair.public_key_multibase,
                }
            ],
            "authentication": [method_id],
            "assertionMethod": [method_id],
            "capabilityInvocation": [method_id],
            "capabilityDelegation": [method_id],
        }

    def test_did_url_with_its_fragment(self, keypair: KeyPair) -> None:
        document = resolve_did_key(verification_method_id_for(keypair))
        assert document == resolve_did_key(did_key_for(keypair))

    def test_no_secret_in_the_document(self, keypair: KeyPair) -> None:
        text = json.dumps(resolve_did_key(did_key_for(keypair)))
        assert keypair.secret_key_multibase not in text

    def test_parse(self, keypair: KeyPair) -> None:
        did = did_key_for(keypair)
        mb = keypair.public_key_multibase
        assert parse_did_key(did) == (did, mb)
        assert parse_did_key(f"{did}#{mb}") == (did, mb)

    @pytest.mark.parametrize(
        "did",
        [
            "",
            "did:key:",
            "did:key:z",
            "did:key:6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#key-1",
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#",
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2?service=x",
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2/path",
            "did:key:" + encode_multibase(b"\xed\x01" + b"\x01" * 31),  # short key
            "did:key:z0OIl",  # not base58
            "did:key:z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",  # a secret key
            "did:web:example.com",
            "DID:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            None,
        ],
    )
    def test_malformed(self, did: object) -> None:
        with pytest.raises(InvalidDid):
            resolve_did_key(did)  # type: ignore[arg-type]

    def test_well_formed_key_of_an_unsupported_type(self) -> None:
        point = (
            ec.generate_private_key(ec.SECP256K1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        )
        did = "did:key:" + encode_multibase(b"\xe7\x01" + point)
        assert did.startswith("did:key:zQ3s")
        with pytest.raises(UnsupportedKeyType):
            resolve_did_key(did)
