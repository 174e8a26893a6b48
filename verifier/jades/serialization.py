"""Reading a JAdES seal's JWS JSON serialization: its signature entries, their headers, the
header parameters JAdES defines (``crit``, ``x5c`` and the references to it, ``sigT`` /
``iat``) and the unsigned ``etsiU`` properties.

Everything here only reads: a form that is not as TS 119 182-1 and RFC 7515 / 7797 say raises
:class:`~verifier.jades.errors.Failure` (mostly ``MALFORMED``); nothing is verified here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from verifier.jades.encoding import b64_decode, b64url_decode, json_object, load_certificate
from verifier.jades.errors import (
    CERTIFICATE_MISMATCH,
    CRITICAL_HEADER_UNKNOWN,
    MALFORMED,
    Failure,
)

#: Header parameters this package implements, so they may be listed in ``crit``. Anything else
#: there (``sigD`` detached data, ``sigPId`` policies, ``srCms`` commitments, ...) is refused.
UNDERSTOOD_CRITICAL = frozenset({"b64", "sigT", "iat", "adoTst"})

#: Signatures one seal may carry, and ``etsiU`` elements one signature may carry.
MAX_SIGNATURES = 4
MAX_ETSI_U = 16

#: Header parameters that must be protected (never in the unprotected ``header``).
_PROTECTED_ONLY = ("alg", "crit", "b64", "sigT", "iat", "adoTst")

#: One ``etsiU`` element: ``(name, value, base64url text or None when it is clear JSON)``.
EtsiU = tuple[str, Any, str | None]


@dataclass(frozen=True)
class Entry:
    """One signature entry, read: its headers (protected as sent and parsed, unprotected) and
    its signature value (as sent and decoded)."""

    protected_b64: str
    protected: dict[str, Any]
    unprotected: Mapping[str, Any]
    signature_b64: str
    signature: bytes


def split_serialization(document: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The ``payload`` member and the signature entries (general or flattened syntax), at most
    :data:`MAX_SIGNATURES` of them."""
    if "payload" not in document:
        raise Failure(MALFORMED, "The JWS has no payload (a detached seal cannot be checked).")
    payload = document["payload"]
    if not isinstance(payload, str):
        raise Failure(MALFORMED, "The JWS payload is not a string.")
    if "signatures" in document:
        if "signature" in document or "protected" in document:
            raise Failure(MALFORMED, "The JWS mixes the general and flattened syntaxes.")
        entries = document["signatures"]
        if not isinstance(entries, list) or not entries:
            raise Failure(MALFORMED, "The JWS signatures member is not a non-empty array.")
        if len(entries) > MAX_SIGNATURES:
            raise Failure(
                MALFORMED, f"The JWS carries {len(entries)} signatures; at most {MAX_SIGNATURES}."
            )
        return payload, list(entries)
    if "signature" in document:
        flattened = {k: document[k] for k in ("protected", "header", "signature") if k in document}
        return payload, [flattened]
    raise Failure(MALFORMED, "The JWS has no signatures.")


def read_entry(entry: Any) -> Entry:
    """A signature entry's headers and value: a base64url protected header holding a JSON
    object, an unprotected ``header`` object disjoint from it that holds none of the
    parameters that must be protected, and a base64url signature."""
    if not isinstance(entry, Mapping):
        raise Failure(MALFORMED, "A signature entry is not a JSON object.")
    protected_b64 = entry.get("protected")
    signature_b64 = entry.get("signature")
    if not isinstance(protected_b64, str) or not protected_b64:
        raise Failure(MALFORMED, "The signature has no protected header.")
    if not isinstance(signature_b64, str):
        raise Failure(MALFORMED, "The signature value is missing.")
    protected = json_object(b64url_decode(protected_b64, "protected header"), "protected header")
    unprotected = entry.get("header", {})
    if not isinstance(unprotected, Mapping):
        raise Failure(MALFORMED, "The unprotected header is not a JSON object.")
    shared = set(protected) & set(unprotected)
    if shared:
        raise Failure(MALFORMED, f"Header parameters both protected and not: {sorted(shared)}.")
    for name in _PROTECTED_ONLY:
        if name in unprotected:
            raise Failure(MALFORMED, f"{name!r} must be in the protected header.")
    signature = b64url_decode(signature_b64, "signature")
    return Entry(protected_b64, protected, unprotected, signature_b64, signature)


def payload_bytes(payload_member: str, b64: bool) -> bytes:
    """The JWS Payload as signed: the member's UTF-8 text when ``b64`` is false (RFC 7797),
    else the base64url-decoded member."""
    if not b64:
        try:
            return payload_member.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Failure(MALFORMED, "The payload is not valid Unicode text.") from exc
    return b64url_decode(payload_member, "payload")


def check_crit(protected: Mapping[str, Any]) -> list[str]:
    """``crit`` (empty when absent): distinct names, each one of :data:`UNDERSTOOD_CRITICAL`
    (else ``CRITICAL_HEADER_UNKNOWN``) and present in the protected header."""
    if "crit" not in protected:
        return []
    crit = protected["crit"]
    if (
        not isinstance(crit, list)
        or not crit
        or not all(isinstance(n, str) for n in crit)
        or len(set(crit)) != len(crit)
    ):
        raise Failure(MALFORMED, "'crit' is not a non-empty array of distinct names.")
    unknown = [n for n in crit if n not in UNDERSTOOD_CRITICAL]
    if unknown:
        raise Failure(
            CRITICAL_HEADER_UNKNOWN, f"Critical header parameters not understood: {unknown}."
        )
    missing = [n for n in crit if n not in protected]
    if missing:
        raise Failure(MALFORMED, f"'crit' lists parameters that are absent: {missing}.")
    return crit


