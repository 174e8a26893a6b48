"""Multibase and Multikey encodings of Ed25519, P-256 and P-384 keys.

A Multikey value is ``'z'`` + base58btc(multicodec varint header ‖ key bytes), as in the W3C
Controlled Identifiers "Multikey" section and the vc-di-eddsa / vc-di-ecdsa test vectors:

===================  ========  =====================================
key                  header    key bytes
===================  ========  =====================================
Ed25519 public       ``ed01``  32
Ed25519 secret       ``8026``  32-byte seed (64-byte seed‖public read)
P-256 public         ``8024``  33, SEC1 compressed point
P-256 secret         ``8626``  32, big-endian scalar
P-384 public         ``8124``  49, SEC1 compressed point
P-384 secret         ``8726``  48, big-endian scalar
===================  ========  =====================================

Decoding fails with :class:`~keys.errors.UnsupportedKeyType` for a header this module does not
know, and with :class:`~keys.errors.InvalidKey` for anything else wrong (prefix, base58, length,
point, a secret where a public key is expected). Nothing here logs or formats key bytes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from keys import base58btc
from keys.errors import InvalidKey, UnsupportedKeyType

PublicKey: TypeAlias = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

MULTIBASE_BASE58BTC: Final = "z"

ED25519_PUBLIC_HEADER: Final = b"\xed\x01"
ED25519_SECRET_HEADER: Final = b"\x80\x26"
P256_PUBLIC_HEADER: Final = b"\x80\x24"
P256_SECRET_HEADER: Final = b"\x86\x26"
P384_PUBLIC_HEADER: Final = b"\x81\x24"
P384_SECRET_HEADER: Final = b"\x87\x26"

_ED25519_KEY_LENGTH: Final = 32

# curve name -> (curve class, scalar length, order n)
_CURVES: Final[dict[str, tuple[type[ec.EllipticCurve], int, int]]] = {
    "secp256r1": (
        ec.SECP256R1,
        32,
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    "secp384r1": (
        ec.SECP384R1,
        48,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
    ),
}
_EC_PUBLIC_HEADERS: Final = {"secp256r1": P256_PUBLIC_HEADER, "secp384r1": P384_PUBLIC_HEADER}
_EC_SECRET_HEADERS: Final = {"secp256r1": P256_SECRET_HEADER, "secp384r1": P384_SECRET_HEADER}
_PUBLIC_HEADER_CURVES: Final = {header: name for name, header in _EC_PUBLIC_HEADERS.items()}
_SECRET_HEADER_CURVES: Final = {header: name for name, header in _EC_SECRET_HEADERS.items()}
_KNOWN_HEADERS: Final = frozenset(
    {ED25519_PUBLIC_HEADER, ED25519_SECRET_HEADER, *_PUBLIC_HEADER_CURVES, *_SECRET_HEADER_CURVES}
)


def encode_multibase(data: bytes) -> str:
    """Return ``'z'`` + base58btc(``data``); the inverse of :func:`decode_multibase`."""
    return MULTIBASE_BASE58BTC + base58btc.encode(bytes(data))


def decode_multibase(value: str) -> bytes:
    """Decode a base58btc multibase string (``'z'`` prefix) to its bytes.

    Raises :class:`InvalidKey` if ``value`` is not a string, lacks the ``'z'`` prefix, is empty
    after it, or holds a character outside the base58btc alphabet (whitespace included).
    """
    if not isinstance(value, str):
        raise InvalidKey(f"multibase value must be a string, not {type(value).__name__}")
    if not value.startswith(MULTIBASE_BASE58BTC):
        raise InvalidKey("multibase value must be base58btc (start with 'z')")
    body = value[1:]
    if not body:
        raise InvalidKey("multibase value is empty")
    # Only the alphabet (base58 would strip trailing whitespace). Every text of alphabet
    # characters is the one canonical encoding of what it decodes to: its leading "1"s are the
    # leading zero bytes, and the rest, which starts with another digit, is the number.
    if body.strip(base58btc.ALPHABET):
        raise InvalidKey("multibase value is not valid base58btc")
    return base58btc.decode(body)


def _split_header(multibase: str) -> tuple[bytes, bytes]:
    data = decode_multibase(multibase)
    if len(data) < 2:
        raise InvalidKey("multikey value is too short to hold a multicodec header")
    header, body = data[:2], data[2:]
    if header not in _KNOWN_HEADERS:
        raise UnsupportedKeyType(f"unsupported multicodec key header 0x{header.hex()}")
    return header, body


def _curve_name(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> str:
    name = key.curve.name
    if name not in _CURVES:
        raise UnsupportedKeyType(f"unsupported elliptic curve {name}")
    return name


def encode_public_key(public_key: PublicKey) -> str:
    """Return the Multikey ``publicKeyMultibase`` of an Ed25519, P-256 or P-384 public key.

    EC keys are encoded as compressed points. Raises :class:`UnsupportedKeyType` for any other key
    (another curve, RSA, …).
    """
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return encode_multibase(ED25519_PUBLIC_HEADER + raw)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        name = _curve_name(public_key)
        point = public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        return encode_multibase(_EC_PUBLIC_HEADERS[name] + point)
    raise UnsupportedKeyType(f"unsupported public key type {type(public_key).__name__}")


#: Public keys decoded lately (a verifier meets the same few issuers' keys again and again; the
#: key objects are immutable). Failures are not remembered.
DECODED_KEYS_KEPT: Final = 1024


def decode_public_key(multibase: str) -> PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` to a public key object (the same object for the
    same text while it is among the last :data:`DECODED_KEYS_KEPT` decoded).

    Raises :class:`UnsupportedKeyType` for an unknown multicodec header and :class:`InvalidKey`
    for a value that is not a string, a secret-key header, a wrong length or a point that is
    not on the curve. EC points must be compressed (33 bytes for P-256, 49 for P-384).
    """
    if type(multibase) is not str:  # what a document says may be anything, even unhashable
        return _decode_public_key(multibase)
    return _remembered_public_key(multibase)


