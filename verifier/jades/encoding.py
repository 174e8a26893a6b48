"""The byte forms a seal is written in: base64url and base64 text, JSON objects, DER.

The readers here are strict (unpadded base64url, JSON objects without duplicate member names,
certificates with a positive serial number): parsers that disagree about a seal are how seals
get forged.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from verifier.jades.errors import MALFORMED, Failure

#: Hash algorithms by their asn1crypto names.
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
#: What reading an ASN.1 structure raises when it is not what it should be.
READ_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: str, what: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2); a :class:`Failure` (``MALFORMED``) naming
    ``what`` otherwise."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise Failure(MALFORMED, f"The {what} is not base64url.")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64_decode(text: str) -> bytes:
    """Standard base64 (``x5c``, ``kid``, token values); raises ValueError."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def maybe_b64(text: Any) -> bytes | None:
    """The bytes of ``text`` when it is a standard base64 string, else None."""
    if not isinstance(text, str):
        return None
    try:
        return b64_decode(text)
    except ValueError:
        return None


def loads(spec: Any, der: bytes) -> bool:
    """True when ``der`` parses completely as the asn1crypto type ``spec``."""
    try:
        spec.load(der, strict=True).native  # noqa: B018  (parse fully now, not lazily later)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def json_object(data: bytes, what: str) -> dict[str, Any]:
    """A JSON object with unique member names (duplicates make parsers disagree); a
    :class:`Failure` (``MALFORMED``) naming ``what`` otherwise."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate member {key!r}")
            result[key] = value
        return result

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=unique, parse_constant=no_constants
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Failure(MALFORMED, f"The {what} is not JSON ({exc}).") from exc
    if not isinstance(value, dict):
        raise Failure(MALFORMED, f"The {what} is not a JSON object.")
    return value


def load_certificate(der: bytes) -> x509.Certificate:
    """A DER certificate; ValueError also for a serial number that is not positive (RFC 5280
    §4.1.2.2), which ``cryptography`` would only warn about."""
    parsed = asn1_x509.Certificate.load(der, strict=True)
    if parsed.serial_number <= 0:
        raise ValueError("the certificate's serial number is not positive")
    return x509.load_der_x509_certificate(der)


def der(certificate: x509.Certificate) -> bytes:
    """The DER encoding of ``certificate``."""
    return certificate.public_bytes(Encoding.DER)
