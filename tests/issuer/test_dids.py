"""DID documents of organisations and of the issuer host, and key rotation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from demo.partnership import create_demo
from demo.reference import reference_credential
from issuer.app import create_app
from issuer.db import session_factory, transaction
from issuer.models import AuditEvent, KeyState, Organisation
from issuer.partnerships.keyring import rotate_key
from issuer.partnerships.services import signing_keypair
from keys.did_web import did_web_to_url
from keys.keypairs import Algorithm, KeyPair
from keys.lifecycle import format_time
from keys.proof import add_proof
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver
from tests.issuer.conftest import BASE_URL, PASSPHRASE

AARHUS = "/orgs/green-skills-alliance/aarhus-demo-university/did.json"


def make_app(database_url: str, tmp_path: Path, base_url: str) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ISSUER_BASE_URL": base_url,
            "VERIFIER_BASE_URL": "https://verifier.example",
            "KEY_PASSPHRASE": PASSPHRASE,
            "BULK_WORKER": "inline",
            "SECRET_KEY": "test",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with transaction(app) as session:
        create_demo(session, base_url=base_url, passphrase=PASSPHRASE.encode())
    return app


@pytest.fixture
def other_app(database_url: str, tmp_path: Path) -> Iterator[Callable[[str], Flask]]:
    """``other_app(base_url)`` → an app (with the demo) whose ISSUER_BASE_URL is ``base_url``."""
    apps: list[Flask] = []

    def build(base_url: str) -> Flask:
        apps.append(make_app(database_url, tmp_path, base_url))
        return apps[-1]

    yield build
    for app in apps:
        session_factory(app).kw["bind"].dispose()


def client_fetch(client: FlaskClient, origin: str) -> Callable[[str], bytes]:
    """A did:web fetcher that serves ``origin``'s URLs from the Flask test client."""

    def fetch(url: str) -> bytes:
        assert url.startswith(origin + "/"), url
        response = client.get(urlsplit(url).path)
        if response.status_code != 200:
            raise OSError(f"{url}: HTTP {response.status_code}")
        return response.data

    return fetch


# --- organisation DID documents ---------------------------------------------------------------


def test_organisation_did_maps_to_the_route(app, client, demo):
    did = demo.organisations[0].did
    assert did == "did:web:issuer.example:orgs:green-skills-alliance:aarhus-demo-university"
    assert did_web_to_url(did) == BASE_URL + AARHUS
    response = client.get(AARHUS)
    assert response.status_code == 200
    assert response.content_type == "application/did+json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json(force=True)
    assert document["id"] == did
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    [method] = document["verificationMethod"]
    assert method == {
        "id": f"{did}#key-1",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": demo.organisations[0].keys[0].public_key_multibase,
    }
    for relationship in ("authentication", "assertionMethod", "capabilityInvocation"):
        assert document[relationship] == [f"{did}#key-1"]
    assert "sealed" not in response.get_data(as_text=True)


def test_localhost_did_maps_to_the_route_over_https(other_app):
    """did:web always resolves over https: the port is %3A-encoded in the DID, and the document
    URL is the https form of http://localhost:5000 (local dev needs a TLS proxy or a fetcher
    that maps it to http)."""
    base = "http://localhost:5000"
    app = other_app(base)
    client = app.test_client()
    with transaction(app) as session:
        organisation = session.scalar(
            select(Organisation).where(Organisation.slug == "aarhus-demo-university")
        )
        did = organisation.did
    assert did == "did:web:localhost%3A5000:orgs:green-skills-alliance:aarhus-demo-university"
    url = did_web_to_url(did)
    assert url == "https://localhost:5000" + AARHUS
    assert url == base.replace("http://", "https://", 1) + AARHUS
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.get_json(force=True)["id"] == did
    host = client.get("/.well-known/did.json").get_json(force=True)
    assert host["id"] == "did:web:localhost%3A5000"
    assert did_web_to_url(host["id"]) == "https://localhost:5000/.well-known/did.json"


