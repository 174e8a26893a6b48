"""The W3C Verifiable Credentials data model rules (VC 1.1 and 2.0), one place for both apps.

:func:`check_credential` lists every :class:`Problem` of a credential (a path in the document's
own keys joined by ``/``, a stable code, a message). The version is read from the first
``@context``: ``https://www.w3.org/2018/credentials/v1`` (VC 1.1) or
``https://www.w3.org/ns/credentials/v2`` (VC 2.0). The issuer's VC API refuses a credential with
any problem before signing; the verifier's ``format`` check reports them. These rules look at the
JSON only; what JSON-LD says (pinned contexts, undefined terms, redefined terms) is
:mod:`schemas.jsonld`'s.

Rules (each once):

- ``@context``: present, its first entry the VC v1 or v2 context (``invalid_context``);
- ``type``: a string or a list of strings including ``VerifiableCredential`` (``invalid_type``);
- ``id`` of the credential, of each subject, of the issuer and of every typed object: when
  present, one string that is a URL (scheme and no white space) (``invalid_id``);
- ``issuer``: present; a URL or an object whose ``id`` is a URL (``invalid_issuer``);
- ``credentialSubject``: an object or a non-empty list of objects, each with at least one claim
  (``invalid_subject``);
- ``validFrom`` / ``validUntil`` (2.0), ``issuanceDate`` / ``expirationDate`` (1.1): XSD
  date-time stamps (with a time zone in 2.0) (``invalid_date``); the end not before the start
  (``invalid_validity_period``);
- ``credentialStatus``, ``credentialSchema``, ``refreshService``, ``termsOfUse``, ``evidence``:
  an object or a list of objects, each with a ``type`` (a string or list of strings);
  ``credentialSchema`` also with an ``id`` (``invalid_typed_object``);
- ``relatedResource`` (2.0): objects, each with a URL ``id`` unique among them and a well-formed
  ``digestSRI`` or ``digestMultibase`` (``invalid_related_resource``); a digest of a resource
  whose digest is published (:data:`PUBLISHED_DIGESTS`: the base context, which VC 2.0 says to
  treat as already retrieved) must match it (``related_resource_digest_mismatch``). Nothing is
  fetched: a digest of any other resource, or by an algorithm with no published value, is
  checked for its form only;
- ``name`` / ``description`` of the credential and of an issuer object (2.0): a string, a
  language value object (``@value`` with optional ``@language`` / ``@direction`` and nothing
  else) or a list of them (``invalid_language_value``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import base58

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"

#: Members whose value is one or more objects that must carry a ``type``.
TYPED_MEMBERS = ("credentialStatus", "credentialSchema", "refreshService", "termsOfUse", "evidence")

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_DATE_TIME = re.compile(
    r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(?P<zone>Z|[+-]\d{2}:\d{2})?$"
)
_SRI = re.compile(r"^(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}$")
_MULTIBASE = re.compile(r"^(u[A-Za-z0-9_-]+|z[1-9A-HJ-NP-Za-km-z]+|m[A-Za-z0-9+/]+={0,2})$")
#: Published digests of related resources, by URL and algorithm. VC 2.0 (§B.1, "Base
#: Context"): implementations MUST treat the base context as already retrieved, and the
#: Recommendation gives its SHA2-256 digest. (Our pinned copy of that context is our own
#: serialization, so its bytes are not the published file's: the published value is what counts.)
PUBLISHED_DIGESTS: dict[str, dict[str, bytes]] = {
    VC_V2: {
        "sha256": bytes.fromhex(
            "24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9"
        )
    },
}
#: Multihash codes of the digests a related resource may carry, and their lengths.
_MULTIHASH = {0x12: ("sha256", 32), 0x20: ("sha384", 48), 0x13: ("sha512", 64)}
_BY_LENGTH = {length: name for name, length in _MULTIHASH.values()}
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_LANGUAGE_MEMBERS = frozenset({"@value", "@language", "@direction"})


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (``path``, ``""`` for the whole document), a stable ``code``, and
    a message for people."""

    path: str
    code: str
    message: str


def vc_version(document: Mapping[str, Any]) -> str | None:
    """``"1.1"`` or ``"2.0"`` from the first ``@context``; ``None`` when it is neither."""
    context = document.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    return {VC_V1: "1.1", VC_V2: "2.0"}.get(first) if isinstance(first, str) else None


def is_url(value: Any) -> bool:
    """True for a string with a scheme and no white space (what VC calls a URL)."""
    return isinstance(value, str) and _URL.match(value) is not None


