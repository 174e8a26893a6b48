"""The public status list endpoint: ``GET /status/<id>`` → the signed status list credential.

No authentication: verifiers anywhere fetch it (the spec asks issuers to publish lists so they can
be cached without tracking who reads them). The answer is cacheable for ``STATUS_LIST_MAX_AGE``
seconds (:func:`issuer.config.status_list_max_age`) by anyone, carries a strong ``ETag`` and answers
``304 Not Modified`` to a matching ``If-None-Match`` (with the same ``Cache-Control``, so a
revalidated copy is again good for that long); it is readable cross-origin
(``Access-Control-Allow-Origin: *``) so browser wallets and verifiers can fetch it. The media type
and the caching choices are explained in :mod:`issuer.status.publication`: ``application/vc``
unless the ``Accept`` header prefers ``application/ld+json`` or ``application/json`` (the same
bytes; ``Vary: Accept``, and an entity tag per media type).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from issuer import config
from issuer.api import schemas
from issuer.api.spec import operation
from issuer.db import get_session
from issuer.status.publication import (
    MEDIA_TYPE,
    MEDIA_TYPES,
    entity_tag,
    get_status_list,
    signed_status_list,
)

bp = Blueprint("status", __name__)


@bp.get("/status/<dbint:list_id>")
@operation(
    "getStatusList",
    "public",
    {
        200: (None, "The signed BitstringStatusListCredential (cacheable; ETag)."),
        304: (None, "Not modified (If-None-Match)."),
        404: schemas.ErrorResponse,
    },
    role=None,
)
def status_list_credential(list_id: int) -> Response:
    """The signed ``BitstringStatusListCredential`` of list ``list_id``."""
    session = get_session()
    status_list = get_status_list(session, list_id)
    max_age = config.status_list_max_age()
    document = signed_status_list(
        session,
        status_list,
        base_url=config.base_url(),
        passphrase=config.key_passphrase(),
        max_age=max_age,
    )
    session.commit()  # keeps a rebuilt credential for the next request (a no-op otherwise)
    media_type = request.accept_mimetypes.best_match(MEDIA_TYPES, default=MEDIA_TYPE)
    response = current_app.response_class(document, mimetype=media_type)
    tag = entity_tag(status_list, document)
    response.set_etag(tag if media_type == MEDIA_TYPE else f"{tag}.{MEDIA_TYPES.index(media_type)}")
    response.vary.add("Accept")
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    response.make_conditional(request)  # 304 when If-None-Match names this ETag
    return response
