"""keys.multikey: multibase and multicodec-headed key encodings."""

from __future__ import annotations

import json
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.errors import InvalidKey, UnsupportedKeyType
from keys.multikey import (
    ED25519_PUBLIC_HEADER,
    ED25519_SECRET_HEADER,
    P256_PUBLIC_HEADER,
    P256_SECRET_HEADER,
    P384_PUBLIC_HEADER,
    P384_SECRET_HEADER,
    decode_multibase,
    decode_public_key,
    decode_secret_key,
    encode_multibase,
    encode_public_key,
    encode_secret_key,
)

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

# (file under reference/w3c, key in that file or None for the top level)
VECTOR_KEYS = [
    ("eddsa-rdfc-2022/keyPair.json", None),
    ("ecdsa-rdfc-2019/p256KeyPair.json", None),
    ("ecdsa-rdfc-2019/p384KeyPair.json", None),
    ("eddsa-rdfc-2022/proof-set-chain/multiKeyPairs.json", "keyPair1"),
    ("eddsa-rdfc-2022/proof-set-chain/multiKeyPairs.json", "keyPair2"),
    ("eddsa-rdfc-2022/proof-set-chain/multiKeyPairs.json", "keyPair3"),
    ("eddsa-rdfc-2022/proof-set-chain/multiKeyPairs.json", "keyPair4"),
    ("ob3/key.json", None),
]


def vector_key(reference: Path, path: str, member: str | None) -> dict[str, str]:
    doc = json.loads((reference / "w3c" / path).read_text(encoding="utf-8"))
    return doc[member] if member else doc


def secret_of(doc: dict[str, str]) -> str:
    return doc.get("secretKeyMultibase") or doc["privateKeyMultibase"]


def raw_public(key: ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class TestMultibase:
    @settings(max_examples=50, deadline=None)
    @given(st.binary(min_size=1, max_size=80))
    def test_round_trip(self, data: bytes) -> None:
        encoded = encode_multibase(data)
        assert encoded.startswith("z")
        assert decode_multibase(encoded) == data

    def test_leading_zero_bytes_survive(self) -> None:
        assert decode_multibase(encode_multibase(b"\x00\x00\x01")) == b"\x00\x00\x01"

    @pytest.mark.parametrize(
        "value",
        ["", "z", "abc", "u3q2", "Z6Mk", "z0OIl", "z6Mk ", " z6Mk", "z6M k", "z6Mké", 123, None],
    )
    def test_rejects(self, value: object) -> None:
        with pytest.raises(InvalidKey):
            decode_multibase(value)  # type: ignore[arg-type]

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet="123abcXYZz0OIl \t\n\u00e9", min_size=1, max_size=40))
    def test_accepts_exactly_the_canonical_encodings(self, body: str) -> None:
        """A text is accepted when, and only when, it is the encoding of what it decodes to
        (the rule written the long way: decode with the library, encode again, compare)."""
        try:
            canonical = base58.b58encode(base58.b58decode(body)).decode("ascii") == body
        except ValueError:
            canonical = False
        if canonical:
            assert encode_multibase(decode_multibase("z" + body)) == "z" + body
        else:
            with pytest.raises(InvalidKey):
                decode_multibase("z" + body)


class TestVectorKeys:
    @pytest.mark.parametrize(("path", "member"), VECTOR_KEYS)
    def test_public_decodes_and_re_encodes(
        self, reference: Path, path: str, member: str | None
    ) -> None:
        doc = vector_key(reference, path, member)
        public = decode_public_key(doc["publicKeyMultibase"])
        assert encode_public_key(public) == doc["publicKeyMultibase"]

    @pytest.mark.parametrize(("path", "member"), VECTOR_KEYS)
    def test_secret_derives_the_public_key(
        self, reference: Path, path: str, member: str | None
    ) -> None:
        doc = vector_key(reference, path, member)
        private = decode_secret_key(secret_of(doc))
        assert encode_public_key(private.public_key()) == doc["publicKeyMultibase"]

    @pytest.mark.parametrize(("path", "member"), VECTOR_KEYS[:-1])
    def test_secret_re_encodes(self, reference: Path, path: str, member: str | None) -> None:
        doc = vector_key(reference, path, member)
        assert encode_secret_key(decode_secret_key(secret_of(doc))) == secret_of(doc)

    def test_ob3_64_byte_secret_re_encodes_as_its_seed(self, reference: Path) -> None:
        doc = vector_key(reference, "ob3/key.json", None)
        private = decode_secret_key(doc["secretKeyMultibase"])
        assert isinstance(private, ed25519.Ed25519PrivateKey)
        long_form = decode_multibase(doc["secretKeyMultibase"])
        assert long_form[:2] == ED25519_SECRET_HEADER
        assert long_form[2:].hex() == doc["secretKeyHex"]
        assert decode_multibase(encode_secret_key(private)) == long_form[:34]
        assert raw_public(private.public_key()).hex() == doc["publicKeyHex"]

    @pytest.mark.parametrize(
        ("path", "header", "length", "prefix"),
        [
            ("eddsa-rdfc-2022/keyPair.json", ED25519_PUBLIC_HEADER, 32, "z6Mk"),
            ("ecdsa-rdfc-2019/p256KeyPair.json", P256_PUBLIC_HEADER, 33, "zDna"),
            ("ecdsa-rdfc-2019/p384KeyPair.json", P384_PUBLIC_HEADER, 49, "z82"),
        ],
    )
    def test_public_headers(
        self, reference: Path, path: str, header: bytes, length: int, prefix: str
    ) -> None:
        multibase = vector_key(reference, path, None)["publicKeyMultibase"]
        data = decode_multibase(multibase)
        assert multibase.startswith(prefix)
        assert (data[:2], len(data) - 2) == (header, length)

    @pytest.mark.parametrize(
        ("path", "header", "length"),
        [
            ("eddsa-rdfc-2022/keyPair.json", ED25519_SECRET_HEADER, 32),
            ("ecdsa-rdfc-2019/p256KeyPair.json", P256_SECRET_HEADER, 32),
            ("ecdsa-rdfc-2019/p384KeyPair.json", P384_SECRET_HEADER, 48),
        ],
    )
    def test_secret_headers(self, reference: Path, path: str, header: bytes, length: int) -> None:
        data = decode_multibase(secret_of(vector_key(reference, path, None)))
        assert (data[:2], len(data) - 2) == (header, length)


