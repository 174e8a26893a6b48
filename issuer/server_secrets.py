"""The issuer refuses to serve with a secret anyone can know, outside an explicit demo mode.

A server (:func:`issuer.app.create_app`, as gunicorn calls it) needs ``MICROCRED_SECRET_KEY``
(it signs the staff session cookie and CSRF tokens) set and not a known default, and
``MICROCRED_KEY_PASSPHRASE`` (it seals the signing keys in the database) not the demo
passphrase that ``make run`` uses. Otherwise :func:`check_server_secrets` raises
:class:`InsecureSettings`, whose message is one line naming the setting.

Demo mode (``MICROCRED_DEMO=1``, or the ``DEMO`` config flag) accepts both demo values.
``make run`` runs in demo mode with a random secret kept in the instance folder
(:func:`instance_secret`), so sessions survive restarts and both apps share it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from keys.server_secret import (
    DEMO_ENV,
    DEMO_SECRET,
    KNOWN_DEFAULT_SECRETS,
    SECRET_ENV,
    InsecureSettings,
    check_secret_key,
    demo_from_environment,
    flag,
    kept_secret,
)

__all__ = [
    "DEMO_ENV",
    "DEMO_NOTICE",
    "DEMO_PASSPHRASE",
    "DEMO_SECRET",
    "KNOWN_DEFAULT_SECRETS",
    "PASSPHRASE_ENV",
    "SECRET_ENV",
    "InsecureSettings",
    "check_server_secrets",
    "demo_from_environment",
    "instance_secret",
    "settle_server_secrets",
]

PASSPHRASE_ENV = "MICROCRED_KEY_PASSPHRASE"
DEMO_PASSPHRASE = "demo-passphrase-change-me"  # the Makefile's RUN_PASSPHRASE
SECRET_FILE = "secret_key"
DEMO_NOTICE = (
    f"demo mode ({DEMO_ENV}=1): demo secrets are accepted; never use this for real credentials"
)


def check_server_secrets(config: Mapping[str, Any]) -> None:
    """Raise :class:`InsecureSettings` unless the config (``SECRET_KEY``, ``KEY_PASSPHRASE``,
    ``DEMO``) is fit to serve: outside demo mode, a secret key that is set and not a known
    default (``keys.server_secret``), and a key passphrase other than the demo one."""
    check_secret_key(config)
    if not flag(config.get("DEMO")) and config.get("KEY_PASSPHRASE") == DEMO_PASSPHRASE:
        raise InsecureSettings(
            PASSPHRASE_ENV,
            f"{PASSPHRASE_ENV} is the demo passphrase ({DEMO_PASSPHRASE!r}): set your own "
            f"secret passphrase (or {DEMO_ENV}=1 for a demo)",
        )


def instance_secret(folder: Path) -> str:
    """The secret key kept in ``folder/secret_key``: made (random, 256 bits, mode 0600) the
    first time, read back afterwards. Safe when several processes ask at once: the file is
    written in full under another name, then linked into place unless one is there already."""
    path = folder / SECRET_FILE
    value = kept_secret(folder, SECRET_FILE, lambda: secrets.token_hex(32))
    if not value:
        raise InsecureSettings(SECRET_ENV, f"{path} is empty: remove it to make a new secret")
    return value


def settle_server_secrets(config: MutableMapping[str, Any]) -> None:
    """Called by the app factory once its config is complete: in demo mode without a secret
    key, use the demo one; then :func:`check_server_secrets`, unless ``CHECK_SECRETS`` is
    false (the command line, which serves nothing and signs no cookies)."""
    if flag(config.get("DEMO")) and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = DEMO_SECRET
    if config.get("CHECK_SECRETS", True):
        check_server_secrets(config)
