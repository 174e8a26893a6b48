"""Share links: the public credential page, its QR codes and the learner's management API.

``GET /c/<token>`` answers people and machines from one URL. A client that prefers
``application/ld+json`` or ``application/json`` (Accept, negotiated against ``text/html``),
sends no Accept header at all, or asks ``?format=jsonld`` gets the signed credential exactly
as stored; ``?download=1`` makes it an attachment ``<uuid>.jsonld``. Browsers get an HTML page
built from the stored JSON (every value autoescaped). A withdrawn or expired link is
``410 Gone``, an unknown one ``404``; both as JSON error codes for JSON clients and a short HTML
page for browsers. Every response of this blueprint carries ``Cache-Control: no-store``,
``X-Robots-Tag: noindex`` and ``Referrer-Policy: no-referrer``: it holds learner data and the
token is the only key. The page's facts come from ``issuer.display`` (the stored JSON, in the
reader's language where the credential has it).

``/c/<token>/certificate.pdf`` is a printable one-page A4 certificate (``issuer.certificate``),
unavailable exactly when the page is.

The QR codes (``/c/<token>/qr.png``, ``qr.svg``) encode the verifier's page for the link,
``{VERIFIER_BASE_URL}/verify?url=<urlencoded {ISSUER_BASE_URL}/c/<token>>``.

The learner manages links with the management token shown once at issuance (no account):
``/api/v1/learner/<manage_token>/share-links`` lists (GET) and creates (POST) links;
``…/share-links/<token>`` sets or clears the expiry (PATCH) and withdraws (DELETE, idempotent).
Staff with the issuer role may create a link for a credential of their partnership with
``POST /api/v1/credentials/<uuid>/share-links``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import qrcode
import qrcode.constants
from flask import Blueprint, Response, current_app, render_template, request, url_for
from qrcode.image.svg import SvgPathFillImage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.auth import current_caller, ensure_caller_may_act_on, require
from issuer.certificate import certificate_pdf
from issuer.db import get_session
from issuer.display import badge, credential_summary, expiry_label, locale_name, long_date
from issuer.edge import json_body
from issuer.errors import ApiError, Conflict, InvalidInput, NotFound
from issuer.issuance import get_credential
from issuer.models import AuditEvent, IssuedCredential, Role, ShareLink, utcnow
from issuer.share import (
    create_share_link,
    hash_manage_token,
    link_state,
    new_token,
    parse_expiry,
    share_url,
    verify_url,
)
from schemas.elm.build import xsd_datetime

bp = Blueprint("share", __name__)

JSONLD = "application/ld+json"
JSON_TYPES = (JSONLD, "application/json")
LEARNER_ACTOR = "learner"
MAX_LINKS_PER_CREDENTIAL = 100  # a management token cannot fill the table
MAX_TOKEN_LENGTH = 64


class Gone(ApiError):
    """The share link existed but is withdrawn or expired."""

    status = 410
    code = "gone"


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- looking things up ------------------------------------------------------------------------


def _find_link(session: Session, token: str) -> ShareLink | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(select(ShareLink).where(ShareLink.token == token))


def live_link(session: Session, token: str) -> ShareLink:
    """The live share link ``token``: ``NotFound`` (``unknown_share_link``) or ``Gone``
    (``share_link_withdrawn`` / ``share_link_expired``) otherwise."""
    link = _find_link(session, token)
    if link is None:
        raise NotFound("no such share link", code="unknown_share_link")
    state = link_state(link)
    if state == "withdrawn":
        raise Gone("the learner has withdrawn this share link", code="share_link_withdrawn")
    if state == "expired":
        raise Gone("this share link has expired", code="share_link_expired")
    return link


def _learner_credential(session: Session, manage_token: str) -> IssuedCredential:
    credential = None
    if manage_token and len(manage_token) <= 200:
        credential = session.scalar(
            select(IssuedCredential).where(
                IssuedCredential.manage_token_hash == hash_manage_token(manage_token)
            )
        )
    if credential is None:
        raise NotFound("no such learner link", code="unknown_learner_link")
    return credential


def _credential_link(session: Session, credential: IssuedCredential, token: str) -> ShareLink:
    link = _find_link(session, token)
    if link is None or link.credential_id != credential.id:
        raise NotFound("no such share link", code="unknown_share_link")
    return link


# --- JSON shapes ------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else xsd_datetime(moment)


def link_json(link: ShareLink) -> dict[str, Any]:
    """The API JSON of a share link, with its public URL, QR codes and verifier URL."""
    base = current_app.config["ISSUER_BASE_URL"]
    url = share_url(base, link.token)
    return {
        "token": link.token,
        "url": url,
        "qr": {"png": f"{url}/qr.png", "svg": f"{url}/qr.svg"},
        "verifyUrl": verify_url(current_app.config["VERIFIER_BASE_URL"], url),
        "createdAt": _when(link.created_at),
        "expiresAt": _when(link.expires_at),
        "withdrawnAt": _when(link.withdrawn_at),
        "live": link_state(link) == "live",
    }


def _optional_expiry(data: Mapping[str, Any]) -> datetime | None:
    value = data.get("expiresAt")
    return None if value is None else parse_expiry(value)


# --- writes (flush; the views commit) ---------------------------------------------------------


def _audit(
    session: Session, credential: IssuedCredential, link: ShareLink, action: str, actor: str
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=credential.issuer_id,
            action=action,
            credential_id=credential.id,
            details={"shareLinkId": link.id, "expiresAt": _when(link.expires_at)},
        )
    )
    session.flush()


def new_share_link(
    session: Session,
    credential: IssuedCredential,
    *,
    actor: str,
    expires_at: datetime | None = None,
) -> ShareLink:
    """A new share link with an audit event; ``Conflict`` (``share_link_limit``) when the
    credential has ``MAX_LINKS_PER_CREDENTIAL`` links already."""
    count = session.scalar(
        select(func.count()).select_from(ShareLink).where(ShareLink.credential_id == credential.id)
    )
    if (count or 0) >= MAX_LINKS_PER_CREDENTIAL:
        raise Conflict(
            f"a credential has at most {MAX_LINKS_PER_CREDENTIAL} share links",
            code="share_link_limit",
        )
    link = create_share_link(session, credential, expires_at=expires_at)
    _audit(session, credential, link, "share_link_created", actor)
    return link


def withdraw_share_link(
    session: Session, credential: IssuedCredential, link: ShareLink, *, actor: str
) -> None:
    """Withdraw ``link`` for good (idempotent: a second call records nothing)."""
    if link.withdrawn_at is None:
        link.withdrawn_at = utcnow()
        _audit(session, credential, link, "share_link_withdrawn", actor)


def set_share_link_expiry(
    session: Session,
    credential: IssuedCredential,
    link: ShareLink,
    expires_at: datetime | None,
    *,
    actor: str,
) -> None:
    """Set (or with ``None`` clear) a link's expiry; ``Conflict`` for a withdrawn link."""
    if link.withdrawn_at is not None:
        raise Conflict("a withdrawn share link stays withdrawn", code="share_link_withdrawn")
    link.expires_at = expires_at
    _audit(session, credential, link, "share_link_expiry_set", actor)


