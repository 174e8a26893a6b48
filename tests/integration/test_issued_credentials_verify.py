"""Credentials issued through the issuance service verify with the project's own verifier: one
credential (format, seal, recognition; the stored row as returned), a joint award as a proof
set with one proof per awarding body, a forged joint award failing the seal, a rotated key
signing new credentials. The verifier resolves the organisations' did:web documents as the
issuer publishes them. Issued as in tests/issuer/test_issuance.py (tests/issuer/issuing.py)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from issuer.credentials.issuance import credential_json
from issuer.db import transaction
from issuer.models import (
    CredentialAwardingBody,
    CredentialState,
    IssuedCredential,
    Organisation,
    ShareLink,
)
from issuer.partnerships.services import add_signing_key, public_keypairs
from issuer.sharing.links import hash_manage_token
from keys.did_web import build_did_document, did_web_to_url
from keys.resolver import DidResolver
from tests.issuer.conftest import BASE_URL
from tests.issuer.issuing import NOW, issue
from verifier.report import Outcome
from verifier.verify import VerifierOptions, verify_credential


def _resolver(app):
    """A DID resolver serving the organisations' did:web documents as the issuer publishes them."""
    with transaction(app) as session:
        documents = {
            did_web_to_url(org.did): json.dumps(
                build_did_document(org.did, public_keypairs(org))
            ).encode()
            for org in session.scalars(select(Organisation))
        }
    return DidResolver(fetch=lambda url: documents[url])


def _verify(app, document: str):
    options = VerifierOptions(now=NOW + timedelta(minutes=5), resolver=_resolver(app))
    return verify_credential(json.loads(document), options)


def test_issue_one_credential_that_the_verifier_accepts(app, demo):
    credential_id, uri, document, issued = issue(app, demo, grade="Pass with distinction")
    assert uri.startswith("urn:uuid:")
    signed = json.loads(document)
    assert signed["id"] == uri
    assert signed["issuer"]["id"] == demo.organisations[0].did
    proof = signed["proof"]
    assert proof["verificationMethod"] == f"{demo.organisations[0].did}#key-1"
    assert proof["created"] == "2026-07-01T09:30:00Z"
    subject = signed["credentialSubject"]
    assert subject["givenName"] == {"en": "Ana"}
    assert subject["dateOfBirth"].startswith("2001-04-05")
    assert subject["hasClaim"]["provenBy"]["grade"]["noteLiteral"] == {
        "en": "Pass with distinction"
    }

    report = _verify(app, document)
    assert report.result("format").outcome is Outcome.OK
    assert report.result("seal").outcome is Outcome.OK
    assert report.result("recognition").outcome is Outcome.OK
    # the status list is not fetched here: never 'error' for a fresh credential
    assert report.result("revocation").outcome is not Outcome.ERROR

    with transaction(app) as session:
        stored = session.get(IssuedCredential, credential_id)
        assert stored.document == document  # stored exactly as returned
        assert stored.state is CredentialState.ACTIVE
        assert stored.manage_token_hash == hash_manage_token(issued.manage_token)
        assert stored.learner.subject_id == subject["id"]
        assert session.get(ShareLink, issued.share_link.id).credential_id == credential_id
        assert issued.share_link.token and issued.manage_token not in document


def test_joint_award_is_a_proof_set_one_proof_per_awarding_body(app, demo):
    _, _, document, issued = issue(app, demo, bodies=(0, 1, 2))
    signed = json.loads(document)
    dids = [org.did for org in demo.organisations]
    bodies = signed["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    assert [body["id"] for body in bodies] == dids
    assert len(signed["proof"]) == 3
    assert [p["verificationMethod"].split("#")[0] for p in signed["proof"]] == dids
    report = _verify(app, document)
    assert report.result("seal").outcome is Outcome.OK, report.result("seal")
    assert len(report.result("seal").details["proofs"]) == 3
    with transaction(app) as session:
        rows = session.scalars(
            select(CredentialAwardingBody)
            .where(CredentialAwardingBody.credential_id == issued.credential.id)
            .order_by(CredentialAwardingBody.position)
        ).all()
        assert [(r.organisation_id, r.position) for r in rows] == [
            (org.id, n) for n, org in enumerate(demo.organisations)
        ]
        stored = session.get(IssuedCredential, issued.credential.id)
        summary = credential_json(stored, base_url=BASE_URL)
        assert summary["awardingBodies"] == [org.slug for org in demo.organisations]


def test_a_forged_joint_award_fails_the_seal(app, demo):
    _, _, document, _ = issue(app, demo, bodies=(0, 1))
    tampered = json.loads(document)
    tampered["credentialSubject"]["givenName"] = {"en": "Mallory"}
    report = verify_credential(tampered, VerifierOptions(now=NOW, resolver=_resolver(app)))
    assert report.result("seal").outcome is Outcome.ERROR


def test_a_rotated_key_signs_new_credentials(app, demo):
    with transaction(app) as session:
        add_signing_key(
            session,
            session.get(Organisation, demo.organisations[0].id),
            passphrase=b"test-passphrase",
        )
    _, _, document, _ = issue(app, demo)
    signed = json.loads(document)
    assert signed["proof"]["verificationMethod"].endswith("#key-2")
    assert _verify(app, document).result("seal").outcome is Outcome.OK
