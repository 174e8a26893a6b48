"""Partnerships, their member organisations and signing keys (specifications live in
``issuer.specifications``).

An organisation is identified either by a did:web under the issuer's own base URL
(``did:web:<host>:orgs:<partnership>:<organisation>``), whose DID document lists its current,
retired and compromised keys, or by a did:key (``Organisation.did_method``): the DID *is* its
one signing key (``did:key:z…``, verification method ``did:key:z…#z…``), for small issuers
without a web domain and for verifiers that resolve did:key only. A did:key organisation's key
can never be rotated (``key_rotation_impossible``): a new key is a new DID, so a new
organisation. Once its key is marked compromised it signs nothing more
(``organisation_key_compromised``). Secret keys are stored sealed with the key passphrase.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import DidMethod, KeyState, Organisation, Partnership, SigningKey, utcnow
from keys.did_key import keypair_with_did_key
from keys.did_web import PublishedKey
from keys.keypairs import Algorithm, KeyPair
from keys.keystore import open_keypair, seal_keypair
from schemas.elm.build import Organisation as OrganisationData

KEY_ROTATION_IMPOSSIBLE = "key_rotation_impossible"
ORGANISATION_KEY_COMPROMISED = "organisation_key_compromised"
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
COUNTRY = re.compile(r"^[A-Z]{3}$")


def did_web_base(base_url: str) -> str:
    """The did:web method-specific prefix for the issuer at ``base_url`` (port %3A-encoded)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port:
        host += f"%3A{parts.port}"
    path = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *path])


def organisation_did(base_url: str, partnership_slug: str, organisation_slug: str) -> str:
    """The did:web of an organisation: its DID document is served at
    ``<base>/orgs/<partnership>/<organisation>/did.json``."""
    return f"{did_web_base(base_url)}:orgs:{partnership_slug}:{organisation_slug}"


