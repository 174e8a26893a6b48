"""``owner``: that the person presenting the credential is its learner.

That needs a presentation signed by the holder; a credential on its own cannot show it. When a
presentation's proof verified, its holder (``verifier.presentation``) is passed in: ``ok`` when
the holder is one of the credential's subjects, ``error`` (``holder_not_subject``) otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.elm.read import node_id, objects
from verifier.report import NO_PRESENTATION, CheckResult, Outcome

CHECK = "owner"
HOLDER_IS_SUBJECT = "holder_is_subject"
HOLDER_NOT_SUBJECT = "holder_not_subject"


def check_owner(
    credential: Mapping[str, Any] | None = None, holder: str | None = None
) -> CheckResult:
    """``unchecked`` without a proven ``holder`` (a lone credential carries no proof of who holds
    it); with one, ``ok`` when it is the id of a ``credentialSubject``, else ``error``."""
    if holder is None or credential is None:
        return CheckResult(
            CHECK,
            Outcome.UNCHECKED,
            NO_PRESENTATION,
            "No presentation was given, so the holder was not bound to the learner.",
        )
    subjects = [node_id(s) for s in objects(credential.get("credentialSubject"))]
    if holder in subjects:
        return CheckResult(
            CHECK,
            Outcome.OK,
            HOLDER_IS_SUBJECT,
            f"Presented by {holder}, the learner the credential was awarded to.",
            {"holder": holder},
        )
    return CheckResult(
        CHECK,
        Outcome.ERROR,
        HOLDER_NOT_SUBJECT,
        f"Presented by {holder}, who is not the learner the credential was awarded to.",
        {"holder": holder, "subjects": [s for s in subjects if s]},
    )