def parse_date_time(value: Any, *, zone_required: bool) -> datetime | None:
    """The moment an XSD ``dateTime`` (``dateTimeStamp`` with ``zone_required``) names, or
    ``None`` when ``value`` is not one. A moment without a zone is read as UTC."""
    if not isinstance(value, str):
        return None
    match = _DATE_TIME.match(value)
    if match is None or (zone_required and not match.group("zone")):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def check_credential(document: Any) -> list[Problem]:
    """Every VC data-model problem of ``document`` (VC 1.1 or 2.0 per its ``@context``), in
    document order of the rules above; an empty list for a conforming credential."""
    if not isinstance(document, Mapping):
        return [Problem("", "invalid_credential", "a credential is a JSON object")]
    version = vc_version(document)
    if version is None:
        return [
            Problem("@context", "invalid_context", f"the first @context must be {VC_V1} or {VC_V2}")
        ]
    problems = list(_problems(document, version))
    return problems


def _problems(document: Mapping[str, Any], version: str) -> Iterator[Problem]:
    yield from _type(document)
    if "id" in document:
        yield from _id(document["id"], "id")
    yield from _issuer(document, version)
    yield from _subjects(document.get("credentialSubject"))
    yield from _validity(document, version)
    for member in TYPED_MEMBERS:
        if member in document:
            yield from _typed(document[member], member, need_id=member == "credentialSchema")
    if version == "2.0":
        if "relatedResource" in document:
            yield from _related(document["relatedResource"])
        for member in ("name", "description"):
            if member in document:
                yield from _language_value(document[member], member)


def _type(document: Mapping[str, Any]) -> Iterator[Problem]:
    types = document.get("type")
    values = types if isinstance(types, list) else [types]
    if not all(isinstance(t, str) for t in values):
        yield Problem("type", "invalid_type", "type must be a string or a list of strings")
    elif "VerifiableCredential" not in values:
        yield Problem("type", "invalid_type", "type must include VerifiableCredential")


def _id(value: Any, path: str) -> Iterator[Problem]:
    if not is_url(value):
        yield Problem(path, "invalid_id", f"{path} must be one URL, not {value!r}")


def _issuer(document: Mapping[str, Any], version: str) -> Iterator[Problem]:
    if "issuer" not in document:
        yield Problem("issuer", "invalid_issuer", "a credential must have an issuer")
        return
    issuer = document["issuer"]
    if isinstance(issuer, Mapping):
        if not is_url(issuer.get("id")):
            yield Problem("issuer/id", "invalid_issuer", "the issuer object's id must be a URL")
        if version == "2.0":
            for member in ("name", "description"):
                if member in issuer:
                    yield from _language_value(issuer[member], f"issuer/{member}")
    elif not is_url(issuer):
        yield Problem("issuer", "invalid_issuer", "issuer must be a URL or an object with an id")


def _subjects(subject: Any) -> Iterator[Problem]:
    if subject is None:
        yield Problem("credentialSubject", "invalid_subject", "a credential needs a subject")
        return
    many = isinstance(subject, list)
    subjects = subject if many else [subject]
    if not subjects:
        yield Problem("credentialSubject", "invalid_subject", "credentialSubject is empty")
    for index, item in enumerate(subjects):
        path = f"credentialSubject/{index}" if many else "credentialSubject"
        if not isinstance(item, Mapping) or not item:
            yield Problem(path, "invalid_subject", "each subject is an object with a claim")
        elif "id" in item:
            yield from _id(item["id"], f"{path}/id")


def _validity(document: Mapping[str, Any], version: str) -> Iterator[Problem]:
    start, end = (
        ("validFrom", "validUntil") if version == "2.0" else ("issuanceDate", "expirationDate")
    )
    moments: dict[str, datetime] = {}
    for member in (start, end):
        if member not in document:
            continue
        moment = parse_date_time(document[member], zone_required=version == "2.0")
        if moment is None:
            kind = "an XSD dateTimeStamp" if version == "2.0" else "an XSD dateTime"
            yield Problem(member, "invalid_date", f"{member} must be {kind}")
        else:
            moments[member] = moment
    if start in moments and end in moments and moments[end] < moments[start]:
        yield Problem(end, "invalid_validity_period", f"{end} is before {start}")


def _typed(value: Any, member: str, *, need_id: bool) -> Iterator[Problem]:
    many = isinstance(value, list)
    items = value if many else [value]
    if not items:
        yield Problem(member, "invalid_typed_object", f"{member} is empty")
    for index, item in enumerate(items):
        path = f"{member}/{index}" if many else member
        if not isinstance(item, Mapping):
            yield Problem(path, "invalid_typed_object", f"{member} must be an object")
            continue
        types = item.get("type")
        type_list = types if isinstance(types, list) else [types]
        if not type_list or not all(isinstance(t, str) and t for t in type_list):
            yield Problem(f"{path}/type", "invalid_typed_object", f"{member} needs a type")
        if "id" in item:
            yield from _id(item["id"], f"{path}/id")
        elif need_id:
            yield Problem(f"{path}/id", "invalid_typed_object", f"{member} needs an id")


