"""Run every check on a credential and gather the report.

The checks run in the EU viewer's order. An invalid seal is fatal: the checks that read the
document's content are then reported ``unchecked`` (nothing in it is trusted), and no summary
is given. An unexpected failure inside a check becomes that check's ``error`` (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keys.resolver import DidResolver
from schemas.loader import StaticDocumentLoader
from verifier.checks.accreditation import check_accreditation
from verifier.checks.expiry import check_expiry
from verifier.checks.format import check_format
from verifier.checks.owner import check_owner
from verifier.checks.recognition import check_recognition
from verifier.checks.revocation import check_revocation
from verifier.checks.seal import check_seal
from verifier.credential import summary
from verifier.report import CheckResult, Outcome, Report

CONTENT_CHECKS = ("revocation", "expiry", "accreditation", "owner", "recognition")


@dataclass
class VerifierOptions:
    """What a verification may use: the clock, the document loader, a fetcher and a resolver.

    ``fetch`` (a ``verifier.http.GuardedFetcher`` in the services) is the only way out to the
    network: did:web documents and status lists. Without it, verification is offline: did:key
    only, and status lists are reported unchecked. ``resolver`` defaults to one over ``fetch``.
    """

    now: datetime | None = None
    loader: StaticDocumentLoader | None = None
    fetch: Callable[[str], bytes] | None = None
    resolver: DidResolver | None = None

    def __post_init__(self) -> None:
        if self.resolver is None:
            self.resolver = DidResolver(fetch=self.fetch)


def _guarded(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    try:
        return run()
    except Exception as error:  # a check must never take the report down; fail closed
        return CheckResult(
            name, Outcome.ERROR, "internal_error", f"The check failed unexpectedly: {error!r}"
        )


def verify_credential(document: Any, options: VerifierOptions | None = None) -> Report:
    """Check ``document`` (a parsed JSON value) and return the full report; never raises."""
    options = options or VerifierOptions()
    now = options.now or datetime.now(UTC)
    resolver = options.resolver or DidResolver(fetch=options.fetch)
    results = [_guarded("format", lambda: check_format(document, loader=options.loader))]
    if not isinstance(document, Mapping):
        results.append(
            CheckResult("seal", Outcome.ERROR, "not_an_object", "There is no credential to check.")
        )
        return Report(results + [_not_trusted(name) for name in CONTENT_CHECKS])
    seal = _guarded(
        "seal",
        lambda: check_seal(document, resolver=resolver, now=now, loader=options.loader),
    )
    results.append(seal)
    if seal.outcome is Outcome.ERROR:
        return Report(results + [_not_trusted(name) for name in CONTENT_CHECKS])
    results += [
        _guarded(
            "revocation",
            lambda: check_revocation(
                document, fetch=options.fetch, resolver=resolver, now=now, loader=options.loader
            ),
        ),
        _guarded("expiry", lambda: check_expiry(document, now=now)),
        _guarded("accreditation", lambda: check_accreditation(document)),
        _guarded("owner", check_owner),
        _guarded("recognition", lambda: check_recognition(document)),
    ]
    shown = summary(document) if seal.outcome is Outcome.OK else None
    return Report(results, shown)


def _not_trusted(name: str) -> CheckResult:
    return CheckResult(
        name,
        Outcome.UNCHECKED,
        "seal_invalid",
        "Not checked: the seal is invalid, so nothing in the document is trusted.",
    )
