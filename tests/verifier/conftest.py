"""Fixtures for the verifier: the reference micro-credential, signed by its issuer's did:key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from demo.reference import reference_credential, reference_keypair
from keys.keypairs import KeyPair
from keys.proof import add_proof

SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def issuer_key() -> KeyPair:
    """The reference issuer's Ed25519 key (did:key)."""
    return reference_keypair()


@pytest.fixture(scope="session")
def _signed(issuer_key: KeyPair) -> dict:
    return add_proof(reference_credential(issuer_key), issuer_key, created=SIGNED_AT)


@pytest.fixture
def signed(_signed: dict) -> dict:
    """A fresh deep copy of the signed reference credential, safe to tamper with."""
    import copy

    return copy.deepcopy(_signed)
