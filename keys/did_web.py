"""The did:web method: a DID document published over HTTPS at a URL derived from the DID.

Follows https://w3c-ccg.github.io/did-method-web/ ("Read (Resolve)"):

1. replace ``:`` with ``/`` in the method-specific identifier (domain and optional path);
2. percent-decode the colon of a port (``%3A``);
3. prepend ``https://``; with no path append ``/.well-known``; then append ``/did.json``;
4. fetch it and check that the document's ``id`` is the DID.

This module never touches the network: :func:`resolve_did_web` takes a ``fetch(url) -> bytes``
callable. It is stricter than the spec text in a few places, all to keep a DID from naming an
unexpected URL: segments must follow the DID ``idchar`` syntax and may not be (or decode to)
``.``/``..``, a ``/`` or ``\\``; hosts must be DNS names (the spec forbids IP addresses).
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from keys.did_key import DID_CONTEXT
from keys.errors import DidResolutionError, InvalidDid
from keys.keypairs import MULTIKEY_CONTEXT, MULTIKEY_TYPE, KeyPair
from keys.lifecycle import EXPIRES, REVOKED, format_time
from schemas.json_text import JsonInputError, load_json

#: What a fetched DID document may be: a real one is a few kilobytes.
MAX_DID_DOCUMENT_BYTES: Final = 2 * 1024 * 1024
MAX_DID_VALUES: Final = 20_000

DID_WEB_PREFIX: Final = "did:web:"
DOCUMENT_INVALID: Final = "did_document_invalid"

_WELL_KNOWN: Final = ".well-known"
_DOCUMENT_NAME: Final = "did.json"
_PORT_SEPARATOR: Final = re.compile("%3A", re.IGNORECASE)
_HOST_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# DID Core idchar: ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
_SEGMENT: Final = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")
_NUMERIC_LABEL: Final = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
_PORT: Final = re.compile(r"[0-9]{1,5}")
_RELATIONSHIPS: Final = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)


def _check_host(host: str) -> str:
    if not host or len(host) > 253:
        raise InvalidDid("did:web host is empty or too long")
    labels = host.split(".")
    if not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise InvalidDid("did:web host is not a DNS name")
    # URL parsers read a numeric last label ("10.1", "0x7f.1") as an IPv4 address.
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise InvalidDid("did:web host must be a domain name, not an IP address")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    raise InvalidDid("did:web host must be a domain name, not an IP address")


def _check_port(port: str) -> str:
    if not _PORT.fullmatch(port) or not 0 < int(port) <= 65535:
        raise InvalidDid("did:web port must be a number from 1 to 65535")
    return port


def _check_segment(segment: str) -> str:
    if not _SEGMENT.fullmatch(segment):
        raise InvalidDid("did:web path segment holds characters a DID does not allow")
    decoded = unquote(segment)
    if decoded in (".", "..") or any(c in decoded for c in "/\\") or not decoded.isprintable():
        raise InvalidDid("did:web path segment would escape its directory")
    return segment


def _split_did_web(did: str) -> tuple[str, str | None, list[str]]:
    """Return ``(host, port or None, path segments)`` of a did:web DID, validating each part."""
    if not isinstance(did, str) or not did.startswith(DID_WEB_PREFIX):
        raise InvalidDid("not a did:web DID")
    identifier = did[len(DID_WEB_PREFIX) :]
    if any(c in identifier for c in "#?/"):
        raise InvalidDid("a did:web DID has no path, query or fragment (resolve the bare DID)")
    authority, *path = identifier.split(":")
    host, *ports = _PORT_SEPARATOR.split(authority)
    if len(ports) > 1:
        raise InvalidDid("did:web authority holds more than one port")
    port = _check_port(ports[0]) if ports else None
    _check_host(host)
    if path and path[0] == _WELL_KNOWN:
        raise InvalidDid("did:web path may not start with .well-known")
    if any(not segment for segment in path):
        raise InvalidDid("did:web path has an empty segment")
    return host, port, [_check_segment(segment) for segment in path]


def did_web_to_url(did: str) -> str:
    """Return the HTTPS URL of a did:web DID's document, per the did:web "Read" steps.

    ``did:web:example.com`` → ``https://example.com/.well-known/did.json``;
    ``did:web:example.com:user:alice`` → ``https://example.com/user/alice/did.json``;
    ``did:web:localhost%3A8443`` → ``https://localhost:8443/.well-known/did.json``.
    Raises :class:`InvalidDid` for anything malformed (empty host or segment, IP address, bad
    port, ``..``, a query or fragment).
    """
    host, port, path = _split_did_web(did)
    origin = f"https://{host}" + (f":{port}" if port else "")
    if path:
        return f"{origin}/{'/'.join(path)}/{_DOCUMENT_NAME}"
    return f"{origin}/{_WELL_KNOWN}/{_DOCUMENT_NAME}"


def did_web_for_url(url: str) -> str:
    """Return the did:web DID whose document lives at ``url`` (inverse of :func:`did_web_to_url`).

    ``url`` is an https origin with an optional path (``https://example.com/user/alice``); the
    document URL itself (``…/did.json``, ``…/.well-known/did.json``) is accepted too. The host is
    lower-cased and a port is written as ``%3A<port>``. Raises :class:`InvalidDid` for a URL no
    did:web can name (not https, credentials, query, fragment, IP address, bad segment).
    """
    if not isinstance(url, str):
        raise InvalidDid("URL must be a string")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidDid("not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise InvalidDid("did:web documents are served over https only")
    if parts.username is not None or parts.password is not None:
        raise InvalidDid("a did:web URL carries no credentials")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise InvalidDid("a did:web URL has no query or fragment")
    host = parts.hostname or ""
    path = parts.path
    if path == f"/{_WELL_KNOWN}/{_DOCUMENT_NAME}":
        path = ""
    elif path.endswith(f"/{_DOCUMENT_NAME}"):
        path = path[: -len(_DOCUMENT_NAME) - 1]
        if not path.strip("/"):
            raise InvalidDid("no did:web has its document at /did.json")
    stripped = path.strip("/")
    segments = stripped.split("/") if stripped else []
    did = DID_WEB_PREFIX + host + (f"%3A{port}" if port is not None else "")
    did += "".join(f":{segment}" for segment in segments)
    _split_did_web(did)  # validates host, port and every segment
    return did


def method_id_for(did: str, keypair: KeyPair) -> str:
    """Return the verification method id ``<did>#<fragment>`` that names ``keypair`` under ``did``.

    The fragment is the one of ``keypair.id`` when that id is ``<did>#…``, else the public key
    multibase.
    """
    if keypair.id and keypair.id.startswith(f"{did}#") and len(keypair.id) > len(did) + 1:
        return keypair.id
    return f"{did}#{keypair.public_key_multibase}"


class KeyLifecycle(enum.StrEnum):
    """Where a published key is in its life (see :mod:`keys.lifecycle`)."""

    CURRENT = "current"  # signs now
    RETIRED = "retired"  # signed until ``since``; verifies what it signed before then
    COMPROMISED = "compromised"  # withdrawn at ``since``; verifies nothing


@dataclass(frozen=True)
class PublishedKey:
    """A public key as a DID document publishes it: current, or retired / compromised since a
    timezone-aware moment (``since`` is None exactly for a current key)."""

    keypair: KeyPair
    state: KeyLifecycle = KeyLifecycle.CURRENT
    since: datetime | None = None

    def __post_init__(self) -> None:
        if self.state is KeyLifecycle.CURRENT:
            if self.since is not None:
                raise ValueError("a current key has no retirement or compromise time")
        elif self.since is None or self.since.tzinfo is None:
            raise ValueError(f"a {self.state} key needs a timezone-aware time since when")

    @classmethod
    def retired(cls, keypair: KeyPair, at: datetime) -> PublishedKey:
        """A key retired at ``at``: it verifies proofs created before then."""
        return cls(keypair, KeyLifecycle.RETIRED, at)

    @classmethod
    def compromised(cls, keypair: KeyPair, at: datetime) -> PublishedKey:
        """A key marked compromised at ``at``: it verifies nothing."""
        return cls(keypair, KeyLifecycle.COMPROMISED, at)


def build_did_document(did: str, keys: Sequence[PublishedKey | KeyPair]) -> dict[str, Any]:
    """Return the did:web DID document publishing ``keys`` (a bare :class:`KeyPair` is current).

    Every key is a Multikey verification method controlled by ``did`` (ids from
    :func:`method_id_for`), in the order given, carrying its lifecycle in the Multikey
    context's terms (:mod:`keys.lifecycle` says how verifiers read them):

    - a current key is listed under ``authentication``, ``assertionMethod`` and
      ``capabilityInvocation``;
    - a retired key carries ``expires`` (its retirement time) and is listed under
      ``assertionMethod`` only, so credentials it signed before then still verify;
    - a compromised key carries ``revoked`` (when it was marked compromised) and is listed in
      no relationship: it stays in ``verificationMethod`` only so that verifiers can say why
      its signatures fail.

    Secret keys are never included. Raises :class:`InvalidDid` for a malformed DID and
    ``ValueError`` when two keys share a public key or a method id.
    """
    did_web_to_url(did)
    methods: list[dict[str, Any]] = []
    relationships: dict[str, list[str]] = {
        "authentication": [],
        "assertionMethod": [],
        "capabilityInvocation": [],
    }
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    for item in keys:
        key = item if isinstance(item, PublishedKey) else PublishedKey(item)
        method_id = method_id_for(did, key.keypair)
        multibase = key.keypair.public_key_multibase
        if method_id in seen_ids or multibase in seen_keys:
            raise ValueError(f"key {method_id} appears more than once")
        seen_ids.add(method_id)
        seen_keys.add(multibase)
        method: dict[str, Any] = {
            "id": method_id,
            "type": MULTIKEY_TYPE,
            "controller": did,
            "publicKeyMultibase": multibase,
        }
        if key.state is KeyLifecycle.CURRENT:
            for listed in relationships.values():
                listed.append(method_id)
        elif key.state is KeyLifecycle.RETIRED:
            assert key.since is not None
            method[EXPIRES] = format_time(key.since)
            relationships["assertionMethod"].append(method_id)
        else:
            assert key.since is not None
            method[REVOKED] = format_time(key.since)
        methods.append(method)
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        **relationships,
    }


def parse_did_document(did: str, raw: bytes) -> dict[str, Any]:
    """Parse a fetched DID document and check that it is ``did``'s.

    ``raw`` is read by the bounded JSON reader (``schemas.json_text``: at most
    :data:`MAX_DID_DOCUMENT_BYTES` bytes and :data:`MAX_DID_VALUES` values, nesting 64 deep).
    Raises :class:`DidResolutionError` with code ``did_document_invalid`` when ``raw`` is not a
    JSON object, its ``id`` is not ``did``, ``verificationMethod`` is not a list of objects or a
    verification relationship is not a list of ids and objects.
    """
    try:
        document = load_json(raw, max_bytes=MAX_DID_DOCUMENT_BYTES, max_nodes=MAX_DID_VALUES)
    except JsonInputError as exc:
        raise DidResolutionError(
            f"DID document of {did} is not usable JSON ({exc.code}: {exc.message})",
            code=DOCUMENT_INVALID,
        ) from None
    except TypeError:
        raise DidResolutionError(
            f"DID document of {did} is not valid JSON (TypeError)", code=DOCUMENT_INVALID
        ) from None
    if not isinstance(document, dict):
        raise DidResolutionError(
            f"DID document of {did} is not a JSON object", code=DOCUMENT_INVALID
        )
    if document.get("id") != did:
        raise DidResolutionError(
            f"DID document fetched for {did} names another DID", code=DOCUMENT_INVALID
        )
    methods = document.get("verificationMethod", [])
    if not isinstance(methods, list) or not all(isinstance(m, dict) for m in methods):
        raise DidResolutionError(
            f"verificationMethod of {did} is not a list of objects", code=DOCUMENT_INVALID
        )
    for relationship in _RELATIONSHIPS:
        entries = document.get(relationship, [])
        if not isinstance(entries, list) or not all(isinstance(e, str | dict) for e in entries):
            raise DidResolutionError(
                f"{relationship} of {did} is not a list of ids and objects", code=DOCUMENT_INVALID
            )
    return document


def resolve_did_web(did: str, fetch: Callable[[str], bytes]) -> dict[str, Any]:
    """Fetch and parse the DID document of a did:web DID.

    Raises :class:`InvalidDid` for a malformed DID; :class:`DidResolutionError` with the default
    code ``did_unresolved`` when ``fetch`` raises anything (a network failure: the caller reports
    the check as not done, not as forgery); and the errors of :func:`parse_did_document`.
    """
    url = did_web_to_url(did)
    try:
        raw = fetch(url)
    except Exception as exc:
        raise DidResolutionError(
            f"could not fetch the DID document of {did} from {url} ({type(exc).__name__})"
        ) from exc
    return parse_did_document(did, raw)
