"""DID resolution and verification-method dereferencing for proof verification.

:class:`DidResolver` resolves did:key locally and did:web through an injected ``fetch`` callable
(this package has no network code), caching each DID document per resolver instance. It answers
the two questions a Data Integrity verifier asks of a proof's ``verificationMethod``: which key is
it (:meth:`DidResolver.resolve_verification_method`, :func:`keypair_for_method`) and did its
controller authorise it for this purpose (:func:`is_authorized`).
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from keys.did_key import DID_KEY_PREFIX, resolve_did_key
from keys.did_web import DID_WEB_PREFIX, DOCUMENT_INVALID, resolve_did_web
from keys.errors import (
    DidResolutionError,
    InvalidDid,
    InvalidKey,
    KeyNotAuthorized,
    UnsupportedKeyType,
)
from keys.keypairs import MULTIKEY_TYPE, KeyPair
from keys.multikey import PublicKey, decode_public_key

Fetch = Callable[[str], bytes]

ED25519_VERIFICATION_KEY_2020: Final = "Ed25519VerificationKey2020"
JSON_WEB_KEY_TYPES: Final = frozenset({"JsonWebKey", "JsonWebKey2020"})
RELATIONSHIPS: Final = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_JWK_CURVES: Final[dict[str, tuple[type[ec.EllipticCurve], int]]] = {
    "P-256": (ec.SECP256R1, 32),
    "P-384": (ec.SECP384R1, 48),
}


def _absolute(reference: object, document_id: object) -> str | None:
    """Resolve a method reference against its document (``#key-1`` → ``<did>#key-1``)."""
    if not isinstance(reference, str) or not reference:
        return None
    if reference.startswith("#") and isinstance(document_id, str):
        return document_id + reference
    return reference


def _relationship_entries(document: Mapping[str, Any], relationship: str) -> list[Any]:
    entries = document.get(relationship)
    if isinstance(entries, str | Mapping):
        return [entries]
    return list(entries) if isinstance(entries, list) else []


def _candidate_methods(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every method object in the document: listed ones first, then embedded ones."""
    methods = document.get("verificationMethod")
    if isinstance(methods, list):
        yield from (method for method in methods if isinstance(method, Mapping))
    for relationship in RELATIONSHIPS:
        for entry in _relationship_entries(document, relationship):
            if isinstance(entry, Mapping):
                yield entry


def is_authorized(
    controller_document: Mapping[str, Any], method_id: str, relationship: str
) -> bool:
    """Whether ``controller_document`` lists ``method_id`` under ``relationship``.

    ``relationship`` is a verification relationship such as ``"assertionMethod"``. An entry
    counts whether it is a reference (absolute or relative like ``"#key-1"``) or an embedded
    method with that id. Returns ``False`` for a missing or malformed relationship.
    """
    document_id = controller_document.get("id")
    target = _absolute(method_id, document_id)
    if target is None:
        return False
    for entry in _relationship_entries(controller_document, relationship):
        reference = entry.get("id") if isinstance(entry, Mapping) else entry
        if _absolute(reference, document_id) == target:
            return True
    return False


def _b64url(value: object, *, member: str, length: int) -> bytes:
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
        raise InvalidKey(f"publicKeyJwk {member} must be unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raise InvalidKey(f"publicKeyJwk {member} is not valid base64url") from None
    if len(data) != length:
        raise InvalidKey(f"publicKeyJwk {member} must be {length} bytes, got {len(data)}")
    return data


def public_key_from_jwk(jwk: object) -> PublicKey:
    """Return the public key of an OKP Ed25519 or EC P-256 / P-384 JWK.

    Raises :class:`InvalidKey` for a malformed JWK, a point off the curve or a JWK that carries
    private material (``d``), and :class:`UnsupportedKeyType` for any other ``kty``/``crv``.
    """
    if not isinstance(jwk, Mapping):
        raise InvalidKey("publicKeyJwk must be a JSON object")
    if "d" in jwk:
        raise InvalidKey("publicKeyJwk holds a private key")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(
            _b64url(jwk.get("x"), member="x", length=32)
        )
    if kty == "EC" and isinstance(crv, str) and crv in _JWK_CURVES:
        curve_class, size = _JWK_CURVES[crv]
        x = int.from_bytes(_b64url(jwk.get("x"), member="x", length=size), "big")
        y = int.from_bytes(_b64url(jwk.get("y"), member="y", length=size), "big")
        try:
            return ec.EllipticCurvePublicNumbers(x, y, curve_class()).public_key()
        except ValueError:
            raise InvalidKey(f"publicKeyJwk is not a point on {crv}") from None
    raise UnsupportedKeyType(f"unsupported JWK key type kty={kty!r} crv={crv!r}")


def keypair_for_method(method: Mapping[str, Any]) -> KeyPair:
    """Return the public-only :class:`KeyPair` of a verification method object.

    Reads ``Multikey`` and ``Ed25519VerificationKey2020`` (``publicKeyMultibase``) and
    ``JsonWebKey`` / ``JsonWebKey2020`` (``publicKeyJwk``); the pair's ``id`` and ``controller``
    are the method's. Raises :class:`UnsupportedKeyType` for other types or key types and
    :class:`InvalidKey` for missing or malformed key material.
    """
    if not isinstance(method, Mapping):
        raise InvalidKey("a verification method must be a JSON object")
    method_type = method.get("type")
    public_key: PublicKey
    if method_type in (MULTIKEY_TYPE, ED25519_VERIFICATION_KEY_2020):
        multibase = method.get("publicKeyMultibase")
        if multibase is None:
            raise InvalidKey(f"{method_type} verification method has no publicKeyMultibase")
        public_key = decode_public_key(multibase)
        if method_type == ED25519_VERIFICATION_KEY_2020 and not isinstance(
            public_key, ed25519.Ed25519PublicKey
        ):
            raise InvalidKey(f"{ED25519_VERIFICATION_KEY_2020} holds a non-Ed25519 key")
    elif isinstance(method_type, str) and method_type in JSON_WEB_KEY_TYPES:
        public_key = public_key_from_jwk(method.get("publicKeyJwk"))
    else:
        raise UnsupportedKeyType(f"unsupported verification method type {method_type!r}")
    method_id, controller = method.get("id"), method.get("controller")
    return KeyPair.from_public_key(
        public_key,
        id=method_id if isinstance(method_id, str) else None,
        controller=controller if isinstance(controller, str) else None,
    )


class DidResolver:
    """Resolves did:key and did:web DIDs and dereferences verification methods.

    ``fetch(url) -> bytes`` retrieves did:web documents (guarded HTTP lives outside ``keys``);
    without it did:web resolution fails with ``did_unresolved``. Successful resolutions are cached
    for the life of the instance; :meth:`resolve` gives callers their own copy of each document.
    """

    def __init__(self, fetch: Fetch | None = None) -> None:
        self._fetch = fetch
        self._cache: dict[str, dict[str, Any]] = {}

    def resolve(self, did: str) -> dict[str, Any]:
        """Return the DID document of ``did`` (a DID URL's ``#fragment`` is ignored).

        Raises :class:`InvalidDid` for a malformed DID or a method other than key and web, and
        :class:`DidResolutionError` when a did:web document cannot be fetched (``did_unresolved``,
        also when no fetcher is configured) or is not the DID's (``did_document_invalid``).
        """
        return copy.deepcopy(self._resolved(did))

    def _resolved(self, did: str) -> dict[str, Any]:
        """The cached DID document of ``did`` (resolved on first use): this resolver's own."""
        if not isinstance(did, str) or not did.startswith("did:"):
            raise InvalidDid("not a DID")
        bare = did.partition("#")[0]
        cached = self._cache.get(bare)
        if cached is None:
            cached = self._resolve_uncached(bare)
            self._cache[bare] = cached
        return cached

    def _resolve_uncached(self, did: str) -> dict[str, Any]:
        if did.startswith(DID_KEY_PREFIX):
            return resolve_did_key(did)
        if did.startswith(DID_WEB_PREFIX):
            if self._fetch is None:
                raise DidResolutionError(
                    f"cannot resolve {did}: no fetcher is configured for did:web"
                )
            return resolve_did_web(did, self._fetch)
        method = did.split(":", 2)[1] if did.count(":") >= 2 else ""
        raise InvalidDid(f"unsupported DID method {method!r}")

    def resolve_verification_method(self, method_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return ``(method, controller_document)`` for a verification method id.

        ``method_id`` is a DID URL (``did:…#fragment``); a bare did:key stands for its one key.
        The method must be in the controller document (listed under ``verificationMethod`` or
        embedded in a relationship) and name that document's DID as its ``controller``, else
        :class:`KeyNotAuthorized`. The returned method carries its absolute ``id``; the
        controller document is the resolver's cached one, to be read, never changed (no copy
        per proof). Resolution errors of :meth:`resolve` pass through; :class:`InvalidDid` for a
        method id that is not a DID URL with a fragment.
        """
        if not isinstance(method_id, str) or not method_id.startswith("did:"):
            raise InvalidDid("verification method id is not a DID URL")
        did, has_fragment, _ = method_id.partition("#")
        if has_fragment:
            target = method_id
        elif did.startswith(DID_KEY_PREFIX):
            target = f"{did}#{did[len(DID_KEY_PREFIX) :]}"
        else:
            raise InvalidDid("verification method id has no #fragment")
        document = self._resolved(did)
        document_id = document.get("id")
        matches: list[Mapping[str, Any]] = []
        for method in _candidate_methods(document):
            if _absolute(method.get("id"), document_id) == target and method not in matches:
                matches.append(method)
        if not matches:
            raise KeyNotAuthorized(f"{target} is not a verification method of {did}")
        if len(matches) > 1:
            raise DidResolutionError(
                f"{did} describes {target} more than once, differently", code=DOCUMENT_INVALID
            )
        method = dict(matches[0])
        if method.get("controller") != document_id:
            raise KeyNotAuthorized(f"{target} is controlled by another party than {did}")
        method["id"] = target
        return method, document

    @staticmethod
    def keypair_for_method(method: Mapping[str, Any]) -> KeyPair:
        """Same as the module function :func:`keypair_for_method`."""
        return keypair_for_method(method)

    @staticmethod
    def is_authorized(
        controller_document: Mapping[str, Any], method_id: str, relationship: str
    ) -> bool:
        """Same as the module function :func:`is_authorized`."""
        return is_authorized(controller_document, method_id, relationship)
