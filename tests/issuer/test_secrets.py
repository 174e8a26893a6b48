"""Secrets: outside demo mode the issuer refuses to serve with a missing or known secret key or
the demo key passphrase (one line naming the setting, from the factory; gunicorn and ``make
run``'s script: tests/demo/test_run_secrets.py); failed staff sign-ins are counted in the
database, shared by every app instance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from issuer import server_secrets
from issuer.app import create_app
from issuer.db import session_factory, transaction
from issuer.models import Organisation, Role, SigninFailure, User
from issuer.server_secrets import (
    DEMO_PASSPHRASE,
    PASSPHRASE_ENV,
    SECRET_ENV,
    InsecureSettings,
)
from tests.issuer.conftest import BASE_URL, PASSPHRASE

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def build(tmp_path: Path, **config: object):  # type: ignore[no-untyped-def]
    """An issuer app over a throwaway SQLite file (its engine disposed at once)."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", **config})
    session_factory(app).kw["bind"].dispose()
    return app


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text
    return text


# --- the factory ------------------------------------------------------------------------------


def test_a_server_without_a_secret_key_refuses_to_start(clean_env, tmp_path):
    with pytest.raises(InsecureSettings) as caught:
        build(tmp_path)
    assert caught.value.setting == SECRET_ENV and caught.value.code == "insecure_settings"
    assert one_line(caught.value).startswith(f"{SECRET_ENV} is not set")


@pytest.mark.parametrize("known", ["dev-only-change-me", "change-me", " Secret "])
def test_a_server_with_a_known_secret_key_refuses_to_start(clean_env, tmp_path, known):
    clean_env.setenv(SECRET_ENV, known)
    with pytest.raises(InsecureSettings) as caught:
        build(tmp_path)
    assert one_line(caught.value).startswith(f"{SECRET_ENV} is a known default")


def test_a_server_with_the_demo_passphrase_refuses_to_start(clean_env, tmp_path):
    clean_env.setenv(SECRET_ENV, "a-real-secret-of-this-deployment")
    clean_env.setenv(PASSPHRASE_ENV, DEMO_PASSPHRASE)
    with pytest.raises(InsecureSettings) as caught:
        build(tmp_path)
    assert caught.value.setting == PASSPHRASE_ENV
    assert one_line(caught.value).startswith(f"{PASSPHRASE_ENV} is the demo passphrase")


def test_explicit_settings_are_accepted(clean_env, tmp_path):
    clean_env.setenv(SECRET_ENV, "a-real-secret-of-this-deployment")
    clean_env.setenv(PASSPHRASE_ENV, "a-real-passphrase")
    app = build(tmp_path)
    assert app.config["SECRET_KEY"] == "a-real-secret-of-this-deployment"
    assert app.config["DEMO"] is False


@pytest.mark.parametrize("how", ["environment", "config"])
def test_demo_mode_accepts_the_demo_values(clean_env, tmp_path, how):
    clean_env.setenv(PASSPHRASE_ENV, DEMO_PASSPHRASE)
    if how == "environment":
        clean_env.setenv(server_secrets.DEMO_ENV, "1")
        app = build(tmp_path)
    else:
        app = build(tmp_path, DEMO=True)
    assert app.config["SECRET_KEY"] == server_secrets.DEMO_SECRET
    assert app.config["KEY_PASSPHRASE"] == DEMO_PASSPHRASE


def test_the_command_line_needs_no_secret_key(clean_env, tmp_path):
    app = build(tmp_path, CHECK_SECRETS=False)
    assert not app.config["SECRET_KEY"]


def test_instance_secrets_differ_between_instances(tmp_path):
    first = server_secrets.instance_secret(tmp_path / "one")
    assert server_secrets.instance_secret(tmp_path / "one") == first
    assert server_secrets.instance_secret(tmp_path / "two") != first


# --- failed sign-ins, shared by every worker --------------------------------------------------

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client, email: str, password: str) -> int:  # type: ignore[no-untyped-def]
    page = client.get("/staff/login")
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    data = {"email": email, "password": password, "csrf_token": token.group(1)}
    return int(client.post("/staff/login", data=data).status_code)


def test_failed_sign_ins_are_counted_across_app_instances(app, demo, database_url):
    email = "viewer@aarhus.test"
    with transaction(app) as session:
        organisation = session.scalar(select(Organisation).order_by(Organisation.id))
        session.add(
            User(
                organisation_id=organisation.id,
                email=email,
                name="Viewer",
                role=Role.VIEWER,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
            )
        )
    second = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ISSUER_BASE_URL": BASE_URL,
            "KEY_PASSPHRASE": PASSPHRASE,
            "SECRET_KEY": "test",
        }
    )
    try:
        for each in (app, second):
            each.config["STAFF_LOGIN_MAX_FAILURES"] = 3
        one, two = app.test_client(), second.test_client()
        assert sign_in(one, email, "wrong") == 422
        assert sign_in(two, email, "wrong") == 422
        assert sign_in(one, email, "wrong") == 422
        # three failures in all: both instances refuse, even the right password
        assert sign_in(two, email, PASSWORD) == 429
        assert sign_in(one, email, PASSWORD) == 429
        with transaction(app) as session:
            keys = set(session.scalars(select(SigninFailure.key)))
        assert len(keys) == 1 and email not in next(iter(keys))  # a hash, not the address

        second.config["STAFF_LOGIN_WINDOW"] = 0  # the window has passed
        assert sign_in(two, email, PASSWORD) == 302
        with transaction(app) as session:  # a success forgets the failures, for everyone
            assert session.scalars(select(SigninFailure)).all() == []
        assert sign_in(one, email, "wrong") == 422
    finally:
        session_factory(second).kw["bind"].dispose()
