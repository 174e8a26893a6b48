"""``revocation``: the credential's Bitstring Status List entries (revocation, suspension).

Without a status fetcher configured, entries are reported ``unchecked`` — never as valid, never
as revoked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifier.credential import as_list
from verifier.report import CheckResult, Outcome

CHECK = "revocation"
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"


def check_revocation(credential: Mapping[str, Any]) -> CheckResult:
    """``ok`` when the credential carries no status entry (it cannot be revoked); ``error`` for a
    status entry of an unknown type; ``unchecked`` when its status lists were not fetched."""
    entries = as_list(credential.get("credentialStatus"))
    if not entries:
        return CheckResult(
            CHECK,
            Outcome.OK,
            "no_status",
            "The credential carries no status entry: its issuer cannot revoke or suspend it.",
        )
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("type") != STATUS_ENTRY_TYPE:
            return CheckResult(
                CHECK,
                Outcome.ERROR,
                "unsupported_status",
                f"A status entry is not a {STATUS_ENTRY_TYPE}.",
            )
    return CheckResult(
        CHECK,
        Outcome.UNCHECKED,
        "status_not_fetched",
        "The status list was not fetched here, so revocation and suspension were not checked.",
        {"statusListCredential": [e.get("statusListCredential") for e in entries]},
    )
