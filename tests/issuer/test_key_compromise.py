"""Marking a signing key compromised (``microcred issuer compromise-key``): the DID document
says ``revoked``, nothing the key signed verifies, and the issuer re-seals every credential it
signed with the organisation's current key — same id, same status entries, the other awarding
bodies' proofs untouched, audited, idempotent."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import select

from cli.main import main
from demo.partnership import Demo
from demo.reference import reference_credential
from issuer.credentials.issuance import LearnerInput, change_status, issue_credential
from issuer.db import transaction
from issuer.errors import Conflict
from issuer.models import (
    AuditEvent,
    IssuedCredential,
    KeyState,
    Organisation,
    SigningKey,
    Specification,
    StatusEntry,
    utcnow,
)
from issuer.partnerships.keyring import compromise_key, find_key, rotate_key
from issuer.partnerships.reseal import reseal_batch, reseal_document
from keys.did_web import did_web_to_url
from keys.keypairs import Algorithm, KeyPair
from keys.keystore import open_keypair
from keys.proof import add_proof, unsecured
from verifier.trust import parse_trusted_issuers, trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential

from .conftest import BASE_URL, PASSPHRASE

PARTNERSHIP = "green-skills-alliance"
AARHUS, LYON = "aarhus-demo-university", "lyon-demo-university"
JSONLD = "application/ld+json"

Run = Callable[..., Result]


@pytest.fixture
def cli(database_url: str) -> Run:
    """``cli(*args, code=0)`` runs ``microcred issuer *args`` against the test's database."""
    env = {
        "DATABASE_URL": database_url,
        "MICROCRED_ISSUER_URL": BASE_URL,
        "MICROCRED_VERIFIER_URL": "https://verifier.example",
        "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
        "MICROCRED_DEBUG": None,
    }

    def run(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(main, ["issuer", *args], env=env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        if code:
            assert result.stderr.startswith("error: "), result.stderr
        return result

    return run


def issue(app: Any, demo: Demo, reference: str, *bodies: int) -> dict[str, Any]:
    """Issue to learner ``reference``, awarded by the demo organisations ``bodies`` (the first
    issues); its stored row's id, document and share token."""
    with transaction(app) as session:
        organisations = [session.get(Organisation, demo.organisations[n].id) for n in bodies]
        issued = issue_credential(
            session,
            issuer=organisations[0],
            specification=session.get(Specification, demo.specification.id),
            learner=LearnerInput.from_json(
                {"reference": reference, "givenName": "Ana", "familyName": "Berg"}
            ),
            awarding_bodies=organisations,
            actor="token:test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        )
        return {
            "id": issued.credential.id,
            "text": issued.credential.document,
            "token": issued.share_link.token,
        }


def stored(app: Any, credential_id: int) -> str:
    with transaction(app) as session:
        return session.get_one(IssuedCredential, credential_id).document


def status_entries(app: Any, credential_id: int) -> list[tuple[int, int, bool]]:
    with transaction(app) as session:
        return [
            (e.status_list_id, e.list_index, e.is_set)
            for e in session.scalars(
                select(StatusEntry)
                .where(StatusEntry.credential_id == credential_id)
                .order_by(StatusEntry.id)
            )
        ]


def client_fetch(client: FlaskClient) -> Callable[[str], bytes]:
    """Serve the issuer's URLs (DID documents, status lists) from the test client."""

    def fetch(url: str) -> bytes:
        assert url.startswith(BASE_URL + "/"), url
        response = client.get(urlsplit(url).path)
        if response.status_code != 200:
            raise OSError(f"{url}: HTTP {response.status_code}")
        return response.data

    return fetch


def verify(client: FlaskClient, document: dict[str, Any]) -> Any:
    """The verifier's report, fetching DID documents and status lists from the issuer; the
    verifier trusts the test partnership's organisations (every did:web of this issuer)."""
    bodies = document["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    dids = {document["issuer"]["id"], *(body["id"] for body in bodies)}
    ours = [(did, "test org") for did in sorted(dids) if did.startswith("did:web:issuer.example")]
    trusted = parse_trusted_issuers(trusted_issuers_document(ours, name="test partnership"))
    return verify_credential(document, VerifierOptions(fetch=client_fetch(client), trusted=trusted))


def outcome(report: Any, check: str) -> tuple[str, str]:
    result = report.result(check)
    return result.outcome.value, result.code


def events(app: Any, action: str) -> list[AuditEvent]:
    with transaction(app) as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def did(demo: Demo, n: int) -> str:
    return demo.organisations[n].did


# --- end to end -------------------------------------------------------------------------------


def test_compromise_key_reseals_what_it_signed(app, client, demo, cli):
    alone = issue(app, demo, "s-1", 0)
    joint = issue(app, demo, "s-2", 0, 1)
    other = issue(app, demo, "s-3", 1)
    aarhus_key_1, aarhus_key_2 = f"{did(demo, 0)}#key-1", f"{did(demo, 0)}#key-2"
    before = {c["id"]: json.loads(c["text"]) for c in (alone, joint, other)}
    entries_before = status_entries(app, alone["id"])
    # A status list credential signed (and cached) with the key about to be compromised.
    status_url = before[alone["id"]]["credentialStatus"][0]["statusListCredential"]
    assert aarhus_key_1 in client.get(urlsplit(status_url).path).get_data(as_text=True)
    assert verify(client, before[joint["id"]]).verified

    result = cli(
        "compromise-key", PARTNERSHIP, AARHUS, "1", "--reason", "laptop stolen", "--batch-size", "1"
    )
    assert result.stdout.splitlines() == [
        f"marked {aarhus_key_1} compromised",
        f"new current key: {aarhus_key_2}",
        "re-sealed 2 credentials",
    ]

    # The learner's saved copy, sealed with the compromised key, no longer verifies.
    saved = verify(client, before[alone["id"]])
    assert outcome(saved, "seal") == ("error", "key_revoked")
    assert not saved.verified

    # The stored credential: same id, claims and status, a new proof by the current key.
    resealed = json.loads(stored(app, alone["id"]))
    assert unsecured(resealed) == unsecured(before[alone["id"]])
    assert resealed["id"] == before[alone["id"]]["id"]
    assert resealed["credentialStatus"] == before[alone["id"]]["credentialStatus"]
    assert resealed["proof"]["verificationMethod"] == aarhus_key_2
    assert status_entries(app, alone["id"]) == entries_before
    report = verify(client, resealed)
    assert report.verified, [(c.check, c.code, c.message) for c in report.checks]
    assert outcome(report, "seal") == ("ok", "seal_valid")
    assert outcome(report, "revocation") == ("ok", "not_revoked")  # list re-signed by key-2

    # The joint award: Aarhus's proof replaced in its place, Lyon's kept byte for byte.
    joint_now = json.loads(stored(app, joint["id"]))
    assert [p["verificationMethod"] for p in joint_now["proof"]] == [
        aarhus_key_2,
        f"{did(demo, 1)}#key-1",
    ]
    assert joint_now["proof"][1] == before[joint["id"]]["proof"][1]
    assert unsecured(joint_now) == unsecured(before[joint["id"]])
    assert verify(client, joint_now).verified

    # Lyon's own credential was not touched.
    assert stored(app, other["id"]) == other["text"]

    # The share link serves the re-sealed document.
    shared = client.get(f"/c/{alone['token']}", headers={"Accept": JSONLD})
    assert shared.status_code == 200
    assert json.loads(shared.data) == resealed

    # Audited: the rotation, the compromise and one event per re-sealed credential.
    [key_event] = events(app, "key_compromised")
    assert (key_event.actor, key_event.reason) == ("cli", "laptop stolen")
    assert key_event.organisation_id == demo.organisations[0].id
    assert key_event.details["methodId"] == aarhus_key_1
    assert key_event.details["replacedBy"] == aarhus_key_2
    assert [e.details["retired"] for e in events(app, "rotate_key")] == [[aarhus_key_1]]
    resealed_events = events(app, "credential_resealed")
    assert sorted(e.credential_id for e in resealed_events) == sorted([alone["id"], joint["id"]])
    for event in resealed_events:
        assert event.details["oldVerificationMethod"] == aarhus_key_1
        assert event.details["newVerificationMethod"] == aarhus_key_2

    # Revocation keeps working on the re-sealed credential.
    with transaction(app) as session:
        change_status(
            session,
            session.get_one(IssuedCredential, alone["id"]),
            "revoke",
            actor="cli",
            reason="test",
        )
    assert outcome(verify(client, resealed), "revocation") == ("error", "revoked")

    # Running again does nothing new.
    documents = {c["id"]: stored(app, c["id"]) for c in (alone, joint, other)}
    again = cli("compromise-key", PARTNERSHIP, AARHUS, aarhus_key_1)
    assert again.stdout.splitlines()[0].startswith(f"{aarhus_key_1} was marked compromised already")
    assert again.stdout.splitlines()[-1] == "re-sealed 0 credentials"
    assert {c["id"]: stored(app, c["id"]) for c in (alone, joint, other)} == documents
    assert len(events(app, "key_compromised")) == 1
    assert len(events(app, "credential_resealed")) == 2
    assert len(events(app, "rotate_key")) == 1


def test_the_did_document_publishes_the_compromise(app, client, demo, cli):
    cli("compromise-key", PARTNERSHIP, AARHUS, "key-1")
    document = client.get(urlsplit(did_web_to_url(did(demo, 0))).path).get_json(force=True)
    stolen, current = f"{did(demo, 0)}#key-1", f"{did(demo, 0)}#key-2"
    with transaction(app) as session:
        key = session.scalar(select(SigningKey).where(SigningKey.method_id == stolen))
        assert key is not None and key.state is KeyState.COMPROMISED
        assert key.compromised_at is not None and key.retired_at is not None
        revoked = key.compromised_at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert [m["id"] for m in document["verificationMethod"]] == [current, stolen]
    assert document["verificationMethod"][1]["revoked"] == revoked
    assert "expires" not in document["verificationMethod"][1]
    for relationship in ("authentication", "assertionMethod", "capabilityInvocation"):
        assert document[relationship] == [current]


def test_a_retired_key_is_compromised_without_a_new_rotation(app, client, demo, cli):
    signed = issue(app, demo, "s-1", 1)  # Lyon, key-1
    cli("rotate-key", PARTNERSHIP, LYON)
    result = cli("compromise-key", PARTNERSHIP, LYON, f"{did(demo, 1)}#key-1")
    assert result.stdout.splitlines() == [
        f"marked {did(demo, 1)}#key-1 compromised",
        "re-sealed 1 credential",
    ]
    resealed = json.loads(stored(app, signed["id"]))
    assert resealed["proof"]["verificationMethod"] == f"{did(demo, 1)}#key-2"
    assert resealed["proof"]["cryptosuite"] == json.loads(signed["text"])["proof"]["cryptosuite"]
    assert verify(client, resealed).verified
    with transaction(app) as session:
        keys = session.scalars(
            select(SigningKey)
            .where(SigningKey.organisation_id == demo.organisations[1].id)
            .order_by(SigningKey.id)
        ).all()
        assert [k.state for k in keys] == [KeyState.COMPROMISED, KeyState.CURRENT]


def test_an_unknown_key_is_refused(app, demo, cli):
    result = cli("compromise-key", PARTNERSHIP, AARHUS, "7", code=2)
    assert "[unknown_key]" in result.stderr
    other = cli("compromise-key", PARTNERSHIP, AARHUS, f"{did(demo, 1)}#key-1", code=2)
    assert "[unknown_key]" in other.stderr
    assert events(app, "key_compromised") == []


# --- the parts --------------------------------------------------------------------------------


def test_find_key(app, demo):
    with transaction(app) as session:
        organisation = session.get_one(Organisation, demo.organisations[0].id)
        method_id = f"{organisation.did}#key-1"
        for reference in ("1", "key-1", method_id, f" {method_id} "):
            assert find_key(organisation, reference).method_id == method_id


def test_only_a_compromised_key_is_resealed(app, demo):
    issue(app, demo, "s-1", 0)
    with transaction(app) as session:
        key = session.scalar(
            select(SigningKey).where(SigningKey.method_id == f"{did(demo, 0)}#key-1")
        )
        assert key is not None
        with pytest.raises(Conflict, match="not marked compromised"):
            reseal_batch(session, key, passphrase=PASSPHRASE.encode(), actor="cli")


def test_compromise_is_idempotent_in_the_service(app, demo):
    with transaction(app) as session:
        organisation = session.get_one(Organisation, demo.organisations[0].id)
        key = find_key(organisation, "1")
        first = compromise_key(session, organisation, key, passphrase=PASSPHRASE, actor="cli")
        second = compromise_key(session, organisation, key, passphrase=PASSPHRASE, actor="cli")
        assert (first.newly_marked, second.newly_marked) == (True, False)
        assert second.replaced_by is None
        assert len(organisation.keys) == 2


def test_reseal_document_refuses_a_proof_chain():
    first = KeyPair.generate(Algorithm.ED25519).with_ids(
        "did:web:a.example#key-1", "did:web:a.example"
    )
    second = KeyPair.generate(Algorithm.ED25519).with_ids(
        "did:web:b.example#key-1", "did:web:b.example"
    )
    document = add_proof(reference_credential(first), first, proof_id="urn:proof:1")
    chained = add_proof(document, second, previous_proof="urn:proof:1")
    replacement = KeyPair.generate(Algorithm.ED25519).with_ids(
        "did:web:a.example#key-2", "did:web:a.example"
    )
    with pytest.raises(Conflict, match="proof chain"):
        reseal_document(chained, "did:web:a.example#key-1", replacement, created=utcnow())
    # without the chain, only the named proof is replaced
    unchained = add_proof(document, second)
    result = reseal_document(unchained, "did:web:a.example#key-1", replacement, created=utcnow())
    assert result is not None
    assert [p["verificationMethod"] for p in result["proof"]] == [
        "did:web:a.example#key-2",
        "did:web:b.example#key-1",
    ]
    assert result["proof"][1] == unchained["proof"][1]
    assert (
        reseal_document(unchained, "did:web:c.example#key-1", replacement, created=utcnow()) is None
    )


def test_a_rotated_key_verifies_only_what_it_signed_before(app, client, demo):
    """Rotation (not compromise) leaves credentials as they are: the retired key's ``expires``
    lies after their proofs' ``created``; a proof it makes afterwards fails."""
    signed = issue(app, demo, "s-1", 0)
    with transaction(app) as session:
        rotate_key(
            session,
            session.get_one(Organisation, demo.organisations[0].id),
            passphrase=PASSPHRASE,
            actor="cli",
        )
    assert stored(app, signed["id"]) == signed["text"]
    assert verify(client, json.loads(signed["text"])).verified
    # A proof the retired key makes now (a thief, or a bug) fails: it post-dates retirement.
    with transaction(app) as session:
        old = session.scalar(
            select(SigningKey).where(SigningKey.method_id == f"{did(demo, 0)}#key-1")
        )
        assert old is not None
        keypair = open_keypair(old.sealed_secret, PASSPHRASE.encode())
        retired_at = old.retired_at
    # (a second later: ``created`` is written to the second, ``expires`` to the microsecond)
    late = add_proof(
        unsecured(json.loads(signed["text"])), keypair, created=retired_at + timedelta(seconds=1)
    )
    assert outcome(verify(client, late), "seal") == ("error", "key_expired")