def _decode_public_key(multibase: str) -> PublicKey:
    header, body = _split_header(multibase)
    if header == ED25519_PUBLIC_HEADER:
        if len(body) != _ED25519_KEY_LENGTH:
            raise InvalidKey(f"Ed25519 public key must be 32 bytes, got {len(body)}")
        return ed25519.Ed25519PublicKey.from_public_bytes(body)
    name = _PUBLIC_HEADER_CURVES.get(header)
    if name is None:
        raise InvalidKey("multikey value holds a secret key where a public key is expected")
    curve_class, size, _ = _CURVES[name]
    if len(body) != size + 1 or body[0] not in (2, 3):
        raise InvalidKey(f"{name} public key must be a {size + 1}-byte compressed point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(curve_class(), body)
    except ValueError:
        raise InvalidKey(f"{name} public key is not a point on the curve") from None


_remembered_public_key = lru_cache(maxsize=DECODED_KEYS_KEPT)(_decode_public_key)


def encode_secret_key(private_key: PrivateKey) -> str:
    """Return the Multikey ``secretKeyMultibase`` of an Ed25519, P-256 or P-384 private key.

    Ed25519 is written as its 32-byte seed (the W3C vector form). The result is a secret: callers
    must not log it. Raises :class:`UnsupportedKeyType` for any other key.
    """
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        seed = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return encode_multibase(ED25519_SECRET_HEADER + seed)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        name = _curve_name(private_key)
        size = _CURVES[name][1]
        scalar = private_key.private_numbers().private_value.to_bytes(size, "big")
        return encode_multibase(_EC_SECRET_HEADERS[name] + scalar)
    raise UnsupportedKeyType(f"unsupported private key type {type(private_key).__name__}")


def decode_secret_key(multibase: str) -> PrivateKey:
    """Decode a Multikey ``secretKeyMultibase`` to a private key object.

    Ed25519 accepts the 32-byte seed and the 64-byte seed‖public form; for the latter the public
    half must be the one the seed derives. EC scalars must have the curve's exact length and lie
    in ``[1, n-1]``. Raises :class:`UnsupportedKeyType` for an unknown header and
    :class:`InvalidKey` for anything else wrong (including a public-key header).
    """
    header, body = _split_header(multibase)
    if header == ED25519_SECRET_HEADER:
        if len(body) not in (_ED25519_KEY_LENGTH, 2 * _ED25519_KEY_LENGTH):
            raise InvalidKey("Ed25519 secret key must be 32 bytes (seed) or 64 (seed and public)")
        private = ed25519.Ed25519PrivateKey.from_private_bytes(body[:_ED25519_KEY_LENGTH])
        if len(body) == 2 * _ED25519_KEY_LENGTH:
            derived = private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            if derived != body[_ED25519_KEY_LENGTH:]:
                raise InvalidKey("Ed25519 secret key's public half does not match its seed")
        return private
    name = _SECRET_HEADER_CURVES.get(header)
    if name is None:
        raise InvalidKey("multikey value holds a public key where a secret key is expected")
    curve_class, size, order = _CURVES[name]
    if len(body) != size:
        raise InvalidKey(f"{name} secret key must be {size} bytes, got {len(body)}")
    scalar = int.from_bytes(body, "big")
    if not 0 < scalar < order:
        raise InvalidKey(f"{name} secret key is out of range")
    return ec.derive_private_key(scalar, curve_class())
