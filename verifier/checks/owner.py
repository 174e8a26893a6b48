"""``owner``: that the person presenting the credential is its learner.

That needs a presentation signed by the holder; a credential on its own cannot show it.
"""

from __future__ import annotations

from verifier.report import CheckResult, Outcome

CHECK = "owner"


def check_owner() -> CheckResult:
    """``unchecked``: a lone credential carries no proof of who holds it."""
    return CheckResult(
        CHECK,
        Outcome.UNCHECKED,
        "no_presentation",
        "No presentation was given, so the holder was not bound to the learner.",
    )
