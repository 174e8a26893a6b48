"""The learner's record page: all their credentials from this issuer, their set links, and
for each credential "Add to LinkedIn profile" and an Open Badges 3.0 download.

``GET /record/<key>`` (``key``: any of the learner's management tokens, or a sign-in token —
:func:`issuer.sharing.record.learner_by_key`) lists every credential issued to the learner and
their set links with how often and when each was opened. Plain HTML forms, POST-redirect-GET
(``303``, with a one-off notice), working without JavaScript:

- ``POST /record/<key>/sets``: a set link over the ticked credentials (``credential``, repeated)
  with an optional name (``label``); a refused form is shown again with the reason (``422``, or
  ``409`` at the limit);
- ``GET|POST /record/<key>/sets/<token>/withdraw``: confirm, then withdraw for good;
- ``POST /record/<key>/credentials/<uuid>/linkedin``: LinkedIn's "add certification" form, filled
  in, pointing at a lasting share link of the credential (``303`` to linkedin.com);
- ``GET /record/<key>/credentials/<uuid>/ob3.json``: the signed ``AchievementCredential``.

An unknown or expired record key, set link or credential is an HTML ``404``. The pages send
``Cache-Control: no-store`` and ``Referrer-Policy: same-origin`` like the management page.
"""

from __future__ import annotations

import json
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
from sqlalchemy.orm import Session

from issuer import config
from issuer.credentials.display import (
    badge,
    credential_languages,
    credential_summary,
    date_time,
)
from issuer.credentials.issuance import SigningKeys
from issuer.credentials.linkedin import linkedin_add_url
from issuer.credentials.ob3 import achievement_credential
from issuer.db import get_session
from issuer.errors import ApiError, NotFound
from issuer.learner_models import SetLink
from issuer.models import CredentialState, Learner
from issuer.sharing.links import link_state, share_url, stored_document, verify_url
from issuer.sharing.record import (
    lasting_share_link,
    learner_by_key,
    learner_credential_by_uuid,
    learner_credentials,
)
from issuer.sharing.set_links import (
    chosen_credentials,
    clean_label,
    learner_set_link,
    learner_set_links,
    new_set_link,
    recent_opens,
    set_url,
    withdraw_set_link,
)

bp = Blueprint("record", __name__)

FLASH = "record"
SHOWN_OPENS = 10


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> Response:
    page = render_template("learner/record_not_found.html", error=error)
    return Response(page, status=404, mimetype="text/html")


# --- helpers ----------------------------------------------------------------------------------


def _set_view(session: Session, link: SetLink, language: str) -> dict[str, Any]:
    url = set_url(config.base_url(), link.token)
    opens = recent_opens(session, link)
    return {
        "id": link.id,
        "token": link.token,
        "label": link.label,
        "url": url,
        "verify_url": verify_url(config.verifier_url(), url),
        "qr_url": url_for("sets.qr_svg", token=link.token),
        "state": link_state(link),
        "created_label": date_time(link.created_at),
        "withdrawn_label": date_time(link.withdrawn_at),
        "titles": [
            credential_summary(stored_document(c), language=language).title
            for c in link.credentials
        ],
        "open_count": link.open_count,
        "opens": [date_time(moment) for moment in opens[:SHOWN_OPENS]],
    }


def _page(
    session: Session,
    learner: Learner,
    key: str,
    *,
    status: int = 200,
    error: ApiError | None = None,
) -> Response:
    held = [(c, stored_document(c)) for c in learner_credentials(session, learner)]
    languages = credential_languages(*(document for _c, document in held))
    credentials = [
        {
            "uuid": credential.uuid,
            "summary": credential_summary(document, language=languages.shown),
            "state": credential.state.value,
            "revoked": credential.state is CredentialState.REVOKED,
        }
        for credential, document in held
    ]
    chosen = request.form.getlist("credential") if request.method == "POST" else []
    page = render_template(
        "learner/record.html",
        key=key,
        learner_name=f"{learner.given_name} {learner.family_name}",
        credentials=credentials,
        sets=[
            _set_view(session, link, languages.shown)
            for link in learner_set_links(session, learner)
        ],
        languages=languages,
        badge=badge,
        messages=get_flashed_messages(category_filter=[FLASH]),
        error=error,
        chosen=chosen,
        label=request.form.get("label", "") if request.method == "POST" else "",
    )
    return Response(page, status=status, mimetype="text/html")


