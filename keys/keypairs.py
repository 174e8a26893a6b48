"""Key pairs for Ed25519 (eddsa-rdfc-2022) and ECDSA P-256 / P-384 (ecdsa-rdfc-2019).

A :class:`KeyPair` wraps pyca/cryptography key objects with the verification method ``id`` and
``controller`` that name it in a DID document. Signatures are the raw forms Data Integrity uses:
64 bytes for Ed25519, fixed-width r‖s (IEEE P1363: 64 bytes for P-256, 96 for P-384) for ECDSA,
which is deterministic (RFC 6979) so that the W3C vectors reproduce byte for byte.

Secrets never appear in ``repr``/``str``; only :attr:`KeyPair.secret_key_multibase` and
``to_multikey(include_secret=True)`` expose them, on request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from keys.errors import InvalidKey, InvalidSignature, UnsupportedKeyType
from keys.multikey import (
    PrivateKey,
    PublicKey,
    decode_public_key,
    decode_secret_key,
    encode_public_key,
    encode_secret_key,
)

MULTIKEY_CONTEXT: Final = "https://w3id.org/security/multikey/v1"
MULTIKEY_TYPE: Final = "Multikey"
# Types whose publicKeyMultibase uses the same multicodec encoding as Multikey.
_MULTIBASE_KEY_TYPES: Final = frozenset({MULTIKEY_TYPE, "Ed25519VerificationKey2020"})
# Names under which published key files carry the secret key.
_SECRET_MEMBERS: Final = ("secretKeyMultibase", "privateKeyMultibase")


class Algorithm(StrEnum):
    """The signature algorithms (key types) this project handles."""

    ED25519 = "Ed25519"
    P256 = "P-256"
    P384 = "P-384"


_CURVE_ALGORITHMS: Final = {"secp256r1": Algorithm.P256, "secp384r1": Algorithm.P384}
_ALGORITHM_CURVES: Final[dict[Algorithm, type[ec.EllipticCurve]]] = {
    Algorithm.P256: ec.SECP256R1,
    Algorithm.P384: ec.SECP384R1,
}
_ALGORITHM_HASHES: Final[dict[Algorithm, type[hashes.HashAlgorithm]]] = {
    Algorithm.P256: hashes.SHA256,
    Algorithm.P384: hashes.SHA384,
}
_SCALAR_SIZES: Final = {Algorithm.P256: 32, Algorithm.P384: 48}
_ED25519_SIGNATURE_LENGTH: Final = 64


def algorithm_of(key: PublicKey | PrivateKey) -> Algorithm:
    """Return the :class:`Algorithm` of a public or private key object.

    Raises :class:`UnsupportedKeyType` for keys other than Ed25519, P-256 and P-384.
    """
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return Algorithm.ED25519
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        algorithm = _CURVE_ALGORITHMS.get(key.curve.name)
        if algorithm is not None:
            return algorithm
        raise UnsupportedKeyType(f"unsupported elliptic curve {key.curve.name}")
    raise UnsupportedKeyType(f"unsupported key type {type(key).__name__}")


def signature_length(algorithm: Algorithm | str) -> int:
    """Return the byte length of a signature made with ``algorithm`` (64, 64 or 96)."""
    algorithm = Algorithm(algorithm)
    if algorithm is Algorithm.ED25519:
        return _ED25519_SIGNATURE_LENGTH
    return 2 * _SCALAR_SIZES[algorithm]


@dataclass(frozen=True, repr=False, eq=False)
class KeyPair:
    """A public key, optionally its private key, and the verification method naming them.

    Construction checks that ``public_key`` is of ``algorithm`` and that ``private_key`` (when
    given) derives exactly ``public_key``, raising :class:`InvalidKey` otherwise. Equality compares
    algorithm, public key, whether a secret is present, ``id`` and ``controller``.
    """

    algorithm: Algorithm
    public_key: PublicKey
    private_key: PrivateKey | None = None
    id: str | None = None
    controller: str | None = None

    def __post_init__(self) -> None:
        try:
            algorithm = Algorithm(self.algorithm)
        except ValueError:
            raise UnsupportedKeyType(f"unsupported algorithm {self.algorithm!r}") from None
        object.__setattr__(self, "algorithm", algorithm)
        if algorithm_of(self.public_key) is not algorithm:
            raise InvalidKey(f"public key does not fit algorithm {algorithm}")
        if self.private_key is not None:
            if algorithm_of(self.private_key) is not algorithm:
                raise InvalidKey(f"private key does not fit algorithm {algorithm}")
            derived = encode_public_key(self.private_key.public_key())
            if derived != encode_public_key(self.public_key):
                raise InvalidKey("private key does not match the public key")
        for name in ("id", "controller"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidKey(f"{name} must be a string")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        algorithm: Algorithm | str,
        *,
        id: str | None = None,
        controller: str | None = None,
    ) -> KeyPair:
        """Generate a fresh key pair of ``algorithm`` from the OS random source."""
        algorithm = Algorithm(algorithm)
        private: PrivateKey
        if algorithm is Algorithm.ED25519:
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            private = ec.generate_private_key(_ALGORITHM_CURVES[algorithm]())
        return cls(algorithm, private.public_key(), private, id, controller)

    @classmethod
    def from_private_key(
        cls, private_key: PrivateKey, *, id: str | None = None, controller: str | None = None
    ) -> KeyPair:
        """Wrap an existing private key object (its algorithm is read from the key)."""
        return cls(algorithm_of(private_key), private_key.public_key(), private_key, id, controller)

    @classmethod
    def from_public_key(
        cls, public_key: PublicKey, *, id: str | None = None, controller: str | None = None
    ) -> KeyPair:
        """Wrap a public key object as a public-only key pair."""
        return cls(algorithm_of(public_key), public_key, None, id, controller)

    @classmethod
    def from_multikey(cls, doc: Mapping[str, Any]) -> KeyPair:
        """Read a Multikey document or a published key-pair file.

        Accepts ``secretKeyMultibase`` or ``privateKeyMultibase`` (the eddsa vectors' name) and
        public-only documents. When both a public and a secret key are given the secret must
        derive the public key; ``id`` and ``controller`` are copied when present. Raises
        :class:`InvalidKey` for a missing or mismatched key, :class:`UnsupportedKeyType` for a
        ``type`` whose ``publicKeyMultibase`` is not Multikey-encoded.
        """
        if not isinstance(doc, Mapping):
            raise InvalidKey("a Multikey document must be a JSON object")
        key_type = doc.get("type")
        if key_type is not None and not (
            isinstance(key_type, str) and key_type in _MULTIBASE_KEY_TYPES
        ):
            raise UnsupportedKeyType(f"unsupported verification method type {key_type!r}")
        secrets = [doc[name] for name in _SECRET_MEMBERS if doc.get(name) is not None]
        if len(secrets) > 1 and secrets[0] != secrets[1]:
            raise InvalidKey("secretKeyMultibase and privateKeyMultibase disagree")
        public_multibase = doc.get("publicKeyMultibase")
        ids = {name: doc.get(name) for name in ("id", "controller")}
        for name, value in ids.items():
            if value is not None and not isinstance(value, str):
                raise InvalidKey(f"{name} must be a string")
        if secrets:
            private = decode_secret_key(secrets[0])
            keypair = cls.from_private_key(private, id=ids["id"], controller=ids["controller"])
            if public_multibase is not None and public_multibase != keypair.public_key_multibase:
                raise InvalidKey("publicKeyMultibase does not match the secret key")
            return keypair
        if public_multibase is None:
            raise InvalidKey("the document holds neither publicKeyMultibase nor a secret key")
        return cls.from_public_key(
            decode_public_key(public_multibase), id=ids["id"], controller=ids["controller"]
        )

    # -- views --------------------------------------------------------------------------------

    @property
    def public_key_multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` of the public key (``z6Mk…``/``zDna…``/``z82…``)."""
        return encode_public_key(self.public_key)

    @property
    def has_secret(self) -> bool:
        """Whether this key pair can sign."""
        return self.private_key is not None

    @property
    def secret_key_multibase(self) -> str:
        """The Multikey ``secretKeyMultibase``; a secret, never to be logged.

        Raises :class:`InvalidKey` (code ``secret_key_missing``) for a public-only key pair.
        """
        return encode_secret_key(self._require_private())

    def public_only(self) -> KeyPair:
        """Return the same key pair without its private key."""
        return dataclasses.replace(self, private_key=None)

    def with_ids(self, id: str | None, controller: str | None) -> KeyPair:
        """Return the same keys named by another verification method ``id`` and ``controller``."""
        return dataclasses.replace(self, id=id, controller=controller)

    def to_multikey(self, *, include_secret: bool = False) -> dict[str, Any]:
        """Return the Multikey document (``id``/``controller`` omitted when ``None``).

        With ``include_secret=True`` it also holds ``secretKeyMultibase`` (and raises
        :class:`InvalidKey` if there is no secret); never publish that form.
        """
        doc: dict[str, Any] = {"@context": MULTIKEY_CONTEXT, "type": MULTIKEY_TYPE}
        if self.id is not None:
            doc["id"] = self.id
        if self.controller is not None:
            doc["controller"] = self.controller
        doc["publicKeyMultibase"] = self.public_key_multibase
        if include_secret:
            doc["secretKeyMultibase"] = self.secret_key_multibase
        return doc

    # -- signatures ---------------------------------------------------------------------------

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` and return the raw signature.

        Ed25519: 64 bytes. ECDSA: RFC 6979 deterministic, SHA-256 for P-256 and SHA-384 for
        P-384, returned as fixed-width r‖s (64 / 96 bytes), not DER. Raises :class:`InvalidKey`
        (code ``secret_key_missing``) for a public-only key pair.
        """
        private = self._require_private()
        if isinstance(private, ed25519.Ed25519PrivateKey):
            return private.sign(bytes(data))
        hash_algorithm = _ALGORITHM_HASHES[self.algorithm]()
        der = private.sign(bytes(data), ec.ECDSA(hash_algorithm, deterministic_signing=True))
        r, s = decode_dss_signature(der)
        size = _SCALAR_SIZES[self.algorithm]
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def verify(self, signature: bytes, data: bytes) -> None:
        """Return if ``signature`` is a valid signature of ``data`` by this key, else raise.

        Raises :class:`InvalidSignature` for a wrong signature, including one of the wrong length
        or (ECDSA) a DER encoding instead of r‖s.
        """
        signature = bytes(signature)
        if len(signature) != signature_length(self.algorithm):
            raise InvalidSignature(
                f"{self.algorithm} signature must be {signature_length(self.algorithm)} bytes, "
                f"got {len(signature)}"
            )
        try:
            if isinstance(self.public_key, ed25519.Ed25519PublicKey):
                self.public_key.verify(signature, bytes(data))
            else:
                size = _SCALAR_SIZES[self.algorithm]
                r = int.from_bytes(signature[:size], "big")
                s = int.from_bytes(signature[size:], "big")
                hash_algorithm = _ALGORITHM_HASHES[self.algorithm]()
                self.public_key.verify(
                    encode_dss_signature(r, s), bytes(data), ec.ECDSA(hash_algorithm)
                )
        except crypto_exceptions.InvalidSignature:
            raise InvalidSignature(f"{self.algorithm} signature does not verify") from None

    # -- dunder -------------------------------------------------------------------------------

    def _require_private(self) -> PrivateKey:
        if self.private_key is None:
            raise InvalidKey("this key pair has no secret key", code="secret_key_missing")
        return self.private_key

    def _identity(self) -> tuple[object, ...]:
        return (
            self.algorithm,
            self.public_key_multibase,
            self.has_secret,
            self.id,
            self.controller,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyPair):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        secret = "" if self.has_secret else ", public only"
        return (
            f"KeyPair(algorithm={self.algorithm.value!r}, id={self.id!r}, "
            f"public_key_multibase={self.public_key_multibase!r}{secret})"
        )
