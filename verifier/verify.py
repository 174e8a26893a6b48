"""Run every check on a credential and gather the report.

The checks run in the EU viewer's order. An invalid seal is fatal: the checks that read the
document's content are then reported ``unchecked`` (nothing in it is trusted), and no summary
is given. The verdict they add up to is decided in ``verifier.report``. An unexpected failure
inside a check becomes that check's ``error`` (fail closed).

Every document is answered within bounds (``verifier.limits``): a document beyond the
verifier's structural limits is a ``format`` error with the limit's code (``too_many_nodes``,
``string_too_long``, ``too_many_proofs``, ``too_many_status_entries``) and nothing else is
checked; otherwise the checks run within a time budget (``VerifierOptions.budget``), checked
before each check, between proofs and between status lists. Checks the budget leaves out are
``unchecked`` with the code ``time_budget_exceeded``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from keys.resolver import DidResolver
from schemas.json_text import TextBounds
from schemas.jsonld import PreparedDocument
from schemas.loader import StaticDocumentLoader
from verifier.checks.accreditation import check_accreditation
from verifier.checks.expiry import check_expiry
from verifier.checks.format import JADES, check_format
from verifier.checks.owner import check_owner
from verifier.checks.recognition import check_recognition
from verifier.checks.revocation import check_revocation
from verifier.checks.seal import check_jades_seal, check_seal, is_jades
from verifier.credential import summary
from verifier.limits import (
    BUDGET_EXCEEDED,
    DEFAULT_BUDGET,
    LIMITS,
    Budget,
    LimitExceeded,
    Limits,
    check_structure,
    read_bounded,
)
from verifier.registry.model import AccreditationRegistry
from verifier.report import CHECK_NAMES, CheckResult, Outcome, Report
from verifier.trust import TrustedIssuers

CONTENT_CHECKS = ("revocation", "expiry", "accreditation", "owner", "recognition")


@dataclass
class VerifierOptions:
    """What a verification may use: the clock, the document loader, a fetcher, a resolver and
    the trust sources (accreditation registry, trusted-issuers list, JAdES trust anchors and
    CRLs; see ``verifier.settings``).

    ``fetch`` (a ``verifier.fetch.client.GuardedFetcher`` in the services) is the only way out to
    the network: did:web documents and status lists. Without it, verification is offline: did:key
    only, and status lists are reported unchecked. ``resolver`` defaults to one over ``fetch``.
    ``budget`` is the wall-clock time one verification may take (seconds,
    ``MICROCRED_VERIFY_BUDGET``) and ``limits`` the structural limits (``verifier.limits``).
    """

    now: datetime | None = None
    loader: StaticDocumentLoader | None = None
    fetch: Callable[[str], bytes] | None = None
    resolver: DidResolver | None = None
    registry: AccreditationRegistry | None = None
    trusted: TrustedIssuers | None = None
    trust_anchors: Sequence[x509.Certificate] = ()
    crls: Sequence[x509.CertificateRevocationList] = ()
    budget: float = DEFAULT_BUDGET
    limits: Limits = LIMITS

    def __post_init__(self) -> None:
        if self.resolver is None:
            self.resolver = DidResolver(fetch=self.fetch)


def _guarded(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    try:
        return run()
    except MemoryError:
        return CheckResult(
            name, Outcome.ERROR, "too_large", "The document is too large to check here."
        )
    except Exception as error:  # a check must never take the report down; fail closed
        return CheckResult(
            name, Outcome.ERROR, "internal_error", f"The check failed unexpectedly: {error!r}"
        )


def verify_credential(
    document: Any,
    options: VerifierOptions | None = None,
    *,
    holder: str | None = None,
    bounds: TextBounds | None = None,
) -> Report:
    """Check ``document`` (a parsed JSON value) and return the full report; never raises.

    A document secured with Data Integrity proofs is checked as it is; a JAdES-sealed one (the
    EU's JWS JSON serialization) has its payload checked as the credential (``format`` knowing
    that the payload's bytes are sealed, see :mod:`verifier.checks.format`) and its seal.
    Within the options' limits and time budget (see the module). ``holder`` is the DID a
    verified presentation proved (``verifier.presentation``): the ``owner`` check then
    compares it with the credential's subject; without it ``owner`` stays ``unchecked``.
    ``bounds`` are those of the JSON text ``document`` was read from (or of a text holding it),
    when it was (``verifier.limits.read_bounded``): the structural limits then walk only what
    they do not prove; the report is the same.
    """
    options = options or VerifierOptions()
    budget = Budget(options.budget)
    now = options.now or datetime.now(UTC)
    resolver = options.resolver or DidResolver(fetch=options.fetch)
    refused = _beyond_limits(document, options.limits, bounds)
    if refused is not None:
        return refused
    if is_jades(document):
        return _verify_jades_sealed(document, options, now, resolver, budget, holder)
    # Read once: the format check's strict verdict and the seal's canonical form come from it.
    prepared = (
        PreparedDocument(document, loader=options.loader) if isinstance(document, dict) else None
    )
    results = [
        _guarded("format", lambda: check_format(document, loader=options.loader, prepared=prepared))
    ]
    if not isinstance(document, Mapping):
        results.append(
            CheckResult("seal", Outcome.ERROR, "not_an_object", "There is no credential to check.")
        )
        return Report([*results, *(_not_trusted(name) for name in CONTENT_CHECKS)])
    if budget.spent():
        return Report(_out_of_time(results, budget))
    seal = _guarded(
        "seal",
        lambda: check_seal(
            document,
            resolver=resolver,
            now=now,
            loader=options.loader,
            deadline=budget.deadline,
            prepared=prepared,
        ),
    )
    plain = prepared.plain_json() if prepared is not None else None
    return _finish(document, [*results, seal], options, now, resolver, budget, holder, plain)


def _beyond_limits(
    document: Any, limits: Limits, bounds: TextBounds | None = None
) -> Report | None:
    """The report for a document beyond the structural limits (a ``format`` error, nothing
    else checked), or None."""
    try:
        check_structure(document, limits, bounds)
    except LimitExceeded as error:
        return _refused(error)
    return None


def _refused(error: LimitExceeded) -> Report:
    message = f"Not checked: {error.message}"
    return Report(
        [
            CheckResult("format", Outcome.ERROR, error.code, error.message),
            *(CheckResult(n, Outcome.UNCHECKED, error.code, message) for n in CHECK_NAMES[1:]),
        ]
    )


def _out_of_time(results: list[CheckResult], budget: Budget) -> list[CheckResult]:
    """``results`` and every later check as ``unchecked`` (``time_budget_exceeded``)."""
    done = {r.check for r in results}
    return [
        *results,
        *(
            CheckResult(name, Outcome.UNCHECKED, BUDGET_EXCEEDED, budget.message())
            for name in CHECK_NAMES
            if name not in done
        ),
    ]


def _verify_jades_sealed(
    document: Mapping[str, Any],
    options: VerifierOptions,
    now: datetime,
    resolver: DidResolver,
    budget: Budget,
    holder: str | None = None,
) -> Report:
    payload = document.get("payload")
    claimed: Any = None
    if isinstance(payload, str):
        try:
            claimed, claimed_bounds = read_bounded(payload, options.limits)
            check_structure(claimed, options.limits, claimed_bounds)
        except LimitExceeded as error:
            if error.code not in ("not_json", "empty", "not_utf8", "invalid_input", "too_deep"):
                return _refused(error)
            claimed = None
    if claimed is None:
        results = [
            CheckResult(
                "format", Outcome.ERROR, "not_json", "The sealed payload is not a JSON credential."
            )
        ]
    else:
        # The seal signs the payload's bytes: what the contexts drop is sealed all the same.
        results = [
            _guarded(
                "format",
                lambda: check_format(claimed, loader=options.loader, securing=JADES),
            )
        ]
    if budget.spent():
        return Report(_out_of_time(results, budget))
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
    return _finish(credential or {}, [*results, seal], options, now, resolver, budget, holder)


def _finish(
    credential: Mapping[str, Any],
    results: list[CheckResult],
    options: VerifierOptions,
    now: datetime,
    resolver: DidResolver,
    budget: Budget,
    holder: str | None = None,
    plain: bool | None = None,
) -> Report:
    """Add the content checks after format and seal; none when the seal is invalid. Before
    each, the budget is looked at: once spent, the rest are ``unchecked``. ``plain``: True
    when ``credential`` is known to be plain JSON (its shape was read)."""
    seal = results[-1]
    if seal.outcome is Outcome.ERROR:
        return Report([*results, *(_not_trusted(name) for name in CONTENT_CHECKS)])
    checks: list[tuple[str, Callable[[], CheckResult]]] = [
        (
            "revocation",
            lambda: check_revocation(
                credential,
                fetch=options.fetch,
                resolver=resolver,
                now=now,
                loader=options.loader,
                deadline=budget.deadline,
            ),
        ),
        ("expiry", lambda: check_expiry(credential, now=now)),
        (
            "accreditation",
            lambda: check_accreditation(
                credential, registry=options.registry, trusted=options.trusted, now=now
            ),
        ),
        ("owner", lambda: check_owner(credential, holder)),
        ("recognition", lambda: check_recognition(credential, plain=plain)),
    ]
    for name, run in checks:
        if budget.spent():
            results = _out_of_time(results, budget)
            break
        results.append(_guarded(name, run))
    shown = summary(credential) if seal.genuine else None
    return Report(results, shown)


def _not_trusted(name: str) -> CheckResult:
    return CheckResult(
        name,
        Outcome.UNCHECKED,
        "seal_invalid",
        "Not checked: the seal is invalid, so nothing in the document is trusted.",
    )
