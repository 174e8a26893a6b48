"""The rule for a web server's secret key, shared by the issuer and the verifier: outside an
explicit demo mode, a server refuses to start with a secret key that is missing or anyone can
know (a default shipped here, a typical placeholder).

The secret key signs session cookies and CSRF tokens; whoever knows it can forge them. Demo
mode (``MICROCRED_DEMO=1``, or the ``DEMO`` config flag) accepts the demo key, so that ``make
run`` and local experiments work out of the box. It lives in ``keys`` because both apps (and
a verifier deployed alone) need the same rule; each app adds its own settings on top
(``issuer.server_secrets`` the key passphrase).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, Final

SECRET_ENV: Final = "MICROCRED_SECRET_KEY"
DEMO_ENV: Final = "MICROCRED_DEMO"
DEMO_SECRET: Final = "dev-only-change-me"  # the secret key of a demo started without one
# Secret keys that were shipped as defaults here or are typical placeholders: never secret.
KNOWN_DEFAULT_SECRETS: Final = frozenset(
    {DEMO_SECRET, "change-me", "changeme", "secret", "secret-key", "dev", "development"}
)
HOW_TO_FIX: Final = (
    "set it to a long random value, e.g. the output of "
    f"`python -c 'import secrets; print(secrets.token_hex(32))'` (or {DEMO_ENV}=1 for a demo)"
)


class InsecureSettings(Exception):
    """A server's setting is missing or publicly known; ``setting`` names it and the message
    is one line saying what to do (stable code ``insecure_settings``)."""

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


def check_secret_key(config: Mapping[str, Any]) -> None:
    """Raise :class:`InsecureSettings` unless ``config`` is in demo mode (``DEMO``) or its
    ``SECRET_KEY`` is set and not a known default."""
    if flag(config.get("DEMO")):
        return
    secret = config.get("SECRET_KEY")
    text = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else str(secret or "")
    if not text.strip():
        raise InsecureSettings(SECRET_ENV, f"{SECRET_ENV} is not set: {HOW_TO_FIX}")
    if text.strip().lower() in KNOWN_DEFAULT_SECRETS:
        raise InsecureSettings(
            SECRET_ENV, f"{SECRET_ENV} is a known default ({text!r}): {HOW_TO_FIX}"
        )


def settle_secret_key(config: MutableMapping[str, Any]) -> None:
    """In demo mode without a secret key, use the demo one; then :func:`check_secret_key`."""
    if flag(config.get("DEMO")) and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = DEMO_SECRET
    check_secret_key(config)


def kept_secret(folder: Path, name: str, make: Callable[[], str]) -> str:
    """The secret kept in ``folder/name``: ``make()`` written there (mode 0600) the first time,
    read back afterwards (stripped; the file's mode tightened to 0600 if it was looser). Safe when
    several processes ask at once: the file is written in full under another name, then linked
    into place unless one is there already, and everyone uses the one in place."""
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(make() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: everyone uses that one
        finally:
            temporary.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()
