"""Staff sessions that end (``issuer.auth.sessions``, ``issuer.auth.staff``): a copy of the
session cookie saved before signing out, or before a password change, or older than
``STAFF_SESSION_HOURS`` by the server's own record, is refused, even re-signed with the app's
secret key; two app instances over one database agree; the cookie is Secure over https.

Every test drives the real app through Flask's test client with the CSRF tokens of the forms.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from issuer.app import create_app
from issuer.auth import sessions as staff_sessions
from issuer.auth.sessions import EndReason
from issuer.db import session_factory, transaction
from issuer.models import AuditEvent, Organisation, Role, StaffSession, User
from tests.issuer.conftest import BASE_URL, PASSPHRASE

AARHUS = "aarhus-demo-university"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a new and longer passphrase"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- helpers ----------------------------------------------------------------------------------


def csrf(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path``."""
    response = client.get(path)
    assert response.status_code == 200, path
    found = TOKEN.search(response.get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, *, form: str = ""):  # type: ignore[no-untyped-def]
    """POST ``data`` to ``path`` with the CSRF token of the form page ``form`` (or ``path``)."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf(client, form or path)})


def add_user(app: Flask, email: str = "viewer@aarhus.test", role: Role = Role.VIEWER) -> str:
    """A staff user of Aarhus (a cheap hash keeps the tests fast); their e-mail address."""
    with transaction(app) as session:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == AARHUS))
        assert organisation is not None
        session.add(
            User(
                organisation_id=organisation.id,
                email=email,
                name="Staff Person",
                role=role,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
            )
        )
    return email


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    """Sign in; the answer's status (302 when it worked)."""
    return int(post(client, "/staff/login", {"email": email, "password": password}).status_code)


def cookie(app: Flask, client: FlaskClient) -> str:
    """The value of the client's session cookie."""
    found = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert found is not None, "no session cookie"
    return found.value


def client_with(app: Flask, value: str) -> FlaskClient:
    """A new browser holding a (copied or forged) session cookie ``value``."""
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return thief


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's session opens the staff overview; a refused one goes to sign-in."""
    response = client.get("/staff/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/staff/login")
        return False
    assert response.status_code == 200
    return True


