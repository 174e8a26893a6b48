"""POST /presentations/verify: a did:key holder presents its own micro-credential (W3C VC API)."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime

import pytest

from demo.reference import demo_award, demo_organisation, reference_keypair
from keys.did_key import did_key_for, verification_method_id_for
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof
from schemas.elm.build import build_microcredential
from verifier.app import create_app
from verifier.presentation import verify_presentation
from verifier.trust import trusted_issuers_document
from verifier.verify import VerifierOptions

SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
CHALLENGE = "c-1f2e3d"
DOMAIN = "verifier.example"


def did_key(algorithm: Algorithm = Algorithm.ED25519) -> KeyPair:
    key = KeyPair.generate(algorithm)
    return key.with_ids(verification_method_id_for(key), did_key_for(key))


@pytest.fixture(scope="module")
def holder() -> KeyPair:
    return did_key()


def credential_for(subject: str) -> dict:
    """The reference micro-credential awarded to ``subject``, signed by the did:key issuer."""
    issuer = reference_keypair()
    university = demo_organisation(str(issuer.controller), "Aarhus Demo University", "DNK", "DK")
    award = demo_award(university, [university])
    award = dataclasses.replace(award, learner=dataclasses.replace(award.learner, id=subject))
    return add_proof(build_microcredential(award), issuer, created=SIGNED_AT)


def presentation(holder: KeyPair, credentials: list[dict], **proof: object) -> dict:
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
        "verifiableCredential": credentials,
    }
    options = {"challenge": CHALLENGE, "domain": DOMAIN, **proof}
    return add_proof(unsigned, holder, proof_purpose="authentication", **options)


@pytest.fixture(scope="module")
def own_credential(holder) -> dict:
    return credential_for(str(holder.controller))


@pytest.fixture(scope="module")
def _presented(holder, own_credential) -> dict:
    return presentation(holder, [own_credential])


@pytest.fixture
def presented(_presented) -> dict:
    return copy.deepcopy(_presented)


@pytest.fixture
def client(tmp_path):
    path = tmp_path / "trusted.json"
    issuer = str(reference_keypair().controller)
    document = trusted_issuers_document([(issuer, "Aarhus Demo University")], name="Test")
    path.write_text(json.dumps(document))
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "TRUSTED_ISSUERS_PATH": str(path)})
    return app.test_client()


def post(client, vp, **options):
    body = {"verifiablePresentation": vp, "options": {"challenge": CHALLENGE, "domain": DOMAIN}}
    body["options"].update(options)
    return client.post("/presentations/verify", json=body)


def test_verified(client, presented, holder):
    response = post(client, presented)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["verified"] is True
    assert body["errors"] == [] and body["warnings"] == []
    assert body["checks"] == ["proof", "challenge", "domain"]
    assert body["presentationResult"]["verified"] is True
    assert body["presentationResult"]["holder"] == holder.controller
    [result] = body["credentialResults"]
    owner = next(c for c in result["report"] if c["check"] == "owner")
    assert (owner["outcome"], owner["code"]) == ("ok", "holder_is_subject")
    assert result["verdict"] == "verified"


def test_without_options_the_challenge_is_not_asked(client, presented):
    response = client.post("/presentations/verify", json={"verifiablePresentation": presented})
    assert response.status_code == 200
    assert response.get_json()["checks"] == ["proof"]


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"challenge": "another"}, "challenge_mismatch"),
        ({"domain": "evil.example"}, "domain_mismatch"),
    ],
)
def test_wrong_challenge_or_domain(client, presented, options, code):
    response = post(client, presented, **options)
    assert response.status_code == 400
    body = response.get_json()
    assert body["verified"] is False
    assert body["presentationResult"]["code"] == code
    assert body["errors"][0]["check"] == "presentation"
    # the credential is still checked, but no holder was proven: owner stays unchecked
    owner = next(c for c in body["credentialResults"][0]["report"] if c["check"] == "owner")
    assert owner["outcome"] == "unchecked"


def test_tampered_presentation(client, presented):
    presented["id"] = "urn:uuid:6a1c0e2e-0000-4000-8000-000000000001"
    response = post(client, presented)
    assert response.status_code == 400
    assert response.get_json()["presentationResult"]["code"] == "invalid_signature"


def test_signed_by_someone_other_than_the_holder(client, holder, own_credential):
    stranger = did_key()
    vp = presentation(stranger, [own_credential])
    vp_claiming = {**vp, "holder": holder.controller}
    response = post(client, vp_claiming)
    assert response.status_code == 400
    assert response.get_json()["presentationResult"]["code"] in (
        "key_not_authorized",
        "invalid_signature",
    )


def test_holder_not_subject(client, holder):
    someone_else = credential_for("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    response = post(client, presentation(holder, [someone_else]))
    assert response.status_code == 400
    body = response.get_json()
    assert body["presentationResult"]["verified"] is True
    assert [(e["check"], e["code"], e["credential"]) for e in body["errors"]] == [
        ("owner", "holder_not_subject", 0)
    ]


def test_tampered_credential_inside(client, holder, own_credential):
    tampered = copy.deepcopy(own_credential)
    tampered["validUntil"] = "2099-01-01T00:00:00Z"
    response = post(client, presentation(holder, [tampered]))
    assert response.status_code == 400
    body = response.get_json()
    assert body["presentationResult"]["verified"] is True
    assert body["errors"][0]["check"] == "seal" and body["errors"][0]["credential"] == 0


def test_not_a_presentation(client, own_credential):
    response = post(client, own_credential)
    assert response.status_code == 400
    assert response.get_json()["presentationResult"]["code"] == "not_a_presentation"


def test_no_proof(client, presented):
    del presented["proof"]
    response = post(client, presented)
    assert response.status_code == 400
    assert response.get_json()["presentationResult"]["code"] == "no_proof"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"verifiablePresentation": "not an object"},
        {"verifiablePresentation": {}, "options": {"challenge": 7}},
        [],
    ],
)
def test_malformed_body(client, body):
    response = client.post("/presentations/verify", json=body)
    assert response.status_code == 400
    assert set(response.get_json()["error"]) == {"code", "message"}


def test_not_json(client):
    response = client.post("/presentations/verify", data=b"{", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "not_json"


def test_lone_credential_owner_stays_unchecked(presented, own_credential):
    result = verify_presentation(presented, VerifierOptions(), challenge=CHALLENGE)
    assert result.proof.verified
    from verifier.verify import verify_credential

    owner = verify_credential(own_credential).result("owner")
    assert (owner.outcome.value, owner.code) == ("unchecked", "no_presentation")


def test_created_in_the_future_is_refused(client, holder, own_credential):
    vp = presentation(holder, [own_credential], created=datetime(2099, 1, 1, tzinfo=UTC))
    response = post(client, vp)
    assert response.status_code == 400
    assert response.get_json()["presentationResult"]["code"] == "proof_created_in_future"


def test_a_plain_vc_about_someone_else_is_a_warning(client, holder):
    # W3C VC 2.0 lets a holder present credentials about others (the data-model suite's
    # presentations do); only a micro-credential must be presented by its learner
    issuer = did_key()
    other = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer.controller,
        "credentialSubject": {"id": "did:example:subject"},
    }
    response = post(client, presentation(holder, [add_proof(other, issuer)]))
    body = response.get_json()
    assert response.status_code == 200, body["errors"]
    [result] = body["credentialResults"]
    owner = next(c for c in result["report"] if c["check"] == "owner")
    assert (owner["outcome"], owner["code"]) == ("warning", "holder_not_subject")
    assert any(w["code"] == "holder_not_subject" for w in result["warnings"])
