"""Marking a signing key compromised (``microcred issuer compromise-key``): the DID document
says ``revoked``, unknown keys are refused, and the parts of re-sealing every credential the key
signed with the organisation's current key. That nothing the key signed verifies any more, and
that the re-sealed credentials do (same id, same status entries, the other awarding bodies'
proofs untouched, audited, idempotent), is checked with the verifier in
tests/integration/test_key_compromise_verification.py."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from demo.reference import reference_credential
from issuer.db import transaction
from issuer.errors import Conflict
from issuer.models import KeyState, Organisation, SigningKey, utcnow
from issuer.partnerships.keyring import compromise_key, find_key
from issuer.partnerships.reseal import reseal_batch, reseal_document
from keys.did_web import did_web_to_url
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof

from .compromise import AARHUS, PARTNERSHIP, did, events, issue
from .conftest import PASSPHRASE

# --- end to end -------------------------------------------------------------------------------


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
