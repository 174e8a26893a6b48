"""Issuer and verifier together: a credential issued through the issuer's API verifies with
every check ok, its key and status list fetched from the issuer (offline otherwise); revoking
or suspending it shows up on the verifier. The verifier reaches the issuer only through the
fetch function, as it would over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from demo.registry import demo_registry
from keys.resolver import DidResolver
from verifier.fetch.client import FetchError
from verifier.registry.load import load_registry
from verifier.report import Verdict
from verifier.verify import VerifierOptions, verify_credential

BASE_URL = "https://issuer.example"


class IssuerOverHttp:
    """A fetch function that answers from the issuer app, like the guarded client would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != BASE_URL:
            raise FetchError("fetch_failed", f"{url} is not the issuer")
        response = self.client.get(parts.path, headers={"Accept": "application/ld+json"})
        if response.status_code != 200:
            raise FetchError("fetch_bad_status", f"{url} answered {response.status_code}")
        return response.data


@pytest.fixture
def issued(client, auth) -> dict:
    response = client.post(
        "/api/v1/credentials",
        json={
            "specification": "green-data-analytics",
            "learner": {"reference": "e2e-1", "givenName": "Ana", "familyName": "Berg"},
            "awardingBodies": ["aarhus-demo-university", "lyon-demo-university"],
        },
        headers=auth("issuer"),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def demo_accreditation(document: dict):
    """The demo registry ``make run`` gives its verifier, accrediting the partnership's
    organisations (the awarding bodies of ``document``)."""
    bodies = document["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    authority, registry = demo_registry([body["id"] for body in bodies])
    return load_registry(registry, authority=authority, resolver=DidResolver())


def check(client: FlaskClient, document: dict, *, trusted: bool = True) -> dict:
    fetch = IssuerOverHttp(client)
    registry = demo_accreditation(document) if trusted else None
    report = verify_credential(
        document, VerifierOptions(fetch=fetch, now=datetime.now(UTC), registry=registry)
    )
    return {c.check: (c.outcome.value, c.code) for c in report.checks} | {
        "verified": (str(report.verified), ""),
        "verdict": (report.verdict.value, ""),
    }


def test_issued_joint_award_verifies_with_every_check(client, issued):
    outcomes = check(client, issued["document"])
    assert outcomes["format"] == ("ok", "well_formed")
    assert outcomes["seal"] == ("ok", "seal_valid")
    assert outcomes["revocation"] == ("ok", "not_revoked")
    assert outcomes["expiry"] == ("ok", "valid")
    assert outcomes["recognition"] == ("ok", "annex1_complete")
    assert outcomes["accreditation"] == ("ok", "accredited")
    assert outcomes["verified"] == ("True", "")
    assert outcomes["verdict"] == ("verified", "")


def test_without_a_trust_source_the_same_credential_is_unconfirmed(client, issued):
    outcomes = check(client, issued["document"], trusted=False)
    assert outcomes["seal"] == ("ok", "seal_valid")
    assert outcomes["accreditation"] == ("unchecked", "no_trust_source")
    assert outcomes["verdict"] == ("unconfirmed", "")


def test_status_list_unreachable_is_unconfirmed(client, issued):
    """Keys answer, the status list does not: never verified, never revoked — unconfirmed."""

    class StatusDown(IssuerOverHttp):
        def __call__(self, url: str) -> bytes:
            if "/status/" in url:
                raise FetchError("fetch_timeout", "no answer")
            return super().__call__(url)

    document = issued["document"]
    report = verify_credential(
        document,
        VerifierOptions(fetch=StatusDown(client), registry=demo_accreditation(document)),
    )
    assert (report.result("revocation").outcome.value, report.result("revocation").code) == (
        "unchecked",
        "status_unavailable",
    )
    assert report.verdict is Verdict.UNCONFIRMED
    assert [c.check for c in report.unconfirmed] == ["revocation"]


def test_joint_award_missing_a_body_proof_is_not_verified(client, issued):
    """Drop the second awarding body's proof: the seal names the body that did not seal."""
    document = issued["document"]
    document["proof"] = document["proof"][:1]
    outcomes = check(client, document)
    assert outcomes["seal"] == ("error", "awarding_body_not_sealed")
    assert outcomes["verdict"] == ("not_verified", "")


def test_share_link_serves_the_same_bytes(client, issued):
    path = urlsplit(issued["shareUrl"]).path
    served = client.get(path, headers={"Accept": "application/ld+json"})
    assert served.status_code == 200
    assert served.get_json() == issued["document"]


@pytest.mark.parametrize(("action", "code"), [("revoke", "revoked"), ("suspend", "suspended")])
def test_status_changes_reach_the_verifier(client, auth, issued, action, code):
    uuid = issued["credential"]["id"].rsplit(":", 1)[-1]
    changed = client.post(
        f"/api/v1/credentials/{uuid}/{action}", json={"reason": "e2e"}, headers=auth("issuer")
    )
    assert changed.status_code == 200
    outcomes = check(client, issued["document"])
    assert outcomes["revocation"] == ("error", code)
    assert outcomes["seal"] == ("ok", "seal_valid")
    assert outcomes["verified"] == ("False", "")
    assert outcomes["verdict"] == ("not_verified", "")


def test_tampered_issued_credential_fails_the_seal(client, issued):
    document = issued["document"]
    document["credentialSubject"]["fullName"] = {"en": "Mallory"}
    outcomes = check(client, document)
    assert outcomes["seal"] == ("error", "invalid_signature")


def test_issuer_that_does_not_answer_leaves_the_seal_unchecked(issued):
    class Down:
        def __call__(self, url: str) -> bytes:
            raise FetchError("fetch_timeout", "no answer")

    report = verify_credential(issued["document"], VerifierOptions(fetch=Down()))
    seal = report.result("seal")
    assert (seal.outcome.value, seal.code) == ("unchecked", "did_unresolved")
    assert report.verdict is Verdict.NOT_VERIFIED  # a seal nobody could check is not genuine
