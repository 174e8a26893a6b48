"""did:key issuers through the verifier: a credential issued by a did:key organisation (each of
Ed25519, P-256, P-384) verifies with the verifier's seal check offline — no DID document to
fetch — and with its status list fetched from the issuer; a joint award by a did:web issuer and
a did:key co-awarding body verifies; so does a credential of a did:web organisation whose key
is P-384 (ecdsa-rdfc-2019 with SHA-384)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo.partnership import DEMO_SPECIFICATION, Demo
from issuer.auth.tokens import create_token
from issuer.db import transaction
from issuer.models import DidMethod, Partnership, Role
from issuer.partnerships.services import add_organisation
from keys.keypairs import Algorithm
from verifier.fetch.client import FetchError
from verifier.verify import VerifierOptions, verify_credential

BASE_URL = "https://issuer.example"
PASSPHRASE = b"test-passphrase"
AARHUS = "aarhus-demo-university"


class IssuerOverHttp:
    """A fetch function answering from the issuer app; it records what was asked."""

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


def add(app: Flask, demo: Demo, slug: str, algorithm: Algorithm, method: DidMethod) -> str:
    """Add organisation ``slug`` to the demo partnership; its issuer token."""
    with transaction(app) as session:
        organisation = add_organisation(
            session,
            session.get_one(Partnership, demo.partnership.id),
            slug=slug,
            legal_name=f"Organisation {slug}",
            country="DNK",
            country_label="Denmark",
            base_url=BASE_URL,
            passphrase=PASSPHRASE,
            algorithm=algorithm,
            did_method=method,
        )
        return create_token(session, organisation, Role.ISSUER, "t")[1]


def issue(client: FlaskClient, headers: dict[str, str], *bodies: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "specification": DEMO_SPECIFICATION["slug"],
        "learner": {"reference": "did-key-1", "givenName": "Ada", "familyName": "Lovelace"},
    }
    if bodies:
        body["awardingBodies"] = list(bodies)
    response = client.post("/api/v1/credentials", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json()["document"])


def outcomes(document: dict[str, Any], fetch: Any) -> dict[str, tuple[str, str | None]]:
    report = verify_credential(document, VerifierOptions(fetch=fetch, now=datetime.now(UTC)))
    return {c.check: (c.outcome.value, c.code) for c in report.checks}


@pytest.mark.parametrize("algorithm", [Algorithm.ED25519, Algorithm.P256, Algorithm.P384])
def test_a_did_key_credential_verifies_offline(
    app: Flask, client: FlaskClient, demo: Demo, algorithm: Algorithm
) -> None:
    token = add(app, demo, "small-issuer", algorithm, DidMethod.KEY)
    document = issue(client, {"Authorization": f"Bearer {token}"})
    assert document["issuer"]["id"].startswith("did:key:z")
    offline = outcomes(document, None)
    assert offline["seal"] == ("ok", "seal_valid")
    fetch = IssuerOverHttp(client)
    online = outcomes(document, fetch)
    assert online["seal"] == ("ok", "seal_valid")
    assert online["revocation"] == ("ok", "not_revoked")
    assert all("/orgs/" not in url for url in fetch.asked)  # no DID document was fetched


def test_a_joint_award_with_a_did_key_co_awarding_body(
    app: Flask, client: FlaskClient, demo: Demo, auth: Any
) -> None:
    add(app, demo, "small-issuer", Algorithm.P384, DidMethod.KEY)
    document = issue(client, auth("issuer"), AARHUS, "small-issuer")
    assert len(document["proof"]) == 2
    found = outcomes(document, IssuerOverHttp(client))
    assert found["seal"] == ("ok", "seal_valid")
    assert found["revocation"] == ("ok", "not_revoked")


def test_a_p384_did_web_credential_verifies(app: Flask, client: FlaskClient, demo: Demo) -> None:
    token = add(app, demo, "p384-web", Algorithm.P384, DidMethod.WEB)
    document = issue(client, {"Authorization": f"Bearer {token}"})
    assert document["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    found = outcomes(document, IssuerOverHttp(client))
    assert found["seal"] == ("ok", "seal_valid")
    assert found["revocation"] == ("ok", "not_revoked")