def test_json_clients_get_application_json(client, demo):
    response = client.get(AARHUS, headers={"Accept": "application/json"})
    assert response.content_type == "application/json"
    response = client.get(AARHUS, headers={"Accept": "*/*"})
    assert response.content_type == "application/did+json"
    assert response.headers["Vary"] == "Accept"


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/green-skills-alliance/no-such-org/did.json",
        "/orgs/no-such-partnership/aarhus-demo-university/did.json",
        "/orgs/x/y/did.json",
    ],
)
def test_unknown_organisation_is_404(client, demo, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_organisation"
    assert "max-age" not in response.headers.get("Cache-Control", "")


# --- the issuer host's DID document -----------------------------------------------------------


def test_host_did_document_lists_member_organisations(client, demo):
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    assert response.content_type == "application/did+json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    document = response.get_json(force=True)
    assert document["id"] == "did:web:issuer.example"
    assert did_web_to_url(document["id"]) == BASE_URL + "/.well-known/did.json"
    assert "verificationMethod" not in document and "assertionMethod" not in document
    assert [service["serviceEndpoint"] for service in document["service"]] == [
        organisation.did for organisation in demo.organisations
    ]
    for service, organisation in zip(document["service"], demo.organisations, strict=True):
        assert service["type"] == "MemberOrganisation"
        assert service["id"] == (
            f"did:web:issuer.example#orgs:green-skills-alliance:{organisation.slug}"
        )
        # each listed DID resolves at this issuer
        listed = client.get(urlsplit(did_web_to_url(service["serviceEndpoint"])).path)
        assert listed.get_json(force=True)["id"] == organisation.did
    assert client.get("/did.json").status_code == 404


def test_issuer_with_a_base_path_serves_its_did_at_path_did_json(other_app):
    app = other_app("https://issuer.example/issuer")
    client = app.test_client()
    document = client.get("/did.json").get_json(force=True)
    assert document["id"] == "did:web:issuer.example:issuer"
    assert did_web_to_url(document["id"]) == "https://issuer.example/issuer/did.json"
    assert document["service"][0]["serviceEndpoint"] == (
        "did:web:issuer.example:issuer:orgs:green-skills-alliance:aarhus-demo-university"
    )
    assert client.get("/.well-known/did.json").status_code == 404


# --- key rotation -----------------------------------------------------------------------------


def test_rotation_keeps_old_signatures_verifiable(app, client, demo):
    passphrase = PASSPHRASE.encode()
    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[0].id)
        did = organisation.did
        old = signing_keypair(organisation, passphrase)
        signed_before = add_proof(reference_credential(old), old)
        key = rotate_key(session, organisation, passphrase=PASSPHRASE, actor="token:admin")
        assert key.method_id == f"{did}#key-2"
        assert [k.state for k in organisation.keys] == [KeyState.RETIRED, KeyState.CURRENT]
        new = signing_keypair(organisation, passphrase)
        assert new.id == f"{did}#key-2"
        signed_after = add_proof(reference_credential(new), new)
        organisation_id = organisation.id

    document = client.get(AARHUS).get_json(force=True)
    ids = [f"{did}#key-2", f"{did}#key-1"]  # current first, then retired
    assert [m["id"] for m in document["verificationMethod"]] == ids
    assert document["assertionMethod"] == ids
    assert document["authentication"] == [f"{did}#key-2"]
    assert document["capabilityInvocation"] == [f"{did}#key-2"]
    assert "expires" not in document["verificationMethod"][0]
    with transaction(app) as session:
        retired_at = session.get(Organisation, organisation_id).keys[0].retired_at
    assert document["verificationMethod"][1]["expires"] == format_time(retired_at)
    assert document["verificationMethod"][1]["publicKeyMultibase"] == old.public_key_multibase

    resolver = DidResolver(client_fetch(client, BASE_URL))
    before = verify_proofs(signed_before, resolver=resolver, controllers=[did])
    assert before.verified, before.results
    assert signed_before["proof"]["verificationMethod"] == f"{did}#key-1"
    after = verify_proofs(signed_after, resolver=resolver, controllers=[did])
    assert after.verified, after.results
    assert signed_after["proof"]["verificationMethod"] == f"{did}#key-2"

    # A key the document does not list does not verify.
    stranger = KeyPair.generate(Algorithm.ED25519).with_ids(f"{did}#key-9", did)
    forged = add_proof(reference_credential(stranger), stranger)
    assert not verify_proofs(forged, resolver=DidResolver(client_fetch(client, BASE_URL))).verified

    with transaction(app) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "rotate_key"))
        assert event.actor == "token:admin"
        assert event.organisation_id == organisation_id
        assert event.details == {
            "methodId": f"{did}#key-2",
            "algorithm": "Ed25519",
            "retired": [f"{did}#key-1"],
        }


def test_second_rotation_with_p256(app, client, demo):
    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[1].id)
        did = organisation.did
        rotate_key(session, organisation, passphrase=PASSPHRASE.encode(), actor="cli")
        key = rotate_key(
            session,
            organisation,
            passphrase=PASSPHRASE.encode(),
            actor="cli",
            algorithm=Algorithm.P256,
        )
        assert key.algorithm == "P-256"
        signer = signing_keypair(organisation, PASSPHRASE.encode())
        signed = add_proof(reference_credential(signer), signer)
    path = urlsplit(did_web_to_url(did)).path
    document = client.get(path).get_json(force=True)
    assert document["capabilityInvocation"] == [f"{did}#key-3"]
    assert sorted(document["assertionMethod"]) == [f"{did}#key-{n}" for n in (1, 2, 3)]
    assert signed["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    result = verify_proofs(signed, resolver=DidResolver(client_fetch(client, BASE_URL)))
    assert result.verified, result.results
    # other organisations' documents are unaffected
    assert len(client.get(AARHUS).get_json(force=True)["verificationMethod"]) == 1
