"""A revocation entry (W3C Bitstring Status List) added to a test credential before it is
signed: one way to build it for every verifier test that needs a status list."""

from __future__ import annotations

from typing import Any

STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"


def with_revocation_entry(credential: dict[str, Any], list_url: str, index: int) -> dict[str, Any]:
    """``credential`` (changed in place and returned) with the status-list context and a
    ``BitstringStatusListEntry`` for ``revocation`` at ``index`` of the list at ``list_url``."""
    credential["@context"].insert(2, STATUS_CONTEXT)
    credential["credentialStatus"] = {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    return credential
