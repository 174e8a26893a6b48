"""A verification method's lifecycle: retired (``expires``) and compromised (``revoked``) keys.

The pinned Multikey context (``schemas/contexts/multikey-v1.jsonld``) defines two members of a
verification method, both ``xsd:dateTime``: ``expires`` (``sec:expiration``) and ``revoked``
(``sec:revoked``). Controlled Identifiers 1.0 says a verifier should not verify proofs of a
method at or after its ``expires`` / ``revoked`` time. A proof, though, is checked long after it
was made, so we read the two differently:

- ``expires`` is a **rotation**: the controller stopped signing with the key at that moment, and
  everything it signed before stays valid (that is the point of keeping the retired key
  published). So the time compared with ``expires`` is the proof's own ``created``: a proof
  created strictly before ``expires`` verifies; one created at or after it — or with no
  readable ``created`` at all — fails with ``key_expired``.
- ``revoked`` is a **compromise**: someone else may hold the secret key and can write any
  ``created`` they like, so no time of the proof can be trusted. A method that carries
  ``revoked`` verifies nothing, whatever its value, with ``key_revoked``; the value only says
  since when (for the message).

Both fail closed: an ``expires`` that is not a date-time with a timezone fails the proof as
``key_expired``, a ``revoked`` of any value (even an unreadable one) as ``key_revoked``.
Times are compared as instants (timezones honoured, fractions of a second kept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from keys.errors import KeyExpired, KeyRevoked

EXPIRES: Final = "expires"
REVOKED: Final = "revoked"

# XML Schema dateTimeStamp: a date-time with a timezone (fractional seconds allowed).
_DATE_TIME_STAMP: Final = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
)


def format_time(moment: datetime) -> str:
    """``moment`` as an ``xsd:dateTime`` in UTC, ``Z``-suffixed, keeping microseconds when it
    has any (``2026-12-03T20:49:22Z``, ``2026-12-03T20:49:22.512345Z``).

    Fractions are kept so that a key retired half a second after it signed still verifies that
    signature (proof ``created`` values are written to the second, rounded down).
    """
    if moment.tzinfo is None:
        raise ValueError("a key lifecycle time needs a timezone")
    utc = moment.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_time(value: object) -> datetime | None:
    """The instant of an ``xsd:dateTimeStamp`` string (a timezone is required), else None."""
    if not isinstance(value, str) or not _DATE_TIME_STAMP.fullmatch(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:  # e.g. month 13, or a year Python cannot hold
        return None
    return moment if moment.tzinfo is not None else None


def _shown(value: object) -> str:
    moment = parse_time(value)
    if moment is None:
        return "an unreadable date"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_lifecycle(method: Mapping[str, Any], proof: Mapping[str, Any]) -> None:
    """Raise unless ``method``'s lifecycle lets it verify ``proof``; see the module docstring.

    ``KeyRevoked`` (code ``key_revoked``) when the method carries ``revoked`` at all;
    ``KeyExpired`` (code ``key_expired``) when it carries ``expires`` and that value is not a
    readable date-time, or the proof's ``created`` is missing, unreadable, or not strictly
    before it. A method with neither member passes.
    """
    method_id = method.get("id", "the key")
    if REVOKED in method:
        raise KeyRevoked(
            f"the key {method_id} was withdrawn as compromised on {_shown(method[REVOKED])}; "
            "nothing it signed can be trusted"
        )
    if EXPIRES not in method:
        return
    expires = parse_time(method[EXPIRES])
    if expires is None:
        raise KeyExpired(
            f"the key {method_id} has an unreadable expiry {method[EXPIRES]!r}; "
            "its signatures are not accepted"
        )
    created = parse_time(proof.get("created"))
    if created is None:
        raise KeyExpired(
            f"signed with a key retired on {_shown(method[EXPIRES])}, and the proof does not "
            "say when it was created"
        )
    if created >= expires:
        raise KeyExpired(f"signed with a key retired on {_shown(method[EXPIRES])}")
