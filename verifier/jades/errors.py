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
#: Codes of a seal whose signatures verified but whose signer's trust was not confirmed.
UNCONFIRMED = frozenset({NO_TRUST_ANCHOR, REVOCATION_UNKNOWN})


class Failure(Exception):
    """A check failed: ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
