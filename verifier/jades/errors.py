"""The result codes of a JAdES seal check, and the exception a failing step raises.

Every step of :func:`verifier.jades.verify.verify_jades` either passes or raises
:class:`Failure` with one of these codes; the codes are stable (reports and translations key on
them), the messages are for people.
"""

from __future__ import annotations

VALID = "jades_valid"
MALFORMED = "jades_malformed"
UNSUPPORTED_ALGORITHM = "jades_unsupported_algorithm"
CRITICAL_HEADER_UNKNOWN = "jades_critical_header_unknown"
CERTIFICATE_MISMATCH = "jades_certificate_mismatch"
SIGNATURE_INVALID = "jades_signature_invalid"
NOT_VALID_AT_SIGNING_TIME = "jades_certificate_not_valid_at_signing_time"
SIGNING_TIME_IN_FUTURE = "jades_signing_time_in_future"
NOT_FOR_SIGNING = "jades_certificate_not_for_signing"
TIMESTAMP_INVALID = "jades_timestamp_invalid"
CERTIFICATE_REVOKED = "jades_certificate_revoked"
CERTIFICATE_EXPIRED = "jades_certificate_expired"
UNTRUSTED_CHAIN = "jades_untrusted_chain"
NO_TRUST_ANCHOR = "jades_no_trust_anchor"
REVOCATION_UNKNOWN = "jades_revocation_unknown"
#: The certificate expired (or was revoked) after a signature time-stamp says the seal was
#: made, but that time-stamp's authority does not validate to a trust anchor: the time is the
#: time-stamping authority's unproven word.
TIME_UNPROVEN = "jades_time_unproven"
#: Codes of a seal whose signatures verified but whose signer's trust was not confirmed.
UNCONFIRMED = frozenset({NO_TRUST_ANCHOR, REVOCATION_UNKNOWN, TIME_UNPROVEN})


class Failure(Exception):
    """A check failed: ``code`` is stable, the message is for people. ``reason`` says, for a
    certificate chain that did not validate, why (``"no_path"``: it reaches no trust anchor;
    ``"expired"``: not valid at the time judged; ``"revoked"``; ``"revocation_unknown"``;
    ``"invalid"``: anything else), else None."""

    def __init__(self, code: str, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
