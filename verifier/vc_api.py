"""The W3C VC API's meaning of a verification (``POST /credentials/verify``).

The verifier runs every check (``verifier.verify``); the VC API answer is decided from the
**generic** checks the caller asked for, as that API means it:

- ``options.checks`` names them in the VC API's words, mapped to ours by :data:`CHECKS`:
  ``proof`` → ``seal``, ``credentialStatus`` (or ``status``) → ``revocation``,
  ``expiration`` (or ``validity``) → ``expiry``; our own names are accepted too. Without
  ``checks``, all three decide. ``format`` always decides: a document that is no credential
  verifies as nothing. An unknown check name, or an option other than ``checks``, is refused
  (400 ``unsupported_check`` / ``unsupported_option``), never silently ignored.
- A deciding check that ended in error is an ``error``. A proof that is not genuine is one
  whichever checks were asked for: nothing in the document is trusted, so no other check can
  pass on it (a tampered credential never verifies). A generic check that was not
  asked for, and anything trust could not confirm, is a ``warning``.
- The micro-credential profile (``accreditation``, ``recognition``) is reported only for a
  credential that is one (``schemas.elm.annex1.is_micro_credential``; a JAdES-sealed credential
  is an EU one, and keeps them); it never decides, its findings are warnings. For any other
  W3C VC those two checks are left out of the answer and of its ``verdict``.

The answer: 200 ``{"verified": true, "checks", "warnings", "errors": []}`` when no deciding
check failed, else 400 with ``"verified": false`` and the ``errors``. ``verified`` is the VC
API's; the three-way ``verdict`` (``verified``, ``unconfirmed``, ``not_verified``) of the full
report is there too, so an unconfirmed credential is never presented as plainly trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.elm.annex1 import is_micro_credential
from verifier.checks.seal import is_jades
from verifier.inputs import InputError
from verifier.report import Outcome, Report

#: The VC API's check names (and ours) → the checks of ours they stand for.
CHECKS: dict[str, str] = {
    "proof": "seal",
    "credentialStatus": "revocation",
    "status": "revocation",
    "expiration": "expiry",
    "validity": "expiry",
    "seal": "seal",
    "revocation": "revocation",
    "expiry": "expiry",
}
#: What decides when ``options.checks`` is not given.
GENERIC = ("seal", "revocation", "expiry")
#: The micro-credential profile: reported only for a micro-credential, never deciding.
PROFILE = ("accreditation", "recognition")
OPTIONS = ("checks",)


def requested_checks(options: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Our names of the checks that decide, from ``options`` (``format`` always among them);
    ``InputError`` for an unknown option or check name."""
    options = options or {}
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InputError("unsupported_option", f"option {unknown[0]!r} is not supported")
    given = options.get("checks")
    if given is None:
        return ("format", *GENERIC)
    if not isinstance(given, list) or not all(isinstance(name, str) for name in given):
        raise InputError("invalid_input", "options.checks must be a list of check names")
    for name in given:
        if name not in CHECKS:
            raise InputError(
                "unsupported_check",
                f"check {name!r} is not supported; use {', '.join(sorted(CHECKS))}",
            )
    return ("format", *dict.fromkeys(CHECKS[name] for name in given))


def profile_applies(credential: Mapping[str, Any]) -> bool:
    """Whether the micro-credential profile is reported for ``credential``."""
    return is_jades(credential) or bool(is_micro_credential(credential))


def answer(
    report: Report, credential: Mapping[str, Any], deciding: tuple[str, ...]
) -> tuple[dict[str, Any], int]:
    """The VC API body and status (200 or 400) for ``report`` of ``credential``, decided by
    the checks named in ``deciding``."""
    if not profile_applies(credential):
        report = Report([c for c in report.checks if c.check not in PROFILE], report.summary)
    data = report.to_dict()
    errors = [
        c.to_dict() for c in report.checks if c.check in deciding and c.outcome is Outcome.ERROR
    ]
    seal = report.result("seal")
    if not seal.genuine and not errors:  # nothing in the document is trusted
        errors.append(seal.to_dict())
    data.update(
        verified=not errors,
        checks=[c.check for c in report.checks if c.outcome is Outcome.OK],
        warnings=[
            c.to_dict()
            for c in report.checks
            if (c.outcome in (Outcome.WARNING, Outcome.UNCHECKED) or c.check not in deciding)
            and c.outcome is not Outcome.OK
            and c.to_dict() not in errors
        ],
        errors=errors,
        report=data["checks"],
    )
    return data, 400 if errors else 200
