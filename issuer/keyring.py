"""Key rotation: give an organisation a new current signing key, with an audit record.

The previous current key becomes *retired*: it stays in the organisation's DID document
(``verificationMethod``, ``assertionMethod``, ``authentication``) so that every credential it
signed still verifies, but it is no longer listed under ``capabilityInvocation`` and never signs
again. New credentials are signed with the new key (``partnerships.signing_keypair``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer.models import AuditEvent, KeyState, Organisation, SigningKey
from issuer.partnerships import add_signing_key
from keys.keypairs import Algorithm

ROTATE_KEY = "rotate_key"


def rotate_key(
    session: Session,
    organisation: Organisation,
    *,
    passphrase: bytes | str,
    actor: str,
    algorithm: Algorithm = Algorithm.ED25519,
) -> SigningKey:
    """Generate a new current key for ``organisation`` (sealed with ``passphrase``), retire the
    old one and append an ``AuditEvent(action="rotate_key")``. Flushes, never commits."""
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    retiring = [key.method_id for key in organisation.keys if key.state is KeyState.CURRENT]
    key = add_signing_key(session, organisation, passphrase=passphrase, algorithm=algorithm)
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=organisation.id,
            action=ROTATE_KEY,
            details={
                "methodId": key.method_id,
                "algorithm": key.algorithm,
                "retired": retiring,
            },
        )
    )
    session.flush()
    return key
