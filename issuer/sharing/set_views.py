"""Set links: the public page and presentation of a learner's chosen set of credentials.

``GET /s/<token>`` answers people and machines from one URL, negotiated like a share link
(:mod:`issuer.sharing.web`): machines get the set as a ``VerifiablePresentation`` of the
credentials exactly as signed (``application/ld+json``; what the verifier's
``GET /verify?url=`` checks credential by credential), browsers a page listing each credential
(every value autoescaped) with the verifier link and QR code for the whole set. Either way it
counts as one open of the link (time only). A withdrawn or expired link is ``410 Gone``, an
unknown one ``404`` (JSON error codes for JSON clients, a short page for browsers).

``/s/<token>/qr.png`` and ``qr.svg`` encode the verifier's page for the set,
``{VERIFIER_BASE_URL}/verify?url=<urlencoded {ISSUER_BASE_URL}/s/<token>>``; they are not
opens. Every response carries ``Cache-Control: no-store``, ``X-Robots-Tag: noindex`` and
``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, render_template, url_for

from issuer import config
from issuer.api.spec import operation
from issuer.credentials.display import (
    badge,
    credential_languages,
    credential_summary,
    expiry_label,
)
from issuer.db import get_session
from issuer.errors import ApiError
from issuer.sharing.links import stored_document, verify_url
from issuer.sharing.qr import qr_png, qr_svg
from issuer.sharing.set_links import live_set_link, presentation, record_open, set_url
from issuer.sharing.web import JSONLD, qr_answer, unavailable, wants_json

bp = Blueprint("sets", __name__)


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _verify_url(token: str) -> str:
    return verify_url(config.verifier_url(), set_url(config.base_url(), token))


@bp.get("/s/<token>")
@operation(
    "getSharedSet",
    "public",
    {
        200: (None, "The set: HTML for people, a VerifiablePresentation for machines."),
        404: (None, "No such set link."),
        410: (None, "Withdrawn or expired (not the credentials)."),
    },
    role=None,
)
def show(token: str) -> Any:
    """The learner's shared set: a presentation of the signed credentials, or a page."""
    as_json = wants_json()
    session = get_session()
    try:
        link = live_set_link(session, token)
    except ApiError as error:
        return unavailable(error, as_json=as_json)
    record_open(session, link)
    session.commit()
    if as_json:
        body = json.dumps(presentation(link, base_url=config.base_url()), ensure_ascii=False)
        response = Response(body.encode("utf-8"), mimetype=JSONLD)
        response.headers["Content-Disposition"] = "inline"
        response.headers["Vary"] = "Accept"
        return response
    shared = [(c, stored_document(c)) for c in link.credentials]
    languages = credential_languages(*(document for _c, document in shared))
    items = [
        {
            "summary": credential_summary(document, language=languages.shown),
            "state": credential.state.value,
        }
        for credential, document in shared
    ]
    page = render_template(
        "share/set.html",
        items=items,
        languages=languages,
        badge=badge,
        share_expires_label=expiry_label(link.expires_at),
        set_url=set_url(config.base_url(), token),
        jsonld_url=url_for("sets.show", token=token, format="jsonld"),
        qr_svg_url=url_for("sets.qr_svg", token=token),
        qr_png_url=url_for("sets.qr_png", token=token),
        verify_url=_verify_url(token),
    )
    response = Response(page, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


def _qr(token: str, render: Any, mimetype: str) -> Any:
    return qr_answer(
        lambda: live_set_link(get_session(), token), lambda: _verify_url(token), render, mimetype
    )


@bp.get("/s/<token>/qr.png", endpoint="qr_png")
@operation(
    "getSetQrPng",
    "public",
    {
        200: (None, "PNG image of the verifier URL of the set."),
        404: (None, "No such set link."),
        410: (None, "Withdrawn or expired."),
    },
    role=None,
)
def qr_png_view(token: str) -> Any:
    """The QR code of the set's verifier URL, as PNG."""
    return _qr(token, qr_png, "image/png")


@bp.get("/s/<token>/qr.svg", endpoint="qr_svg")
@operation(
    "getSetQrSvg",
    "public",
    {
        200: (None, "SVG image of the verifier URL of the set."),
        404: (None, "No such set link."),
        410: (None, "Withdrawn or expired."),
    },
    role=None,
)
def qr_svg_view(token: str) -> Any:
    """The QR code of the set's verifier URL, as SVG."""
    return _qr(token, qr_svg, "image/svg+xml")
