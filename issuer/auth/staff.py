"""Staff sign-in for the issuer's pages, and CSRF protection for the whole issuer app.

Partnership staff (``issuer.models.User``) sign in with their e-mail address and a password
(stored as a ``werkzeug.security`` hash). Sessions are kept by the server
(``issuer.auth.sessions``): the Flask session cookie (HttpOnly, SameSite=Lax, Secure when the
issuer is served over https) carries only a random secret naming a row of ``staff_sessions``.
Signing out, changing the password (``change_password``, or any other change of the stored
hash) and ``STAFF_SESSION_HOURS`` after signing in *by the server's record* each end the
session for every copy of the cookie, in every worker and app instance over the database. A
refused session sends a page to the sign-in form and a JSON request a 401. Failed sign-ins are
counted per client address and e-mail address in the database (``issuer.auth.signin_failures``), so
every worker and app instance over it shares the count: after ``STAFF_LOGIN_MAX_FAILURES``
within ``STAFF_LOGIN_WINDOW`` seconds, that pair is refused until the window has passed.

The cookie is Secure when ``ISSUER_BASE_URL`` (``MICROCRED_ISSUER_URL``) is https, and for any
request that came over https: directly, or through the number of proxies given in
``TRUSTED_PROXIES`` (``issuer.proxies``). Flask-WTF keeps its CSRF secret in this same cookie
(there is no separate CSRF cookie).

Flask-WTF's ``CSRFProtect`` guards every POST, PUT, PATCH and DELETE of the app, except the machine
interfaces, which are authenticated by bearer tokens or unguessable URLs and take JSON, never
cookies: the blueprints of the JSON API (``issuer.api``), the VC API (``issuer.api.vc_api``),
status lists and DID documents, and every path under ``/api/`` whatever its blueprint (the learner's
and staff's share-link JSON API lives in ``issuer.sharing.views``, whose blueprint also serves HTML
pages). No HTML form posts under ``/api/``. An HTML form sends the token as ``<input type="hidden"
name="csrf_token" value="{{ csrf_token() }}">``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden
from werkzeug.security import check_password_hash, generate_password_hash

from issuer.auth import sessions as staff_sessions
from issuer.auth.sessions import EndReason
from issuer.auth.signin_failures import clear_failures, failure_key, recent_failures, record_failure
from issuer.auth.tokens import ROLE_RANK
from issuer.db import get_session, transaction
from issuer.models import AuditEvent, Organisation, Role, User, utcnow

csrf = CSRFProtect()

SESSION_KEY = "staff_session"  # the secret of the browser's server-side session
# What cookies of the earlier design carried (user id, password check, sign-in time): ignored.
LEGACY_KEYS = ("staff_user", "staff_check", "staff_since")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
API_PREFIX = "/api/"  # JSON interfaces only: token-authenticated, exempt from CSRF

F = TypeVar("F", bound=Callable[..., Any])


# --- passwords --------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """The stored form of a password (werkzeug's default: scrypt with a random salt)."""
    return generate_password_hash(password)


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash to check against for unknown addresses, so they take as long as known ones."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash("no such user"))
    return _DUMMY_HASH[0]


def find_user(email: str, password: str) -> User | None:
    """The user with ``email`` (any case) whose password is ``password``; None otherwise."""
    email = email.strip()
    user = None
    if email and len(email) <= 320:
        user = get_session().scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


# --- failed sign-ins --------------------------------------------------------------------------


def _throttle_key(email: str) -> str:
    return failure_key(request.remote_addr or "", email)


def login_blocked(email: str) -> bool:
    """True when this client has failed to sign in as ``email`` too often lately (counted
    over every worker that shares the database)."""
    with transaction() as db:
        failures = recent_failures(
            db,
            _throttle_key(email),
            window=float(current_app.config["STAFF_LOGIN_WINDOW"]),
            now=utcnow(),
        )
    return failures >= int(current_app.config["STAFF_LOGIN_MAX_FAILURES"])


def login_failed(email: str) -> None:
    """Count a failed sign-in of this client as ``email`` (committed at once)."""
    window = float(current_app.config["STAFF_LOGIN_WINDOW"])
    with transaction() as db:
        record_failure(db, _throttle_key(email), window=window, now=utcnow())


# --- the session ------------------------------------------------------------------------------


def session_lifetime() -> timedelta:
    """How long a session lasts from signing in (``STAFF_SESSION_HOURS``)."""
    return timedelta(hours=float(current_app.config["STAFF_SESSION_HOURS"]))


def _use_session(secret: str) -> None:
    """Make the browser's cookie carry ``secret`` and nothing of an older session."""
    session.clear()
    session[SESSION_KEY] = secret
    g.pop("staff_user", None)


def login_user(user: User) -> None:
    """Start a fresh server-side session for ``user`` and give this browser its secret; a
    session the browser had is ended, and anything else in its cookie is dropped."""
    at = staff_sessions.now()
    old = session.get(SESSION_KEY)
    with transaction() as db:
        clear_failures(db, _throttle_key(user.email))
        if isinstance(old, str):
            staff_sessions.end(db, old, EndReason.REPLACED, at=at)
        staff_sessions.prune(db, at=at, keep=max(staff_sessions.KEEP_FOR, session_lifetime()))
        secret = staff_sessions.start(db, user, at=at)
    _use_session(secret)


def logout_user() -> None:
    """End this browser's session on the server (every copy of its cookie stops working)
    and clear the cookie."""
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str):
        with transaction() as db:
            staff_sessions.end(db, secret, EndReason.SIGNED_OUT, at=staff_sessions.now())
    session.clear()
    g.pop("staff_user", None)


