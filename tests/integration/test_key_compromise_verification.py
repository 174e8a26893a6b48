"""Key compromise and rotation as the verifier sees them, fetching DID documents and status
lists from the issuer: after ``microcred issuer compromise-key`` the learner's saved copy no
longer verifies (``key_revoked``) while the re-sealed credential does — same id, claims and
status entries, the other awarding bodies' proofs untouched, served by the share link, audited,
revocable, idempotent; a retired key is compromised without a new rotation; a rotated key
verifies only what it signed before its retirement.

The issuer side alone (the DID document, the services) is tested in
tests/issuer/test_key_compromise.py, whose helpers (tests/issuer/compromise.py) these share."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select

from issuer.credentials.issuance import change_status
from issuer.db import transaction
from issuer.models import IssuedCredential, KeyState, Organisation, SigningKey, StatusEntry
from issuer.partnerships.keyring import rotate_key
from keys.keystore import open_keypair
from keys.proof import add_proof, unsecured
from tests.issuer.compromise import AARHUS, LYON, PARTNERSHIP, did, events, issue
from tests.issuer.conftest import BASE_URL, PASSPHRASE
from verifier.trust import parse_trusted_issuers, trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential

JSONLD = "application/ld+json"


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
