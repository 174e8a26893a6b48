"""The JWS signature of a seal and the signing certificate it was made with: the algorithm,
the signature value, the signing time against the certificate's validity, its key usage."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier.jades.encoding import HASHES
from verifier.jades.errors import (
    MALFORMED,
    NOT_FOR_SIGNING,
    NOT_VALID_AT_SIGNING_TIME,
    SIGNATURE_INVALID,
    SIGNING_TIME_IN_FUTURE,
    UNSUPPORTED_ALGORITHM,
    Failure,
)

#: JWS algorithms accepted for a seal; ``none`` and the MACs (HS*) never are.
ALLOWED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"})

#: The smallest RSA modulus accepted (RFC 7518 §3.3, §3.5).
MIN_RSA_BITS = 2048

#: How far ``sigT`` may lie after ``now`` (clocks differ).
CLOCK_SKEW = timedelta(minutes=5)

_JWS_HASHES = {name[3:]: algorithm for name, algorithm in HASHES.items()}  # "256": SHA256, ...
_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1}


def check_algorithm(protected: Mapping[str, Any]) -> str:
    """The protected ``alg``, one of :data:`ALLOWED_ALGORITHMS` (else
    ``UNSUPPORTED_ALGORITHM``; ``MALFORMED`` when there is none)."""
    alg = protected.get("alg")
    if not isinstance(alg, str):
        raise Failure(MALFORMED, "The protected header has no 'alg'.")
    if alg not in ALLOWED_ALGORITHMS:
        raise Failure(UNSUPPORTED_ALGORITHM, f"Algorithm {alg!r} is not accepted for a seal.")
    return alg


def verify_signature(alg: str, leaf: x509.Certificate, signature: bytes, data: bytes) -> None:
    """``signature`` over ``data`` verifies with ``leaf``'s public key under ``alg``
    (RSASSA-PKCS1-v1_5, RSASSA-PSS with salt = hash length, ECDSA raw ``r || s``), else
    ``SIGNATURE_INVALID``; an RSA key under :data:`MIN_RSA_BITS` bits or a key that cannot be
    used is ``UNSUPPORTED_ALGORITHM``."""
    try:
        key = leaf.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise Failure(
            UNSUPPORTED_ALGORITHM, "The certificate's public key cannot be used."
        ) from exc
    digest = _JWS_HASHES[alg[2:]]()
    try:
        if alg.startswith(("RS", "PS")):
            if not isinstance(key, rsa.RSAPublicKey):
                raise Failure(
                    SIGNATURE_INVALID, f"{alg} needs an RSA key; the certificate's is not."
                )
            if key.key_size < MIN_RSA_BITS:
                raise Failure(
                    UNSUPPORTED_ALGORITHM,
                    f"The RSA key has {key.key_size} bits; {MIN_RSA_BITS} needed.",
                )
            pad: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if alg.startswith("RS")
                else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            )
            key.verify(signature, data, pad, digest)
        else:
            curve = _CURVES[alg]
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve):
                raise Failure(
                    SIGNATURE_INVALID, f"{alg} needs a {curve.name} key; the certificate's is not."
                )
            size = (key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                raise Failure(SIGNATURE_INVALID, f"An {alg} signature has {2 * size} bytes.")
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            key.verify(der, data, ec.ECDSA(digest))
    except InvalidSignature as exc:
        raise Failure(
            SIGNATURE_INVALID,
            "The signature does not verify: the seal or the credential was changed.",
        ) from exc


def check_signing_time(leaf: x509.Certificate, signing_time: datetime, now: datetime) -> None:
    """``signing_time`` lies within ``leaf``'s validity (else ``NOT_VALID_AT_SIGNING_TIME``)
    and not later than ``now`` plus :data:`CLOCK_SKEW` (else ``SIGNING_TIME_IN_FUTURE``)."""
    if not leaf.not_valid_before_utc <= signing_time <= leaf.not_valid_after_utc:
        raise Failure(
            NOT_VALID_AT_SIGNING_TIME,
            f"The signing time {signing_time.isoformat()} lies outside the certificate's "
            f"validity ({leaf.not_valid_before_utc.isoformat()} to "
            f"{leaf.not_valid_after_utc.isoformat()}).",
        )
    if signing_time > now + CLOCK_SKEW:
        raise Failure(
            SIGNING_TIME_IN_FUTURE,
            f"The signing time {signing_time.isoformat()} lies in the future.",
        )


def check_key_usage(leaf: x509.Certificate) -> None:
    """A ``keyUsage`` of ``leaf``, when present, allows digitalSignature or nonRepudiation;
    else ``NOT_FOR_SIGNING``."""
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise Failure(
            NOT_FOR_SIGNING,
            "The certificate's key usage allows neither digitalSignature nor nonRepudiation.",
        )
