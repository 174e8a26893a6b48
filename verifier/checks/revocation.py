"""``revocation``: the credential's Bitstring Status List entries (revocation, suspension).

Each status list is fetched (through the guarded client), its own seal verified — it must be
signed by the credential's issuer — and the credential's bit read. A list that cannot be
fetched, or whose key cannot be fetched, leaves the check ``unchecked``: never reported as
revoked, never as valid.

The report says when the status was read: ``details["statusReadAt"]`` maps each list's URL to
the time (ISO 8601, UTC) its content was last confirmed with the issuer — a cached list's
``fetched_at``, which may be up to ``details["maxAge"]`` seconds old — and the message names the
oldest of them. A fetch function without ``fetch_entry`` (a plain ``fetch(url) -> bytes``) has
read the list just now.

A status list is read as any credential is (``verifier.limits``: size, nesting, values, string
length), and with a ``deadline`` (monotonic seconds) no further list is fetched once it has
passed: the check is then ``unchecked`` with the code ``time_budget_exceeded``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keys.proof_set import BUDGET_EXCEEDED, verify_proofs
from keys.resolver import DidResolver
from schemas.bitstring import decode_list, is_set
from schemas.elm.read import as_list, issuer_id, parse_date
from schemas.loader import StaticDocumentLoader
from verifier.fetch.client import Fetched, FetchError
from verifier.limits import LimitExceeded, check_structure, read_bounded
from verifier.report import CheckResult, Outcome

CHECK = "revocation"
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusListCredential"
FAILING_PURPOSES = {"revocation": "revoked", "suspension": "suspended"}

Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class StatusRead:
    """A status list as read: its purpose, its bits, when its content was confirmed with the
    issuer and for how many seconds it may be used from then."""

    purpose: str
    bits: bytes
    read_at: datetime
    max_age: float


class StatusProblem(Exception):
    """A status entry or list that cannot be used; ``outcome`` says how to report it."""

    def __init__(self, outcome: Outcome, code: str, message: str) -> None:
        super().__init__(message)
        self.outcome, self.code, self.message = outcome, code, message


def check_revocation(
    credential: Mapping[str, Any],
    *,
    fetch: Fetch | None = None,
    resolver: DidResolver | None = None,
    now: datetime | None = None,
    loader: StaticDocumentLoader | None = None,
    deadline: float | None = None,
) -> CheckResult:
    """``ok`` when no status bit is set (or there is no status entry); ``error`` when revoked or
    suspended, or when an entry or list is malformed or falsely sealed; ``unchecked`` when a
    list could not be fetched (or no fetcher is configured, or the ``deadline`` passed before
    every list was read). Once lists were read, ``details`` carry ``statusReadAt`` (per list
    URL) and ``maxAge`` and the message says when."""
    entries = as_list(credential.get("credentialStatus"))
    if not entries:
        return CheckResult(
            CHECK,
            Outcome.OK,
            "no_status",
            "The credential carries no status entry: its issuer cannot revoke or suspend it.",
        )
    try:
        parsed = [_entry(entry) for entry in entries]
    except StatusProblem as problem:
        return CheckResult(CHECK, problem.outcome, problem.code, problem.message)
    urls = sorted({url for _, _, url in parsed})
    if fetch is None:
        return CheckResult(
            CHECK,
            Outcome.UNCHECKED,
            "status_not_fetched",
            "Status lists are not fetched here, so revocation and suspension were not checked.",
            {"statusListCredential": urls},
        )
    lists: dict[str, StatusRead] = {}
    findings: list[str] = []
    try:
        for url in urls:
            if deadline is not None and time.monotonic() >= deadline:
                raise StatusProblem(
                    Outcome.UNCHECKED,
                    BUDGET_EXCEEDED,
                    "The status was not fully checked: the verification used up its time "
                    "budget before every status list was read.",
                )
            lists[url] = _status_list(
                url,
                credential,
                fetch=fetch,
                resolver=resolver or DidResolver(fetch=fetch),
                now=now,
                loader=loader,
                deadline=deadline,
            )
        for purpose, index, url in parsed:
            list_purpose, bits = lists[url].purpose, lists[url].bits
            if list_purpose != purpose:
                raise StatusProblem(
                    Outcome.ERROR,
                    "status_purpose_mismatch",
                    f"The entry says {purpose} but the list at {url} is for {list_purpose}.",
                )
            try:
                flagged = is_set(bits, index)
            except IndexError:
                raise StatusProblem(
                    Outcome.ERROR,
                    "status_index_out_of_range",
                    f"Index {index} lies outside the status list at {url}.",
                ) from None
            if flagged:
                findings.append(purpose)
    except StatusProblem as problem:
        return CheckResult(
            CHECK, problem.outcome, problem.code, problem.message, _details(urls, lists)
        )
    details = _details(urls, lists)
    read = _when_read(lists)
    for purpose in ("revocation", "suspension"):
        if purpose in findings:
            state = FAILING_PURPOSES[purpose]
            return CheckResult(
                CHECK,
                Outcome.ERROR,
                state,
                f"The issuer has {state} this credential{read}.",
                details,
            )
    if findings:
        return CheckResult(
            CHECK,
            Outcome.WARNING,
            "status_flagged",
            f"Status flags set: {', '.join(sorted(set(findings)))}{read}.",
            details,
        )
    return CheckResult(
        CHECK,
        Outcome.OK,
        "not_revoked",
        f"Neither revoked nor suspended, per the issuer's status lists{read}.",
        details,
    )


def _details(urls: list[str], lists: Mapping[str, StatusRead]) -> dict[str, Any]:
    """The lists' URLs and, for those read, when (``statusReadAt``) and how stale they may be
    (``maxAge``, seconds: the largest allowed age among them)."""
    details: dict[str, Any] = {"statusListCredential": urls}
    if lists:
        details["statusReadAt"] = {url: _iso(read.read_at) for url, read in lists.items()}
        details["maxAge"] = round(max(read.max_age for read in lists.values()))
    return details


def _when_read(lists: Mapping[str, StatusRead]) -> str:
    """`` (status read 2026-12-03 20:41:05 UTC)`` for the oldest read; empty for none."""
    if not lists:
        return ""
    oldest = min(read.read_at for read in lists.values()).astimezone(UTC)
    return f" (status read {oldest:%Y-%m-%d %H:%M:%S} UTC)"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _read(fetch: Fetch, url: str, now: datetime | None) -> tuple[bytes, datetime, float]:
    """The list's bytes, when they were confirmed with the issuer and for how long they may be
    used: from ``fetch.fetch_entry`` where the fetch function has it, else read just now."""
    fetch_entry = getattr(fetch, "fetch_entry", None)
    if callable(fetch_entry):
        answer = fetch_entry(url)
        if isinstance(answer, Fetched):
            read_at = answer.fetched_at or now or datetime.now(UTC)
            return answer.content, read_at, answer.max_age or 0.0
    return fetch(url), now or datetime.now(UTC), 0.0


def _entry(entry: Any) -> tuple[str, int, str]:
    if not isinstance(entry, Mapping) or entry.get("type") != STATUS_ENTRY_TYPE:
        raise StatusProblem(
            Outcome.ERROR, "unsupported_status", f"A status entry is not a {STATUS_ENTRY_TYPE}."
        )
    purpose, index, url = (
        entry.get("statusPurpose"),
        entry.get("statusListIndex"),
        entry.get("statusListCredential"),
    )
    if not isinstance(purpose, str) or not isinstance(url, str) or not url:
        raise StatusProblem(
            Outcome.ERROR, "malformed_status_entry", "A status entry lacks its purpose or list URL."
        )
    if not isinstance(index, str) or not index.isdigit():
        raise StatusProblem(
            Outcome.ERROR,
            "malformed_status_entry",
            "statusListIndex must be a non-negative integer as a string.",
        )
    return purpose, int(index), url


def _status_list(
    url: str,
    credential: Mapping[str, Any],
    *,
    fetch: Fetch,
    resolver: DidResolver,
    now: datetime | None,
    loader: StaticDocumentLoader | None,
    deadline: float | None = None,
) -> StatusRead:
    try:
        raw, read_at, max_age = _read(fetch, url, now)
    except FetchError as error:
        raise StatusProblem(
            Outcome.UNCHECKED,
            "status_unavailable",
            f"The status list could not be fetched: {error.message}",
        ) from None
    try:
        document, bounds = read_bounded(raw)
        check_structure(document, bounds=bounds)
    except LimitExceeded as error:
        raise StatusProblem(
            Outcome.ERROR,
            "status_list_invalid",
            f"The status list at {url} cannot be used ({error.code}): {error.message}",
        ) from None
    if not isinstance(document, Mapping) or LIST_TYPE not in as_list(document.get("type")):
        raise StatusProblem(Outcome.ERROR, "status_list_invalid", f"{url} is not a {LIST_TYPE}.")
    issuer = issuer_id(credential)
    sealed = verify_proofs(
        document,
        resolver=resolver,
        controllers={issuer} if issuer else set(),
        loader=loader,
        now=now,
        deadline=deadline,
    )
    if not sealed.verified:
        if any(r.code == BUDGET_EXCEEDED for r in sealed.results):
            raise StatusProblem(
                Outcome.UNCHECKED,
                BUDGET_EXCEEDED,
                "The status list's seal was not checked: the verification used up its time budget.",
            )
        unresolved = sealed.results and all(r.verified or r.unresolved for r in sealed.results)
        if unresolved:
            raise StatusProblem(
                Outcome.UNCHECKED,
                "status_unavailable",
                "The status list's signing key could not be fetched.",
            )
        raise StatusProblem(
            Outcome.ERROR,
            "status_list_invalid",
            f"The status list at {url} is not sealed by the credential's issuer.",
        )
    until = parse_date(document.get("validUntil"))
    if until is not None and now is not None and until < now:
        raise StatusProblem(
            Outcome.UNCHECKED,
            "status_list_expired",
            f"The status list at {url} is out of date (valid until {document.get('validUntil')}).",
        )
    subject = next(iter(as_list(document.get("credentialSubject"))), {})
    if not isinstance(subject, Mapping):
        raise StatusProblem(Outcome.ERROR, "status_list_invalid", f"{url} has no list.")
    try:
        bits = decode_list(subject.get("encodedList"))
    except ValueError as error:
        raise StatusProblem(
            Outcome.ERROR,
            "status_list_invalid",
            f"The status list at {url} does not decode: {error}",
        ) from None
    return StatusRead(str(subject.get("statusPurpose")), bits, read_at, max_age)
