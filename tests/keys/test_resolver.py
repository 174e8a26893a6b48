"""keys.resolver: DID resolution, verification-method lookup and authorisation."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.did_key import did_key_for, verification_method_id_for
from keys.did_web import PublishedKey, build_did_document
from keys.errors import (
    DidResolutionError,
    InvalidDid,
    InvalidKey,
    KeyNotAuthorized,
    KeysError,
    UnsupportedKeyType,
)
from keys.keypairs import Algorithm, KeyPair
from keys.resolver import DidResolver, is_authorized, keypair_for_method

DID = "did:web:issuer.example.edu"
RETIRED_AT = datetime(2026, 6, 1, tzinfo=UTC)

# (key file, proof config, folder and suffix of the intermediate files)
SIGNATURE_VECTORS = [
    ("eddsa-rdfc-2022/keyPair.json", "eddsa-rdfc-2022", "DataInt"),
    ("ecdsa-rdfc-2019/p256KeyPair.json", "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256", "ECDSAP256"),
    ("ecdsa-rdfc-2019/p384KeyPair.json", "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384", "ECDSAP384"),
]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def serving(documents: dict[str, dict[str, Any]]) -> tuple[Callable[[str], bytes], list[str]]:
    """A fake fetch answering from ``documents`` (URL → JSON) and recording each URL asked."""
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        if url not in documents:
            raise OSError(f"404 {url}")
        return json.dumps(documents[url]).encode()

    return fetch, asked


DOC_URL = "https://issuer.example.edu/.well-known/did.json"


@pytest.fixture
def keys() -> dict[str, KeyPair]:
    return {
        "current": KeyPair.generate(Algorithm.ED25519),
        "retired": KeyPair.generate(Algorithm.P256),
    }


@pytest.fixture
def web_document(keys: dict[str, KeyPair]) -> dict[str, Any]:
    return build_did_document(
        DID, [keys["current"], PublishedKey.retired(keys["retired"], RETIRED_AT)]
    )


class TestResolve:
    def test_did_key_needs_no_fetcher(self) -> None:
        keypair = KeyPair.generate(Algorithm.P384)
        document = DidResolver().resolve(did_key_for(keypair))
        assert document["id"] == did_key_for(keypair)

    def test_did_web_through_fetch_is_cached(self, web_document: dict[str, Any]) -> None:
        fetch, asked = serving({DOC_URL: web_document})
        resolver = DidResolver(fetch)
        assert resolver.resolve(DID) == web_document
        assert resolver.resolve(DID + "#anything") == web_document
        assert asked == [DOC_URL]

    def test_cache_is_per_instance(self, web_document: dict[str, Any]) -> None:
        fetch, asked = serving({DOC_URL: web_document})
        DidResolver(fetch).resolve(DID)
        DidResolver(fetch).resolve(DID)
        assert asked == [DOC_URL, DOC_URL]

    def test_callers_cannot_change_the_cache(self, web_document: dict[str, Any]) -> None:
        fetch, _ = serving({DOC_URL: web_document})
        resolver = DidResolver(fetch)
        resolver.resolve(DID)["assertionMethod"].append(f"{DID}#evil")
        assert resolver.resolve(DID) == web_document

    def test_failures_are_not_cached(self, web_document: dict[str, Any]) -> None:
        documents: dict[str, dict[str, Any]] = {}
        fetch, asked = serving(documents)
        resolver = DidResolver(fetch)
        with pytest.raises(DidResolutionError):
            resolver.resolve(DID)
        documents[DOC_URL] = web_document
        assert resolver.resolve(DID) == web_document
        assert len(asked) == 2

    def test_did_web_without_fetcher(self) -> None:
        with pytest.raises(DidResolutionError) as caught:
            DidResolver().resolve(DID)
        assert caught.value.code == "did_unresolved"

    def test_unreachable(self) -> None:
        fetch, _ = serving({})
        with pytest.raises(DidResolutionError) as caught:
            DidResolver(fetch).resolve(DID)
        assert caught.value.code == "did_unresolved"

    def test_wrong_document(self, keys: dict[str, KeyPair]) -> None:
        fetch, _ = serving(
            {DOC_URL: build_did_document("did:web:other.example", [keys["current"]])}
        )
        with pytest.raises(DidResolutionError) as caught:
            DidResolver(fetch).resolve(DID)
        assert caught.value.code == "did_document_invalid"

    @pytest.mark.parametrize(
        "did", ["did:example:123", "did:ion:abc", "https://example.com", "did:", "", None]
    )
    def test_unsupported_or_malformed(self, did: object) -> None:
        with pytest.raises(InvalidDid):
            DidResolver().resolve(did)  # type: ignore[arg-type]


class TestResolveVerificationMethod:
    def test_did_key(self) -> None:
        keypair = KeyPair.generate(Algorithm.ED25519)
        method_id = verification_method_id_for(keypair)
        method, document = DidResolver().resolve_verification_method(method_id)
        assert method["id"] == method_id
        assert method["publicKeyMultibase"] == keypair.public_key_multibase
        assert document["id"] == did_key_for(keypair)

    def test_bare_did_key_stands_for_its_key(self) -> None:
        keypair = KeyPair.generate(Algorithm.P256)
        method, _ = DidResolver().resolve_verification_method(did_key_for(keypair))
        assert method["id"] == verification_method_id_for(keypair)

    def test_did_key_with_a_foreign_fragment(self) -> None:
        keypair = KeyPair.generate(Algorithm.ED25519)
        with pytest.raises(KeyNotAuthorized):
            DidResolver().resolve_verification_method(did_key_for(keypair) + "#key-1")

    def test_did_web_current_and_retired(
        self, keys: dict[str, KeyPair], web_document: dict[str, Any]
    ) -> None:
        fetch, asked = serving({DOC_URL: web_document})
        resolver = DidResolver(fetch)
        for keypair in keys.values():
            method_id = f"{DID}#{keypair.public_key_multibase}"
            method, document = resolver.resolve_verification_method(method_id)
            assert method["id"] == method_id
            assert method["controller"] == DID
            assert document == web_document
            assert keypair_for_method(method).public_key_multibase == keypair.public_key_multibase
        assert asked == [DOC_URL]

    def test_relative_ids(self, keys: dict[str, KeyPair]) -> None:
        document = {
            "id": DID,
            "verificationMethod": [
                {
                    "id": "#key-1",
                    "type": "Multikey",
                    "controller": DID,
                    "publicKeyMultibase": keys["current"].public_key_multibase,
                }
            ],
            "assertionMethod": ["#key-1"],
        }
        fetch, _ = serving({DOC_URL: document})
        resolver = DidResolver(fetch)
        method, controller_document = resolver.resolve_verification_method(f"{DID}#key-1")
        assert method["id"] == f"{DID}#key-1"
        assert is_authorized(controller_document, method["id"], "assertionMethod")

    def test_embedded_method(self, keys: dict[str, KeyPair]) -> None:
        embedded = {
            "id": f"{DID}#embedded",
            "type": "Multikey",
            "controller": DID,
            "publicKeyMultibase": keys["current"].public_key_multibase,
        }
        fetch, _ = serving({DOC_URL: {"id": DID, "assertionMethod": [embedded]}})
        method, document = DidResolver(fetch).resolve_verification_method(f"{DID}#embedded")
        assert method == embedded
        assert is_authorized(document, method["id"], "assertionMethod")
        assert not is_authorized(document, method["id"], "authentication")

    def test_unknown_method(self, web_document: dict[str, Any]) -> None:
        fetch, _ = serving({DOC_URL: web_document})
        with pytest.raises(KeyNotAuthorized):
            DidResolver(fetch).resolve_verification_method(f"{DID}#missing")

    def test_method_controlled_by_someone_else(self, keys: dict[str, KeyPair]) -> None:
        document = build_did_document(DID, [keys["current"]])
        document["verificationMethod"][0]["controller"] = "did:web:attacker.example"
        fetch, _ = serving({DOC_URL: document})
        method_id = document["verificationMethod"][0]["id"]
        with pytest.raises(KeyNotAuthorized):
            DidResolver(fetch).resolve_verification_method(method_id)

    def test_method_listed_under_another_did_id(self, keys: dict[str, KeyPair]) -> None:
        document = build_did_document(DID, [keys["current"]])
        document["verificationMethod"][0]["id"] = "did:web:attacker.example#k"
        fetch, _ = serving({DOC_URL: document})
        with pytest.raises(KeyNotAuthorized):
            DidResolver(fetch).resolve_verification_method(f"{DID}#k")

    def test_conflicting_descriptions(self, keys: dict[str, KeyPair]) -> None:
        document = build_did_document(DID, [keys["current"]])
        method = dict(document["verificationMethod"][0])
        method["publicKeyMultibase"] = keys["retired"].public_key_multibase
        document["assertionMethod"] = [method]
        fetch, _ = serving({DOC_URL: document})
        with pytest.raises(DidResolutionError) as caught:
            DidResolver(fetch).resolve_verification_method(method["id"])
        assert caught.value.code == "did_document_invalid"

    @pytest.mark.parametrize("method_id", [DID, "https://example.edu/issuers/1#key", "", 7])
    def test_not_a_method_reference(self, method_id: object) -> None:
        fetch, _ = serving({})
        with pytest.raises(InvalidDid):
            DidResolver(fetch).resolve_verification_method(method_id)  # type: ignore[arg-type]

    @pytest.mark.parametrize(("key_file", "folder", "suffix"), SIGNATURE_VECTORS)
    def test_vector_signature_verifies_through_the_resolver(
        self, reference: Path, key_file: str, folder: str, suffix: str
    ) -> None:
        base = reference / "w3c"
        config = json.loads((base / folder / f"proofConfig{suffix}.json").read_text("utf-8"))
        data = bytes.fromhex((base / folder / f"combinedHash{suffix}.txt").read_text().strip())
        signature = bytes.fromhex((base / folder / f"sigHex{suffix}.txt").read_text().strip())
        resolver = DidResolver()
        method, document = resolver.resolve_verification_method(config["verificationMethod"])
        assert is_authorized(document, method["id"], config["proofPurpose"])
        keypair = resolver.keypair_for_method(method)
        assert not keypair.has_secret
        keypair.verify(signature, data)


class TestIsAuthorized:
    def test_retired_keys_still_assert(
        self, keys: dict[str, KeyPair], web_document: dict[str, Any]
    ) -> None:
        current = f"{DID}#{keys['current'].public_key_multibase}"
        retired = f"{DID}#{keys['retired'].public_key_multibase}"
        for relationship in ("assertionMethod", "authentication", "capabilityInvocation"):
            assert is_authorized(web_document, current, relationship)
        assert is_authorized(web_document, retired, "assertionMethod")
        assert not is_authorized(web_document, retired, "authentication")
        assert not is_authorized(web_document, retired, "capabilityInvocation")

    def test_method_not_in_assertion_method(self, web_document: dict[str, Any]) -> None:
        method_id = web_document["verificationMethod"][0]["id"]
        web_document["assertionMethod"] = []
        assert not is_authorized(web_document, method_id, "assertionMethod")
        assert is_authorized(web_document, method_id, "authentication")
        assert not DidResolver.is_authorized(web_document, method_id, "assertionMethod")

    def test_relative_references_both_ways(self) -> None:
        document = {"id": DID, "assertionMethod": ["#key-1", {"id": f"{DID}#key-2"}]}
        assert is_authorized(document, f"{DID}#key-1", "assertionMethod")
        assert is_authorized(document, "#key-1", "assertionMethod")
        assert is_authorized(document, "#key-2", "assertionMethod")
        assert not is_authorized(document, "did:web:other.example#key-1", "assertionMethod")

    @pytest.mark.parametrize("entries", [None, 5, [5, None], {"x": 1}])
    def test_malformed_relationship(self, entries: object) -> None:
        document = {"id": DID, "assertionMethod": entries}
        assert not is_authorized(document, f"{DID}#key-1", "assertionMethod")


class TestKeypairForMethod:
    def test_multikey(self) -> None:
        keypair = KeyPair.generate(Algorithm.P384).with_ids(f"{DID}#k", DID)
        found = keypair_for_method(keypair.to_multikey())
        assert found == keypair.public_only()

    def test_ed25519_verification_key_2020(self) -> None:
        keypair = KeyPair.generate(Algorithm.ED25519)
        method = {**keypair.to_multikey(), "type": "Ed25519VerificationKey2020"}
        assert keypair_for_method(method).public_key_multibase == keypair.public_key_multibase

    def test_ed25519_verification_key_2020_with_an_ec_key(self) -> None:
        keypair = KeyPair.generate(Algorithm.P256)
        with pytest.raises(InvalidKey):
            keypair_for_method({**keypair.to_multikey(), "type": "Ed25519VerificationKey2020"})

    @pytest.mark.parametrize("method_type", ["JsonWebKey", "JsonWebKey2020"])
    def test_okp_jwk(self, method_type: str) -> None:
        keypair = KeyPair.generate(Algorithm.ED25519)
        raw = keypair.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        method = {
            "id": f"{DID}#jwk",
            "type": method_type,
            "controller": DID,
            "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)},
        }
        found = keypair_for_method(method)
        assert found.public_key_multibase == keypair.public_key_multibase
        assert (found.id, found.controller) == (f"{DID}#jwk", DID)
        found.verify(keypair.sign(b"x"), b"x")

    @pytest.mark.parametrize(("algorithm", "size"), [(Algorithm.P256, 32), (Algorithm.P384, 48)])
    def test_ec_jwk(self, algorithm: Algorithm, size: int) -> None:
        keypair = KeyPair.generate(algorithm)
        assert isinstance(keypair.public_key, ec.EllipticCurvePublicKey)
        numbers = keypair.public_key.public_numbers()
        jwk = {
            "kty": "EC",
            "crv": str(algorithm),
            "x": b64url(numbers.x.to_bytes(size, "big")),
            "y": b64url(numbers.y.to_bytes(size, "big")),
        }
        found = keypair_for_method({"type": "JsonWebKey", "publicKeyJwk": jwk})
        assert found.public_key_multibase == keypair.public_key_multibase
        found.verify(keypair.sign(b"x"), b"x")

    @pytest.mark.parametrize(
        "jwk",
        [
            None,
            "jwk",
            {"kty": "OKP", "crv": "Ed25519"},
            {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
            {"kty": "OKP", "crv": "Ed25519", "x": "!" * 43},
            {"kty": "OKP", "crv": "Ed25519", "x": b64url(bytes(32)), "d": b64url(bytes(32))},
            {"kty": "EC", "crv": "P-256", "x": b64url(bytes(32)), "y": b64url(bytes(32))},
            {"kty": "EC", "crv": "P-256", "x": b64url(bytes(32))},
        ],
    )
    def test_bad_jwk(self, jwk: object) -> None:
        with pytest.raises(InvalidKey):
            keypair_for_method({"type": "JsonWebKey2020", "publicKeyJwk": jwk})

    @pytest.mark.parametrize(
        "jwk",
        [
            {"kty": "EC", "crv": "secp256k1", "x": b64url(bytes(32)), "y": b64url(bytes(32))},
            {"kty": "OKP", "crv": "X25519", "x": b64url(bytes(32))},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        ],
    )
    def test_unsupported_jwk(self, jwk: dict[str, str]) -> None:
        with pytest.raises(UnsupportedKeyType):
            keypair_for_method({"type": "JsonWebKey", "publicKeyJwk": jwk})

    @pytest.mark.parametrize(
        "method_type",
        ["EcdsaSecp256k1VerificationKey2019", "X25519KeyAgreementKey2020", None, ["JsonWebKey"]],
    )
    def test_unsupported_type(self, method_type: object) -> None:
        keypair = KeyPair.generate(Algorithm.ED25519)
        with pytest.raises(UnsupportedKeyType):
            keypair_for_method({**keypair.to_multikey(), "type": method_type})

    def test_multikey_without_key(self) -> None:
        with pytest.raises(InvalidKey):
            keypair_for_method({"type": "Multikey", "id": f"{DID}#k"})


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=8,
)
METHOD_MEMBERS = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON_VALUES,
        "type": st.sampled_from(["Multikey", "JsonWebKey", "JsonWebKey2020"]) | JSON_VALUES,
        "controller": JSON_VALUES,
        "publicKeyMultibase": st.just("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
        | JSON_VALUES,
        "publicKeyJwk": st.fixed_dictionaries(
            {"kty": st.sampled_from(["OKP", "EC"]) | JSON_VALUES},
            optional={"crv": st.sampled_from(["Ed25519", "P-256"]), "x": JSON_VALUES},
        )
        | JSON_VALUES,
    },
)


@settings(max_examples=100, deadline=None)
@given(METHOD_MEMBERS)
def test_hostile_methods_raise_only_keys_errors(method: dict[str, Any]) -> None:
    with contextlib.suppress(KeysError):
        keypair_for_method(method)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40).map(lambda rest: "did:web:" + rest), st.sampled_from(["", "#k"]))
def test_hostile_dids_raise_only_keys_errors(did: str, fragment: str) -> None:
    fetch, _ = serving({})
    with contextlib.suppress(KeysError):
        DidResolver(fetch).resolve_verification_method(did + fragment)
