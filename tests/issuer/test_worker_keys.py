"""A worker's consumer opens the signing keys before it forks its worker processes
(``issuer.bulk.runner.open_signing_keys``): each current key once, none afterwards, and an
organisation whose key cannot be opened does not stop the worker."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from demo.partnership import Demo
from issuer.bulk import runner
from issuer.credentials import issuance
from issuer.db import transaction
from issuer.models import KeyState, Organisation


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every key opening in this process (a fresh set of process keys)."""
    calls: list[str] = []
    opened = issuance.signing_keypair

    def counting(organisation: Organisation, passphrase: bytes) -> Any:
        calls.append(organisation.slug)
        return opened(organisation, passphrase)

    monkeypatch.setattr(issuance, "_PROCESS_KEYS", {})
    monkeypatch.setattr(issuance, "signing_keypair", counting)
    return calls


def test_each_current_key_is_opened_once_and_then_reused(
    app: Flask, demo: Demo, scrypt_calls: list[str]
) -> None:
    assert runner.open_signing_keys(app) == len(demo.organisations)
    assert sorted(scrypt_calls) == sorted(o.slug for o in demo.organisations)
    keys = issuance.process_keys(app.config["KEY_PASSPHRASE"].encode())
    with transaction(app) as session:
        for known in demo.organisations:
            assert keys.keypair(session.get_one(Organisation, known.id)).has_secret
    assert len(scrypt_calls) == len(demo.organisations)  # none opened again


def test_an_organisation_without_a_current_key_is_left_out(
    app: Flask, demo: Demo, scrypt_calls: list[str]
) -> None:
    with transaction(app) as session:
        left_out = session.get_one(Organisation, demo.organisations[-1].id)
        for key in left_out.keys:
            key.state = KeyState.RETIRED
        slug = left_out.slug
    assert runner.open_signing_keys(app) == len(demo.organisations) - 1
    assert slug not in scrypt_calls


def test_without_a_passphrase_nothing_is_opened(app: Flask, scrypt_calls: list[str]) -> None:
    app.config["KEY_PASSPHRASE"] = None
    assert runner.open_signing_keys(app) == 0
    assert scrypt_calls == []
