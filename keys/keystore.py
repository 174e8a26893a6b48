"""Secret keys at rest: encrypted key files, opened with a passphrase from the environment.

A sealed key file is JSON::

    {"type": "EncryptedMultikey", "id": …, "controller": …, "algorithm": "Ed25519",
     "publicKeyMultibase": "z6Mk…",
     "kdf": {"name": "scrypt", "salt": "<base64>", "n": 32768, "r": 8, "p": 1},
     "encryptedSecretKey": "-----BEGIN ENCRYPTED PRIVATE KEY-----…"}

``encryptedSecretKey`` is PKCS#8 PEM encrypted by ``cryptography``'s
``BestAvailableEncryption`` (PBES2, AES-256-CBC). That scheme runs PBKDF2 with only 2048
iterations, so the passphrase is first stretched with scrypt (parameters in ``kdf``) and the
hex digest is the PEM password. A document without ``kdf`` is opened with the passphrase itself
(a PEM written by OpenSSL). The passphrase comes from ``MICROCRED_KEY_PASSPHRASE`` unless given;
nothing here logs, and no error message contains, a passphrase or key bytes.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from keys.errors import InvalidKey, KeyDecryptionError, UnsupportedKeyType
from keys.keypairs import Algorithm, KeyPair
from keys.multikey import decode_public_key

PASSPHRASE_ENV: Final = "MICROCRED_KEY_PASSPHRASE"
SEALED_TYPE: Final = "EncryptedMultikey"
FILE_MODE: Final = 0o600

_SCRYPT: Final = "scrypt"
_SCRYPT_N: Final = 2**15  # about 32 MiB and 0.1 s per open
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_SALT_LENGTH: Final = 16
_MAX_SCRYPT_MEMORY: Final = 2**28  # refuse files asking for more than 256 MiB


def _check_passphrase(passphrase: object) -> bytes:
    if not isinstance(passphrase, bytes | bytearray):
        raise TypeError("passphrase must be bytes")
    if not passphrase:
        raise ValueError("passphrase must not be empty")
    return bytes(passphrase)


def _new_kdf() -> dict[str, Any]:
    salt = base64.b64encode(os.urandom(_SALT_LENGTH)).decode("ascii")
    return {"name": _SCRYPT, "salt": salt, "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P}


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidKey("sealed key has malformed scrypt parameters")
    return value


def _pem_password(passphrase: bytes, kdf: object) -> bytes:
    """The PEM password: scrypt(passphrase) as hex, or the passphrase itself without ``kdf``."""
    if kdf is None:
        return passphrase
    if not isinstance(kdf, Mapping) or kdf.get("name") != _SCRYPT:
        raise InvalidKey("sealed key names an unknown key-derivation function")
    n, r, p = (_positive_int(kdf.get(name)) for name in ("n", "r", "p"))
    if n < 2 or n & (n - 1) or 128 * n * r > _MAX_SCRYPT_MEMORY or p > 16:
        raise InvalidKey("sealed key has out-of-range scrypt parameters")
    try:
        salt = base64.b64decode(str(kdf.get("salt")), validate=True)
    except ValueError:
        raise InvalidKey("sealed key has a malformed scrypt salt") from None
    if len(salt) < _SALT_LENGTH:
        raise InvalidKey("sealed key has a short scrypt salt")
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)
    return key.hex().encode("ascii")


def seal_keypair(keypair: KeyPair, passphrase: bytes) -> dict[str, Any]:
    """Return the JSON-able sealed (encrypted) form of a key pair with a secret key.

    The secret key is only present encrypted under ``passphrase``; ``id``/``controller`` are
    omitted when ``None``. Raises :class:`InvalidKey` (code ``secret_key_missing``) for a
    public-only key pair, ``TypeError``/``ValueError`` for a non-bytes or empty passphrase.
    """
    passphrase = _check_passphrase(passphrase)
    if keypair.private_key is None:
        raise InvalidKey("cannot seal a key pair without a secret key", code="secret_key_missing")
    kdf = _new_kdf()
    pem = keypair.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_pem_password(passphrase, kdf)),
    )
    doc: dict[str, Any] = {"type": SEALED_TYPE}
    if keypair.id is not None:
        doc["id"] = keypair.id
    if keypair.controller is not None:
        doc["controller"] = keypair.controller
    doc["algorithm"] = keypair.algorithm.value
    doc["publicKeyMultibase"] = keypair.public_key_multibase
    doc["kdf"] = kdf
    doc["encryptedSecretKey"] = pem.decode("ascii")
    return doc


def open_keypair(doc: Mapping[str, Any], passphrase: bytes) -> KeyPair:
    """Decrypt a sealed key document made by :func:`seal_keypair`.

    Raises :class:`KeyDecryptionError` for a wrong passphrase (or a damaged ciphertext),
    :class:`InvalidKey` for a malformed document, an unencrypted PEM or a secret key that does
    not match ``publicKeyMultibase``, :class:`UnsupportedKeyType` for an unknown algorithm.
    """
    passphrase = _check_passphrase(passphrase)
    if not isinstance(doc, Mapping) or doc.get("type") != SEALED_TYPE:
        raise InvalidKey(f"not a sealed key document (type {SEALED_TYPE})")
    algorithm_name = doc.get("algorithm")
    if algorithm_name not in tuple(Algorithm):
        raise UnsupportedKeyType(f"unsupported algorithm {algorithm_name!r}")
    algorithm = Algorithm(algorithm_name)
    multibase = doc.get("publicKeyMultibase")
    if not isinstance(multibase, str):
        raise InvalidKey("sealed key has no publicKeyMultibase")
    public_key = decode_public_key(multibase)
    pem = doc.get("encryptedSecretKey")
    if not isinstance(pem, str) or not pem.isascii():
        raise InvalidKey("sealed key has no encryptedSecretKey PEM")
    password = _pem_password(passphrase, doc.get("kdf"))
    try:
        private = serialization.load_pem_private_key(pem.encode("ascii"), password)
    except TypeError:
        raise InvalidKey("encryptedSecretKey is not encrypted") from None
    except ValueError:
        raise KeyDecryptionError(
            "cannot decrypt the secret key: wrong passphrase or damaged key"
        ) from None
    if not isinstance(private, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise UnsupportedKeyType(f"unsupported sealed key type {type(private).__name__}")
    ids = {name: doc.get(name) for name in ("id", "controller")}
    return KeyPair(algorithm, public_key, private, ids["id"], ids["controller"])


def passphrase_from_env() -> bytes | None:
    """Return ``$MICROCRED_KEY_PASSPHRASE`` as bytes, or ``None`` when unset or empty."""
    value = os.environ.get(PASSPHRASE_ENV)
    return os.fsencode(value) if value else None


def load_key_file(path: str | os.PathLike[str], *, passphrase: bytes | None = None) -> KeyPair:
    """Read a key file: a sealed key, a Multikey document or a published key-pair file.

    A sealed file is opened with ``passphrase``, else ``$MICROCRED_KEY_PASSPHRASE``, else
    :class:`KeyDecryptionError` naming that variable. Plain files go through
    :meth:`KeyPair.from_multikey` (``secretKeyMultibase`` or ``privateKeyMultibase``, or
    public-only). Raises :class:`InvalidKey` for an unreadable file or one that is not a JSON
    object, and the errors of :func:`open_keypair` / ``from_multikey``.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidKey(f"cannot read key file {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw)
    except (ValueError, TypeError):
        raise InvalidKey(f"key file {path} is not valid JSON") from None
    if not isinstance(doc, dict):
        raise InvalidKey(f"key file {path} does not hold a JSON object")
    if doc.get("type") == SEALED_TYPE:
        secret = passphrase if passphrase is not None else passphrase_from_env()
        if not secret:
            raise KeyDecryptionError(
                f"key file {path} is encrypted: set {PASSPHRASE_ENV} to its passphrase"
            )
        return open_keypair(doc, secret)
    return KeyPair.from_multikey(doc)


def save_key_file(path: str | os.PathLike[str], keypair: KeyPair, *, passphrase: bytes) -> None:
    """Write the sealed form of ``keypair`` to ``path``, readable by its owner only (0600).

    The file is written to a temporary file in the same directory, flushed to disk and moved
    over ``path`` with ``os.replace``, so a reader never sees a half-written key. Errors of
    :func:`seal_keypair` pass through; an ``OSError`` when the directory is not writable.
    """
    text = json.dumps(seal_keypair(keypair, passphrase), indent=2) + "\n"
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
