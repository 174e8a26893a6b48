"""Fixtures for the issuer: an app on a fresh database (SQLite, or PostgreSQL when
``DATABASE_URL`` points at one), its client, and the demo partnership with tokens."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import sessionmaker

from demo.partnership import DEMO_PARTNERSHIP, Demo, create_demo
from issuer.app import create_app
from issuer.db import make_engine, normalise_url, session_factory, transaction, upgrade
from issuer.models import Organisation, Partnership, Specification

BASE_URL = "https://issuer.example"
PASSPHRASE = "test-passphrase"


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres", "postgresql")) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs on a database is marked ``postgres``: CI runs those again on
    PostgreSQL (``make test`` with ``MICROCRED_TEST_POSTGRES`` set)."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@dataclass
class Templates:
    """Migrated SQLite databases made once per test session and copied for each test: one
    empty, one holding the demo partnership (whose token secrets are kept here)."""

    empty: Path
    with_demo: Path
    tokens: dict[str, str]


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _settle(engine: Engine) -> None:
    """Fold the WAL into the main file and close, so the file can be copied on its own."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _settled_template(url: str, *, with_demo: bool) -> dict[str, str]:
    """Migrate the database at ``url`` (and add the demo); the demo's token secrets."""
    engine = make_engine(url)
    upgrade(engine)
    tokens: dict[str, str] = {}
    if with_demo:
        with sessionmaker(bind=engine).begin() as session:
            tokens = dict(
                create_demo(session, base_url=BASE_URL, passphrase=PASSPHRASE.encode()).tokens
            )
    if url.startswith("sqlite"):
        _settle(engine)
    else:
        engine.dispose()
    return tokens


def _database_named(url: str, name: str) -> str:
    return make_url(normalise_url(url)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """The session's template databases: SQLite files, or PostgreSQL template databases (each
    test's database is then ``CREATE DATABASE … TEMPLATE …``, a fast file copy)."""
    postgres = _postgres_url()
    if postgres is None:
        folder = tmp_path_factory.mktemp("templates")
        empty, with_demo = folder / "empty.sqlite3", folder / "demo.sqlite3"
        _settled_template(_sqlite_url(empty), with_demo=False)
        shutil.copyfile(empty, with_demo)
        tokens = _settled_template(_sqlite_url(with_demo), with_demo=True)
        yield Templates(empty, with_demo, tokens)
        return
    prefix = f"mc_tpl_{os.getpid()}"
    names = (f"{prefix}_empty", f"{prefix}_demo")
    admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    _settled_template(_database_named(postgres, names[0]), with_demo=False)
    tokens = _settled_template(_database_named(postgres, names[1]), with_demo=True)
    try:
        yield Templates(Path(names[0]), Path(names[1]), tokens)
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database copied from a template (holding the demo partnership when
    the test asks for ``demo``): a SQLite file, or, with ``DATABASE_URL`` set to PostgreSQL,
    a new database on that server, dropped afterwards."""
    made: Templates = request.getfixturevalue("templates")
    template = made.with_demo if "demo" in request.fixturenames else made.empty
    with copied_database(template, tmp_path / "issuer.sqlite3", prefix="mc_t") as url:
        yield url


@contextlib.contextmanager
def copied_database(template: Path, sqlite_file: Path, *, prefix: str) -> Iterator[str]:
    """The URL of a fresh copy of ``template``: ``sqlite_file`` copied from the SQLite
    template, or, with ``DATABASE_URL`` naming PostgreSQL, a database ``<prefix>_<random>``
    made from the template database of that name — dropped when the block ends."""
    postgres = _postgres_url()
    if postgres is None:
        shutil.copyfile(template, sqlite_file)
        yield _sqlite_url(sqlite_file)
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template.name}"')
    try:
        yield _database_named(postgres, name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
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
def demo(request: pytest.FixtureRequest, app: Flask) -> Demo:
    """The demo partnership (three organisations with keys, one specification, tokens), read
    from the test's copy of the template."""
    made: Templates = request.getfixturevalue("templates")
    with transaction(app) as session:
        partnership = session.scalar(
            select(Partnership).where(Partnership.slug == DEMO_PARTNERSHIP[0])
        )
        assert partnership is not None
        organisations = list(
            session.scalars(
                select(Organisation)
                .where(Organisation.partnership_id == partnership.id)
                .order_by(Organisation.id)
            )
        )
        for organisation in organisations:
            _ = organisation.keys, organisation.partnership  # loaded before the session ends
        specification = session.scalar(
            select(Specification).where(Specification.partnership_id == partnership.id)
        )
        assert specification is not None
        return Demo(partnership, organisations, specification, dict(made.tokens))


def bearer(demo: Demo, role: str = "issuer", organisation: str = "aarhus-demo-university") -> dict:
    """The Authorization header of a demo token."""
    return {"Authorization": f"Bearer {demo.tokens[f'{organisation}:{role}']}"}


@pytest.fixture
def auth(demo: Demo):  # type: ignore[no-untyped-def]
    """``auth(role="issuer", organisation=...)`` → headers with that demo token."""
    return lambda role="issuer", organisation="aarhus-demo-university": bearer(
        demo, role, organisation
    )
