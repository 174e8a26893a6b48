"""The learner's management page: their credential's share links, as plain HTML forms.

``GET /learner/<manage_token>`` (the ``learnerManageUrl`` issuance returns) lists the links
with their state and lets the learner create a link (optionally expiring), set or clear a
link's expiry and withdraw a link (after a confirmation page). Every form posts and redirects
back (POST-redirect-GET, ``303``, with a one-off notice), so all of it works without
JavaScript; a refused form is shown again with the reason (``422``, or ``409`` for a withdrawn
link or too many links), and a GET of a form's URL (its language switch) goes back to the page.
An unknown management token or share link is an HTML ``404``.

The management token in the URL is the learner's credential: there is no account. The forms
still carry ``csrf_token`` when the app has Flask-WTF's ``CSRFProtect`` (its ``csrf_token``
Jinja global), so they keep working when CSRF protection is on app-wide. The pages send
``Referrer-Policy: same-origin`` (not ``no-referrer`` like the share page): the token never
leaves for other sites, and the form posts carry the ``Referer`` that Flask-WTF's strict
HTTPS check asks for.

Expiry is chosen as a date: the link works until the end of that day (UTC), i.e. it expires at
the next midnight UTC. The writes and their audit events are the JSON learner API's
(``issuer.sharing.views``), with the same actor ``learner``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import config
from issuer.credentials.display import (
    badge,
    credential_languages,
    credential_summary,
    date_time,
    expiry_label,
    last_day,
)
from issuer.dates import DATE_LENGTH, LATEST, DateRule, MomentError, parse_moment
from issuer.db import get_session
from issuer.errors import ApiError, InvalidInput, NotFound
from issuer.models import IssuedCredential, ShareLink, utcnow
from issuer.sharing.links import (
    LEARNER_ACTOR,
    credential_link,
    learner_credential,
    link_state,
    new_share_link,
    set_share_link_expiry,
    share_url,
    stored_document,
    withdraw_share_link,
)

bp = Blueprint("learner", __name__)

FIELD = "expires_on"
FLASH = "learner"  # the flash category of these pages


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> Response:
    manage_token = (request.view_args or {}).get("manage_token")
    back = None
    if error.code == "unknown_share_link" and manage_token:
        back = url_for("learner.manage", manage_token=manage_token)
    page = render_template("learner/not_found.html", error=error, back_url=back)
    return Response(page, status=404, mimetype="text/html")


# --- helpers ----------------------------------------------------------------------------------


def expiry_from_form(value: str | None, *, now: datetime | None = None) -> datetime:
    """The expiry of a link that should work through the date ``value`` (``YYYY-MM-DD``): the
    next midnight UTC (read by :func:`issuer.dates.parse_moment`, so never an overflow).
    ``InvalidInput`` (a sentence for the learner) when it is missing, not a date, already past
    or beyond the dates the issuer keeps."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Choose a date."), details={"field": FIELD})
    now = now or utcnow()
    past = _("Choose today or a later date.")
    malformed = _("Enter the date as year-month-day, for example 2030-01-31.")
    if len(value) != DATE_LENGTH:
        raise InvalidInput(malformed, details={"field": FIELD})
    try:
        return parse_moment(value, dates=DateRule.NEXT_MIDNIGHT, after=now)
    except MomentError as error:
        if error.reason == "not_in_future":
            message = past
        elif error.reason == "out_of_range":
            too_late = value > now.date().isoformat()
            latest = _("Choose a date before the year %(year)d.", year=LATEST.year)
            message = latest if too_late else past
        else:
            message = malformed
        raise InvalidInput(message, details={"field": FIELD}) from None


def _back(manage_token: str, message: str, link: ShareLink | None = None) -> ResponseReturnValue:
    flash(message, FLASH)
    anchor = None if link is None else f"link-{link.id}"
    target = url_for("learner.manage", manage_token=manage_token, _anchor=anchor)
    return redirect(target, code=303)


def _link_view(link: ShareLink) -> dict[str, Any]:
    url = share_url(config.base_url(), link.token)
    return {
        "id": link.id,
        "token": link.token,
        "url": url,
        "state": link_state(link),
        "created": link.created_at,
        "created_label": date_time(link.created_at),
        "expires": link.expires_at,
        "expires_label": expiry_label(link.expires_at),
        "last_day": None if link.expires_at is None else last_day(link.expires_at).isoformat(),
        "withdrawn_label": date_time(link.withdrawn_at),
    }


