"""``recognition``: the EU standard elements of a micro-credential (Council Recommendation of
16 June 2022, Annex I), reported element by element beside the verdict, never inside it.

The check never ends ``error``: a credential that falls short of Annex I is still what it is
(its seal and status decide that). It ends:

- ``ok`` / ``not_applicable`` when the credential is not a micro-credential (a degree, a
  transcript, a certificate of participation, any other credential; see
  :func:`schemas.elm.annex1.is_micro_credential`);
- ``ok`` / ``annex1_complete`` when every mandatory element is present and well-formed;
- ``warning`` / ``annex1_incomplete`` when a mandatory element is missing or malformed (quality
  assurance included). Optional elements are shown, never warned about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.elm.annex1 import Annex1Report, ElementResult, Status, annex1_report
from verifier.report import CheckResult, Outcome

CHECK = "recognition"


def check_recognition(
    credential: Mapping[str, Any], *, plain: bool | None = None
) -> CheckResult:
    """The Annex I report of ``credential`` as a check result (see the module for outcomes).

    ``details`` is ``{"applicable": false, "reason", "explanation"}`` when Annex I does not
    apply; otherwise ``{"applicable": true, "reason", "explanation", "elements": [...],
    "missingRequired": [...], "malformed": [...]}`` where each element is ``{"number", "key",
    "element", "required", "status", "value", "path", "message"}`` (16 of them, in Annex I
    order), ``missingRequired`` the keys of the mandatory elements missing and ``malformed``
    the keys of every element (mandatory or optional) stated wrongly. ``plain``: True when the
    caller knows ``credential`` is plain JSON (:func:`schemas.elm.annex1.annex1_report`).
    """
    report = annex1_report(credential, plain=plain)
    applicability = report.applicability
    details: dict[str, Any] = {
        "applicable": applicability.applicable,
        "reason": applicability.reason.value,
        "explanation": applicability.explanation,
    }
    if not applicability.applicable:
        return CheckResult(
            CHECK,
            Outcome.OK,
            "not_applicable",
            f"This credential is not a micro-credential ({applicability.explanation}), so the "
            "EU standard elements of micro-credentials do not apply.",
            details,
        )
    details |= {
        "elements": [result.to_dict() for result in report.elements],
        "missingRequired": report.missing_required,
        "malformed": report.malformed,
    }
    if report.complete:
        return CheckResult(
            CHECK,
            Outcome.OK,
            "annex1_complete",
            "Every required element of a micro-credential (Annex I) is present and well-formed.",
            details,
        )
    return CheckResult(
        CHECK,
        Outcome.WARNING,
        "annex1_incomplete",
        _incomplete(report),
        details,
    )


def _incomplete(report: Annex1Report) -> str:
    """Names each mandatory element missing, and each malformed with what is wrong."""
    required = [r for r in report.elements if r.element.required]
    missing = [_name(r) for r in required if r.status is Status.MISSING]
    malformed = [
        f"{_name(r)}: "
        + "; ".join(f"{i.path}: {i.message}" if i.path else i.message for i in r.issues)
        for r in required
        if r.status is Status.MALFORMED
    ]
    message = "Some required elements of a micro-credential (Annex I) are missing or malformed."
    if missing:
        message += " Missing: " + "; ".join(missing) + "."
    if malformed:
        message += " Malformed: " + "; ".join(malformed) + "."
    return message


def _name(result: ElementResult) -> str:
    return f"{result.element.label} ({result.element.number})"
