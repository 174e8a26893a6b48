"""Checking a set of credentials handed over as one document: a ``VerifiablePresentation``
(a learner's set link serves one, without a holder proof) whose credentials are each verified
on their own, and, when asked, a recognition rule evaluated on the set.

A set's verdict is its weakest credential's: ``verified`` only when every credential is,
``not_verified`` when any is not, else ``unconfirmed``. A presentation's own proof binds a
holder; it is not checked here (``POST /presentations/verify`` does that, with the verifier's
challenge): the set's answer says ``holderProof: "not_checked"`` when one is present and
``"absent"`` otherwise, and never lets it change a credential's verdict.

The recognition rule (``verifier.recognition``) reads only credentials whose verdict is
``verified``, as it always does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from verifier.inputs import InputError
from verifier.presentation import MAX_CREDENTIALS, PRESENTATION_TYPE, credentials_of
from verifier.recognition.evaluate import Candidate, Decision, evaluate
from verifier.recognition.rules import Rule
from verifier.report import Report, Verdict

#: The app setting naming the rules directory (``verifier.recognition.views.RULES_DIRECTORY``).
RULES_SETTING = "RECOGNITION_RULES"
_ORDER = (Verdict.NOT_VERIFIED, Verdict.UNCONFIRMED, Verdict.VERIFIED)


def is_presentation(document: Mapping[str, Any]) -> bool:
    """True when ``document``'s ``type`` names ``VerifiablePresentation``."""
    kinds = document.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return PRESENTATION_TYPE in kinds


@dataclass(frozen=True)
class SetResult:
    """Each credential with its report, the set's verdict, whether a holder proof was present,
    and the recognition decision when a rule was evaluated."""

    credentials: list[tuple[dict[str, Any], Report]]
    holder_proof: str
    decision: Decision | None = None
    rule_id: str | None = field(default=None)

    @property
    def verdict(self) -> Verdict:
        """The weakest verdict of the set's credentials."""
        verdicts = {report.verdict for _, report in self.credentials}
        return next(v for v in _ORDER if v in verdicts or v is Verdict.VERIFIED)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "presentation", "verdict", "verified", "holderProof", "credentials":
        [report, …], "recognition"?}``."""
        data: dict[str, Any] = {
            "kind": "presentation",
            "verdict": self.verdict.value,
            "verified": self.verdict is Verdict.VERIFIED,
            "holderProof": self.holder_proof,
            "credentials": [
                {"id": document.get("id"), **report.to_dict()}
                for document, report in self.credentials
            ],
        }
        if self.decision is not None:
            data["recognition"] = self.decision.to_dict()
        return data


def verify_set(
    presentation: Mapping[str, Any],
    check: Callable[[dict[str, Any]], Report],
    *,
    rule: Rule | None = None,
) -> SetResult:
    """Verify every credential of ``presentation`` with ``check`` (the app's verification, in
    order) and evaluate ``rule`` on them when given. ``InputError``: no credentials
    (``empty_presentation``), more than ``MAX_CREDENTIALS`` (``too_many_credentials``), an entry
    that is not a JSON object (``invalid_credential_entry``)."""
    embedded = credentials_of(presentation)
    if not embedded:
        raise InputError("empty_presentation", "The presentation carries no credentials.")
    if len(embedded) > MAX_CREDENTIALS:
        raise InputError(
            "too_many_credentials",
            f"A presentation may carry at most {MAX_CREDENTIALS} credentials here.",
        )
    if not all(isinstance(item, dict) for item in embedded):
        raise InputError(
            "invalid_credential_entry", "Every verifiableCredential must be a JSON object."
        )
    results = [(item, check(item)) for item in embedded]
    decision = None
    if rule is not None:
        candidates = [
            Candidate(f"verifiableCredential[{n}]", item, report)
            for n, (item, report) in enumerate(results)
        ]
        decision = evaluate(rule, candidates)
    holder_proof = "not_checked" if presentation.get("proof") else "absent"
    return SetResult(results, holder_proof, decision)