def _page(
    session: Session,
    credential: IssuedCredential,
    manage_token: str,
    *,
    status: int = 200,
    error: ApiError | None = None,
    error_link: str | None = None,
) -> Response:
    """The management page; ``error`` shows next to the form it belongs to (``error_link``:
    the share link's token, ``None``: the new-link form)."""
    links = session.scalars(
        select(ShareLink)
        .where(ShareLink.credential_id == credential.id)
        .order_by(ShareLink.id.desc())
    )
    document = stored_document(credential)
    languages = credential_languages(document)
    summary = credential_summary(document, language=languages.shown)
    page = render_template(
        "learner/manage.html",
        manage_token=manage_token,
        summary=summary,
        languages=languages,
        state=credential.state.value,
        badge=badge,
        links=[_link_view(link) for link in links],
        today=utcnow().date().isoformat(),
        messages=get_flashed_messages(category_filter=[FLASH]),
        error=error,
        error_link=error_link,
        submitted=request.form.get(FIELD, "") if request.method == "POST" else "",
    )
    return Response(page, status=status, mimetype="text/html")


# --- views ------------------------------------------------------------------------------------


@bp.get("/learner/<manage_token>")
def manage(manage_token: str) -> ResponseReturnValue:
    """The learner's share links and the forms that manage them."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    return _page(session, credential, manage_token)


@bp.post("/learner/<manage_token>/links")
def create_link(manage_token: str) -> ResponseReturnValue:
    """A new share link, expiring after the date ``expires_on`` when one is given."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    try:
        value = request.form.get(FIELD, "").strip()
        expires_at = expiry_from_form(value) if value else None
        link = new_share_link(session, credential, actor=LEARNER_ACTOR, expires_at=expires_at)
    except ApiError as error:
        session.rollback()
        return _page(session, credential, manage_token, status=error.status, error=error)
    session.commit()
    return _back(manage_token, _("New share link created."), link)


@bp.post("/learner/<manage_token>/links/<token>/expiry")
def set_expiry(manage_token: str, token: str) -> ResponseReturnValue:
    """Set the link's expiry to the end of the date ``expires_on`` (``action=set``) or remove
    it (``action=clear``)."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    link = credential_link(session, credential, token)
    clear = request.form.get("action") == "clear"
    try:
        expires_at = None if clear else expiry_from_form(request.form.get(FIELD))
        set_share_link_expiry(session, credential, link, expires_at, actor=LEARNER_ACTOR)
    except ApiError as error:
        session.rollback()
        return _page(
            session,
            credential,
            manage_token,
            status=error.status,
            error=error,
            error_link=token,
        )
    session.commit()
    message = _("The link no longer expires.") if clear else _("The link's expiry date is set.")
    return _back(manage_token, message, link)


@bp.get("/learner/<manage_token>/links")
@bp.get("/learner/<manage_token>/links/<token>/expiry")
def form_get(manage_token: str, token: str | None = None) -> ResponseReturnValue:
    """The page again: a refused form is shown at its POST URL, whose language switch
    (``?lang=``) asks for that URL with GET."""
    learner_credential(get_session(), manage_token)
    values: dict[str, Any] = {**request.args.to_dict(), "manage_token": manage_token}
    return redirect(url_for("learner.manage", **values), code=303)


@bp.get("/learner/<manage_token>/links/<token>/withdraw")
def confirm_withdraw(manage_token: str, token: str) -> ResponseReturnValue:
    """The confirmation step before a link is withdrawn."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    link = credential_link(session, credential, token)
    if link.withdrawn_at is not None:
        return redirect(
            url_for("learner.manage", manage_token=manage_token, _anchor=f"link-{link.id}"),
            code=303,
        )
    document = stored_document(credential)
    summary = credential_summary(document, language=credential_languages(document).shown)
    page = render_template(
        "learner/withdraw.html",
        manage_token=manage_token,
        summary=summary,
        link=_link_view(link),
    )
    return Response(page, mimetype="text/html")


@bp.post("/learner/<manage_token>/links/<token>/withdraw")
def withdraw(manage_token: str, token: str) -> ResponseReturnValue:
    """Withdraw the link for good (again: nothing changes)."""
    session = get_session()
    credential = learner_credential(session, manage_token)
    link = credential_link(session, credential, token)
    withdraw_share_link(session, credential, link, actor=LEARNER_ACTOR)
    session.commit()
    return _back(
        manage_token, _("The link is withdrawn: it no longer shows your credential."), link
    )