def _back(key: str, message: str, anchor: str | None = None) -> ResponseReturnValue:
    flash(message, FLASH)
    return redirect(url_for("record.show", key=key, _anchor=anchor), code=303)


# --- views ------------------------------------------------------------------------------------


@bp.get("/record/<key>")
def show(key: str) -> ResponseReturnValue:
    """Every credential of the learner, their set links and the form for a new one."""
    session = get_session()
    return _page(session, learner_by_key(session, key), key)


@bp.post("/record/<key>/sets")
def create_set(key: str) -> ResponseReturnValue:
    """A set link over the ticked credentials."""
    session = get_session()
    learner = learner_by_key(session, key)
    try:
        credentials = chosen_credentials(session, learner, request.form.getlist("credential"))
        label = clean_label(request.form.get("label"))
        link = new_set_link(session, learner, credentials, label=label)
    except ApiError as error:
        session.rollback()
        return _page(session, learner, key, status=error.status, error=error)
    session.commit()
    return _back(key, _("New set link created."), f"set-{link.id}")


@bp.get("/record/<key>/sets")
def form_get(key: str) -> ResponseReturnValue:
    """The page again (a refused form's language switch asks for its URL with GET)."""
    learner_by_key(get_session(), key)
    values: dict[str, Any] = {**request.args.to_dict(), "key": key}
    return redirect(url_for("record.show", **values), code=303)


@bp.get("/record/<key>/sets/<token>/withdraw")
def confirm_withdraw(key: str, token: str) -> ResponseReturnValue:
    """The confirmation step before a set link is withdrawn."""
    session = get_session()
    link = learner_set_link(session, learner_by_key(session, key), token)
    if link.withdrawn_at is not None:
        return redirect(url_for("record.show", key=key, _anchor=f"set-{link.id}"), code=303)
    shown = credential_languages(*(stored_document(c) for c in link.credentials)).shown
    page = render_template(
        "learner/set_withdraw.html", key=key, link=_set_view(session, link, shown)
    )
    return Response(page, mimetype="text/html")


@bp.post("/record/<key>/sets/<token>/withdraw")
def withdraw(key: str, token: str) -> ResponseReturnValue:
    """Withdraw the set link for good (again: nothing changes)."""
    session = get_session()
    link = learner_set_link(session, learner_by_key(session, key), token)
    withdraw_set_link(session, link)
    session.commit()
    return _back(
        key, _("The link is withdrawn: it no longer shows your credentials."), f"set-{link.id}"
    )


@bp.post("/record/<key>/credentials/<credential_uuid>/linkedin")
def linkedin(key: str, credential_uuid: str) -> ResponseReturnValue:
    """LinkedIn's "add certification" form for the credential, pointing at a lasting share
    link of it (made when there is none)."""
    session = get_session()
    credential = learner_credential_by_uuid(session, learner_by_key(session, key), credential_uuid)
    link = lasting_share_link(session, credential)
    session.commit()
    target = linkedin_add_url(
        stored_document(credential),
        cert_url=share_url(config.base_url(), link.token),
        cert_id=credential.credential_uri,
    )
    return redirect(target, code=303)


@bp.get("/record/<key>/credentials/<credential_uuid>/ob3.json")
def ob3(key: str, credential_uuid: str) -> ResponseReturnValue:
    """The credential's achievement as a signed Open Badges 3.0 ``AchievementCredential``
    (an attachment); ``409`` (a page) for a revoked credential."""
    session = get_session()
    credential = learner_credential_by_uuid(session, learner_by_key(session, key), credential_uuid)
    try:
        badge_document = achievement_credential(
            credential, keys=SigningKeys(config.key_passphrase())
        )
    except ApiError as error:
        return _page(session, credential.learner, key, status=error.status, error=error)
    body = json.dumps(badge_document, ensure_ascii=False, indent=2) + "\n"
    response = Response(body.encode("utf-8"), mimetype="application/ld+json")
    filename = f"open-badge-{credential.uuid}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
