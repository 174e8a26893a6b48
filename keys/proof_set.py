"""Verify every proof of a document: a proof set (joint awards) or a proof chain.

Unlike a popular library that accepts a proof set when any one proof verifies, a document here
is verified only when it has at least one proof and **every** proof verifies — each checked on
its own, each signer acceptable for its role. Verification never raises for a bad proof: each
proof gets a result with a stable error code.

Roles: a proof without ``previousProof`` is a *seal* (its signer must be one of
``controllers`` when those are given); a proof naming ``previousProof`` is *chained*: it signs
the document and the earlier proofs it names, which must be in the document
(``previous_proof_missing`` otherwise), and its signer must be one of ``chain_controllers``
(by default the same as ``controllers``; ``None`` accepts any controller that lists the key
under ``assertionMethod``). A chain always starts at a proof naming no earlier one: a document
whose proofs are all chained is refused (``no_seal_proof``).

A chain may also start with someone else's proof that an allowed signer then signs over, as in
the W3C Data Integrity proof-chain vectors (a witness's proof, then the issuer's naming it).
When chained signers are open (``chain_controllers=None``), a proof naming no earlier one but
itself named by a ``previousProof`` is accepted by any controller's key **only when a verified
proof by one of ``controllers`` names it** (directly, or through the chained proofs between
them); it is then reported as ``chained``. Not so endorsed, it is a seal like any other and a
stranger's key fails ``key_not_authorized``: a stranger's proof beside the issuer's (a proof
set) never passes.

A caller with a time budget passes a ``deadline`` (``time.monotonic()`` seconds): once it has
passed, the proofs not yet verified get the code ``time_budget_exceeded`` — not checked, as a
key that could not be fetched is not checked (:attr:`ProofResult.unchecked`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from keys.errors import DidResolutionError, KeyNotAuthorized, KeysError, MalformedProof
from keys.proof import VerifiedProof, proofs_of, verify_proof
from keys.purposes import DEFAULT_CLOCK_SKEW, AssertionProofPurpose, ControllerProofPurpose
from keys.resolver import DidResolver
from schemas.errors import SchemaError
from schemas.jsonld import PreparedDocument
from schemas.loader import StaticDocumentLoader

NO_PROOF = "no_proof"
NO_SEAL_PROOF = "no_seal_proof"
BUDGET_EXCEEDED = "time_budget_exceeded"
SEAL = "seal"
CHAINED = "chained"


class _Same:
    """The default of ``chain_controllers``: whatever ``controllers`` is."""


SAME_AS_SEAL = _Same()


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
    role: str = SEAL

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
    chain_controllers: Iterable[str] | _Same | None = SAME_AS_SEAL,
    purpose: ControllerProofPurpose | None = None,
    prepared: PreparedDocument | None = None,
) -> ProofSetResult:
    """Verify each proof of ``document`` for assertionMethod; never raises for a bad proof.

    ``purpose``, when given, replaces assertionMethod for every proof, seal or chained (a
    presentation's ``AuthenticationProofPurpose``); ``controllers``, ``chain_controllers`` and
    ``clock_skew`` are then the purpose's own.

    ``controllers``, when given, are the DIDs allowed to seal (the issuer, or a joint award's
    awarding bodies); a seal by any other key fails with ``key_not_authorized``.
    ``chain_controllers`` are the DIDs allowed to sign a chained proof (one naming
    ``previousProof``): by default ``controllers``, ``None`` for any — and then a chain's start
    by another key passes when a proof by one of ``controllers`` names it (see the module). With a
    ``deadline`` (monotonic seconds), each proof reached after it is left unchecked with the code
    ``time_budget_exceeded`` (so the set is not verified). ``prepared`` (a
    :class:`~schemas.jsonld.PreparedDocument` of ``document``, say the one the ``format`` check
    used) lends its canonical form: the document is canonicalized once for every proof.
    """
    now = now or datetime.now(UTC)
    try:
        proofs = proofs_of(document)
    except MalformedProof as error:
        return ProofSetResult(code=error.code, message=error.message)
    if not proofs:
        return ProofSetResult(code=NO_PROOF, message="the document carries no proof")
    if all(isinstance(p, Mapping) and p.get("previousProof") is not None for p in proofs):
        return ProofSetResult(
            code=NO_SEAL_PROOF, message="every proof names a previousProof: the chain has no start"
        )
    may_be_endorsed = purpose is None and controllers is not None and chain_controllers is None
    if purpose is not None:
        chained: ControllerProofPurpose = purpose
    else:
        purpose = AssertionProofPurpose(controllers=controllers, clock_skew=clock_skew)
        chained = (
            purpose
            if isinstance(chain_controllers, _Same)
            else AssertionProofPurpose(controllers=chain_controllers, clock_skew=clock_skew)
        )
    canonical_documents: dict[tuple[str, ...], str] = {}
    results = []
    named_by = _named_by(proofs)
    for index, proof in enumerate(proofs):
        role = CHAINED if proof.get("previousProof") is not None else SEAL
        # a chain's start by a key that an allowed signer's proof must then endorse (below)
        open_start = role == SEAL and may_be_endorsed and bool(named_by.get(index))
        if deadline is not None and time.monotonic() >= deadline:
            results.append(
                ProofResult(
                    index,
                    proof,
                    False,
                    code=BUDGET_EXCEEDED,
                    message="not checked: the time budget ran out before this proof",
                    role=role,
                )
            )
            continue
        try:
            signer = verify_proof(
                document,
                proof,
                resolver=resolver,
                purpose=chained if role == CHAINED or open_start else purpose,
                loader=loader,
                now=now,
                canonical_documents=canonical_documents,
                prepared=prepared,
            )
        except (KeysError, SchemaError) as error:
            results.append(
                ProofResult(
                    index, proof, False, code=error.code, message=_message(error), role=role
                )
            )
        else:
            results.append(ProofResult(index, proof, True, signer=signer, role=role))
    if may_be_endorsed:
        assert controllers is not None
        results = _endorsed_starts(results, named_by, frozenset(controllers))
    return ProofSetResult(results=results)


def _named_by(proofs: list[Any]) -> dict[int, list[int]]:
    """Proof index → the indices of the proofs whose ``previousProof`` names it (by ``id``)."""
    index_of = {p["id"]: i for i, p in enumerate(proofs) if isinstance(p, Mapping) and "id" in p}
    named: dict[int, list[int]] = {}
    for j, proof in enumerate(proofs):
        previous = proof.get("previousProof") if isinstance(proof, Mapping) else None
        for ref in previous if isinstance(previous, list) else [previous]:
            if isinstance(ref, str) and ref in index_of and index_of[ref] != j:
                named.setdefault(index_of[ref], []).append(j)
    return named


def _endorsed_starts(
    results: list[ProofResult], named_by: dict[int, list[int]], controllers: frozenset[str]
) -> list[ProofResult]:
    """``results`` with each verified chain start by a key outside ``controllers`` marked
    ``chained`` when a verified proof by one of ``controllers`` names it (through any chained
    proofs between), else failed ``key_not_authorized``."""

    def allowed(r: ProofResult) -> bool:
        return r.verified and r.signer is not None and r.signer.controller in controllers

    changed = list(results)
    for r in results:
        if r.role != SEAL or not r.verified or allowed(r) or not named_by.get(r.index):
            continue
        seen, todo, endorsed = {r.index}, list(named_by[r.index]), False
        while todo and not endorsed:
            j = todo.pop()
            if j in seen:
                continue
            seen.add(j)
            endorsed = allowed(results[j])
            todo.extend(named_by.get(j, []))
        if endorsed:
            changed[r.index] = replace(r, role=CHAINED)
        else:
            expected = ", ".join(sorted(controllers)) or "(none)"
            changed[r.index] = replace(
                r,
                verified=False,
                signer=None,
                code=KeyNotAuthorized.code,
                message=f"the key's controller {r.signer.controller if r.signer else '?'} is "
                f"not the expected signer ({expected}), and no proof of theirs names this one",
            )
    return changed


def _message(error: Exception) -> str:
    return str(error.args[0]) if error.args else type(error).__name__
