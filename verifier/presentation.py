"""Verify a verifiable presentation: the holder's own proof, then every credential it carries.

A presentation (W3C VC Data Model 2.0 §4.13) is verified when

- it is a JSON object whose ``type`` includes ``VerifiablePresentation``, whose ``holder`` (when
  present) is a DID given as a string or as ``{"id": …}``, and whose ``verifiableCredential``
  (when present) is one object or a list of at most :data:`MAX_CREDENTIALS` objects;
- every Data Integrity proof of it verifies for ``authentication``
  (:class:`keys.purposes.AuthenticationProofPurpose`, through :func:`keys.proof_set.verify_proofs`
  — the same code that checks a credential's seal): made by a key its controller lists under
  ``authentication``, that controller being the ``holder`` when one is named, carrying the
  verifier's ``challenge`` and ``domain`` when they were given, created not in the future;
- every embedded credential verifies with :func:`verifier.verify.verify_credential`, which is
  told the proven holder (the ``holder``, or the signer when none is named) so its ``owner``
  check says whether the holder is the credential's subject.

The holder is only passed on when the presentation's proof verified: an unproven holder binds
nothing, and ``owner`` stays ``unchecked``. Never raises for a bad presentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from keys.proof_set import ProofSetResult, verify_proofs
from keys.purposes import AuthenticationProofPurpose
from keys.resolver import DidResolver
from verifier.limits import Budget
from verifier.report import Report
from verifier.verify import VerifierOptions, verify_credential

PRESENTATION_TYPE = "VerifiablePresentation"
#: At most this many credentials in one presentation (each gets its own time budget).
MAX_CREDENTIALS = 10


@dataclass(frozen=True)
class PresentationProof:
    """The outcome of the presentation's own proof: verified or not, with a stable ``code``,
    a message for people and the holder it proved (None when nothing was proved)."""

    verified: bool
    code: str
    message: str
    holder: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"verified", "code", "message"}`` plus ``holder`` and ``details`` when known."""
        data: dict[str, Any] = {
            "verified": self.verified,
            "code": self.code,
            "message": self.message,
        }
        if self.holder is not None:
            data["holder"] = self.holder
        if self.details:
            data["details"] = self.details
        return data


@dataclass(frozen=True)
class PresentationResult:
    """The presentation's proof and one report per embedded credential, in order."""

    proof: PresentationProof
    credentials: list[Report] = field(default_factory=list)


def holder_of(presentation: Mapping[str, Any]) -> tuple[bool, str | None]:
    """``(well_formed, holder)``: the ``holder`` DID given as a string or ``{"id": …}``; absent
    is well formed with no holder; anything else is malformed."""
    holder = presentation.get("holder")
    if holder is None:
        return True, None
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if isinstance(holder, str) and holder.startswith("did:"):
        return True, holder
    return False, None


def credentials_of(presentation: Mapping[str, Any]) -> list[Any]:
    """The embedded credentials as a list (absent: none)."""
    value = presentation.get("verifiableCredential")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _refused(code: str, message: str) -> PresentationResult:
    return PresentationResult(PresentationProof(False, code, message))


def _shape_problem(presentation: Any) -> PresentationResult | None:
    """The result for a document that is no usable presentation, or None."""
    if not isinstance(presentation, Mapping):
        return _refused("not_a_presentation", "The presentation is not a JSON object.")
    kinds = presentation.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if PRESENTATION_TYPE not in kinds:
        return _refused(
            "not_a_presentation", f"The document's type does not include {PRESENTATION_TYPE}."
        )
    if not holder_of(presentation)[0]:
        return _refused("invalid_holder", "holder must be a DID, or an object whose id is one.")
    embedded = credentials_of(presentation)
    if not all(isinstance(c, Mapping) for c in embedded):
        return _refused(
            "invalid_credential_entry", "Every verifiableCredential must be a JSON object."
        )
    if len(embedded) > MAX_CREDENTIALS:
        return _refused(
            "too_many_credentials",
            f"A presentation may carry at most {MAX_CREDENTIALS} credentials here.",
        )
    return None


def check_presentation_proof(
    presentation: Mapping[str, Any],
    options: VerifierOptions,
    *,
    challenge: str | None,
    domain: str | None,
    now: datetime,
) -> PresentationProof:
    """Verify the presentation's proofs for ``authentication`` by the holder's keys (any
    controller's when no holder is named), with ``challenge`` and ``domain`` when given."""
    _, holder = holder_of(presentation)
    purpose = AuthenticationProofPurpose(
        challenge=challenge,
        domain=domain,
        controllers=None if holder is None else [holder],
    )
    outcome = verify_proofs(
        presentation,
        resolver=options.resolver or DidResolver(fetch=options.fetch),
        loader=options.loader,
        now=now,
        deadline=Budget(options.budget).deadline,
        purpose=purpose,
    )
    return _proof_result(outcome, holder)


def _proof_result(outcome: ProofSetResult, holder: str | None) -> PresentationProof:
    details = {
        "proofs": [
            {
                "index": r.index,
                "cryptosuite": r.proof.get("cryptosuite"),
                "verificationMethod": r.proof.get("verificationMethod"),
                "verified": r.verified,
                **({"code": r.code, "message": r.message} if r.code else {}),
            }
            for r in outcome.results
        ]
    }
    if outcome.verified:
        proven = holder or outcome.signers[0]
        return PresentationProof(
            True,
            "presentation_valid",
            f"The presentation was signed by {proven} for authentication.",
            proven,
            details,
        )
    if outcome.code is not None:
        return PresentationProof(False, outcome.code, outcome.message or "", None, details)
    first = next(r for r in outcome.results if not r.verified)
    return PresentationProof(
        False,
        first.code or "invalid_proof",
        f"Proof {first.index + 1} of the presentation: {first.message}",
        None,
        details,
    )


def verify_presentation(
    presentation: Any,
    options: VerifierOptions | None = None,
    *,
    challenge: str | None = None,
    domain: str | None = None,
) -> PresentationResult:
    """Verify ``presentation`` (parsed JSON) and every credential in it; never raises.

    A document that is no usable presentation gets a failed proof result and no credential
    reports. Otherwise every embedded credential is checked, whether or not the presentation's
    proof verified, and told the holder only when it did (see the module)."""
    options = options or VerifierOptions()
    now = options.now or datetime.now(UTC)
    refused = _shape_problem(presentation)
    if refused is not None:
        return refused
    try:
        proof = check_presentation_proof(
            presentation, options, challenge=challenge, domain=domain, now=now
        )
    except Exception as error:  # fail closed, as every check does (verifier.verify)
        proof = PresentationProof(
            False, "internal_error", f"The proof check failed unexpectedly: {error!r}"
        )
    holder = proof.holder if proof.verified else None
    reports = [
        verify_credential(credential, options, holder=holder)
        for credential in credentials_of(presentation)
    ]
    return PresentationResult(proof, reports)
