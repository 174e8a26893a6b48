"""``make run`` prints the public base URLs (``http://localhost:…``) that every link, QR code
and DID uses, not the address it binds (on main before this it printed ``127.0.0.1``)."""

from __future__ import annotations

import pytest

from demo.procfile import Service
from demo.run import public_url


def test_make_run_prints_the_public_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROCRED_ISSUER_URL", "http://localhost:5000")
    monkeypatch.delenv("MICROCRED_VERIFIER_URL", raising=False)
    issuer = Service("issuer", "gunicorn …", "127.0.0.1", 5000, "/")
    verifier = Service("verifier", "gunicorn …", "127.0.0.1", 5001, "/")
    assert public_url(issuer) == "http://localhost:5000"
    assert public_url(verifier) == "http://127.0.0.1:5001"
