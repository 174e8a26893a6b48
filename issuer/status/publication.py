"""The signed Bitstring Status List credential of a status list, built once per change.

A list is published as a ``BitstringStatusListCredential`` (W3C Bitstring Status List v1.0,
§2.2), signed with the organisation's current key. Signing canonicalizes the document, which
is slow, so the signed JSON is cached on the list row (``signed_document``, with the list
``version`` it reflects in ``signed_version``) and rebuilt only when

- a bit changed (``set_status`` bumps ``version``), or
- the cached credential is half way through its validity period.

Choices (the specification leaves them to the issuer):

- ``validUntil`` = ``validFrom`` + :data:`VALIDITY` (one day). A status list without an end
  could be replayed for ever: a holder whose credential was revoked could "staple" a copy
  signed before the revocation. A list is re-signed once it is :data:`RESIGN_AFTER` old, so
  whatever is served has at least half its validity left — far longer than any cache keeps it.
- ``ttl`` = the ``STATUS_LIST_MAX_AGE`` setting (:data:`DEFAULT_MAX_AGE`, 10 s) in milliseconds,
  because the spec asks publishers to align HTTP caching with ``ttl``: the endpoint sends
  ``Cache-Control: max-age`` of the same, and the staff pages promise that verifiers see a
  status change within that many seconds (a verifier that honours HTTP caching does; ours
  caps ages further with ``MICROCRED_STATUS_MAX_AGE``). A list is rebuilt the moment its
  version changes, so the issuer itself adds no delay.
- The media type is ``application/vc`` (the VC 2.0 media type registered with IANA; the
  Recommendation names it for a credential secured with Data Integrity proofs). The earlier
  draft name ``application/vc+ld+json`` is not registered. It is what a client gets unless its
  ``Accept`` header prefers one of the other :data:`MEDIA_TYPES` (the same bytes under another
  name): JSON-LD document loaders such as Digital Bazaar's ``http-client`` ask for
  ``application/ld+json, application/json`` and parse only a type that names JSON.
- The entity tag is strong and names the list, its version and a digest of the exact bytes
  served, because a list is re-signed (new bytes) without a version change when its validity
  runs low; an id+version tag alone would then answer 304 for an expired copy.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from issuer.errors import NotFound
from issuer.models import StatusList, utcnow
from issuer.partnerships.services import signing_keypair
from issuer.status.lists import encode_list, set_indices, status_list_url
from keys.proof import add_proof, format_datetime
from schemas.elm.vocab import VC_V2

CONTEXT = [VC_V2]
CREDENTIAL_TYPE = "BitstringStatusListCredential"
SUBJECT_TYPE = "BitstringStatusList"
MEDIA_TYPE = "application/vc"
#: The media types the list is served under, by the client's ``Accept``, the default first.
MEDIA_TYPES = (MEDIA_TYPE, "application/vc+ld+json", "application/ld+json", "application/json")
DEFAULT_MAX_AGE = 10  # seconds (the STATUS_LIST_MAX_AGE setting): HTTP Cache-Control max-age,
# and the credential's ttl (in ms); a status change reaches verifiers within that time
VALIDITY = timedelta(days=1)
RESIGN_AFTER = VALIDITY / 2
CLOCK_SKEW = timedelta(minutes=5)  # another server's clock may run a little ahead of ours


def get_status_list(session: Session, list_id: int) -> StatusList:
    """The status list ``list_id``; ``NotFound`` (code ``unknown_status_list``) otherwise."""
    status_list = session.get(StatusList, list_id)
    if status_list is None:
        raise NotFound(f"no status list {list_id}", code="unknown_status_list")
    return status_list


def status_list_credential(
    session: Session,
    status_list: StatusList,
    *,
    base_url: str,
    now: datetime,
    max_age: int = DEFAULT_MAX_AGE,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` of ``status_list`` as of ``now``, its
    ``ttl`` ``max_age`` seconds."""
    url = status_list_url(base_url, status_list)
    return {
        "@context": list(CONTEXT),
        "id": url,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": status_list.organisation.did,
        "validFrom": format_datetime(now),
        "validUntil": format_datetime(now + VALIDITY),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": SUBJECT_TYPE,
            "statusPurpose": status_list.purpose.value,
            "encodedList": encode_list(set_indices(session, status_list), status_list.size),
            "ttl": max_age * 1000,
        },
    }


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def cache_is_fresh(status_list: StatusList, now: datetime, max_age: int = DEFAULT_MAX_AGE) -> bool:
    """True when the cached signed credential reflects the list's current version, was
    signed less than :data:`RESIGN_AFTER` ago (one signed further ahead than
    :data:`CLOCK_SKEW` counts as stale: it would not be valid yet) and states ``max_age`` as
    its ``ttl`` (a changed setting is published at once)."""
    if status_list.signed_document is None or status_list.signed_version != status_list.version:
        return False
    try:
        cached = json.loads(status_list.signed_document)
    except ValueError:
        return False
    if not isinstance(cached, dict) or not isinstance(cached.get("credentialSubject"), dict):
        return False
    if cached["credentialSubject"].get("ttl") != max_age * 1000:
        return False
    signed_at = _parse_time(cached.get("validFrom"))
    return signed_at is not None and signed_at - CLOCK_SKEW <= now < signed_at + RESIGN_AFTER


def signed_status_list(
    session: Session,
    status_list: StatusList,
    *,
    base_url: str,
    passphrase: bytes,
    now: datetime | None = None,
    max_age: int = DEFAULT_MAX_AGE,
) -> str:
    """The signed status list credential of ``status_list``, as JSON text.

    The cached one when it is fresh (:func:`cache_is_fresh`); otherwise a new one is built,
    signed with the organisation's current key, stored in the cache columns and flushed (the
    caller commits).
    """
    now = now or utcnow()
    if cache_is_fresh(status_list, now, max_age):
        assert status_list.signed_document is not None
        return status_list.signed_document
    # Read the version before the bits: a change committed in between makes the cache look
    # older than it is (and rebuilt once more), never newer.
    version = status_list.version
    unsigned = status_list_credential(
        session, status_list, base_url=base_url, now=now, max_age=max_age
    )
    keypair = signing_keypair(status_list.organisation, passphrase)
    signed = add_proof(unsigned, keypair, created=now)
    document = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    status_list.signed_document = document
    status_list.signed_version = version
    session.flush()
    return document


def entity_tag(status_list: StatusList, document: str) -> str:
    """The strong entity tag (unquoted) of ``document`` as served for ``status_list``."""
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()[:20]
    return f"{status_list.id}.{status_list.signed_version}.{digest}"
