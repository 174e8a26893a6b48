"""Key rotation and compromise: an organisation's signing keys over their life, audited.

Rotation gives an organisation a new current key. The previous current key becomes *retired*:
it stays in the organisation's DID document with ``expires`` = its retirement time, under
``assertionMethod`` only, so every credential it signed before then still verifies; it never
signs again. New credentials are signed with the new key (``partnerships.signing_keypair``).

Compromise says the secret key may be in other hands. The key is published with ``revoked`` and
in no verification relationship, so nothing it signed verifies any more — whatever ``created``
a proof claims (``keys.lifecycle``). A current key is first replaced by a new current key, as
rotation does. The credentials it signed are then re-sealed with the current key
(``issuer.partnerships.reseal``), and the organisation's cached status list credentials are
dropped so they are signed again by the current key.

A did:key organisation (``Organisation.did_method`` key) has exactly one key, which is its DID.
Rotation is refused (``Conflict``, code ``key_rotation_impossible``). Compromise marks the key
and nothing replaces it: the organisation signs nothing more — no credential, no status list
credential, no re-sealing (``organisation_key_compromised``). A did:key's document is derived
from the key, so no verifier can learn of the compromise from the DID: what the key signed
keeps a valid seal, and once the cached status lists are dropped they cannot be signed again,
so a verifier that checks status finds them unavailable. Revoke what must be revoked *before*
marking such a key, and move the organisation to a new organisation (a new DID).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from issuer.errors import NotFound
from issuer.models import AuditEvent, KeyState, Organisation, SigningKey, StatusList, utcnow
from issuer.partnerships.services import add_signing_key, is_did_key
from keys.keypairs import Algorithm

ROTATE_KEY = "rotate_key"
KEY_COMPROMISED = "key_compromised"
_KEY_NUMBER = re.compile(r"(?:key-)?([1-9][0-9]{0,8})")


def rotate_key(
    session: Session,
    organisation: Organisation,
    *,
    passphrase: bytes | str,
    actor: str,
    algorithm: Algorithm = Algorithm.ED25519,
) -> SigningKey:
    """Generate a new current key for ``organisation`` (sealed with ``passphrase``), retire the
    old one and append an ``AuditEvent(action="rotate_key")``. Flushes, never commits.

    ``Conflict`` (code ``key_rotation_impossible``) for a did:key organisation, changing
    nothing."""
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


def find_key(organisation: Organisation, reference: str) -> SigningKey:
    """The organisation's signing key named by ``reference``: its method id
    (``did:web:…#key-2``, ``did:key:z…#z…``), its fragment (``key-2``, ``z…``) or its number
    (``2``; a did:key organisation's one key is ``1``). ``NotFound`` (code ``unknown_key``)
    otherwise."""
    reference = reference.strip()
    number = _KEY_NUMBER.fullmatch(reference)
    if is_did_key(organisation):
        if number and number.group(1) == "1" and organisation.keys:
            return organisation.keys[0]
        wanted = {reference, f"{organisation.did}#{reference}"}
    else:
        wanted = {f"{organisation.did}#key-{number.group(1)}" if number else reference}
    for key in organisation.keys:
        if key.method_id in wanted:
            return key
    raise NotFound(
        f"organisation {organisation.slug!r} has no signing key {reference!r}", code="unknown_key"
    )


@dataclass(frozen=True)
class Compromise:
    """What :func:`compromise_key` did: whether it marked the key now (False: it was marked
    already, nothing was done), and the method id of the new current key when the compromised
    key was the current one."""

    key: SigningKey
    newly_marked: bool
    replaced_by: str | None = None


def compromise_key(
    session: Session,
    organisation: Organisation,
    key: SigningKey,
    *,
    passphrase: bytes | str,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> Compromise:
    """Mark ``key`` of ``organisation`` compromised (state ``compromised``, ``compromised_at`` =
    ``now``) and append an ``AuditEvent(action="key_compromised")``; a current key is first
    replaced by a new current key of the same algorithm (:func:`rotate_key`, audited too) —
    except a did:key organisation's, which nothing can replace: it then signs nothing more —
    and the organisation's cached status list credentials signed by the key are dropped. A key
    marked already is left as it is (idempotent). Flushes, never commits; re-sealing the
    credentials it signed is :func:`issuer.partnerships.reseal.reseal_signed_by`."""
    if key.organisation_id != organisation.id:
        raise NotFound(f"{key.method_id} is not a key of {organisation.slug!r}", code="unknown_key")
    if key.state is KeyState.COMPROMISED:
        return Compromise(key, newly_marked=False)
    replaced_by = None
    if key.state is KeyState.CURRENT and not is_did_key(organisation):
        algorithm = Algorithm(key.algorithm)
        new_key = rotate_key(
            session, organisation, passphrase=passphrase, actor=actor, algorithm=algorithm
        )
        replaced_by = new_key.method_id
    key.state = KeyState.COMPROMISED
    key.compromised_at = now or utcnow()
    session.execute(
        update(StatusList)
        .where(StatusList.organisation_id == organisation.id)
        .where(StatusList.signed_document.contains(f'"{key.method_id}"', autoescape=True))
        .values(signed_document=None, signed_version=None)
        .execution_options(synchronize_session="fetch")
    )
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=organisation.id,
            action=KEY_COMPROMISED,
            reason=reason,
            details={
                "methodId": key.method_id,
                "compromisedAt": key.compromised_at.isoformat(),
                "replacedBy": replaced_by,
            },
        )
    )
    session.flush()
    return Compromise(key, newly_marked=True, replaced_by=replaced_by)
