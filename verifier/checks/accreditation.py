"""``accreditation``: every awarding body against the configured accreditation registry.

- No registry configured: ``unchecked`` / ``no_registry`` (no accreditation is claimed that
  was not looked up).
- A registry that did not verify (the authority's signature, a malformed file, an expired list
  of agencies): ``unchecked`` / ``registry_invalid`` with the reason — a configuration problem,
  never ``ok``.
- ``ok`` / ``accredited`` only when an accreditation covers **every** awarding body (each body
  of a joint award) and each of them signed the credential.
- Every body covered, but one did not sign: ``warning`` / ``awarding_body_not_signed`` — the
  issuer names an accredited organisation that did not put its own proof on the credential.
  This applies to credentials secured with Data Integrity proofs (a signer is a DID); the
  payload of a JAdES seal carries no proof and is vouched for by its sealing certificate, so
  there ``details.bodies[].signed`` is ``null`` and no warning is given.
- Otherwise ``error`` with the first failing body's reason code (``not_accredited``,
  ``accreditation_expired``, ``eqf_out_of_scope``, …; see ``verifier.accreditation``); a body
  whose only record could not be checked (its agency's key did not resolve) makes the check
  ``unchecked`` / ``record_unverified`` instead, when nothing else failed.

``details.bodies`` lists every body's assessment (agency, record, limits, candidates).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from verifier.accreditation import (
    ACCREDITED,
    RECORD_UNVERIFIED,
    AccreditationRegistry,
    Assessment,
)
from verifier.credential import as_list, awarding_bodies, node_id
from verifier.report import CheckResult, Outcome

CHECK = "accreditation"
NO_REGISTRY = "no_registry"
REGISTRY_INVALID = "registry_invalid"
NO_AWARDING_BODY = "no_awarding_body"
BODY_NOT_SIGNED = "awarding_body_not_signed"


def check_accreditation(
    credential: Mapping[str, Any],
    registry: AccreditationRegistry | None = None,
    *,
    now: datetime | None = None,
) -> CheckResult:
    """Assess every awarding body of ``credential`` against ``registry`` (see the module)."""
    if registry is None:
        bodies = [node_id(b) for b in awarding_bodies(credential)]
        return CheckResult(
            CHECK,
            Outcome.UNCHECKED,
            NO_REGISTRY,
            "No accreditation registry is configured, so accreditation was not checked.",
            {"awardingBodies": bodies},
        )
    now = now or datetime.now(UTC)
    problem = registry.problem_at(now)
    if problem is not None:
        return CheckResult(
            CHECK,
            Outcome.UNCHECKED,
            REGISTRY_INVALID,
            f"The accreditation registry cannot be used ({problem.code}): {problem.message}",
            {"reason": problem.code, "registry": registry.summary()},
        )
    assessments = registry.assess(credential, now)
    signers = _signers(credential)
    details: dict[str, Any] = {
        "registry": registry.summary(),
        "bodies": [
            {**a.to_dict(), "signed": None if signers is None else a.body in signers}
            for a in assessments
        ],
    }
    if not assessments:
        return CheckResult(
            CHECK,
            Outcome.ERROR,
            NO_AWARDING_BODY,
            "The credential names no awarding body, so none can be accredited.",
            details,
        )
    failed = [a for a in assessments if not a.covered]
    hard = [a for a in failed if a.code != RECORD_UNVERIFIED]
    if hard:
        first = hard[0]
        return CheckResult(
            CHECK,
            Outcome.ERROR,
            first.code,
            f"{_who(first)}: {first.message}"
            + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else "")
            + ".",
            details,
        )
    if failed:
        first = failed[0]
        return CheckResult(
            CHECK, Outcome.UNCHECKED, first.code, f"{_who(first)}: {first.message}.", details
        )
    unsigned = [a for a in assessments if signers is not None and a.body not in signers]
    if unsigned:
        return CheckResult(
            CHECK,
            Outcome.WARNING,
            BODY_NOT_SIGNED,
            f"Every awarding body is accredited, but {_who(unsigned[0])} did not sign the "
            "credential: the accreditation is that of an organisation the issuer names.",
            details,
        )
    covered = "; ".join(
        f"{_who(a)} by {a.agency.name or a.agency.id if a.agency else '?'}" for a in assessments
    )
    return CheckResult(
        CHECK,
        Outcome.OK,
        ACCREDITED,
        f"Every awarding body is accredited: {covered}.",
        details,
    )


def _who(assessment: Assessment) -> str:
    return assessment.name or assessment.body


def _signers(credential: Mapping[str, Any]) -> set[str] | None:
    """The DIDs whose keys made the credential's proofs (the seal check verified them); None
    when the credential carries no Data Integrity proof (a JAdES-sealed payload)."""
    if "proof" not in credential:
        return None
    found = set()
    for proof in as_list(credential.get("proof")):
        if isinstance(proof, Mapping) and isinstance(proof.get("verificationMethod"), str):
            found.add(proof["verificationMethod"].partition("#")[0])
    return found
