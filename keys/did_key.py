"""The did:key method: a DID that is its own public key (Multikey form).

``did:key:<publicKeyMultibase>`` resolves, without any network, to a DID document with one
Multikey verification method ``did:key:<mb>#<mb>`` listed under every verification relationship.
Spec: https://w3c-ccg.github.io/did-key-spec/ (with the Multikey representation).
"""

from __future__ import annotations

from typing import Any, Final

from keys.errors import InvalidDid, InvalidKey
from keys.keypairs import MULTIKEY_CONTEXT, MULTIKEY_TYPE, KeyPair
from keys.multikey import decode_public_key

DID_KEY_PREFIX: Final = "did:key:"
DID_CONTEXT: Final = "https://www.w3.org/ns/did/v1"
VERIFICATION_RELATIONSHIPS: Final = (
    "authentication",
    "assertionMethod",
    "capabilityInvocation",
    "capabilityDelegation",
)


def did_key_for(keypair: KeyPair) -> str:
    """Return ``did:key:`` + the key pair's public multibase."""
    return DID_KEY_PREFIX + keypair.public_key_multibase


def verification_method_id_for(keypair: KeyPair) -> str:
    """Return the did:key verification method id ``did:key:<mb>#<mb>`` of the key pair."""
    return f"{did_key_for(keypair)}#{keypair.public_key_multibase}"


def keypair_with_did_key(keypair: KeyPair) -> KeyPair:
    """Return the same keys with ``id`` and ``controller`` set to their did:key names."""
    return keypair.with_ids(verification_method_id_for(keypair), did_key_for(keypair))


def parse_did_key(did: str) -> tuple[str, str]:
    """Split a did:key DID or DID URL into ``(did, publicKeyMultibase)``.

    A ``#fragment`` is accepted only when it equals the key's multibase. Raises
    :class:`InvalidDid` for anything else: another method, an empty or non-``z`` identifier, a
    path, query or foreign fragment. Does not decode the key.
    """
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX):
        raise InvalidDid("not a did:key DID")
    bare, hash_mark, fragment = did.partition("#")
    multibase = bare[len(DID_KEY_PREFIX) :]
    if not multibase.startswith("z") or len(multibase) < 2:
        raise InvalidDid("did:key identifier must be a base58btc multibase key ('z…')")
    if not (multibase.isascii() and multibase.isalnum()):
        raise InvalidDid("did:key identifier holds characters outside base58btc")
    if hash_mark and fragment != multibase:
        raise InvalidDid("did:key fragment does not name the DID's key")
    return bare, multibase


def resolve_did_key(did: str) -> dict[str, Any]:
    """Return the DID document of a did:key DID (a DID URL's fragment is stripped).

    The document has the DID and Multikey contexts, one Multikey verification method and that
    method listed under authentication, assertionMethod, capabilityInvocation and
    capabilityDelegation. Raises :class:`InvalidDid` for a malformed DID or key and
    :class:`~keys.errors.UnsupportedKeyType` for a well-formed key of a type this project does
    not handle (secp256k1, X25519, …).
    """
    bare, multibase = parse_did_key(did)
    try:
        decode_public_key(multibase)
    except InvalidKey as exc:
        raise InvalidDid(f"did:key does not hold a usable public key: {exc.message}") from None
    method_id = f"{bare}#{multibase}"
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": bare,
        "verificationMethod": [
            {
                "id": method_id,
                "type": MULTIKEY_TYPE,
                "controller": bare,
                "publicKeyMultibase": multibase,
            }
        ],
    }
    for relationship in VERIFICATION_RELATIONSHIPS:
        document[relationship] = [method_id]
    return document