class TestGeneratedKeys:
    @pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()])
    def test_ec_round_trip(self, curve: ec.EllipticCurve) -> None:
        private = ec.generate_private_key(curve)
        public = decode_public_key(encode_public_key(private.public_key()))
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert public.public_numbers() == private.public_key().public_numbers()
        decoded = decode_secret_key(encode_secret_key(private))
        assert isinstance(decoded, ec.EllipticCurvePrivateKey)
        assert decoded.private_numbers() == private.private_numbers()

    def test_ed25519_round_trip(self) -> None:
        private = ed25519.Ed25519PrivateKey.generate()
        public = decode_public_key(encode_public_key(private.public_key()))
        assert isinstance(public, ed25519.Ed25519PublicKey)
        assert raw_public(public) == raw_public(private.public_key())
        decoded = decode_secret_key(encode_secret_key(private))
        assert isinstance(decoded, ed25519.Ed25519PrivateKey)
        assert raw_public(decoded.public_key()) == raw_public(private.public_key())

    @pytest.mark.parametrize(
        "key",
        [ec.generate_private_key(ec.SECP256K1()), x25519.X25519PrivateKey.generate()],
    )
    def test_unsupported_private_keys_are_refused(self, key: object) -> None:
        with pytest.raises(UnsupportedKeyType):
            encode_secret_key(key)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "key",
        [
            ec.generate_private_key(ec.SECP256K1()).public_key(),
            x25519.X25519PrivateKey.generate().public_key(),
        ],
    )
    def test_unsupported_public_keys_are_refused(self, key: object) -> None:
        with pytest.raises(UnsupportedKeyType):
            encode_public_key(key)  # type: ignore[arg-type]


class TestDecodeErrors:
    def test_unknown_header(self) -> None:
        secp256k1 = ec.generate_private_key(ec.SECP256K1()).public_key()
        point = secp256k1.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        with pytest.raises(UnsupportedKeyType):
            decode_public_key(encode_multibase(b"\xe7\x01" + point))

    @pytest.mark.parametrize(
        "data",
        [
            b"\xed",
            ED25519_PUBLIC_HEADER + b"\x01" * 31,
            ED25519_PUBLIC_HEADER + b"\x01" * 33,
            P256_PUBLIC_HEADER + b"\x02" + b"\x01" * 31,
            P256_PUBLIC_HEADER + b"\x04" + b"\x01" * 64,  # uncompressed
            P256_PUBLIC_HEADER + b"\x02" + b"\xff" * 32,  # x beyond the field
            P384_PUBLIC_HEADER + b"\x03" + b"\x01" * 47,
            ED25519_SECRET_HEADER + b"\x01" * 32,  # a secret is not a public key
        ],
    )
    def test_bad_public_keys(self, data: bytes) -> None:
        with pytest.raises(InvalidKey):
            decode_public_key(encode_multibase(data))
        with pytest.raises(InvalidKey):  # a failure is not remembered as a key
            decode_public_key(encode_multibase(data))

    @pytest.mark.parametrize("value", [None, 7, ["z6Mk"], {"z": 1}, b"z6Mk"])
    def test_a_value_that_is_not_text(self, value: object) -> None:
        """What a document names as a key may be anything, unhashable included."""
        with pytest.raises(InvalidKey):
            decode_public_key(value)  # type: ignore[arg-type]


def test_a_key_decoded_again_is_the_same_key() -> None:
    """Verifiers meet the same issuers' keys again and again: decoded once, then remembered."""
    text = encode_public_key(ed25519.Ed25519PrivateKey.generate().public_key())
    first = decode_public_key(text)
    assert decode_public_key(text) is first
    assert encode_public_key(first) == text

    @pytest.mark.parametrize(
        "data",
        [
            ED25519_SECRET_HEADER + b"\x01" * 31,
            ED25519_SECRET_HEADER + b"\x01" * 48,
            P256_SECRET_HEADER + b"\x01" * 31,
            P256_SECRET_HEADER + b"\x00" * 32,
            P256_SECRET_HEADER + P256_ORDER.to_bytes(32, "big"),
            P384_SECRET_HEADER + b"\x01" * 32,
            ED25519_PUBLIC_HEADER + b"\x01" * 32,  # a public key is not a secret
        ],
    )
    def test_bad_secret_keys(self, data: bytes) -> None:
        with pytest.raises(InvalidKey):
            decode_secret_key(encode_multibase(data))

    def test_64_byte_ed25519_secret_with_a_foreign_public_half(self) -> None:
        seed = b"\x07" * 32
        other = raw_public(ed25519.Ed25519PrivateKey.generate().public_key())
        with pytest.raises(InvalidKey):
            decode_secret_key(encode_multibase(ED25519_SECRET_HEADER + seed + other))

    def test_64_byte_ed25519_secret_with_its_public_half(self) -> None:
        seed = b"\x07" * 32
        public = raw_public(ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key())
        private = decode_secret_key(encode_multibase(ED25519_SECRET_HEADER + seed + public))
        assert encode_secret_key(private) == encode_multibase(ED25519_SECRET_HEADER + seed)