def certificates(
    protected: Mapping[str, Any], unprotected: Mapping[str, Any]
) -> list[x509.Certificate]:
    """``x5c`` as certificates. An unprotected ``x5c`` is accepted only when a protected
    ``x5t#S256`` pins its first certificate (checked afterwards)."""
    if "x5c" in protected:
        x5c = protected["x5c"]
    elif "x5c" in unprotected and "x5t#S256" in protected:
        x5c = unprotected["x5c"]
    else:
        raise Failure(MALFORMED, "The signing certificate is missing (no protected 'x5c').")
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise Failure(MALFORMED, "'x5c' is not a non-empty array of base64 strings.")
    chain = []
    for number, text in enumerate(x5c):
        try:
            chain.append(load_certificate(b64_decode(text)))
        except ValueError as exc:
            raise Failure(MALFORMED, f"x5c[{number}] is not a DER X.509 certificate.") from exc
    return chain


def check_certificate_references(
    protected: Mapping[str, Any], leaf: x509.Certificate, leaf_der: bytes
) -> None:
    """``x5t#S256``, ``x5t`` and ``kid`` (base64 DER ``IssuerSerial``), when present, name
    ``leaf`` (``x5c[0]``); else ``CERTIFICATE_MISMATCH``."""
    for name, algorithm in (("x5t#S256", hashlib.sha256), ("x5t", hashlib.sha1)):
        if name not in protected:
            continue
        value = protected[name]
        if not isinstance(value, str):
            raise Failure(MALFORMED, f"{name!r} is not a string.")
        if b64url_decode(value, name) != algorithm(leaf_der).digest():
            raise Failure(CERTIFICATE_MISMATCH, f"{name!r} does not match the certificate x5c[0].")
    if "kid" in protected:
        kid = protected["kid"]
        if not isinstance(kid, str):
            raise Failure(MALFORMED, "'kid' is not a string.")
        try:
            issuer_serial = cms.IssuerSerial.load(b64_decode(kid), strict=True)
            issuer_serial.native  # noqa: B018  (parse fully here, not lazily later)
            names = [n.chosen for n in issuer_serial["issuer"] if n.name == "directory_name"]
            serial = issuer_serial["serial"].native
        except (ValueError, TypeError, KeyError) as exc:
            raise Failure(MALFORMED, "'kid' is not a base64 DER IssuerSerial.") from exc
        issuer = asn1_x509.Certificate.load(leaf_der).issuer
        if serial != leaf.serial_number or not any(n == issuer for n in names):
            raise Failure(CERTIFICATE_MISMATCH, "'kid' names another certificate than x5c[0].")


def signing_time(protected: Mapping[str, Any]) -> datetime:
    """``sigT`` (RFC 3339 UTC text); or, when it is absent, ``iat`` (seconds since the epoch),
    which TS 119 182-1 v1.2.1 puts in its place for signatures made from 2025-07-15."""
    if "sigT" not in protected and "iat" in protected:
        value = protected["iat"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Failure(MALFORMED, "'iat' is not a number of seconds.")
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise Failure(MALFORMED, f"'iat' {value!r} is not a valid time.") from exc
    value = protected.get("sigT")
    if not isinstance(value, str):
        raise Failure(MALFORMED, "The protected header has no signing time ('sigT' or 'iat').")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value):
        raise Failure(MALFORMED, f"'sigT' {value!r} is not a UTC time like 2023-09-27T11:54:17Z.")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise Failure(MALFORMED, f"'sigT' {value!r} is not a valid time.") from exc


def etsi_u(unprotected: Mapping[str, Any]) -> list[EtsiU]:
    """``etsiU`` as ``(name, value, base64url text or None)``, at most :data:`MAX_ETSI_U`
    elements of one component each; all elements must share a form."""
    items = unprotected.get("etsiU", [])
    if not isinstance(items, list):
        raise Failure(MALFORMED, "'etsiU' is not an array.")
    if len(items) > MAX_ETSI_U:
        raise Failure(MALFORMED, f"'etsiU' holds {len(items)} elements; at most {MAX_ETSI_U}.")
    parsed: list[EtsiU] = []
    for item in items:
        if isinstance(item, str):
            component = json_object(b64url_decode(item, "etsiU element"), "etsiU element")
            encoded: str | None = item
        elif isinstance(item, Mapping):
            component, encoded = dict(item), None
        else:
            raise Failure(MALFORMED, "An 'etsiU' element is neither base64url nor a JSON object.")
        if len(component) != 1:
            raise Failure(MALFORMED, "An 'etsiU' element must hold exactly one component.")
        ((name, value),) = component.items()
        parsed.append((name, value, encoded))
    if len({e is None for _, _, e in parsed}) > 1:
        raise Failure(MALFORMED, "'etsiU' mixes base64url and clear JSON elements.")
    return parsed