# --- the credential page ---------------------------------------------------------------------


def _credential_uuid(credential: IssuedCredential) -> str:
    return credential.credential_uri.removeprefix("urn:uuid:")


def _wants_json() -> bool:
    fmt = request.args.get("format")
    if fmt in ("jsonld", "json") or request.args.get("download") == "1":
        return True
    if fmt == "html":
        return False
    if "Accept" not in request.headers:
        return True  # a program that says nothing; every browser sends Accept
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES])
    return best in JSON_TYPES


def _unavailable(error: ApiError, *, as_json: bool) -> Response:
    if as_json:
        raise error
    page = render_template("share/unavailable.html", error=error)
    return Response(page, status=error.status, mimetype="text/html")


def stored_document(credential: IssuedCredential) -> Mapping[str, Any]:
    """The credential's stored JSON as a mapping (empty when it is somehow not an object)."""
    try:
        document = json.loads(credential.document)
    except ValueError:
        return {}
    return document if isinstance(document, Mapping) else {}


@bp.get("/c/<token>")
def show(token: str) -> Any:
    """The shared credential: its signed JSON-LD, or an HTML page for people."""
    as_json = _wants_json()
    try:
        link = live_link(get_session(), token)
    except ApiError as error:
        return _unavailable(error, as_json=as_json)
    credential = link.credential
    if as_json:
        response = Response(credential.document.encode("utf-8"), mimetype=JSONLD)
        if request.args.get("download") == "1":
            filename = f"{_credential_uuid(credential)}.jsonld"
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        else:
            response.headers["Content-Disposition"] = "inline"
        response.headers["Vary"] = "Accept"
        return response
    summary = credential_summary(stored_document(credential), language=locale_name())
    today = utcnow().date().isoformat()
    page = render_template(
        "share/credential.html",
        summary=summary,
        state=credential.state.value,
        credential_expired=summary.valid_until is not None and summary.valid_until < today,
        badge=badge,
        long_date=long_date,
        share_expires=_when(link.expires_at),
        share_expires_label=expiry_label(link.expires_at),
        share_url=share_url(current_app.config["ISSUER_BASE_URL"], token),
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


@bp.get("/c/<token>/certificate.pdf", endpoint="certificate")
def certificate_view(token: str) -> Any:
    """A printable one-page A4 certificate of the shared credential (``410``/``404`` like the
    page when the link is withdrawn, expired or unknown)."""
    try:
        link = live_link(get_session(), token)
    except ApiError as error:
        return _unavailable(error, as_json=_wants_json())
    credential = link.credential
    pdf = certificate_pdf(
        dict(stored_document(credential)),
        share_url=share_url(current_app.config["ISSUER_BASE_URL"], token),
        verify_url=_qr_data(token),
        state=credential.state.value,
    )
    response = Response(pdf, mimetype="application/pdf")
    filename = f"microcredential-{_credential_uuid(credential)}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- QR codes ---------------------------------------------------------------------------------

QR_BOX_SIZE = 10  # PNG pixels per module; the SVG draws 1 mm per module
QR_BORDER = 4  # the quiet zone scanners need


def _qr_data(token: str) -> str:
    return verify_url(
        current_app.config["VERIFIER_BASE_URL"],
        share_url(current_app.config["ISSUER_BASE_URL"], token),
    )


def qr_code(data: str) -> qrcode.QRCode:
    """The QR code of ``data`` (error correction M, smallest version that fits)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=QR_BOX_SIZE,
        border=QR_BORDER,
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str) -> bytes:
    """``data`` as a black-on-white PNG QR code."""
    buffer = io.BytesIO()
    qr_code(data).make_image().save(buffer)
    return buffer.getvalue()


def qr_svg(data: str) -> bytes:
    """``data`` as an SVG QR code (one path on a white background)."""
    buffer = io.BytesIO()
    qr_code(data).make_image(image_factory=SvgPathFillImage).save(buffer)
    return buffer.getvalue()


def _qr(token: str, render: Any, mimetype: str) -> Any:
    try:
        live_link(get_session(), token)
    except ApiError as error:
        return _unavailable(error, as_json=_wants_json())
    return Response(render(_qr_data(token)), mimetype=mimetype)


@bp.get("/c/<token>/qr.png", endpoint="qr_png")
def qr_png_view(token: str) -> Any:
    """The QR code of the link's verifier URL, as PNG."""
    return _qr(token, qr_png, "image/png")


@bp.get("/c/<token>/qr.svg", endpoint="qr_svg")
def qr_svg_view(token: str) -> Any:
    """The QR code of the link's verifier URL, as SVG."""
    return _qr(token, qr_svg, "image/svg+xml")


# --- the learner's management API -------------------------------------------------------------

LEARNER_LINKS = "/api/v1/learner/<manage_token>/share-links"


@bp.get(LEARNER_LINKS)
def learner_links(manage_token: str) -> Any:
    """The learner's share links of their credential."""
    session = get_session()
    credential = _learner_credential(session, manage_token)
    links = session.scalars(
        select(ShareLink).where(ShareLink.credential_id == credential.id).order_by(ShareLink.id)
    )
    return {
        "credential": {"id": credential.credential_uri, "state": credential.state.value},
        "shareLinks": [link_json(link) for link in links],
    }


@bp.post(LEARNER_LINKS)
def learner_create_link(manage_token: str) -> Any:
    """A new share link, optionally expiring (``{"expiresAt": ISO date-time}``) → 201."""
    session = get_session()
    credential = _learner_credential(session, manage_token)
    expires_at = _optional_expiry(json_body(allow_empty=True))
    link = new_share_link(session, credential, actor=LEARNER_ACTOR, expires_at=expires_at)
    session.commit()
    body = link_json(link)
    return body, 201, {"Location": body["url"]}


@bp.patch(f"{LEARNER_LINKS}/<token>")
def learner_set_expiry(manage_token: str, token: str) -> Any:
    """Set ``{"expiresAt": ISO date-time}`` or clear ``{"expiresAt": null}`` a link's expiry."""
    session = get_session()
    credential = _learner_credential(session, manage_token)
    link = _credential_link(session, credential, token)
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
def learner_withdraw(manage_token: str, token: str) -> Any:
    """Withdraw a share link → 204 (again → 204)."""
    session = get_session()
    credential = _learner_credential(session, manage_token)
    link = _credential_link(session, credential, token)
    withdraw_share_link(session, credential, link, actor=LEARNER_ACTOR)
    session.commit()
    return Response(status=204)


# --- staff ------------------------------------------------------------------------------------


@bp.post("/api/v1/credentials/<credential_uuid>/share-links")
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
    token = new_token()
    credential.manage_token_hash = hash_manage_token(token)
    session.add(
        AuditEvent(
            actor=caller.actor,
            organisation_id=caller.organisation_id,
            action="learner_link_renewed",
            credential_id=credential.id,
        )
    )
    session.commit()
    base = current_app.config["ISSUER_BASE_URL"].rstrip("/")
    return {"learnerManageUrl": f"{base}/learner/{token}", "manageToken": token}, 201
