"""The verifier refuses to serve with a secret key anyone can know, outside an explicit demo mode.

``MICROCRED_SECRET_KEY`` must be set and not a known default unless ``MICROCRED_DEMO=1`` (or
the ``DEMO`` config flag) says this is a demo. The same rule as the issuer's
(``issuer.server_secrets``), kept here because a verifier is deployed without the issuer.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

SECRET_ENV = "MICROCRED_SECRET_KEY"
DEMO_ENV = "MICROCRED_DEMO"
DEMO_SECRET = "dev-only-change-me"  # the secret key of a demo started without one
KNOWN_DEFAULT_SECRETS = frozenset(
    {DEMO_SECRET, "change-me", "changeme", "secret", "secret-key", "dev", "development"}
)


class InsecureSettings(Exception):
    """The verifier's secret key is missing or publicly known; ``setting`` names it."""

    code = "insecure_settings"

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.message = message


def flag(value: Any) -> bool:
    """True for ``1``, ``true``, ``yes``, ``on`` (any case) or a true boolean."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


def demo_from_environment() -> bool:
    """Whether ``MICROCRED_DEMO`` asks for demo mode."""
    return flag(os.environ.get(DEMO_ENV))


def settle_secret_key(config: MutableMapping[str, Any]) -> None:
    """In demo mode, use the demo secret key when none is set; outside it, raise
    :class:`InsecureSettings` (one line naming the setting) for a missing or known key."""
    secret = config.get("SECRET_KEY")
    if flag(config.get("DEMO")):
        if not secret:
            config["SECRET_KEY"] = DEMO_SECRET
        return
    text = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else str(secret or "")
    fix = (
        "set it to a long random value, e.g. the output of "
        f"`python -c 'import secrets; print(secrets.token_hex(32))'` (or {DEMO_ENV}=1 for a demo)"
    )
    if not text.strip():
        raise InsecureSettings(SECRET_ENV, f"{SECRET_ENV} is not set: {fix}")
    if text.strip().lower() in KNOWN_DEFAULT_SECRETS:
        raise InsecureSettings(SECRET_ENV, f"{SECRET_ENV} is a known default ({text!r}): {fix}")
