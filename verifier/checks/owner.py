"""``owner``: that the person presenting the credential is its learner.

That needs a presentation signed by the holder; a credential on its own cannot show it. When a
presentation's proof verified, its holder (``verifier.presentation``) is passed in: ``ok`` when
the holder is one of the credential's subjects; otherwise ``holder_not_subject``, an ``error``
for a micro-credential (a learner's award, presented by someone else) and a ``warning`` for any
other credential — the W3C data model lets a holder present credentials about others (a parent
a child's, an agent its principal's), and says so rather than refusing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.elm.annex1 import is_micro_credential
from schemas.elm.read import node_id, objects
from verifier.report import NO_PRESENTATION, CheckResult, Outcome

CHECK = "owner"
HOLDER_IS_SUBJECT = "holder_is_subject"
HOLDER_NOT_SUBJECT = "holder_not_subject"


def check_owner(
    credential: Mapping[str, Any] | None = None, holder: str | None = None
) -> CheckResult:
    """``unchecked`` without a proven ``holder`` (a lone credential carries no proof of who holds
    it); with one, ``ok`` when it is the id of a ``credentialSubject``, else ``error`` for a
    micro-credential and ``warning`` for any other credential."""
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
    details = {"holder": holder, "subjects": [s for s in subjects if s]}
    if is_micro_credential(credential):
        return CheckResult(
            CHECK,
            Outcome.ERROR,
            HOLDER_NOT_SUBJECT,
            f"Presented by {holder}, who is not the learner the credential was awarded to.",
            details,
        )
    return CheckResult(
        CHECK,
        Outcome.WARNING,
        HOLDER_NOT_SUBJECT,
        f"Presented by {holder}, who is not the subject of the credential.",
        details,
    )
