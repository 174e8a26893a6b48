"""Re-seal the credentials a compromised key signed, with the organisation's current key.

Once a key is marked compromised its DID document entry carries ``revoked`` and verifiers
accept nothing it signed (``keys.lifecycle``). Every stored credential with a proof by that key
is therefore re-sealed: that proof is replaced, in place, by a new proof of the organisation's
current key over the same unsecured document (``created`` = the time of re-sealing). Nothing
else changes: the credential keeps its id, claims and status entries (revocation and suspension
keep working) and the other awarding bodies' proofs of a joint award stay as they are — each
proof of a proof set signs the document without the others, so they remain valid.

The stored document is replaced with an explicit ``UPDATE … WHERE document = <old text>`` (the
ORM refuses to change it, see ``issuer.models``), and each re-sealed credential gets an
``AuditEvent(action="credential_resealed")`` naming the old and new verification methods.

Credentials do not record their signing keys, so candidates are found by the method id in the
stored JSON (a ``LIKE`` over ``credentials.document``, in id order, ``batch_size`` at a time)
and confirmed by parsing the proofs. Each batch is its own transaction: an interrupted run
leaves whole credentials re-sealed, and running again finds only those still signed by the key
(a re-sealed credential no longer names it), so re-sealing is idempotent.

A did:key organisation has no other key to re-seal with: re-sealing its credentials fails with
``Conflict`` (``organisation_key_compromised``), see ``issuer.partnerships.keyring``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from issuer.credentials.issuance import serialize
from issuer.errors import Conflict
from issuer.models import AuditEvent, IssuedCredential, KeyState, SigningKey, utcnow
from issuer.partnerships.services import signing_keypair
from keys.keypairs import KeyPair
from keys.proof import create_proof, proofs_of, unsecured

CREDENTIAL_RESEALED: Final = "credential_resealed"
BATCH_SIZE: Final = 100

Transactions = Callable[[], AbstractContextManager[Session]]


def _previous(proof: Mapping[str, Any]) -> set[str]:
    previous = proof.get("previousProof")
    if isinstance(previous, str):
        return {previous}
    return {p for p in previous if isinstance(p, str)} if isinstance(previous, list) else set()


def reseal_document(
    document: Mapping[str, Any], method_id: str, keypair: KeyPair, *, created: datetime
) -> dict[str, Any] | None:
    """A copy of ``document`` whose proofs by ``method_id`` are replaced, each in its place, by
    a proof of ``keypair`` created at ``created``; None when no proof is by ``method_id``.

    ``Conflict`` (code ``proof_chain``) when such a proof is part of a proof chain (it names a
    ``previousProof`` or another proof names it): re-signing it would break the chain. The
    issuer never makes chains.
    """
    proofs = proofs_of(document)
    targets = [i for i, proof in enumerate(proofs) if proof.get("verificationMethod") == method_id]
    if not targets:
        return None
    target_ids = {proofs[i].get("id") for i in targets} - {None}
    chained = any(proofs[i].get("previousProof") is not None for i in targets) or any(
        _previous(proof) & target_ids for proof in proofs
    )
    if chained:
        raise Conflict(
            f"credential {document.get('id')} has a proof chain through {method_id}; "
            "it cannot be re-sealed proof by proof",
            code="proof_chain",
        )
    new_proof = create_proof(unsecured(document), keypair, created=created)
    replaced = [new_proof if i in targets else proof for i, proof in enumerate(proofs)]
    return {**document, "proof": replaced if isinstance(document["proof"], list) else replaced[0]}


@dataclass(frozen=True)
class Batch:
    """One batch: how many credentials were re-sealed, and the last credential id looked at
    (None when there were no more candidates)."""

    resealed: int
    last_id: int | None


def reseal_batch(
    session: Session,
    key: SigningKey,
    *,
    passphrase: bytes,
    actor: str,
    after_id: int = 0,
    limit: int = BATCH_SIZE,
    now: datetime | None = None,
) -> Batch:
    """Re-seal up to ``limit`` credentials with id above ``after_id`` that ``key`` signed, with
    its organisation's current key; flushes, never commits. See the module docstring.

    ``Conflict`` (``key_not_compromised``) unless ``key`` is marked compromised: a retired key's
    credentials still verify and are left alone.
    """
    if key.state is not KeyState.COMPROMISED:
        raise Conflict(
            f"{key.method_id} is not marked compromised; what it signed stays as it is",
            code="key_not_compromised",
        )
    now = now or utcnow()
    needle = json.dumps(key.method_id)  # the method id as it is written in the stored JSON
    candidates = session.scalars(
        select(IssuedCredential)
        .where(IssuedCredential.id > after_id)
        .where(IssuedCredential.document.contains(needle, autoescape=True))
        .order_by(IssuedCredential.id)
        .limit(limit)
    ).all()
    if not candidates:
        return Batch(0, None)
    keypair = signing_keypair(key.organisation, passphrase)
    resealed = 0
    for credential in candidates:
        old_text = credential.document
        document = reseal_document(json.loads(old_text), key.method_id, keypair, created=now)
        if document is None:  # the id appears in the JSON, but no proof is by the key
            continue
        changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(IssuedCredential)
            .where(IssuedCredential.id == credential.id, IssuedCredential.document == old_text)
            .values(document=serialize(document))
            .execution_options(synchronize_session=False)
        )
        session.expire(credential, ["document"])
        if changed.rowcount != 1:  # re-sealed meanwhile by another run
            continue
        session.add(
            AuditEvent(
                actor=actor,
                organisation_id=key.organisation_id,
                action=CREDENTIAL_RESEALED,
                credential_id=credential.id,
                details={
                    "credential": credential.credential_uri,
                    "oldVerificationMethod": key.method_id,
                    "newVerificationMethod": keypair.id,
                },
            )
        )
        resealed += 1
    session.flush()
    return Batch(resealed, candidates[-1].id)


def reseal_signed_by(
    transactions: Transactions,
    key_id: int,
    *,
    passphrase: bytes,
    actor: str,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> int:
    """Re-seal every credential the signing key ``key_id`` signed, one transaction per batch
    (``transactions()`` opens one); return how many were re-sealed."""
    now = now or utcnow()
    total, after_id = 0, 0
    while True:
        with transactions() as session:
            key = session.get_one(SigningKey, key_id)
            batch = reseal_batch(
                session,
                key,
                passphrase=passphrase,
                actor=actor,
                after_id=after_id,
                limit=batch_size,
                now=now,
            )
        total += batch.resealed
        if batch.last_id is None:
            return total
        after_id = batch.last_id
