"""The W3C VC API verification (POST /credentials/verify) of any W3C VC: the generic checks
decide (and ``options.checks`` chooses them), the micro-credential profile is reported only
for a micro-credential."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from keys.did_key import keypair_with_did_key
from keys.keypairs import KeyPair
from keys.proof import add_proof
from tests.conftest import read_json
from verifier.app import create_app

VC_V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return keypair_with_did_key(KeyPair.generate("Ed25519"))


def plain(key: KeyPair, **more: Any) -> dict[str, Any]:
    """A plain W3C VC 2.0 credential (no micro-credential) signed by ``key``'s did:key."""
    credential = {
        "@context": [VC_V2, EXAMPLES],
        "id": "urn:uuid:5a0f7e0e-8d0a-4f0b-9a37-0f0d3c7b1e21",
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "issuer": key.controller,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:alumna", "alumniOf": "Example University"},
        **more,
    }
    return add_proof(credential, key)


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    """A verifier with no trust source and no network (did:key resolves offline)."""
    return create_app({"TESTING": True, "SECRET_KEY": "test"}).test_client()


def verify(client, credential: Any, **options: Any):  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options:
        body["options"] = options
    return client.post("/credentials/verify", json=body)


def test_a_plain_vc_signed_by_a_did_key_verifies(client, key):
    response = verify(client, plain(key))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["verified"], body["errors"]) == (True, [])
    assert {"format", "seal", "revocation", "expiry"} <= set(body["checks"])
    reported = {c["check"] for c in body["report"]}
    assert not reported & {"accreditation", "recognition"}  # no micro-credential profile
    assert "recognition" not in body
    assert not {w["check"] for w in body["warnings"]} & {"accreditation", "recognition"}


def test_tampered_is_refused(client, key):
    tampered = plain(key)
    tampered["credentialSubject"]["alumniOf"] = "Another University"
    response = verify(client, tampered)
    assert response.status_code == 400
    body = response.get_json()
    assert body["verified"] is False
    assert [e["check"] for e in body["errors"]] == ["seal"]


def test_expired_is_refused(client, key):
    response = verify(client, plain(key, validUntil="2024-06-01T00:00:00Z"))
    assert response.status_code == 400
    body = response.get_json()
    assert body["verified"] is False
    assert [e["check"] for e in body["errors"]] == ["expiry"]


def test_options_checks_choose_what_decides(client, key):
    expired = plain(key, validUntil="2024-06-01T00:00:00Z")
    response = verify(client, expired, checks=["proof", "credentialStatus"])
    assert response.status_code == 200  # expiry not asked for: a warning
    body = response.get_json()
    assert ("expiry", "error") in {(w["check"], w["outcome"]) for w in body["warnings"]}
    assert verify(client, expired, checks=["expiration"]).status_code == 400

    tampered = copy.deepcopy(expired)
    tampered["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    assert verify(client, tampered, checks=["proof"]).status_code == 400
    # the status of a document nothing in which is trusted is not checked: never verified
    refused = verify(client, tampered, checks=["credentialStatus"])
    assert refused.status_code == 400
    assert [e["check"] for e in refused.get_json()["errors"]] == ["seal"]


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"checks": ["nonsense"]}, "unsupported_check"),
        ({"checks": "proof"}, "invalid_input"),
        ({"challenge": "abc"}, "unsupported_option"),
    ],
)
def test_bad_options_are_refused(client, key, options, code):
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": plain(key), "options": options}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_a_micro_credential_keeps_its_profile(client, signed):
    response = verify(client, signed, checks=["proof", "credentialStatus"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["verified"] is True
    reported = {c["check"] for c in body["report"]}
    assert {"accreditation", "recognition"} <= reported
    assert "recognition" in body
    assert ("accreditation", "no_trust_source") in {
        (w["check"], w["code"]) for w in body["warnings"]
    }
    assert body["verdict"] == "unconfirmed"  # trust not confirmed: never plainly trusted


@pytest.mark.parametrize("curve", ["p256", "p384"])
def test_the_w3c_ecdsa_vector_with_an_https_issuer_is_genuine_but_unconfirmed(
    client, reference, curve
):
    # the ecdsa suite's "Verify Proof" test: issuer https://vc.example/issuers/5678, proof by a
    # did:key — the proof verifies; that the key is the issuer's cannot be known
    folder = reference / "w3c" / "ecdsa-rdfc-2019" / f"ecdsa-rdfc-2019-{curve}"
    vector = read_json(next(folder.glob("signedECDSAP*.json")))
    assert not vector["issuer"].startswith("did:")
    response = verify(client, vector)
    body = response.get_json()
    assert response.status_code == 200, body["errors"]
    assert (body["verified"], body["verdict"]) == (True, "unconfirmed")
    seal = next(c for c in body["report"] if c["check"] == "seal")
    assert (seal["outcome"], seal["code"]) == ("unchecked", "issuer_not_bound")
    assert seal["details"]["genuine"] is True
    assert any(w["code"] == "issuer_not_bound" for w in body["warnings"])

    tampered = copy.deepcopy(vector)
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    assert verify(client, tampered).status_code == 400


def test_a_did_issuers_credential_signed_by_another_key_stays_refused(client, key):
    stranger = keypair_with_did_key(KeyPair.generate("Ed25519"))
    credential = plain(stranger)
    credential["issuer"] = key.controller
    credential = add_proof({k: v for k, v in credential.items() if k != "proof"}, stranger)
    response = verify(client, credential)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["code"] == "key_not_authorized"
