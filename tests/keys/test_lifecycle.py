"""keys.lifecycle: retired keys (``expires``) verify only what they signed before, compromised
keys (``revoked``) verify nothing — read from the DID document, checked by ``verify_proof``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keys.cryptosuites import get_cryptosuite
from keys.did_web import PublishedKey, build_did_document, did_web_to_url
from keys.errors import KeyExpired, KeyRevoked
from keys.keypairs import Algorithm, KeyPair
from keys.lifecycle import check_lifecycle, format_time, parse_time
from keys.multikey import encode_multibase
from keys.proof import (
    PROOF_TYPE,
    add_proof,
    create_verify_data,
    proof_configuration,
    verify_proof,
)
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver

DID = "did:web:university.example"
RETIRED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
COMPROMISED_AT = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:5a9e1f1c-8a55-4d8e-9a2b-3f7d1c0e6b21",
    "type": ["VerifiableCredential"],
    "issuer": DID,
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "urn:uuid:0c4d7a5e-1f0b-4a8e-8f61-2f3b7c9d1e40", "name": "Ana"},
}


def key(n: int, algorithm: Algorithm = Algorithm.ED25519) -> KeyPair:
    return KeyPair.generate(algorithm).with_ids(f"{DID}#key-{n}", DID)


@pytest.fixture(scope="module")
def keys() -> dict[str, KeyPair]:
    return {"retired": key(1), "stolen": key(2, Algorithm.P256), "current": key(3)}


def resolver_for(document: Mapping[str, Any]) -> DidResolver:
    served = {did_web_to_url(DID): json.dumps(document).encode()}
    return DidResolver(fetch=lambda url: served[url])


@pytest.fixture(scope="module")
def published(keys: dict[str, KeyPair]) -> dict[str, Any]:
    """The DID document: key-1 retired, key-2 compromised, key-3 current."""
    return build_did_document(
        DID,
        [
            keys["current"],
            PublishedKey.retired(keys["retired"], RETIRED_AT),
            PublishedKey.compromised(keys["stolen"], COMPROMISED_AT),
        ],
    )


def signed_at(keypair: KeyPair, created: datetime | str) -> dict[str, Any]:
    return add_proof(CREDENTIAL, keypair, created=created)


def signed_without_created(keypair: KeyPair) -> dict[str, Any]:
    """A proof with a genuine signature whose options carry no ``created`` (the spec makes it
    optional; ``create_proof`` always writes one)."""
    suite = get_cryptosuite("eddsa-rdfc-2022")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": suite.name,
        "verificationMethod": keypair.id,
        "proofPurpose": "assertionMethod",
    }
    data = create_verify_data(
        CREDENTIAL, proof_configuration(CREDENTIAL, options), suite, keypair.algorithm
    )
    return {
        **CREDENTIAL,
        "proof": {**options, "proofValue": encode_multibase(keypair.sign(data.combined))},
    }


def verify(document: Mapping[str, Any], did_document: Mapping[str, Any]) -> Any:
    return verify_proofs(document, resolver=resolver_for(did_document), controllers=[DID], now=NOW)


def failure(document: Mapping[str, Any], did_document: Mapping[str, Any]) -> tuple[str, str]:
    result = verify(document, did_document)
    assert not result.verified
    [only] = result.results
    assert only.code is not None and only.message is not None
    return only.code, only.message


class TestRetiredKey:
    def test_signed_before_retirement_verifies(self, keys, published) -> None:
        document = signed_at(keys["retired"], RETIRED_AT - timedelta(seconds=1))
        result = verify(document, published)
        assert result.verified, result.results
        assert result.signers == [DID]

    @pytest.mark.parametrize(
        "created", [RETIRED_AT, RETIRED_AT + timedelta(seconds=1), NOW - timedelta(days=1)]
    )
    def test_signed_at_or_after_retirement_fails(self, keys, published, created) -> None:
        code, message = failure(signed_at(keys["retired"], created), published)
        assert code == "key_expired"
        assert message == "signed with a key retired on 2026-06-01 12:00:00 UTC"

    def test_created_in_another_timezone_is_compared_as_an_instant(self, keys, published) -> None:
        before = signed_at(keys["retired"], "2026-06-01T13:59:59+02:00")
        assert verify(before, published).verified
        after = signed_at(keys["retired"], "2026-06-01T14:00:00+02:00")
        assert failure(after, published)[0] == "key_expired"

    def test_no_created_fails(self, keys, published) -> None:
        document = signed_without_created(keys["retired"])
        code, message = failure(document, published)
        assert code == "key_expired"
        assert "does not say when it was created" in message
        # the same kind of proof by a current key is fine: it is the retirement that fails it
        assert verify(signed_without_created(keys["current"]), published).verified

    def test_fraction_of_a_second_is_kept(self, keys) -> None:
        """Proofs are dated to the second; a key retired 0.6 s after signing still verifies."""
        retired_at = RETIRED_AT + timedelta(microseconds=600_000)
        document = build_did_document(DID, [PublishedKey.retired(keys["retired"], retired_at)])
        assert document["verificationMethod"][0]["expires"] == "2026-06-01T12:00:00.600000Z"
        assert verify(signed_at(keys["retired"], RETIRED_AT), document).verified

    @pytest.mark.parametrize(
        "expires",
        [
            "2026-06-01",
            "2026-06-01T12:00:00",  # no timezone: no instant
            "1 June 2026",
            "2026-13-01T00:00:00Z",
            "",
            None,
            1780315200,
            ["2026-06-01T12:00:00Z"],
        ],
    )
    def test_malformed_expires_fails_closed(self, keys, published, expires) -> None:
        did_document = json.loads(json.dumps(published))
        did_document["verificationMethod"][1]["expires"] = expires
        document = signed_at(keys["retired"], RETIRED_AT - timedelta(days=30))
        code, message = failure(document, did_document)
        assert code == "key_expired"
        assert "unreadable expiry" in message


class TestCompromisedKey:
    @pytest.mark.parametrize(
        "created",
        [
            COMPROMISED_AT + timedelta(days=1),
            COMPROMISED_AT - timedelta(days=1),
            datetime(2020, 1, 1, tzinfo=UTC),  # backdated by a thief
        ],
    )
    def test_verifies_nothing(self, keys, published, created) -> None:
        code, message = failure(signed_at(keys["stolen"], created), published)
        assert code == "key_revoked"
        assert message == (
            f"the key {DID}#key-2 was withdrawn as compromised on 2026-09-01 08:00:00 UTC; "
            "nothing it signed can be trusted"
        )

    def test_listed_in_no_relationship(self, keys, published) -> None:
        stolen_id = f"{DID}#key-2"
        assert [m["id"] for m in published["verificationMethod"]] == [
            f"{DID}#key-3",
            f"{DID}#key-1",
            stolen_id,
        ]
        assert published["verificationMethod"][2]["revoked"] == "2026-09-01T08:00:00Z"
        for relationship in ("authentication", "assertionMethod", "capabilityInvocation"):
            assert stolen_id not in published[relationship]

    def test_revoked_wins_even_when_a_relationship_lists_the_key(self, keys, published) -> None:
        did_document = json.loads(json.dumps(published))
        did_document["assertionMethod"].append(f"{DID}#key-2")
        document = signed_at(keys["stolen"], COMPROMISED_AT - timedelta(days=1))
        assert failure(document, did_document)[0] == "key_revoked"

    @pytest.mark.parametrize("revoked", ["soon", "", None, 0, {"at": "2026-09-01"}])
    def test_malformed_revoked_fails_closed(self, keys, published, revoked) -> None:
        did_document = json.loads(json.dumps(published))
        did_document["verificationMethod"][2]["revoked"] = revoked
        document = signed_at(keys["stolen"], COMPROMISED_AT - timedelta(days=1))
        code, message = failure(document, did_document)
        assert code == "key_revoked"
        assert "an unreadable date" in message

    def test_a_joint_award_fails_on_the_compromised_proof_only(self, keys, published) -> None:
        partner = KeyPair.generate(Algorithm.ED25519)
        partner_did = "did:web:employer.example"
        partner = partner.with_ids(f"{partner_did}#key-1", partner_did)
        document = signed_at(keys["stolen"], COMPROMISED_AT - timedelta(days=1))
        document = add_proof(document, partner, created=COMPROMISED_AT - timedelta(days=1))
        served = {
            did_web_to_url(DID): json.dumps(published).encode(),
            did_web_to_url(partner_did): json.dumps(
                build_did_document(partner_did, [partner])
            ).encode(),
        }
        result = verify_proofs(
            document,
            resolver=DidResolver(fetch=lambda url: served[url]),
            controllers=[DID, partner_did],
            now=NOW,
        )
        assert not result.verified
        assert [(r.verified, r.code) for r in result.results] == [
            (False, "key_revoked"),
            (True, None),
        ]


class TestVerifyProof:
    def test_raises_the_lifecycle_errors(self, keys, published) -> None:
        resolver = resolver_for(published)
        stolen = signed_at(keys["stolen"], COMPROMISED_AT - timedelta(days=1))
        with pytest.raises(KeyRevoked):
            verify_proof(stolen, stolen["proof"], resolver=resolver, now=NOW)
        late = signed_at(keys["retired"], RETIRED_AT)
        with pytest.raises(KeyExpired):
            verify_proof(late, late["proof"], resolver=resolver, now=NOW)
        current = signed_at(keys["current"], NOW)
        assert verify_proof(current, current["proof"], resolver=resolver, now=NOW).controller == DID

    def test_unreadable_created_is_a_malformed_proof_first(self, keys, published) -> None:
        """The purpose check reads ``created`` before any key is fetched, so an unreadable one
        is ``malformed_proof`` whatever the key (``check_lifecycle`` alone says key_expired)."""
        document = signed_at(keys["retired"], "1 June 2026")
        assert failure(document, published)[0] == "malformed_proof"


class TestCheckLifecycle:
    def test_a_method_without_lifecycle_passes_anything(self) -> None:
        check_lifecycle({"id": f"{DID}#key-3"}, {})

    @pytest.mark.parametrize(
        "created", [None, "", "yesterday", "2026-05-01T00:00:00", "2026-05-01", 1780315200]
    )
    def test_expiring_key_needs_a_readable_created(self, created) -> None:
        method = {"id": f"{DID}#key-1", "expires": format_time(RETIRED_AT)}
        with pytest.raises(KeyExpired):
            check_lifecycle(method, {} if created is None else {"created": created})

    def test_revoked_is_checked_before_expires(self) -> None:
        method = {"id": "x", "expires": "2030-01-01T00:00:00Z", "revoked": "2026-01-01T00:00:00Z"}
        with pytest.raises(KeyRevoked):
            check_lifecycle(method, {"created": "2025-01-01T00:00:00Z"})


class TestTimes:
    def test_format(self) -> None:
        assert format_time(RETIRED_AT) == "2026-06-01T12:00:00Z"
        assert format_time(RETIRED_AT + timedelta(microseconds=5)) == "2026-06-01T12:00:00.000005Z"
        with pytest.raises(ValueError):
            format_time(datetime(2026, 6, 1))

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-06-01T12:00:00Z", RETIRED_AT),
            ("2026-06-01T14:00:00+02:00", RETIRED_AT),
            ("2026-06-01T12:00:00.5Z", RETIRED_AT + timedelta(milliseconds=500)),
            ("2026-06-01T12:00:00", None),
            ("20260601T120000Z", None),
            ("2026-06-01 12:00:00Z", None),
            ("2026-06-01T24:00:00Z", None),
            (None, None),
        ],
    )
    def test_parse(self, text, expected) -> None:
        assert parse_time(text) == expected