def refused_as_json(client: FlaskClient) -> bool:
    """Whether the JSON staff view answers 401 with the ``unauthorized`` code."""
    response = client.get("/staff/bulk/1.json")
    return response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def app_settings(database_url: str, **extra: Any) -> dict[str, Any]:
    """The settings of the ``app`` fixture, for another instance over the same database."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "ISSUER_BASE_URL": BASE_URL,
        "VERIFIER_BASE_URL": "https://verifier.example",
        "KEY_PASSPHRASE": PASSPHRASE,
        "BULK_WORKER": "inline",
        "SECRET_KEY": "test",
        **extra,
    }


@pytest.fixture
def another_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """``another_app(**settings)`` → a second issuer app over the test's database (another
    worker, another host, or the same server after a restart)."""
    made: list[Flask] = []

    def make(**extra: Any) -> Flask:
        app = create_app(app_settings(database_url, **extra))
        made.append(app)
        return app

    yield make
    for app in made:
        session_factory(app).kw["bind"].dispose()


# --- what the cookie holds --------------------------------------------------------------------


def test_the_cookie_holds_only_a_random_secret_of_a_server_side_session(app, client, demo):
    email = add_user(app)
    assert sign_in(client, email) == 302
    data = app.session_interface.get_signing_serializer(app).loads(cookie(app, client))
    assert set(data) <= {"staff_session", "csrf_token"}
    assert "staff_user" not in data and "staff_since" not in data
    with transaction(app) as session:
        row = session.scalar(select(StaffSession))
        assert row is not None and row.ended_at is None
        assert row.token_hash == staff_sessions.hash_secret(data["staff_session"])
        assert data["staff_session"] not in (row.token_hash, row.password_check)


# --- signing out ------------------------------------------------------------------------------


def test_a_cookie_saved_before_signing_out_is_refused_after_it(app, client, demo):
    email = add_user(app)
    assert sign_in(client, email) == 302
    saved = cookie(app, client)
    assert signed_in(client_with(app, saved))  # a copy works while the session lives

    assert post(client, "/staff/logout", form="/staff/").status_code == 302
    assert not signed_in(client)
    thief = client_with(app, saved)
    assert not signed_in(thief)
    assert refused_as_json(client_with(app, saved))
    wants_json = client_with(app, saved).get("/staff/", headers={"Accept": "application/json"})
    assert wants_json.status_code == 401
    with transaction(app) as session:
        row = session.scalar(select(StaffSession))
        assert row is not None and row.end_reason == EndReason.SIGNED_OUT.value


def test_signing_in_again_ends_the_browsers_earlier_session(app, client, demo):
    email = add_user(app)
    assert sign_in(client, email) == 302
    first = cookie(app, client)
    again = post(client, "/staff/login", {"email": email, "password": PASSWORD}, form="/staff/")
    assert again.status_code == 302
    assert cookie(app, client) != first
    assert signed_in(client)
    assert not signed_in(client_with(app, first))


# --- changing the password --------------------------------------------------------------------


def change(client: FlaskClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return post(
        client,
        "/staff/password",
        {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_a_cookie_saved_before_a_password_change_is_refused(app, client, demo):
    email = add_user(app)
    laptop = app.test_client()
    assert sign_in(client, email) == 302 and sign_in(laptop, email) == 302
    saved = cookie(app, client)

    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert signed_in(client)  # the browser that changed it carries on, in a new session
    assert cookie(app, client) != saved
    assert not signed_in(client_with(app, saved))  # a copy saved before the change
    assert not signed_in(laptop)  # every other session of the user
    assert refused_as_json(laptop)

    assert sign_in(app.test_client(), email, PASSWORD) == 422
    assert sign_in(app.test_client(), email, NEW_PASSWORD) == 302
    with transaction(app) as session:
        reasons = session.scalars(select(StaffSession.end_reason).order_by(StaffSession.id))
        assert list(reasons)[:2] == [EndReason.PASSWORD_CHANGED.value] * 2
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "password_changed"))
        assert [event.actor for event in events] == [f"user:{email}"]


def test_a_password_changed_by_other_means_ends_the_session(app, client, demo):
    email = add_user(app)
    assert sign_in(client, email) == 302
    with transaction(app) as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.password_hash = generate_password_hash("set by an admin", method="pbkdf2:sha256:1")
    assert not signed_in(client)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field"),
    [
        ("not the password", NEW_PASSWORD, None, "current_password"),
        (PASSWORD, "short", None, "new_password"),
        (PASSWORD, PASSWORD, None, "new_password"),
        (PASSWORD, NEW_PASSWORD, "something else entirely", "confirm_password"),
    ],
)
def test_the_password_form_shows_each_problem_and_changes_nothing(
    app, client, demo, current, new, confirm, field
):
    email = add_user(app)
    assert sign_in(client, email) == 302
    saved = cookie(app, client)
    response = change(client, current, new, confirm)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert 'value="' + new + '"' not in html  # passwords are never sent back
    assert signed_in(client_with(app, saved))
    assert sign_in(app.test_client(), email, PASSWORD) == 302


def test_the_password_page_needs_a_session_and_speaks_danish(app, client, demo):
    assert client.get("/staff/password").status_code == 302
    assert sign_in(client, add_user(app)) == 302
    page = client.get("/staff/password?lang=da").get_data(as_text=True)
    assert "Skift adgangskode" in page and "Nuværende adgangskode" in page


# --- the 12 hours, by the server's record -----------------------------------------------------


def test_a_session_past_its_hours_by_the_servers_record_is_refused_even_re_signed(
    app, client, demo, monkeypatch
):
    email = add_user(app)
    assert sign_in(client, email) == 302
    serializer = app.session_interface.get_signing_serializer(app)
    stolen = cookie(app, client)
    started = time.time()

    def forged() -> str:
        """The stolen cookie re-signed with the app's secret and a fresh sign-in time."""
        data = serializer.loads(stolen)
        data["staff_since"] = int(time.time())
        return str(serializer.dumps(data))

    monkeypatch.setattr(time, "time", lambda: started + 11 * 3600)
    assert signed_in(client_with(app, forged()))  # within the 12 hours
    monkeypatch.setattr(time, "time", lambda: started + 13 * 3600)
    assert not signed_in(client_with(app, forged()))
    assert not signed_in(client)
    assert refused_as_json(client_with(app, forged()))


