"""``seal``: every Data Integrity proof verifies, each signer may speak for the credential, and
every awarding body named has sealed it with a key of its own.

The allowed signers are the issuer and the awarding bodies of the claims. A joint award carries
one proof per awarding partner: a body named in ``awardedBy`` whose own proof is missing is a
seal error naming the body (``awarding_body_not_sealed``) — otherwise one partner could award
in the name of all. A key that cannot be fetched leaves the seal ``unchecked`` (not shown to be
genuine, so the credential is not verified), and so does a time budget that runs out before
every proof was checked (``time_budget_exceeded``).

A proof chain (``previousProof``) verifies when every proof does and every signer is acceptable
for its role: the seals (proofs naming no earlier proof) by the issuer or an awarding body, a
chained proof by any key its controller lists for assertions — it only adds a signature over the
credential and the proofs it names, changes no claim, and is reported with its signer
(``details.proofs[].role``). A chain may start with another party's proof (a witness's) when a
proof by the issuer or an awarding body names it, as in the W3C proof-chain vectors; both are
then reported as chained (:mod:`keys.proof_set`). A ``previousProof`` naming no proof of the
document stays an error (``previous_proof_missing``).

An issuer that is no DID (an ``https:`` URL, as in the W3C ecdsa vectors) names no keys this
verifier can look up (it fetches nothing but did:web documents and status lists): its proofs
are checked against their own controllers' keys, and when every one verifies the seal is
``unchecked`` with ``issuer_not_bound`` and ``details.genuine`` — the signature is genuine, but
that the signer speaks for the issuer is not confirmed, so the verdict is at best
``unconfirmed``. A DID issuer's credential signed by someone else stays ``key_not_authorized``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cryptography import x509

from keys.proof_set import BUDGET_EXCEEDED, ProofSetResult, verify_proofs
from keys.resolver import DidResolver
from schemas.elm.read import awarding_bodies, issuer_id, node_id
from schemas.jsonld import PreparedDocument
from schemas.loader import StaticDocumentLoader
from verifier.credential import organisation_name
from verifier.jades.verify import verify_jades
from verifier.report import CheckResult, Outcome

CHECK = "seal"
BODY_NOT_SEALED = "awarding_body_not_sealed"
ISSUER_NOT_BOUND = "issuer_not_bound"


def allowed_signers(credential: Mapping[str, Any]) -> set[str]:
    """The DIDs that may sign: the issuer and every awarding body."""
    signers = {node_id(body) for body in awarding_bodies(credential)}
    signers.add(issuer_id(credential))
    return {s for s in signers if s}


def check_seal(
    document: Mapping[str, Any],
    *,
    resolver: DidResolver,
    now: datetime,
    loader: StaticDocumentLoader | None = None,
    deadline: float | None = None,
    prepared: PreparedDocument | None = None,
) -> CheckResult:
    """``ok`` when there is at least one proof and every proof verifies with a key of the issuer
    or an awarding body; ``unchecked`` when a key could not be fetched, or the ``deadline``
    (monotonic seconds) passed before a proof, and nothing failed; ``error`` otherwise, naming
    the first failing proof — or, when every proof verified, the first awarding body that did
    not seal the credential with its own key. ``prepared`` (of this very ``document``) lends
    the canonical form the ``format`` check may have made: every proof uses it."""
    issuer = issuer_id(document)
    unbound = isinstance(issuer, str) and not issuer.startswith("did:")
    outcome = verify_proofs(
        document,
        resolver=resolver,
        controllers=None if unbound else allowed_signers(document),
        loader=loader,
        now=now,
        deadline=deadline,
        chain_controllers=None,
        prepared=prepared,
    )
    result = _result(outcome)
    if result.outcome is not Outcome.OK:
        return result
    result = _every_body_sealed(document, set(outcome.signers), result)
    if not unbound or result.outcome is not Outcome.OK:
        return result
    return CheckResult(
        CHECK,
        Outcome.UNCHECKED,
        ISSUER_NOT_BOUND,
        f"{result.message} The issuer {issuer} is not a DID, so whether "
        f"{'these keys speak' if len(outcome.results) > 1 else 'this key speaks'} for it "
        "could not be checked.",
        {**result.details, "genuine": True, "issuer": issuer},
    )


def _every_body_sealed(
    document: Mapping[str, Any], signers: set[str], verified: CheckResult
) -> CheckResult:
    """``verified`` when every awarding body is among ``signers``; else the seal error naming
    the bodies that did not seal."""
    missing = [body for body in awarding_bodies(document) if node_id(body) not in signers]
    if not missing:
        return verified
    names = [organisation_name(b) for b in missing]
    details = {
        **verified.details,
        "unsealedBodies": [
            {"id": node_id(b), "name": n} for b, n in zip(missing, names, strict=True)
        ],
    }
    return CheckResult(
        CHECK,
        Outcome.ERROR,
        BODY_NOT_SEALED,
        f"The credential names {'; '.join(str(n) for n in names)} as awarding "
        f"bod{'ies' if len(missing) > 1 else 'y'}, but "
        f"{'they have' if len(missing) > 1 else 'it has'} not sealed it with a key of "
        f"{'their' if len(missing) > 1 else 'its'} own.",
        details,
    )


def is_jades(document: Any) -> bool:
    """True for a JWS JSON serialization (the EU's JAdES seal): ``payload`` and ``signatures``."""
    return isinstance(document, Mapping) and "payload" in document and "signatures" in document


def check_jades_seal(
    document: Mapping[str, Any],
    *,
    trust_anchors: Sequence[x509.Certificate],
    now: datetime,
    crls: Sequence[x509.CertificateRevocationList] = (),
) -> tuple[CheckResult, dict[str, Any] | None]:
    """The ``seal`` result for a JAdES-sealed document, and its credential when the signature
    held. ``ok`` only when the chain reached an anchor and its revocation status is known good
    (from the seal's own data or ``crls``); ``unchecked`` with ``details["genuine"] = True`` when
    the signature verified but trust in the signer could not be confirmed (no anchors, unknown
    revocation status), the credential still returned; ``error`` otherwise, with no credential."""
    jades = verify_jades(document, trust_anchors=trust_anchors, crls=crls, now=now)
    return CheckResult(CHECK, jades.outcome, jades.code, jades.message, jades.to_dict()), (
        jades.payload
    )


def _result(outcome: ProofSetResult) -> CheckResult:
    details: dict[str, Any] = {
        "proofs": [
            {
                "index": r.index,
                "cryptosuite": r.proof.get("cryptosuite"),
                "verificationMethod": r.proof.get("verificationMethod"),
                "verified": r.verified,
                "role": r.role,
                **({"code": r.code, "message": r.message} if r.code else {}),
            }
            for r in outcome.results
        ]
    }
    if outcome.verified:
        count = len(outcome.results)
        who = ", ".join(outcome.signers)
        return CheckResult(
            CHECK,
            Outcome.OK,
            "seal_valid",
            f"{count} proof{'s' if count > 1 else ''} verified, signed by {who}.",
            details,
        )
    if outcome.code is not None:
        return CheckResult(CHECK, Outcome.ERROR, outcome.code, outcome.message or "", details)
    failed = [r for r in outcome.results if not r.verified and not r.unchecked]
    if failed:
        first = failed[0]
        return CheckResult(
            CHECK,
            Outcome.ERROR,
            first.code or "invalid_proof",
            f"Proof {first.index + 1} of {len(outcome.results)}: {first.message}",
            details,
        )
    first = next(r for r in outcome.results if r.unchecked)
    if first.code == BUDGET_EXCEEDED:
        checked = sum(1 for r in outcome.results if not r.unchecked)
        return CheckResult(
            CHECK,
            Outcome.UNCHECKED,
            BUDGET_EXCEEDED,
            f"The seal was not fully checked: the verification used up its time budget after "
            f"{checked} of {len(outcome.results)} proofs.",
            details,
        )
    return CheckResult(
        CHECK,
        Outcome.UNCHECKED,
        first.code or "did_unresolved",
        f"The signing key could not be fetched, so the seal was not checked: {first.message}",
        details,
    )
