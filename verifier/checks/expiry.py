"""``expiry``: the credential is within its validity dates.

A credential outside its validity window is an ``error`` — ``expired`` (with the date: it was
genuine, it has lapsed) or ``not_yet_valid`` — so the verdict is *not verified*: an employer
cannot rely on it today. An unreadable date is an ``error`` too, and so is an end before the
start (``invalid_validity_period``): such a credential was never valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from schemas.elm.read import parse_date
from verifier.report import CheckResult, Outcome

CHECK = "expiry"
START_MEMBERS = ("validFrom", "issuanceDate")
END_MEMBERS = ("validUntil", "expirationDate")


def check_expiry(credential: Mapping[str, Any], *, now: datetime) -> CheckResult:
    """``ok`` inside the validity window; ``error`` before it starts or after it ends."""
    starts, ends = [], []
    for members, found in ((START_MEMBERS, starts), (END_MEMBERS, ends)):
        for member in members:
            if member not in credential:
                continue
            moment = parse_date(credential[member])
            if moment is None:
                return CheckResult(
                    CHECK, Outcome.ERROR, "invalid_date", f"{member} is not an ISO 8601 date-time."
                )
            found.append((member, moment))
    for (start, begins), (end, finishes) in zip(starts[:1], ends[:1], strict=False):
        if finishes < begins:
            return CheckResult(
                CHECK,
                Outcome.ERROR,
                "invalid_validity_period",
                f"{end} ({credential[end]}) is before {start} ({credential[start]}).",
                {"path": end},
            )
    for member, moment in ends:
        if moment < now:
            return CheckResult(
                CHECK,
                Outcome.ERROR,
                "expired",
                f"The credential expired on {credential[member]}.",
                {"expired": credential[member]},
            )
    for member, moment in starts:
        if moment > now:
            return CheckResult(
                CHECK,
                Outcome.ERROR,
                "not_yet_valid",
                f"The credential is valid only from {credential[member]}.",
                {"validFrom": credential[member]},
            )
    if ends:
        until = credential[ends[0][0]]
        return CheckResult(
            CHECK, Outcome.OK, "valid", f"Valid until {until}.", {"validUntil": until}
        )
    return CheckResult(CHECK, Outcome.OK, "valid", "The credential has no expiry date.")