def test_staff_session_hours_is_a_setting(app, client, demo):
    assert sign_in(client, add_user(app)) == 302
    app.config["STAFF_SESSION_HOURS"] = 0
    assert not signed_in(client)


# --- several workers, several instances, a restart --------------------------------------------


def test_two_app_instances_over_one_database_agree(app, client, demo, another_app):
    email = add_user(app)
    assert sign_in(client, email) == 302
    saved = cookie(app, client)
    other = another_app()  # another worker or host; or this server after a restart
    there = client_with(other, saved)
    assert signed_in(there)

    assert post(there, "/staff/logout", form="/staff/").status_code == 302
    assert not signed_in(client)  # signed out on the other instance ends it here too
    assert not signed_in(client_with(app, saved))
    assert not signed_in(client_with(another_app(), saved))


# --- the cookie's flags -----------------------------------------------------------------------


def set_cookie_header(client: FlaskClient, **kwargs: Any) -> str:
    """The session cookie the sign-in page sets (it holds the form's CSRF secret)."""
    response = client.get("/staff/login", **kwargs)
    assert response.status_code == 200
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(headers) == 1, headers
    return headers[0]


def flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_the_cookie_is_secure_httponly_and_lax_when_the_base_url_is_https(another_app):
    app = another_app(ISSUER_BASE_URL="HTTPS://Issuer.Example")
    header = set_cookie_header(app.test_client())
    assert {"secure", "httponly"} <= flags(header) and "SameSite=Lax" in header


def test_the_cookie_is_secure_for_a_request_over_https(another_app):
    app = another_app(ISSUER_BASE_URL="http://localhost:5000")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    plain = set_cookie_header(app.test_client())
    assert "secure" not in flags(plain) and {"httponly", "samesite"} <= flags(plain)
    direct = set_cookie_header(app.test_client(), base_url="https://localhost")
    assert "secure" in flags(direct) and "SameSite=Lax" in direct


def test_the_cookie_is_secure_behind_a_trusted_proxy_only(another_app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    trusting = another_app(ISSUER_BASE_URL="http://localhost:5000", TRUSTED_PROXIES=1)
    header = set_cookie_header(trusting.test_client(), headers=forwarded)
    assert {"secure", "httponly"} <= flags(header) and "SameSite=Lax" in header
    untrusting = another_app(ISSUER_BASE_URL="http://localhost:5000")
    assert "secure" not in flags(set_cookie_header(untrusting.test_client(), headers=forwarded))


def test_trusted_proxies_must_be_a_number(another_app, monkeypatch):
    monkeypatch.setenv("MICROCRED_TRUSTED_PROXIES", "yes")
    with pytest.raises(ValueError, match="MICROCRED_TRUSTED_PROXIES"):
        another_app()


# --- the service ------------------------------------------------------------------------------


def test_the_session_service(app, demo):
    email = add_user(app)
    hours = timedelta(hours=12)
    at = staff_sessions.now()
    with transaction(app) as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        first = staff_sessions.start(session, user, at=at)
        second = staff_sessions.start(session, user, at=at)
        live = staff_sessions.find_live(session, first, max_age=hours, at=at)
        assert live is not None and live.user_id == user.id and not live.needs_touch(at)
        assert live.needs_touch(at + timedelta(minutes=2))
        assert staff_sessions.find_live(session, "no such secret", max_age=hours, at=at) is None
        assert staff_sessions.find_live(session, first, max_age=hours, at=at + hours) is None
        assert staff_sessions.end(session, first, EndReason.SIGNED_OUT, at=at)
        assert not staff_sessions.end(session, first, EndReason.SIGNED_OUT, at=at)  # once
        assert staff_sessions.find_live(session, first, max_age=hours, at=at) is None
        assert staff_sessions.find_live(session, second, max_age=hours, at=at) is not None
        assert staff_sessions.end_all(session, user.id, EndReason.PASSWORD_CHANGED, at=at) == 1
        assert staff_sessions.find_live(session, second, max_age=hours, at=at) is None
        later = at + staff_sessions.KEEP_FOR + timedelta(seconds=1)
        assert staff_sessions.prune(session, at=later) == 2
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0