def change_password(user: User, new_password: str) -> None:
    """Give ``user`` (of this request's database session) the password ``new_password`` and
    end every session of theirs, this one included, so no copy of a cookie saved before the
    change works; this browser carries on in a fresh session. Audited as
    ``password_changed``. Commits."""
    db = get_session()
    at = staff_sessions.now()
    user.password_hash = hash_password(new_password)
    staff_sessions.end_all(db, user.id, EndReason.PASSWORD_CHANGED, at=at)
    secret = staff_sessions.start(db, user, at=at)
    db.add(
        AuditEvent(
            actor=f"user:{user.email}",
            organisation_id=user.organisation_id,
            action="password_changed",
        )
    )
    db.commit()
    _use_session(secret)


def current_user() -> User | None:
    """The signed-in user of this request, or None: no session, or one that has ended
    (signed out, password changed, older than ``STAFF_SESSION_HOURS`` by the server's
    record)."""
    if "staff_user" in g:
        return cast(User | None, g.staff_user)
    user = None
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str):
        db = get_session()
        at = staff_sessions.now()
        live = staff_sessions.find_live(db, secret, max_age=session_lifetime(), at=at)
        if live is not None:
            user = db.get(User, live.user_id)
            if user is not None and live.needs_touch(at):
                with transaction() as writer:
                    staff_sessions.touch(writer, live.session_id, at=at)
    if user is None and any(key in session for key in (SESSION_KEY, *LEGACY_KEYS)):
        for key in (SESSION_KEY, *LEGACY_KEYS):
            session.pop(key, None)
    g.staff_user = user
    return user


def partnership_id(user: User) -> int:
    """The partnership whose data ``user`` sees."""
    organisation = get_session().get_one(Organisation, user.organisation_id)
    return organisation.partnership_id


def allows(user: User | None, role: Role) -> bool:
    """True when ``user`` has ``role`` or a stronger one."""
    return user is not None and ROLE_RANK[user.role] >= ROLE_RANK[role]


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path of the staff pages on this site; None otherwise."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff"):
        return None
    return target


def _wants_json() -> bool:
    """Whether this request is a program's (a JSON body, or JSON preferred over HTML)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def staff_required(role: Role = Role.VIEWER, *, json: bool = False) -> Callable[[F], F]:
    """Decorate a staff view: without a live session, send the browser to the sign-in page
    (or answer 401 JSON for a ``json`` view or a request that wants JSON); with too weak a
    role, 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if json or _wants_json():
                    body = {"error": {"code": "unauthorized", "message": "sign in first"}}
                    return jsonify(body), 401
                return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
            if not allows(user, role):
                raise Forbidden()
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


# --- CSRF -------------------------------------------------------------------------------------


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A refused form: an HTML page for browsers, the API's JSON error for programs."""
    if _wants_json():
        body = {"error": {"code": "csrf_failed", "message": error.description}}
        return jsonify(body), 400
    return render_template("staff/form_expired.html"), 400


class StaffCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its cookie also marked Secure for a request that came
    over https (directly, or through a proxy the app trusts)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when the app says so (an https base URL) or this request is https."""
        configured = bool(super().get_cookie_secure(app))
        return configured or (has_request_context() and request.is_secure)


def served_over_https(base_url: object) -> bool:
    """Whether the issuer's public base URL is an https one."""
    return str(base_url or "").strip().lower().startswith("https://")


def init_app(app: Flask, machine_blueprints: Iterable[Blueprint] = ()) -> None:
    """Protect the app's forms against CSRF, exempting the token-authenticated interfaces
    (``machine_blueprints`` as a whole, and every path under ``/api/``), and set up the staff
    session cookie and sign-in limits."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=served_over_https(app.config.get("ISSUER_BASE_URL")),
    )
    app.session_interface = StaffCookieSessions()
    app.config.setdefault("STAFF_SESSION_HOURS", 12)
    app.config.setdefault("STAFF_LOGIN_MAX_FAILURES", 5)
    app.config.setdefault("STAFF_LOGIN_WINDOW", 15 * 60)
    app.config.setdefault("STAFF_PAGE_SIZE", 25)
    # A form's token is good as long as a staff session (not Flask-WTF's default hour).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", int(app.config["STAFF_SESSION_HOURS"]) * 3600)
    # Flask-WTF's own check is off so that ours can also exempt by path (its documented way
    # for custom exemptions); WTF_CSRF_ENABLED still switches the protection as a whole.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    exempt = {blueprint.name for blueprint in machine_blueprints}

    @app.before_request
    def _csrf_protect() -> None:
        if not app.config["WTF_CSRF_ENABLED"] or request.endpoint is None:
            return
        if request.blueprint in exempt or request.path.startswith(API_PREFIX):
            return
        csrf.protect()

    app.register_error_handler(CSRFError, _csrf_error)
