"""DID documents: each organisation's did:web, and the issuer host's own; beside an
organisation's document, its logo (``/orgs/<partnership>/<organisation>/logo``, public, cached).

An organisation's DID is ``did:web:<host>:orgs:<partnership>:<organisation>`` (see
``partnerships.organisation_did``); by the did:web "Read" steps its document lives at
``https://<host>/orgs/<partnership>/<organisation>/did.json``, which is what this blueprint
serves: the current key, every retired one (with ``expires``: credentials signed before a key
rotation still verify) and every compromised one (with ``revoked``, in no relationship: nothing
it signed verifies) — see ``keys.did_web.build_did_document``.

An organisation identified by a did:key (``Organisation.did_method`` key) has no document
here: a did:key's document is derived from the key by whoever resolves it, so its path answers
404 ``not_did_web``. It is still listed in the issuer host's document (its endpoint is its
did:key).

The issuer host itself is ``did:web:<host>`` (``/.well-known/did.json``). It has no keys; its
``service`` list names every member organisation so that a verifier can discover them. DID Core
leaves service types open (it only asks that they be registered for interoperability, and none
fits), so each entry is::

    {"id": "<host DID>#orgs:<partnership>:<organisation>",
     "type": "MemberOrganisation",
     "serviceEndpoint": "<the organisation's DID>"}

The fragment mirrors the organisation's DID path (slugs have no ``:``, so ids never collide), and
the endpoint is a DID (a URI, as DID Core requires), which the verifier resolves as usual. When
``ISSUER_BASE_URL`` has a path (``https://host/issuer``) the issuer's DID is
``did:web:host:issuer`` and its document is served at ``<base>/did.json`` instead.

Representation: ``application/did+json`` (DID Core's JSON media type) unless the client asks for
``application/json`` more than for it; ``Cache-Control: public, max-age=300`` (a rotation is seen
within five minutes); ``Access-Control-Allow-Origin: *`` (public documents, for browser-based
verifiers).

Local development: did:web always resolves over **https**. With ``ISSUER_BASE_URL`` of
``http://localhost:5000`` the organisations' DIDs are ``did:web:localhost%3A5000:orgs:…`` and a
resolver fetches ``https://localhost:5000/orgs/…/did.json`` — put the dev server behind a TLS
proxy, or give the verifier a fetcher that maps ``https://localhost:5000`` to the plain-http dev
server. Nothing here serves or assumes http.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from issuer import config
from issuer.api import schemas
from issuer.api.spec import operation
from issuer.db import get_session
from issuer.errors import NotFound
from issuer.models import Organisation, Partnership
from issuer.partnerships import logos
from issuer.partnerships.services import did_web_base, is_did_key, public_keypairs
from keys.did_key import DID_CONTEXT
from keys.did_web import build_did_document

bp = Blueprint("dids", __name__)

DID_JSON = "application/did+json"
CACHE_CONTROL = "public, max-age=300"
SERVICE_TYPE = "MemberOrganisation"
UNKNOWN_ORGANISATION = "unknown_organisation"
NOT_DID_WEB = "not_did_web"


def _document_response(document: dict[str, Any]) -> Response:
    mimetype = request.accept_mimetypes.best_match([DID_JSON, "application/json"]) or DID_JSON
    body = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    return response


def organisation_document(organisation: Organisation) -> dict[str, Any]:
    """The DID document of ``organisation``: current, retired and compromised keys."""
    return build_did_document(organisation.did, public_keypairs(organisation))


def issuer_did(base_url: str) -> str:
    """The issuer host's own DID: ``did:web:<host>`` (plus the base URL's path, if any)."""
    return did_web_base(base_url)


def issuer_document(organisations: list[Organisation], base_url: str) -> dict[str, Any]:
    """The issuer host's DID document: no keys, one ``service`` per member organisation."""
    did = issuer_did(base_url)
    return {
        "@context": [DID_CONTEXT],
        "id": did,
        "service": [
            {
                "id": f"{did}#orgs:{organisation.partnership.slug}:{organisation.slug}",
                "type": SERVICE_TYPE,
                "serviceEndpoint": organisation.did,
            }
            for organisation in organisations
        ],
    }


