"""The verifier's answer as data: one result per check, and the verdict they add up to.

Check names and outcomes are those of the EU viewer (see the project's DESIGN notes): a check
ends ``ok``, ``error``, ``warning`` or ``unchecked`` (could not be checked — never counted as
passed, never as failed). The credential is verified when its seal held and no check ended
in ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

CHECK_NAMES = ("format", "seal", "revocation", "expiry", "accreditation", "owner", "recognition")


class Outcome(StrEnum):
    """How a check ended."""

    OK = "ok"
    ERROR = "error"
    WARNING = "warning"
    UNCHECKED = "unchecked"


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


@dataclass(frozen=True)
class Report:
    """Every check's result, in the order of ``CHECK_NAMES``, and a summary shown only when the
    seal held (nothing in a document with a broken seal is shown as fact)."""

    checks: list[CheckResult]
    summary: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        """True when the seal held and no check ended in ``error``.

        A seal that could not be checked (``unchecked``) is not enough: nothing is verified
        without a seal that verified.
        """
        seal = next((c for c in self.checks if c.check == "seal"), None)
        if seal is None or seal.outcome is not Outcome.OK:
            return False
        return not any(c.outcome is Outcome.ERROR for c in self.checks)

    def result(self, check: str) -> CheckResult:
        """The result of the check called ``check``."""
        return next(c for c in self.checks if c.check == check)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: ``{"verified", "checks": [...], "summary"}``."""
        data: dict[str, Any] = {
            "verified": self.verified,
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.summary is not None:
            data["summary"] = self.summary
        return data
