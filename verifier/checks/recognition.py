"""``recognition``: the EU standard elements of a micro-credential (Council Recommendation of
16 June 2022, Annex I) are present and well-formed, reported element by element."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.profile import schema_issues, unstated_elements
from verifier.report import CheckResult, Outcome

CHECK = "recognition"


def check_recognition(credential: Mapping[str, Any]) -> CheckResult:
    """``ok`` when every required Annex I element is present and well-formed (naming, in
    ``details.notStated``, elements such as quality assurance that the EU's own sample leaves
    out); ``error`` listing each missing or malformed element otherwise."""
    issues = schema_issues(dict(credential))
    if not issues:
        unstated = unstated_elements(dict(credential))
        message = "Every required element of a micro-credential (Annex I) is present."
        if unstated:
            message += " Not stated: " + ", ".join(unstated) + "."
        return CheckResult(
            CHECK,
            Outcome.OK,
            "annex1_complete",
            message,
            {"notStated": unstated} if unstated else {},
        )
    elements = sorted({issue.element or issue.path for issue in issues})
    return CheckResult(
        CHECK,
        Outcome.ERROR,
        "annex1_incomplete",
        "Missing or malformed: " + "; ".join(elements) + ".",
        {"issues": [{"element": i.element, "path": i.path, "message": i.message} for i in issues]},
    )
