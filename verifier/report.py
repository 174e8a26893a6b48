"""The verifier's answer as data: one result per check, and the verdict they add up to.

Check names and outcomes are those of the EU viewer (see the project's DESIGN notes): a check
ends ``ok``, ``error``, ``warning`` or ``unchecked`` (could not be checked — never counted as
passed, never as failed).

The verdict is one of three (:class:`Verdict`), decided in one place (:func:`decide`):

- ``verified``: the seal is genuine and trusted, every issuer and awarding body is vouched for
  by a configured trust source, the status was read (when the credential has a status entry),
  and the credential is within its validity window — every deciding check ended ``ok`` or
  ``warning``;
- ``unconfirmed``: the seal is genuine, nothing failed, but something that decides trust could
  not be confirmed (issuer in no trust source, status list unreachable, seal chain not checked
  for want of an anchor…); :attr:`Report.unconfirmed` names each such thing and why;
- ``not_verified``: a deciding check failed, or the seal could not be shown to be genuine.

Recognition (the Annex I elements of a micro-credential) is reported beside the verdict, never
inside it; ``owner`` decides only when a presentation was given (a lone credential cannot bind
its holder).

A ``seal`` that ended ``unchecked`` is *genuine* when its details say ``"genuine": true``: the
signature verified, only the trust in the signer (certificate chain, revocation data) could not
be confirmed. Any other unchecked seal was not checked at all (e.g. the signing key could not be
fetched), and nothing is verified without a seal that verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

CHECK_NAMES = ("format", "seal", "revocation", "expiry", "accreditation", "owner", "recognition")
# The checks whose outcome decides the verdict (recognition never does).
DECIDING_CHECKS = ("format", "seal", "revocation", "expiry", "accreditation", "owner")
# ``owner`` ends unchecked with this code for a lone credential: no presentation, nothing to bind.
NO_PRESENTATION = "no_presentation"


class Outcome(StrEnum):
    """How a check ended."""

    OK = "ok"
    ERROR = "error"
    WARNING = "warning"
    UNCHECKED = "unchecked"


class Verdict(StrEnum):
    """The one word a verifier says."""

    VERIFIED = "verified"
    UNCONFIRMED = "unconfirmed"
    NOT_VERIFIED = "not_verified"


@dataclass(frozen=True)
class CheckResult:
    """One line of the checklist: the check, its outcome, a stable code and a message for people."""

    check: str
    outcome: Outcome
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.check not in CHECK_NAMES:
            raise ValueError(f"unknown check name {self.check!r}")

    @property
    def genuine(self) -> bool:
        """For the ``seal``: True when the signature verified (``ok``, or ``unchecked`` with
        ``details.genuine`` — the signer's trust alone was not confirmed)."""
        if self.outcome is Outcome.OK:
            return True
        return self.outcome is Outcome.UNCHECKED and self.details.get("genuine") is True

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"check", "outcome", "code", "message"}`` plus ``details`` if any."""
        data: dict[str, Any] = {
            "check": self.check,
            "outcome": self.outcome.value,
            "code": self.code,
            "message": self.message,
        }
        if self.details:
            data["details"] = self.details
        return data


def decide(checks: list[CheckResult]) -> tuple[Verdict, list[CheckResult]]:
    """The verdict of ``checks`` and, when it is ``unconfirmed``, the results that kept trust
    from being confirmed (in check order). See the module docstring for the rules."""
    deciding = [c for c in checks if c.check in DECIDING_CHECKS]
    seal = next((c for c in deciding if c.check == "seal"), None)
    if seal is None or not seal.genuine:
        return Verdict.NOT_VERIFIED, []
    if any(c.outcome is Outcome.ERROR for c in deciding):
        return Verdict.NOT_VERIFIED, []
    open_points = [
        c
        for c in deciding
        if c.outcome is Outcome.UNCHECKED and not (c.check == "owner" and c.code == NO_PRESENTATION)
    ]
    if open_points:
        return Verdict.UNCONFIRMED, open_points
    return Verdict.VERIFIED, []


@dataclass(frozen=True)
class Report:
    """Every check's result, in the order of ``CHECK_NAMES``, and a summary of what the
    credential says, given only when its seal is genuine (nothing in a document whose seal
    did not verify is shown as fact; while the verdict is not ``verified``, the summary is
    what the credential *states*, marked ``"confirmed": false``)."""

    checks: list[CheckResult]
    summary: dict[str, Any] | None = None

    @property
    def verdict(self) -> Verdict:
        """``verified``, ``unconfirmed`` or ``not_verified`` (see :func:`decide`)."""
        return decide(self.checks)[0]

    @property
    def unconfirmed(self) -> list[CheckResult]:
        """What could not be confirmed, when the verdict is ``unconfirmed`` (else empty)."""
        return decide(self.checks)[1]

    @property
    def verified(self) -> bool:
        """True only for the verdict ``verified``."""
        return self.verdict is Verdict.VERIFIED

    def result(self, check: str) -> CheckResult:
        """The result of the check called ``check``."""
        return next(c for c in self.checks if c.check == check)

    def recognition(self) -> dict[str, Any] | None:
        """The recognition part of the report (Annex I element by element), or None when the
        recognition check did not run."""
        found = next((c for c in self.checks if c.check == "recognition"), None)
        if found is None or found.code == "seal_invalid":
            return None
        return {
            "outcome": found.outcome.value,
            "code": found.code,
            "message": found.message,
            **found.details,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: ``{"verdict", "verified", "unconfirmed", "checks", "summary",
        "recognition"}`` (``unconfirmed`` lists ``{"check", "code", "message"}`` of each thing
        that kept trust from being confirmed; summary and recognition only when given)."""
        verdict, open_points = decide(self.checks)
        data: dict[str, Any] = {
            "verdict": verdict.value,
            "verified": verdict is Verdict.VERIFIED,
            "checks": [c.to_dict() for c in self.checks],
        }
        if verdict is Verdict.UNCONFIRMED:
            data["unconfirmed"] = [
                {"check": c.check, "code": c.code, "message": c.message} for c in open_points
            ]
        if self.summary is not None:
            data["summary"] = {**self.summary, "confirmed": verdict is Verdict.VERIFIED}
        recognition = self.recognition()
        if recognition is not None:
            data["recognition"] = recognition
        return data
