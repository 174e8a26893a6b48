"""Share links: the public credential page, its QR codes and the learner's management API.

``GET /c/<token>`` answers people and machines from one URL. A client that prefers
``application/ld+json`` or ``application/json`` (Accept, negotiated against ``text/html``), sends no
Accept header at all, or asks ``?format=jsonld`` gets the signed credential exactly as stored;
``?download=1`` makes it an attachment ``<uuid>.jsonld``. Browsers get an HTML page built from the
stored JSON (every value autoescaped). A withdrawn or expired link is ``410 Gone``, an unknown one
``404``; both as JSON error codes for JSON clients and a short HTML page for browsers. Every
response of this blueprint carries ``Cache-Control: no-store``, ``X-Robots-Tag: noindex`` and
``Referrer-Policy: no-referrer``: it holds learner data and the token is the only key. The page's
facts come from ``issuer.credentials.display`` (the stored JSON, in the reader's language where the
credential has it).

``/c/<token>/certificate.pdf`` is a printable one-page A4 certificate that carries the signed
credential and the issuer's PAdES seal (``issuer.credentials.printout``), unavailable exactly
when the page is.

The QR codes (``/c/<token>/qr.png``, ``qr.svg``) encode the verifier's page for the link,
``{VERIFIER_BASE_URL}/verify?url=<urlencoded {ISSUER_BASE_URL}/c/<token>>``.

The learner manages links with the management token shown once at issuance (no account):
``/api/v1/learner/<manage_token>/share-links`` lists (GET) and creates (POST) links;
``…/share-links/<token>`` sets or clears the expiry (PATCH) and withdraws (DELETE, idempotent).
Staff with the issuer role may create a link for a credential of their partnership with
``POST /api/v1/credentials/<uuid>/share-links``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from sqlalchemy import select

from issuer import config
from issuer.api import schemas
from issuer.api.spec import operation
from issuer.auth.tokens import current_caller, ensure_caller_may_act_on, require
from issuer.credentials.display import (
    badge,
    credential_languages,
    credential_summary,
    expiry_label,
    long_date,
)
from issuer.credentials.issuance import get_credential
from issuer.credentials.printout import certificate_file
from issuer.db import get_session
from issuer.edge import json_body
from issuer.errors import ApiError, InvalidInput
from issuer.models import IssuedCredential, Role, ShareLink, utcnow
from issuer.partnerships.logos import logo_path
from issuer.sharing.links import (
    LEARNER_ACTOR,
    credential_link,
    iso_moment,
    learner_credential,
    learner_manage_url,
    link_state,
    live_link,
    new_share_link,
    parse_expiry,
    renew_learner_link,
    set_share_link_expiry,
    share_url,
    stored_document,
    verify_url,
    withdraw_share_link,
)
from issuer.sharing.qr import qr_png, qr_svg
from issuer.sharing.web import JSONLD, qr_answer, unavailable, wants_json

bp = Blueprint("share", __name__)


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- JSON shapes ------------------------------------------------------------------------------


def link_json(link: ShareLink) -> dict[str, Any]:
    """The API JSON of a share link, with its public URL, QR codes and verifier URL."""
    base = config.base_url()
    url = share_url(base, link.token)
    return {
        "token": link.token,
        "url": url,
        "qr": {"png": f"{url}/qr.png", "svg": f"{url}/qr.svg"},
        "verifyUrl": verify_url(config.verifier_url(), url),
        "createdAt": iso_moment(link.created_at),
        "expiresAt": iso_moment(link.expires_at),
        "withdrawnAt": iso_moment(link.withdrawn_at),
        "live": link_state(link) == "live",
    }


def _optional_expiry(data: Mapping[str, Any]) -> datetime | None:
    value = data.get("expiresAt")
    return None if value is None else parse_expiry(value)


# --- the credential page ---------------------------------------------------------------------


@bp.get("/c/<token>")
@operation(
    "getSharedCredential",
    "public",
    {
        200: (None, "The credential: HTML for people, signed JSON-LD for machines."),
        404: (None, "No such share link."),
        410: (None, "Withdrawn or expired (not the credential)."),
    },
    role=None,
)
def show(token: str) -> Any:
    """The shared credential: its signed JSON-LD, or an HTML page for people."""
    as_json = wants_json()
    try:
        link = live_link(get_session(), token)
    except ApiError as error:
        return unavailable(error, as_json=as_json)
    credential = link.credential
    if as_json:
        response = Response(credential.document.encode("utf-8"), mimetype=JSONLD)
        if request.args.get("download") == "1":
            filename = f"{credential.uuid}.jsonld"
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        else:
            response.headers["Content-Disposition"] = "inline"
        response.headers["Vary"] = "Accept"
        return response
    document = stored_document(credential)
    languages = credential_languages(document)
    summary = credential_summary(document, language=languages.shown)
    today = utcnow().date().isoformat()
    page = render_template(
        "share/credential.html",
        summary=summary,
        languages=languages,
        state=credential.state.value,
        credential_expired=summary.valid_until is not None and summary.valid_until < today,
        badge=badge,
        logos=_logo_paths(credential),
        long_date=long_date,
        share_expires=iso_moment(link.expires_at),
        share_expires_label=expiry_label(link.expires_at),
        share_url=share_url(config.base_url(), token),
        jsonld_url=url_for("share.show", token=token, format="jsonld"),
        download_url=url_for("share.show", token=token, download="1"),
        pdf_url=url_for("share.certificate", token=token),
        qr_png_url=url_for("share.qr_png", token=token),
        qr_svg_url=url_for("share.qr_svg", token=token),
        verify_url=_qr_data(token),
    )
    response = Response(page, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


def _logo_paths(credential: IssuedCredential) -> dict[str, str]:
    """The public logo path of each awarding body that has a logo, by its legal name (as the
    page's summary names it)."""
    paths = {}
    for body in credential.awarding_bodies:
        path = logo_path(body.partnership.slug, body)
        if path:
            paths[body.legal_name] = path
    return paths


@bp.get("/c/<token>/certificate.pdf", endpoint="certificate")
@operation(
    "getShareCertificatePdf",
    "public",
    {
        200: (None, "PDF certificate (an attachment)."),
        404: (None, "No such share link."),
        410: (None, "Withdrawn or expired."),
    },
    role=None,
)
def certificate_view(token: str) -> Any:
    """A printable one-page A4 certificate of the shared credential (``410``/``404`` like the
    page when the link is withdrawn, expired or unknown)."""
    try:
        link = live_link(get_session(), token)
    except ApiError as error:
        return unavailable(error, as_json=wants_json())
    credential = link.credential
    pdf = certificate_file(
        credential,
        share_url=share_url(config.base_url(), token),
        verify_url=_qr_data(token),
        passphrase=config.key_passphrase(),
    )
    response = Response(pdf, mimetype="application/pdf")
    filename = f"microcredential-{credential.uuid}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- QR codes ---------------------------------------------------------------------------------


def _qr_data(token: str) -> str:
    return verify_url(
        config.verifier_url(),
        share_url(config.base_url(), token),
    )


def _qr(token: str, render: Any, mimetype: str) -> Any:
    return qr_answer(
        lambda: live_link(get_session(), token), lambda: _qr_data(token), render, mimetype
    )


@bp.get("/c/<token>/qr.png", endpoint="qr_png")
@operation(
    "getShareQrPng",
    "public",
    {
        200: (None, "PNG image of the verifier URL."),
        404: (None, "No such share link."),
        410: (None, "Withdrawn or expired."),
    },
    role=None,
)
def qr_png_view(token: str) -> Any:
    """The QR code of the link's verifier URL, as PNG."""
    return _qr(token, qr_png, "image/png")


@bp.get("/c/<token>/qr.svg", endpoint="qr_svg")
@operation(
    "getShareQrSvg",
    "public",
    {
        200: (None, "SVG image of the verifier URL."),
        404: (None, "No such share link."),
        410: (None, "Withdrawn or expired."),
    },
    role=None,
)
def qr_svg_view(token: str) -> Any:
    """The QR code of the link's verifier URL, as SVG."""
    return _qr(token, qr_svg, "image/svg+xml")


# --- the learner's management API -------------------------------------------------------------

LEARNER_LINKS = "/api/v1/learner/<manage_token>/share-links"


@bp.get(LEARNER_LINKS)
@operation(
    "listShareLinks",
    "share links",
    {200: schemas.ShareLinkList, 404: schemas.ErrorResponse},
    role=None,
)
def learner_links(manage_token: str) -> Any:
    """The learner's share links of their credential."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    links = session.scalars(
        select(ShareLink).where(ShareLink.credential_id == credential.id).order_by(ShareLink.id)
    )
    return {
        "credential": {"id": credential.credential_uri, "state": credential.state.value},
        "shareLinks": [link_json(link) for link in links],
    }


@bp.post(LEARNER_LINKS)
@operation(
    "createShareLink",
    "share links",
    {
        201: schemas.ShareLink,
        404: schemas.ErrorResponse,
        409: schemas.ErrorResponse,
        422: schemas.ErrorResponse,
    },
    role=None,
    json=schemas.ShareLinkExpiry,
)
def learner_create_link(manage_token: str) -> Any:
    """A new share link, optionally expiring (``{"expiresAt": ISO date-time}``) → 201."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    expires_at = _optional_expiry(json_body(allow_empty=True))
    link = new_share_link(session, credential, actor=LEARNER_ACTOR, expires_at=expires_at)
    session.commit()
    body = link_json(link)
    return body, 201, {"Location": body["url"]}


@bp.patch(f"{LEARNER_LINKS}/<token>")
@operation(
    "updateShareLink",
    "share links",
    {
        200: schemas.ShareLink,
        404: schemas.ErrorResponse,
        409: schemas.ErrorResponse,
        422: schemas.ErrorResponse,
    },
    role=None,
    json=schemas.ShareLinkExpiry,
)
def learner_set_expiry(manage_token: str, token: str) -> Any:
    """Set ``{"expiresAt": ISO date-time}`` or clear ``{"expiresAt": null}`` a link's expiry."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    link = credential_link(session, credential, token)
    data = json_body(allow_empty=True)
    if "expiresAt" not in data:
        raise InvalidInput(
            "send expiresAt (an ISO date-time, or null for no expiry)",
            details={"field": "expiresAt"},
        )
    set_share_link_expiry(session, credential, link, _optional_expiry(data), actor=LEARNER_ACTOR)
    session.commit()
    return link_json(link)


@bp.delete(f"{LEARNER_LINKS}/<token>")
@operation(
    "withdrawShareLink",
    "share links",
    {204: (None, "Withdrawn (again: still 204)."), 404: schemas.ErrorResponse},
    role=None,
)
def learner_withdraw(manage_token: str, token: str) -> Any:
    """Withdraw a share link → 204 (again → 204)."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    link = credential_link(session, credential, token)
    withdraw_share_link(session, credential, link, actor=LEARNER_ACTOR)
    session.commit()
    return Response(status=204)


# --- staff ------------------------------------------------------------------------------------


@bp.post("/api/v1/credentials/<credential_uuid>/share-links")
@operation(
    "createShareLinkForCredential",
    "share links",
    {
        201: schemas.ShareLink,
        404: schemas.ErrorResponse,
        409: schemas.ErrorResponse,
        422: schemas.ErrorResponse,
    },
    role="issuer",
    json=schemas.ShareLinkExpiry,
)
@require(Role.ISSUER)
def staff_create_link(credential_uuid: str) -> Any:
    """A new share link for a credential of the caller's partnership → 201."""
    caller = current_caller()
    session = get_session()
    credential = get_credential(session, caller.partnership_id, credential_uuid)
    ensure_caller_may_act_on(credential)  # 403 on another member's credential
    expires_at = _optional_expiry(json_body(allow_empty=True))
    link = new_share_link(session, credential, actor=caller.actor, expires_at=expires_at)
    session.commit()
    body = link_json(link)
    return body, 201, {"Location": body["url"]}


@bp.post("/api/v1/credentials/<credential_uuid>/learner-link")
@operation(
    "renewLearnerLink",
    "share links",
    {201: schemas.LearnerLink, 404: schemas.ErrorResponse},
    role="issuer",
)
@require(Role.ISSUER)
def staff_renew_learner_link(credential_uuid: str) -> Any:
    """A new management link for the credential's learner → 201 ``{"learnerManageUrl"}``.

    Only a hash of the management token is stored, so a learner whose link was lost (or who was
    issued a credential in a bulk job, where no link is shown) gets a new one; the old one stops
    working. Audited as ``learner_link_renewed``.
    """
    caller = current_caller()
    session = get_session()
    credential = get_credential(session, caller.partnership_id, credential_uuid)
    ensure_caller_may_act_on(credential)  # 403 on another member's credential
    token = renew_learner_link(
        session, credential, actor=caller.actor, organisation_id=caller.organisation_id
    )
    session.commit()
    url = learner_manage_url(config.base_url(), token)
    return {"learnerManageUrl": url, "manageToken": token}, 201
