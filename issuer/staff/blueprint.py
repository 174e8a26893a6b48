"""The staff pages' one blueprint (``staff``, under ``/staff``) and what every page of it
shares: the private-page headers, the error pages, the templates' helpers, who is signed in
and for which partnership, the partnership's organisations and specifications, paging, and
looking up a credential of the partnership.

The route modules (``issuer.staff.account``, ``dashboard``, ``specifications``, ``issuing``,
``bulk``, ``credentials``, ``audit``) register their views on ``bp``; ``issuer.staff.views``
imports them all. Signing in itself (sessions, ``staff_required``) is ``issuer.auth.staff``'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException

from issuer.auth.staff import allows, current_user, partnership_id
from issuer.credentials import issuance
from issuer.db import get_session
from issuer.errors import ApiError
from issuer.models import IssuedCredential, Organisation, Role, Specification, User
from issuer.staff.display import TEMPLATE_LABELS, hours, localised, when
from issuer.staff.forms import first_error, shown_value

bp = Blueprint("staff", __name__, url_prefix="/staff")

#: The session key under which a page that issued keeps the learner's management URL, shown
#: once by ``staff.issued``.
ISSUED_STASH = "staff_issued"

ERROR_TITLES = {
    400: lazy_gettext("The request was not understood"),
    403: lazy_gettext("Your role does not allow this"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("Not possible here"),
    409: lazy_gettext("Not possible now"),
    413: lazy_gettext("The file is too large"),
    422: lazy_gettext("The data is not right"),
    503: lazy_gettext("Signing is not available"),
}


# --- every response ---------------------------------------------------------------------------


@bp.after_request
def _private(response: Response) -> Response:
    """Staff pages hold learner data: never cached, never framed, no referrer elsewhere."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def error_page(status: int, title: str, message: str | None = None) -> ResponseReturnValue:
    """The staff error page with ``title`` (and ``message``), answered with ``status``."""
    return render_template("staff/error.html", code=status, title=title, message=message), status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    return error_page(status, str(ERROR_TITLES.get(status, _("Something went wrong"))))


@bp.errorhandler(ApiError)
def _service_error(error: ApiError) -> ResponseReturnValue:
    if error.status == 503:
        message = _("The issuer has no key passphrase configured; ask its administrator.")
        return error_page(503, str(ERROR_TITLES[503]), message)
    return error_page(error.status, str(ERROR_TITLES.get(error.status, _("Something went wrong"))))


def not_yours(message: str) -> ResponseReturnValue:
    """The 403 page for acting on what another member of the partnership awards."""
    return error_page(403, _("This belongs to another member of the partnership"), message)


# --- the templates' helpers -------------------------------------------------------------------


def page_url(number: int) -> str:
    """This page's URL with the same filters, showing page ``number``."""
    values: dict[str, Any] = dict(request.view_args or {})
    values |= {k: v for k, v in request.args.items() if k != "page" and v}
    return url_for(str(request.endpoint), **values, page=number)


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    user = current_user()
    return {
        "user": user,
        "can": lambda role: allows(user, Role(role)),
        "localised": localised,
        "when": when,
        "hours": hours,
        "page_url": page_url,
        "shown_value": shown_value,
        "first_error": first_error,
        **TEMPLATE_LABELS,
    }


# --- who is signed in, for which partnership --------------------------------------------------


def staff_user() -> User:
    """The signed-in user (only in a view that ``staff_required`` guards)."""
    user = current_user()
    assert user is not None  # staff_required ran
    return user


def actor() -> str:
    """How the audit log names the signed-in user: ``user:<e-mail address>``."""
    return f"user:{staff_user().email}"


def own_partnership_id() -> int:
    """The id of the partnership whose data the signed-in user sees."""
    return partnership_id(staff_user())


def member_organisations() -> list[Organisation]:
    """The partnership's organisations, the user's own first, then in the order they joined."""
    user = staff_user()
    members = get_session().scalars(
        select(Organisation)
        .where(Organisation.partnership_id == own_partnership_id())
        .order_by(Organisation.id)
    )
    return sorted(members, key=lambda o: o.id != user.organisation_id)


def partnership_specifications() -> list[Specification]:
    """The partnership's specifications, by short name."""
    return list(
        get_session().scalars(
            select(Specification)
            .where(Specification.partnership_id == own_partnership_id())
            .order_by(Specification.slug)
        )
    )


def find_credential(ref: str) -> IssuedCredential:
    """The partnership's credential ``ref`` (its uuid or ``urn:uuid:``); ``NotFound`` (a 404
    page) for any other."""
    return issuance.get_credential(get_session(), own_partnership_id(), ref)


# --- lists of many pages ----------------------------------------------------------------------


@dataclass
class Page:
    """One page of a list: its items, its number, how many pages and items there are."""

    items: list[Any]
    number: int
    pages: int
    total: int


def paginate(query: Select[Any]) -> Page:
    """Page ``?page=`` of ``query`` (already ordered), ``STAFF_PAGE_SIZE`` items a page; a page
    number out of range or not a number shows the nearest page or the first."""
    size = max(int(current_app.config["STAFF_PAGE_SIZE"]), 1)
    db = get_session()
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(math.ceil(total / size), 1)
    try:
        number = min(max(int(request.args.get("page", "1")), 1), pages)
    except ValueError:
        number = 1
    items = list(db.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items, number, pages, total)
