"""``accreditation``: the awarding bodies against an accreditation registry.

No registry is configured yet, so this reports ``unchecked``: the verifier does not claim an
accreditation it did not look up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifier.credential import awarding_bodies, node_id
from verifier.report import CheckResult, Outcome

CHECK = "accreditation"


def check_accreditation(credential: Mapping[str, Any]) -> CheckResult:
    """``unchecked`` with the awarding bodies that would be looked up."""
    bodies = [node_id(b) for b in awarding_bodies(credential)]
    return CheckResult(
        CHECK,
        Outcome.UNCHECKED,
        "no_registry",
        "No accreditation registry is configured, so accreditation was not checked.",
        {"awardingBodies": bodies},
    )