def _related(value: Any) -> Iterator[Problem]:
    many = isinstance(value, list)
    items = value if many else [value]
    if not items:
        yield Problem("relatedResource", "invalid_related_resource", "relatedResource is empty")
    seen: set[str] = set()
    code = "invalid_related_resource"
    for index, item in enumerate(items):
        path = f"relatedResource/{index}" if many else "relatedResource"
        if not isinstance(item, Mapping):
            yield Problem(path, code, "each related resource is an object")
            continue
        resource = item.get("id")
        if not is_url(resource):
            yield Problem(f"{path}/id", code, "a related resource needs a URL id")
        elif resource in seen:
            yield Problem(f"{path}/id", code, f"{resource} is named twice")
        else:
            seen.add(resource)
        sri, multibase = item.get("digestSRI"), item.get("digestMultibase")
        if sri is None and multibase is None:
            yield Problem(path, code, "a related resource needs digestSRI or digestMultibase")
        if sri is not None and not (isinstance(sri, str) and _SRI.match(sri)):
            yield Problem(f"{path}/digestSRI", code, "digestSRI is not a subresource digest")
        if multibase is not None and not (
            isinstance(multibase, str) and _MULTIBASE.match(multibase)
        ):
            yield Problem(f"{path}/digestMultibase", code, "digestMultibase is not multibase")
        yield from _published_digest(resource, path, "digestSRI", sri, _sri_digest)
        yield from _published_digest(resource, path, "digestMultibase", multibase, _mb_digest)
        if "mediaType" in item and not isinstance(item["mediaType"], str):
            yield Problem(f"{path}/mediaType", code, "mediaType must be a string")


def _published_digest(
    resource: Any,
    path: str,
    member: str,
    value: Any,
    decode: Any,
) -> Iterator[Problem]:
    """A problem when ``value`` (a well-formed digest) is of a resource with a published digest
    by the same algorithm and differs from it."""
    published = PUBLISHED_DIGESTS.get(resource) if isinstance(resource, str) else None
    if not published or not isinstance(value, str):
        return
    found = decode(value)
    if found is None:
        return
    algorithm, digest = found
    expected = published.get(algorithm)
    if expected is not None and digest != expected:
        yield Problem(
            f"{path}/{member}",
            "related_resource_digest_mismatch",
            f"the {algorithm} digest of {resource} does not match its published digest",
        )


def _sri_digest(value: str) -> tuple[str, bytes] | None:
    """``(algorithm, digest)`` of a well-formed subresource-integrity value, else None."""
    if not _SRI.match(value):
        return None
    algorithm, _, encoded = value.partition("-")
    try:
        return algorithm, base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _mb_digest(value: str) -> tuple[str, bytes] | None:
    """``(algorithm, digest)`` of a multibase digest: a multihash (SHA-256/384/512), or a bare
    digest whose length names the algorithm; None when it is neither."""
    if not _MULTIBASE.match(value):
        return None
    prefix, encoded = value[0], value[1:]
    try:
        if prefix == "u":
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        elif prefix == "m":
            raw = base64.b64decode(encoded, validate=True)
        else:
            raw = base58.b58decode(encoded)
    except (binascii.Error, ValueError):
        return None
    if len(raw) >= 2 and raw[0] in _MULTIHASH and raw[1] == _MULTIHASH[raw[0]][1] == len(raw) - 2:
        return _MULTIHASH[raw[0]][0], raw[2:]
    name = _BY_LENGTH.get(len(raw))
    return (name, raw) if name else None


def _language_value(value: Any, path: str) -> Iterator[Problem]:
    many = isinstance(value, list)
    items = value if many else [value]
    code = "invalid_language_value"
    for index, item in enumerate(items):
        where = f"{path}/{index}" if many else path
        if isinstance(item, str):
            continue
        if not isinstance(item, Mapping) or not isinstance(item.get("@value"), str):
            yield Problem(where, code, f"{path} must be a string or a language value object")
            continue
        extra = sorted(set(item) - _LANGUAGE_MEMBERS)
        if extra:
            yield Problem(where, code, f"a language value object may not have {', '.join(extra)}")
        language = item.get("@language")
        if language is not None and not (isinstance(language, str) and _LANGUAGE.match(language)):
            yield Problem(f"{where}/@language", code, "@language is not a language tag")
        if item.get("@direction", "ltr") not in ("ltr", "rtl"):
            yield Problem(f"{where}/@direction", code, "@direction must be ltr or rtl")
