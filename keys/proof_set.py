"""Verify every proof of a document: a proof set (joint awards) or a proof chain.

Unlike a popular library that accepts a proof set when any one proof verifies, a document here
is verified only when it has at least one proof and **every** proof verifies — each checked on
its own, each signer one of the expected controllers when those are given. Verification never
raises for a bad proof: each proof gets a result with a stable error code.

A caller with a time budget passes a ``deadline`` (``time.monotonic()`` seconds): once it has
passed, the proofs not yet verified get the code ``time_budget_exceeded`` — not checked, as a
key that could not be fetched is not checked (:attr:`ProofResult.unchecked`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from keys.errors import DidResolutionError, KeysError, MalformedProof
from keys.proof import VerifiedProof, proofs_of, verify_proof
from keys.purposes import DEFAULT_CLOCK_SKEW, AssertionProofPurpose
from keys.resolver import DidResolver
from schemas.errors import SchemaError
from schemas.loader import StaticDocumentLoader

NO_PROOF = "no_proof"
BUDGET_EXCEEDED = "time_budget_exceeded"


@dataclass(frozen=True)
class ProofResult:
    """The outcome for one proof: verified, or the error's stable code and message.

    ``unresolved`` is True when the key could not be fetched (a network failure): the proof
    was not shown to be bad, only not checked.
    """

    index: int
    proof: Mapping[str, Any]
    verified: bool
    code: str | None = None
    message: str | None = None
    signer: VerifiedProof | None = None

    @property
    def unresolved(self) -> bool:
        """True when the proof could not be checked because its key did not resolve."""
        return self.code == DidResolutionError.code

    @property
    def unchecked(self) -> bool:
        """True when the proof was not checked: its key did not resolve, or the time budget ran
        out before it (neither shows the proof to be bad)."""
        return self.unresolved or self.code == BUDGET_EXCEEDED


@dataclass(frozen=True)
class ProofSetResult:
    """The outcome for all proofs of a document."""

    results: list[ProofResult] = field(default_factory=list)
    code: str | None = None
    message: str | None = None

    @property
    def verified(self) -> bool:
        """True only when there is at least one proof and every proof verified."""
        return self.code is None and bool(self.results) and all(r.verified for r in self.results)

    @property
    def signers(self) -> list[str]:
        """The controllers whose proofs verified, in proof order."""
        return [r.signer.controller for r in self.results if r.signer is not None]


def verify_proofs(
    document: Mapping[str, Any],
    *,
    resolver: DidResolver,
    controllers: Iterable[str] | None = None,
    loader: StaticDocumentLoader | None = None,
    now: datetime | None = None,
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    deadline: float | None = None,
) -> ProofSetResult:
    """Verify each proof of ``document`` for assertionMethod; never raises for a bad proof.

    ``controllers``, when given, are the DIDs allowed to sign (the issuer, or a joint award's
    awarding bodies); a proof by any other key fails with ``key_not_authorized``. With a
    ``deadline`` (monotonic seconds), each proof reached after it is left unchecked with the code
    ``time_budget_exceeded`` (so the set is not verified).
    """
    now = now or datetime.now(UTC)
    try:
        proofs = proofs_of(document)
    except MalformedProof as error:
        return ProofSetResult(code=error.code, message=error.message)
    if not proofs:
        return ProofSetResult(code=NO_PROOF, message="the document carries no proof")
    purpose = AssertionProofPurpose(controllers=controllers, clock_skew=clock_skew)
    canonical_documents: dict[tuple[str, ...], str] = {}
    results = []
    for index, proof in enumerate(proofs):
        if deadline is not None and time.monotonic() >= deadline:
            results.append(
                ProofResult(
                    index,
                    proof,
                    False,
                    code=BUDGET_EXCEEDED,
                    message="not checked: the time budget ran out before this proof",
                )
            )
            continue
        try:
            signer = verify_proof(
                document,
                proof,
                resolver=resolver,
                purpose=purpose,
                loader=loader,
                now=now,
                canonical_documents=canonical_documents,
            )
        except (KeysError, SchemaError) as error:
            results.append(
                ProofResult(index, proof, False, code=error.code, message=_message(error))
            )
        else:
            results.append(ProofResult(index, proof, True, signer=signer))
    return ProofSetResult(results=results)


def _message(error: Exception) -> str:
    return str(error.args[0]) if error.args else type(error).__name__
