"""The verifier refuses the same known default secret keys as the issuer (outside demo mode):
one list of known defaults, ``keys.server_secret``'s, for both servers.

The issuer's side, and the servers' refusals from gunicorn and ``make run``'s script, are tested
in tests/issuer/test_secrets.py (the ``clean_env`` fixture is tests/issuer/conftest.py's)."""

from __future__ import annotations

import pytest

from keys import server_secret
from verifier.app import create_app as create_verifier


@pytest.mark.parametrize("known", sorted(server_secret.KNOWN_DEFAULT_SECRETS))
def test_the_verifier_refuses_the_same_defaults(clean_env, known):
    with pytest.raises(server_secret.InsecureSettings, match=server_secret.SECRET_ENV):
        create_verifier({"SECRET_KEY": known})
    assert create_verifier({"SECRET_KEY": known, "DEMO": True}).config["SECRET_KEY"] == known