def _slug(value: Any, field: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise InvalidInput(
            f"{field} must be lower-case letters, digits and hyphens (1-64)",
            details={"field": field},
        )
    return value


def create_partnership(session: Session, slug: str, name: str) -> Partnership:
    """Create a partnership; ``Conflict`` if the slug is taken."""
    _slug(slug, "slug")
    if session.scalar(select(Partnership).where(Partnership.slug == slug)) is not None:
        raise Conflict(f"a partnership called {slug!r} exists already")
    partnership = Partnership(slug=slug, name=name)
    session.add(partnership)
    session.flush()
    return partnership


def add_organisation(
    session: Session,
    partnership: Partnership,
    *,
    slug: str,
    legal_name: str,
    country: str,
    country_label: str,
    base_url: str,
    passphrase: bytes,
    identifier: str | None = None,
    homepage: str | None = None,
    algorithm: Algorithm = Algorithm.ED25519,
    did_method: DidMethod = DidMethod.WEB,
) -> Organisation:
    """Add a member organisation with a first signing key of ``algorithm`` (sealed).

    With ``did_method`` web its DID is :func:`organisation_did`; with key its DID is the
    did:key of that first key (and stays so: the key cannot be rotated). ``InvalidInput`` for
    a malformed slug or country, ``Conflict`` if the slug is taken in the partnership."""
    _slug(slug, "slug")
    if not COUNTRY.match(country):
        raise InvalidInput(
            "country must be an ISO 3166-1 alpha-3 code such as DNK", details={"field": "country"}
        )
    did_method = DidMethod(did_method)
    taken = session.scalar(
        select(Organisation).where(
            Organisation.partnership_id == partnership.id, Organisation.slug == slug
        )
    )
    did = organisation_did(base_url, partnership.slug, slug)
    if taken is not None or (
        session.scalar(select(Organisation).where(Organisation.did == did)) is not None
    ):
        raise Conflict(f"organisation {slug!r} exists already in {partnership.slug!r}")
    keypair = None
    if did_method is DidMethod.KEY:
        keypair = keypair_with_did_key(KeyPair.generate(algorithm))
        assert keypair.controller is not None
        did = keypair.controller
    organisation = Organisation(
        partnership_id=partnership.id,
        slug=slug,
        legal_name=legal_name,
        country=country,
        country_label=country_label,
        identifier=identifier,
        homepage=homepage,
        did=did,
        did_method=did_method,
    )
    session.add(organisation)
    session.flush()
    if keypair is None:
        add_signing_key(session, organisation, passphrase=passphrase, algorithm=algorithm)
    else:
        _store_key(session, organisation, keypair, passphrase)
    return organisation


def is_did_key(organisation: Organisation) -> bool:
    """Whether ``organisation`` is identified by a did:key (its DID is its one key)."""
    return organisation.did_method is DidMethod.KEY


def add_signing_key(
    session: Session,
    organisation: Organisation,
    *,
    passphrase: bytes,
    algorithm: Algorithm = Algorithm.ED25519,
) -> SigningKey:
    """Generate a new current key for ``organisation``; earlier current keys become retired
    (they stay in the DID document, so credentials they signed still verify).

    ``Conflict`` (code ``key_rotation_impossible``) for a did:key organisation: its DID is its
    key, so it can have no other."""
    if is_did_key(organisation):
        raise Conflict(
            f"organisation {organisation.slug!r} is identified by a did:key, which is its key: "
            "the key cannot be rotated (add a new organisation for a new key)",
            code=KEY_ROTATION_IMPOSSIBLE,
        )
    number = len(organisation.keys) + 1
    method_id = f"{organisation.did}#key-{number}"
    keypair = KeyPair.generate(algorithm, id=method_id, controller=organisation.did)
    for key in organisation.keys:
        if key.state is KeyState.CURRENT:
            key.state = KeyState.RETIRED
            key.retired_at = utcnow()
    return _store_key(session, organisation, keypair, passphrase)


def _store_key(
    session: Session, organisation: Organisation, keypair: KeyPair, passphrase: bytes
) -> SigningKey:
    """Store ``keypair`` (named already) sealed as the organisation's current key."""
    assert keypair.id is not None
    signing_key = SigningKey(
        organisation_id=organisation.id,
        method_id=keypair.id,
        algorithm=keypair.algorithm.value,
        public_key_multibase=keypair.public_key_multibase,
        sealed_secret=seal_keypair(keypair, passphrase),
        state=KeyState.CURRENT,
    )
    session.add(signing_key)
    organisation.keys.append(signing_key)
    session.flush()
    return signing_key


def current_key(organisation: Organisation) -> SigningKey:
    """The organisation's current signing key; ``Conflict`` if it has none (code
    ``organisation_key_compromised`` for a did:key organisation whose key is compromised: it
    may sign nothing more)."""
    for key in reversed(organisation.keys):
        if key.state is KeyState.CURRENT:
            return key
    if is_did_key(organisation) and any(
        key.state is KeyState.COMPROMISED for key in organisation.keys
    ):
        raise Conflict(
            f"the did:key of organisation {organisation.slug!r} is marked compromised: it signs "
            "nothing more (no credentials, no status lists)",
            code=ORGANISATION_KEY_COMPROMISED,
        )
    raise Conflict(f"organisation {organisation.slug!r} has no current signing key")


def signing_keypair(organisation: Organisation, passphrase: bytes) -> KeyPair:
    """The organisation's current key pair, opened with ``passphrase``.

    Opening a sealed key stretches the passphrase (scrypt, ~0.1 s), so opened keys are kept in
    memory for the life of the process, keyed by the sealed form and the passphrase's hash: a
    rotated key or a changed passphrase never hits a stale entry.
    """
    sealed = current_key(organisation).sealed_secret
    fingerprint = hashlib.sha256(
        json.dumps(sealed, sort_keys=True).encode() + b"\0" + passphrase
    ).hexdigest()
    with _OPENED_LOCK:
        cached = _OPENED.get(fingerprint)
    if cached is not None:
        return cached
    keypair = open_keypair(sealed, passphrase)
    with _OPENED_LOCK:
        _OPENED[fingerprint] = keypair
        while len(_OPENED) > _OPENED_MAX:
            _OPENED.pop(next(iter(_OPENED)))
    return keypair


_OPENED: dict[str, KeyPair] = {}
_OPENED_LOCK = threading.Lock()
_OPENED_MAX = 256


def published_key(organisation: Organisation, key: SigningKey) -> PublishedKey:
    """``key`` as the organisation's DID document publishes it: current; retired with
    ``expires`` = ``retired_at``; compromised with ``revoked`` = ``compromised_at``.

    A retired or compromised key missing its time (no code path writes one) is published as of
    its creation, so it verifies nothing rather than everything.
    """
    pair = KeyPair.from_multikey({"publicKeyMultibase": key.public_key_multibase}).with_ids(
        key.method_id, organisation.did
    )
    if key.state is KeyState.COMPROMISED:
        return PublishedKey.compromised(pair, key.compromised_at or key.created_at)
    if key.state is KeyState.RETIRED:
        return PublishedKey.retired(pair, key.retired_at or key.created_at)
    return PublishedKey(pair)


def public_keypairs(organisation: Organisation) -> list[PublishedKey]:
    """The organisation's public keys with their lifecycle, for its DID document
    (``keys.did_web.build_did_document``): current keys first, then retired and compromised
    ones, each group oldest first."""
    keys = sorted(organisation.keys, key=lambda k: (k.state is not KeyState.CURRENT, k.id))
    return [published_key(organisation, key) for key in keys]


def organisation_data(organisation: Organisation) -> OrganisationData:
    """The organisation as the credential builder wants it."""
    return OrganisationData(
        id=organisation.did,
        legal_name=organisation.legal_name,
        country=organisation.country,
        country_label=organisation.country_label,
        homepage=organisation.homepage,
        identifier=organisation.identifier,
    )


def get_organisation(session: Session, partnership_id: int, slug: str) -> Organisation:
    """The partnership's organisation ``slug``; ``NotFound`` otherwise."""
    organisation = session.scalar(
        select(Organisation).where(
            Organisation.partnership_id == partnership_id, Organisation.slug == slug
        )
    )
    if organisation is None:
        raise NotFound(f"no organisation {slug!r} in this partnership")
    return organisation
