"""Learner management tokens kept for the export and the e-mail of a bulk job.

Only a hash of a management token is stored with the credential; a bulk job's learners still
need their link after the job ran (a CSV export for a mail merge, the queue's e-mail). So the
bulk row keeps the token sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the key
passphrase, which the web processes and the workers have and the database does not. Whoever
reads the database alone learns nothing; whoever has the passphrase could sign anyway.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"
_INFO = b"microcred bulk manage tokens v1"


def _key(passphrase: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"microcred", info=_INFO)
    return AESGCM(derived.derive(passphrase))


class Sealer:
    """Seals and opens tokens under the key derived once from the passphrase."""

    def __init__(self, passphrase: bytes) -> None:
        self._aead = _key(passphrase)

    def seal(self, token: str, *, row_id: int) -> str:
        """``token`` sealed for row ``row_id`` (bound to it: copied to another row, it does
        not open)."""
        nonce = os.urandom(12)
        box = self._aead.encrypt(nonce, token.encode(), str(row_id).encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + box).decode()

    def unseal(self, sealed: str | None, *, row_id: int) -> str | None:
        """The token sealed for ``row_id``; None when absent or it does not open (another
        passphrase, another row, tampered)."""
        if not sealed or not sealed.startswith(PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
            return self._aead.decrypt(raw[:12], raw[12:], str(row_id).encode()).decode()
        except (InvalidTag, ValueError):
            return None