@bp.get("/orgs/<partnership>/<organisation>/did.json")
@operation(
    "getOrganisationDidDocument",
    "public",
    {
        200: (schemas.DidDocument, "The DID document: current, retired and compromised keys."),
        404: schemas.ErrorResponse,
    },
    role=None,
)
def organisation_did_document(partnership: str, organisation: str) -> Response:
    """The DID document of one did:web organisation; 404 ``unknown_organisation`` otherwise,
    404 ``not_did_web`` for a did:key organisation (its document is derived from its key)."""
    found = get_session().scalar(
        select(Organisation)
        .join(Partnership, Organisation.partnership_id == Partnership.id)
        .where(Partnership.slug == partnership, Organisation.slug == organisation)
        .options(selectinload(Organisation.keys))
    )
    if found is None:
        raise NotFound("no such organisation", code=UNKNOWN_ORGANISATION)
    if is_did_key(found):
        raise NotFound(
            f"this organisation is {found.did}: a did:key's document is derived from its key, "
            "not served",
            code=NOT_DID_WEB,
        )
    return _document_response(organisation_document(found))


def _issuer_document_response(*, with_path: bool) -> Response:
    base_url = config.base_url()
    if bool(urlsplit(base_url).path.strip("/")) is not with_path:
        raise NotFound("the issuer's DID document is not served here", code="unknown_did")
    organisations = list(
        get_session().scalars(
            select(Organisation)
            .join(Partnership, Organisation.partnership_id == Partnership.id)
            .options(selectinload(Organisation.partnership))
            .order_by(Partnership.slug, Organisation.slug)
        )
    )
    return _document_response(issuer_document(organisations, base_url))


@bp.get("/.well-known/did.json")
@operation(
    "getIssuerDidDocument",
    "public",
    {200: (schemas.DidDocument, "The DID document."), 404: schemas.ErrorResponse},
    role=None,
)
def host_did_document() -> Response:
    """The issuer host's DID document (``did:web:<host>``), listing member organisations."""
    return _issuer_document_response(with_path=False)


@bp.get("/did.json")
@operation(
    "getIssuerDidDocumentAtPath",
    "public",
    {200: (schemas.DidDocument, "The DID document."), 404: schemas.ErrorResponse},
    role=None,
)
def base_path_did_document() -> Response:
    """The issuer's DID document when ``ISSUER_BASE_URL`` has a path (``did:web:<host>:<path>``)."""
    return _issuer_document_response(with_path=True)


@bp.get("/orgs/<partnership>/<organisation>/logo")
@operation(
    "getOrganisationLogo",
    "public",
    {
        200: (None, "The organisation's logo (PNG or JPEG), cacheable, with an ETag."),
        304: (None, "Not modified since the ETag the request names."),
        404: schemas.ErrorResponse,
    },
    role=None,
)
def organisation_logo(partnership: str, organisation: str) -> Response:
    """An organisation's uploaded logo as stored (re-encoded by ``issuer.partnerships.logos``);
    public and cacheable (``Cache-Control: public``, an ETag, 304 when it matches); 404
    ``no_logo`` when the organisation has none, ``unknown_organisation`` when there is no such
    organisation."""
    found = get_session().scalar(
        select(Organisation)
        .join(Partnership, Organisation.partnership_id == Partnership.id)
        .where(Partnership.slug == partnership, Organisation.slug == organisation)
        .options(undefer(Organisation.logo))
    )
    if found is None:
        raise NotFound("no such organisation", code=UNKNOWN_ORGANISATION)
    if found.logo is None or found.logo_type is None:
        raise NotFound("this organisation has no logo", code="no_logo")
    response = Response(found.logo, mimetype=found.logo_type)
    response.set_etag(hashlib.sha256(found.logo).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = logos.CACHE_SECONDS
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.make_conditional(request)  # 304 (body dropped) when the ETag matches
    return response
