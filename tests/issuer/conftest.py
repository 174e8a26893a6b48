"""Fixtures for the issuer: an app on a fresh database (SQLite, or PostgreSQL when
``DATABASE_URL`` points at one), its client, and the demo partnership with tokens."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from issuer.app import create_app
from issuer.bootstrap import Demo, create_demo
from issuer.db import make_engine, session_factory, transaction, upgrade

BASE_URL = "https://issuer.example"
PASSPHRASE = "test-passphrase"


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres", "postgresql")) else None


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or (with ``DATABASE_URL`` set to PostgreSQL)
    a new schema on that server, dropped afterwards."""
    postgres = _postgres_url()
    if postgres is None:
        url = f"sqlite:///{tmp_path / 'issuer.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres else "?"
    url = f"{postgres}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The issuer app on a fresh database; bulk jobs run inline (no worker thread)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ISSUER_BASE_URL": BASE_URL,
            "VERIFIER_BASE_URL": "https://verifier.example",
            "KEY_PASSPHRASE": PASSPHRASE,
            "BULK_WORKER": "inline",
            "SECRET_KEY": "test",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    session_factory(app).kw["bind"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the issuer app."""
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> Demo:
    """The demo partnership (three organisations with keys, one specification, tokens)."""
    with transaction(app) as session:
        return create_demo(session, base_url=BASE_URL, passphrase=PASSPHRASE.encode())


def bearer(demo: Demo, role: str = "issuer", organisation: str = "aarhus-demo-university") -> dict:
    """The Authorization header of a demo token."""
    return {"Authorization": f"Bearer {demo.tokens[f'{organisation}:{role}']}"}


@pytest.fixture
def auth(demo: Demo):  # type: ignore[no-untyped-def]
    """``auth(role="issuer", organisation=...)`` → headers with that demo token."""
    return lambda role="issuer", organisation="aarhus-demo-university": bearer(
        demo, role, organisation
    )
