"""keys.keypairs: KeyPair construction, Multikey documents, signing and verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from keys.errors import InvalidKey, InvalidSignature, UnsupportedKeyType
from keys.keypairs import MULTIKEY_CONTEXT, Algorithm, KeyPair, algorithm_of, signature_length
from keys.multikey import decode_multibase

EDDSA = "w3c/eddsa-rdfc-2022"
ECDSA = "w3c/ecdsa-rdfc-2019"

KEY_FILES = [
    (f"{EDDSA}/keyPair.json", None, Algorithm.ED25519),
    (f"{ECDSA}/p256KeyPair.json", None, Algorithm.P256),
    (f"{ECDSA}/p384KeyPair.json", None, Algorithm.P384),
    (f"{EDDSA}/proof-set-chain/multiKeyPairs.json", "keyPair1", Algorithm.ED25519),
    (f"{EDDSA}/proof-set-chain/multiKeyPairs.json", "keyPair2", Algorithm.ED25519),
    (f"{EDDSA}/proof-set-chain/multiKeyPairs.json", "keyPair3", Algorithm.ED25519),
    (f"{EDDSA}/proof-set-chain/multiKeyPairs.json", "keyPair4", Algorithm.ED25519),
    ("w3c/ob3/key.json", None, Algorithm.ED25519),
]

# (key file, folder of the intermediate files, file suffix)
SIGNATURE_VECTORS = [
    (f"{EDDSA}/keyPair.json", f"{EDDSA}", "DataInt"),
    (f"{EDDSA}/keyPair.json", f"{EDDSA}/employ", "DataInt"),
    (f"{ECDSA}/p256KeyPair.json", f"{ECDSA}/ecdsa-rdfc-2019-p256", "ECDSAP256"),
    (f"{ECDSA}/p256KeyPair.json", f"{ECDSA}/ecdsa-rdfc-2019-p256/employ", "ECDSAP256"),
    (f"{ECDSA}/p384KeyPair.json", f"{ECDSA}/ecdsa-rdfc-2019-p384", "ECDSAP384"),
    (f"{ECDSA}/p384KeyPair.json", f"{ECDSA}/ecdsa-rdfc-2019-p384/employ", "ECDSAP384"),
]


def load(reference: Path, path: str, member: str | None = None) -> dict[str, Any]:
    doc = json.loads((reference / path).read_text(encoding="utf-8"))
    return doc[member] if member else doc


def hex_file(path: Path) -> bytes:
    return bytes.fromhex(path.read_text(encoding="utf-8").strip())


def signature_vector(reference: Path, key_file: str, folder: str, suffix: str):
    keypair = KeyPair.from_multikey(load(reference, key_file))
    data = hex_file(reference / folder / f"combinedHash{suffix}.txt")
    signature = hex_file(reference / folder / f"sigHex{suffix}.txt")
    return keypair, data, signature


@pytest.fixture(params=list(Algorithm), ids=str)
def keypair(request: pytest.FixtureRequest) -> KeyPair:
    return KeyPair.generate(request.param, id="did:example:1#k", controller="did:example:1")


class TestVectorKeyFiles:
    @pytest.mark.parametrize(("path", "member", "algorithm"), KEY_FILES)
    def test_reads_and_re_encodes(
        self, reference: Path, path: str, member: str | None, algorithm: Algorithm
    ) -> None:
        doc = load(reference, path, member)
        keypair = KeyPair.from_multikey(doc)
        assert keypair.algorithm is algorithm
        assert keypair.has_secret
        assert keypair.public_key_multibase == doc["publicKeyMultibase"]
        secret = doc.get("secretKeyMultibase") or doc["privateKeyMultibase"]
        if len(decode_multibase(secret)) == 2 + 64:  # ob3: seed‖public, written back as seed
            assert (
                keypair.secret_key_multibase
                == KeyPair.from_multikey({"secretKeyMultibase": secret}).secret_key_multibase
            )
            assert decode_multibase(secret)[:34] == decode_multibase(keypair.secret_key_multibase)
        else:
            assert keypair.secret_key_multibase == secret

    @pytest.mark.parametrize(("path", "member", "algorithm"), KEY_FILES)
    def test_secret_alone_derives_the_public_key(
        self, reference: Path, path: str, member: str | None, algorithm: Algorithm
    ) -> None:
        doc = load(reference, path, member)
        secret = doc.get("secretKeyMultibase") or doc["privateKeyMultibase"]
        keypair = KeyPair.from_multikey({"privateKeyMultibase": secret})
        assert keypair.public_key_multibase == doc["publicKeyMultibase"]

    def test_ob3_key_carries_its_ids(self, reference: Path) -> None:
        doc = load(reference, "w3c/ob3/key.json")
        keypair = KeyPair.from_multikey(
            {**doc, "id": doc["verificationMethod"], "controller": doc["controller"]}
        )
        assert keypair.id == doc["verificationMethod"]
        assert keypair.id is not None
        assert keypair.id.endswith("#" + keypair.public_key_multibase)


class TestSignatureVectors:
    @pytest.mark.parametrize(("key_file", "folder", "suffix"), SIGNATURE_VECTORS)
    def test_vector_signature_verifies(
        self, reference: Path, key_file: str, folder: str, suffix: str
    ) -> None:
        keypair, data, signature = signature_vector(reference, key_file, folder, suffix)
        keypair.verify(signature, data)
        keypair.public_only().verify(signature, data)

    @pytest.mark.parametrize(("key_file", "folder", "suffix"), SIGNATURE_VECTORS)
    def test_signing_reproduces_the_vector(
        self, reference: Path, key_file: str, folder: str, suffix: str
    ) -> None:
        """Ed25519 is deterministic; ECDSA here is RFC 6979, which the W3C vectors use."""
        keypair, data, signature = signature_vector(reference, key_file, folder, suffix)
        assert keypair.sign(data) == signature

    def test_ob3_signature(self, reference: Path) -> None:
        keypair = KeyPair.from_multikey(load(reference, "w3c/ob3/key.json"))
        expected = load(reference, "w3c/ob3/expected.json")
        data = bytes.fromhex(expected["dataToSignHex"])
        assert keypair.sign(data).hex() == expected["signatureHex"]

    @pytest.mark.parametrize(("key_file", "folder", "suffix"), SIGNATURE_VECTORS[::2])
    def test_tampered_data_fails(
        self, reference: Path, key_file: str, folder: str, suffix: str
    ) -> None:
        keypair, data, signature = signature_vector(reference, key_file, folder, suffix)
        with pytest.raises(InvalidSignature):
            keypair.verify(signature, data[:-1] + bytes([data[-1] ^ 1]))

    @pytest.mark.parametrize(("key_file", "folder", "suffix"), SIGNATURE_VECTORS[::2])
    def test_tampered_signature_fails(
        self, reference: Path, key_file: str, folder: str, suffix: str
    ) -> None:
        keypair, data, signature = signature_vector(reference, key_file, folder, suffix)
        for index in (0, len(signature) // 2, len(signature) - 1):
            tampered = bytearray(signature)
            tampered[index] ^= 0x01
            with pytest.raises(InvalidSignature):
                keypair.verify(bytes(tampered), data)

    @pytest.mark.parametrize(("key_file", "folder", "suffix"), SIGNATURE_VECTORS[::2])
    def test_signature_of_wrong_length_fails(
        self, reference: Path, key_file: str, folder: str, suffix: str
    ) -> None:
        keypair, data, signature = signature_vector(reference, key_file, folder, suffix)
        for bad in (b"", signature[:-1], signature + b"\x00"):
            with pytest.raises(InvalidSignature):
                keypair.verify(bad, data)


class TestSignVerify:
    def test_round_trip(self, keypair: KeyPair) -> None:
        signature = keypair.sign(b"payload")
        assert len(signature) == signature_length(keypair.algorithm)
        keypair.verify(signature, b"payload")

    def test_deterministic(self, keypair: KeyPair) -> None:
        assert keypair.sign(b"payload") == keypair.sign(b"payload")

    def test_signature_lengths(self) -> None:
        assert [signature_length(a) for a in Algorithm] == [64, 64, 96]

    def test_other_data_fails(self, keypair: KeyPair) -> None:
        with pytest.raises(InvalidSignature):
            keypair.verify(keypair.sign(b"payload"), b"payloaD")

    def test_other_key_fails(self, keypair: KeyPair) -> None:
        other = KeyPair.generate(keypair.algorithm)
        with pytest.raises(InvalidSignature):
            other.verify(keypair.sign(b"payload"), b"payload")

    @pytest.mark.parametrize("algorithm", [Algorithm.P256, Algorithm.P384])
    def test_der_signature_is_refused(self, algorithm: Algorithm) -> None:
        keypair = KeyPair.generate(algorithm)
        raw = keypair.sign(b"payload")
        half = len(raw) // 2
        r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        with pytest.raises(InvalidSignature):
            keypair.verify(encode_dss_signature(r, s), b"payload")

    @pytest.mark.parametrize("algorithm", [Algorithm.P256, Algorithm.P384])
    def test_zero_signature_fails(self, algorithm: Algorithm) -> None:
        keypair = KeyPair.generate(algorithm)
        with pytest.raises(InvalidSignature):
            keypair.verify(bytes(signature_length(algorithm)), b"payload")

    def test_public_only_cannot_sign(self, keypair: KeyPair) -> None:
        public = keypair.public_only()
        assert not public.has_secret
        with pytest.raises(InvalidKey) as caught:
            public.sign(b"payload")
        assert caught.value.code == "secret_key_missing"
        public.verify(keypair.sign(b"payload"), b"payload")


class TestMultikeyDocuments:
    def test_public_document(self, keypair: KeyPair) -> None:
        assert keypair.to_multikey() == {
            "@context": MULTIKEY_CONTEXT,
            "type": "Multikey",
            "id": "did:example:1#k",
            "controller": "did:example:1",
            "publicKeyMultibase": keypair.public_key_multibase,
        }

    def test_ids_omitted_when_none(self, keypair: KeyPair) -> None:
        doc = keypair.with_ids(None, None).to_multikey()
        assert "id" not in doc
        assert "controller" not in doc

    def test_secret_document_round_trip(self, keypair: KeyPair) -> None:
        doc = keypair.to_multikey(include_secret=True)
        assert doc["secretKeyMultibase"] == keypair.secret_key_multibase
        again = KeyPair.from_multikey(doc)
        assert again == keypair
        assert again.sign(b"x") == keypair.sign(b"x")

    def test_public_only_document_round_trip(self, keypair: KeyPair) -> None:
        again = KeyPair.from_multikey(keypair.to_multikey())
        assert again == keypair.public_only()
        assert not again.has_secret

    def test_include_secret_without_secret(self, keypair: KeyPair) -> None:
        with pytest.raises(InvalidKey):
            keypair.public_only().to_multikey(include_secret=True)
        with pytest.raises(InvalidKey):
            _ = keypair.public_only().secret_key_multibase

    def test_public_key_must_match_the_secret(self, keypair: KeyPair) -> None:
        other = KeyPair.generate(keypair.algorithm)
        doc = {**keypair.to_multikey(include_secret=True)}
        doc["publicKeyMultibase"] = other.public_key_multibase
        with pytest.raises(InvalidKey):
            KeyPair.from_multikey(doc)

    def test_both_secret_names_must_agree(self, keypair: KeyPair) -> None:
        other = KeyPair.generate(keypair.algorithm)
        doc = {
            "secretKeyMultibase": keypair.secret_key_multibase,
            "privateKeyMultibase": other.secret_key_multibase,
        }
        with pytest.raises(InvalidKey):
            KeyPair.from_multikey(doc)
        doc["privateKeyMultibase"] = keypair.secret_key_multibase
        assert KeyPair.from_multikey(doc) == keypair.with_ids(None, None)

    @pytest.mark.parametrize(
        "doc",
        [{}, {"type": "Multikey"}, {"publicKeyMultibase": 7}, {"publicKeyMultibase": "z1"}, []],
    )
    def test_unusable_documents(self, doc: Any) -> None:
        with pytest.raises(InvalidKey):
            KeyPair.from_multikey(doc)

    def test_non_string_id(self, keypair: KeyPair) -> None:
        with pytest.raises(InvalidKey):
            KeyPair.from_multikey({**keypair.to_multikey(), "id": 5})

    @pytest.mark.parametrize("key_type", ["JsonWebKey", ["Multikey"], {"@id": "Multikey"}])
    def test_foreign_type(self, keypair: KeyPair, key_type: object) -> None:
        with pytest.raises(UnsupportedKeyType):
            KeyPair.from_multikey({**keypair.to_multikey(), "type": key_type})

    @pytest.mark.parametrize("secret", [["z3u2"], {"z": 1}, 7])
    def test_secret_of_the_wrong_json_type(self, secret: object) -> None:
        with pytest.raises(InvalidKey):
            KeyPair.from_multikey({"secretKeyMultibase": secret})


class TestKeyPair:
    def test_generate_accepts_strings(self) -> None:
        assert KeyPair.generate("P-384").algorithm is Algorithm.P384

    def test_generate_rejects_unknown_algorithm(self) -> None:
        with pytest.raises(ValueError):
            KeyPair.generate("secp256k1")

    def test_with_ids_and_public_only_keep_the_keys(self, keypair: KeyPair) -> None:
        renamed = keypair.with_ids("did:example:2#a", "did:example:2")
        assert (renamed.id, renamed.controller) == ("did:example:2#a", "did:example:2")
        assert renamed.public_key_multibase == keypair.public_key_multibase
        assert renamed.has_secret
        assert keypair.public_only().id == keypair.id

    def test_private_key_must_match_public_key(self, keypair: KeyPair) -> None:
        other = KeyPair.generate(keypair.algorithm)
        with pytest.raises(InvalidKey):
            KeyPair(keypair.algorithm, other.public_key, keypair.private_key)

    def test_algorithm_must_match_the_key(self) -> None:
        p256 = KeyPair.generate(Algorithm.P256)
        with pytest.raises(InvalidKey):
            KeyPair(Algorithm.P384, p256.public_key, p256.private_key)

    def test_unsupported_curve(self) -> None:
        private = ec.generate_private_key(ec.SECP256K1())
        with pytest.raises(UnsupportedKeyType):
            algorithm_of(private)
        with pytest.raises(UnsupportedKeyType):
            KeyPair.from_private_key(private)  # type: ignore[arg-type]

    def test_equality_and_hash(self, keypair: KeyPair) -> None:
        same = KeyPair.from_multikey(keypair.to_multikey(include_secret=True))
        assert same == keypair
        assert hash(same) == hash(keypair)
        assert keypair.public_only() != keypair
        assert keypair.with_ids(None, None) != keypair

    def test_repr_and_str_hold_no_secret(self, keypair: KeyPair) -> None:
        secret = keypair.secret_key_multibase
        raw_secret = decode_multibase(secret)[2:]
        for text in (repr(keypair), str(keypair), f"{keypair}", repr([keypair])):
            assert secret not in text
            assert raw_secret.hex() not in text
            assert keypair.public_key_multibase in text
            assert keypair.algorithm.value in text
