"""Run every check on a credential and gather the report.

The checks run in the EU viewer's order. An invalid seal is fatal: the checks that read the
document's content are then reported ``unchecked`` (nothing in it is trusted), and no summary
is given. The verdict they add up to is decided in ``verifier.report``. An unexpected failure
inside a check becomes that check's ``error`` (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from keys.resolver import DidResolver
from schemas.loader import StaticDocumentLoader
from verifier.accreditation import AccreditationRegistry
from verifier.checks.accreditation import check_accreditation
from verifier.checks.expiry import check_expiry
from verifier.checks.format import check_format
from verifier.checks.owner import check_owner
from verifier.checks.recognition import check_recognition
from verifier.checks.revocation import check_revocation
from verifier.checks.seal import check_jades_seal, check_seal, is_jades
from verifier.credential import summary
from verifier.report import CheckResult, Outcome, Report
from verifier.trust import TrustedIssuers

CONTENT_CHECKS = ("revocation", "expiry", "accreditation", "owner", "recognition")


@dataclass
class VerifierOptions:
    """What a verification may use: the clock, the document loader, a fetcher, a resolver and
    the trust sources (accreditation registry, trusted-issuers list, JAdES trust anchors and
    CRLs; see ``verifier.settings``).

    ``fetch`` (a ``verifier.http.GuardedFetcher`` in the services) is the only way out to the
    network: did:web documents and status lists. Without it, verification is offline: did:key
    only, and status lists are reported unchecked. ``resolver`` defaults to one over ``fetch``.
    """

    now: datetime | None = None
    loader: StaticDocumentLoader | None = None
    fetch: Callable[[str], bytes] | None = None
    resolver: DidResolver | None = None
    registry: AccreditationRegistry | None = None
    trusted: TrustedIssuers | None = None
    trust_anchors: Sequence[x509.Certificate] = ()
    crls: Sequence[x509.CertificateRevocationList] = ()

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
    """Check ``document`` (a parsed JSON value) and return the full report; never raises.

    A document secured with Data Integrity proofs is checked as it is; a JAdES-sealed one (the
    EU's JWS JSON serialization) has its seal checked first and its payload checked as the
    credential.
    """
    options = options or VerifierOptions()
    now = options.now or datetime.now(UTC)
    resolver = options.resolver or DidResolver(fetch=options.fetch)
    if is_jades(document):
        return _verify_jades_sealed(document, options, now, resolver)
    results = [_guarded("format", lambda: check_format(document, loader=options.loader))]
    if not isinstance(document, Mapping):
        results.append(
            CheckResult("seal", Outcome.ERROR, "not_an_object", "There is no credential to check.")
        )
        return Report([*results, *(_not_trusted(name) for name in CONTENT_CHECKS)])
    seal = _guarded(
        "seal",
        lambda: check_seal(document, resolver=resolver, now=now, loader=options.loader),
    )
    return _finish(document, [*results, seal], options, now, resolver)


def _verify_jades_sealed(
    document: Mapping[str, Any], options: VerifierOptions, now: datetime, resolver: DidResolver
) -> Report:
    payload = document.get("payload")
    try:
        claimed = json.loads(payload) if isinstance(payload, str) else None
    except (ValueError, RecursionError):
        claimed = None
    if claimed is None:
        results = [
            CheckResult(
                "format", Outcome.ERROR, "not_json", "The sealed payload is not a JSON credential."
            )
        ]
    else:
        results = [_guarded("format", lambda: check_format(claimed, loader=options.loader))]
    sealed: dict[str, Any] = {}

    def seal_check() -> CheckResult:
        result, credential = check_jades_seal(
            document, trust_anchors=options.trust_anchors, crls=options.crls, now=now
        )
        if credential is not None:
            sealed["credential"] = credential
        return result

    seal = _guarded("seal", seal_check)
    credential = sealed.get("credential")
    if credential is None and seal.outcome is not Outcome.ERROR:
        seal = CheckResult(
            "seal", Outcome.ERROR, "jades_malformed", "The seal holds no credential."
        )
    return _finish(credential or {}, [*results, seal], options, now, resolver)


def _finish(
    credential: Mapping[str, Any],
    results: list[CheckResult],
    options: VerifierOptions,
    now: datetime,
    resolver: DidResolver,
) -> Report:
    """Add the content checks after format and seal; none when the seal is invalid."""
    seal = results[-1]
    if seal.outcome is Outcome.ERROR:
        return Report([*results, *(_not_trusted(name) for name in CONTENT_CHECKS)])
    results += [
        _guarded(
            "revocation",
            lambda: check_revocation(
                credential, fetch=options.fetch, resolver=resolver, now=now, loader=options.loader
            ),
        ),
        _guarded("expiry", lambda: check_expiry(credential, now=now)),
        _guarded(
            "accreditation",
            lambda: check_accreditation(
                credential, registry=options.registry, trusted=options.trusted, now=now
            ),
        ),
        _guarded("owner", check_owner),
        _guarded("recognition", lambda: check_recognition(credential)),
    ]
    shown = summary(credential) if seal.genuine else None
    return Report(results, shown)


def _not_trusted(name: str) -> CheckResult:
    return CheckResult(
        name,
        Outcome.UNCHECKED,
        "seal_invalid",
        "Not checked: the seal is invalid, so nothing in the document is trusted.",
    )
