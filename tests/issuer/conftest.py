"""Fixtures for the issuer: an app on a fresh database (SQLite, or PostgreSQL when
``DATABASE_URL`` points at one), its client, the demo partnership with tokens, and the
``microcred issuer`` command line against the test's database.

tests/integration/conftest.py re-exports these fixtures (the integration tests run the issuer
with the verifier). Every test that asks for ``database_url`` is marked ``postgres`` by
tests/conftest.py, wherever it lives."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from cli.main import main
from demo.partnership import DEMO_PARTNERSHIP, DEMO_SPECIFICATION, Demo, create_demo
from issuer import server_secrets
from issuer.app import create_app
from issuer.db import make_engine, session_factory, transaction, upgrade
from issuer.models import Organisation, Partnership, Specification
from issuer.server_secrets import PASSPHRASE_ENV, SECRET_ENV

from .postgres_databases import Databases, Seed, capture
from .shell import SPEC, Run

BASE_URL = "https://issuer.example"
PASSPHRASE = "test-passphrase"


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres", "postgresql")) else None


@dataclass
class Templates:
    """Migrated SQLite databases made once per test session and copied for each test: one
    empty, one holding the demo partnership (whose token secrets are kept here)."""

    empty: Path
    with_demo: Path
    tokens: dict[str, str]
    #: On PostgreSQL, the process's databases (``empty`` and ``with_demo`` then name seeds).
    postgres: Databases | None = None


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


#: The process's templates, while the first ``templates`` fixture that made them is alive.
_TEMPLATES: list[Templates] = []
#: On PostgreSQL, what the templates hold: ``empty`` and ``demo``.
_SEEDS: dict[str, Seed] = {}


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """The session's template databases: SQLite files (each test's database is a copy), or, on
    PostgreSQL, the seeds that this process's databases are reset to before each test.

    Made once per process: tests/integration/conftest.py re-exports this fixture, and pytest
    keeps one value per conftest that defines it, so the second asks for the first's (the
    PostgreSQL databases are named after the process: making them again would replace them,
    and their demo tokens, under the tests still using the first)."""
    if _TEMPLATES:
        yield _TEMPLATES[0]
        return
    postgres = _postgres_url()
    if postgres is None:
        folder = tmp_path_factory.mktemp("templates")
        empty, with_demo = folder / "empty.sqlite3", folder / "demo.sqlite3"
        _settled_template(_sqlite_url(empty), with_demo=False)
        shutil.copyfile(empty, with_demo)
        tokens = _settled_template(_sqlite_url(with_demo), with_demo=True)
        _TEMPLATES.append(Templates(empty, with_demo, tokens))
        try:
            yield _TEMPLATES[0]
        finally:
            _TEMPLATES.clear()
        return
    databases = Databases(postgres)
    try:
        empty = capture(databases.make_template())
        with databases.database("mc_t", empty) as url:
            tokens = _settled_template(url, with_demo=True)
            with_demo = capture(url)
        _TEMPLATES.append(Templates(Path("empty"), Path("demo"), tokens, databases))
        _SEEDS.update(empty=empty, demo=with_demo)
        yield _TEMPLATES[0]
    finally:
        _TEMPLATES.clear()
        _SEEDS.clear()
        databases.drop_all()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database copied from a template (holding the demo partnership when
    the test asks for ``demo``): a SQLite file, or, with ``DATABASE_URL`` set to PostgreSQL,
    this process's test database on that server, reset to the template's rows."""
    made: Templates = request.getfixturevalue("templates")
    template = made.with_demo if "demo" in request.fixturenames else made.empty
    with copied_database(template, tmp_path / "issuer.sqlite3", prefix="mc_t") as url:
        yield url


@contextlib.contextmanager
def copied_database(template: Path, sqlite_file: Path, *, prefix: str) -> Iterator[str]:
    """The URL of a fresh copy of ``template``: ``sqlite_file`` copied from the SQLite
    template, or, with ``DATABASE_URL`` naming PostgreSQL, this process's database
    ``<prefix>_<pid>`` reset to hold just what the template of that name holds (see
    tests/issuer/postgres_databases.py)."""
    if _postgres_url() is None:
        shutil.copyfile(template, sqlite_file)
        yield _sqlite_url(sqlite_file)
        return
    databases = _TEMPLATES[0].postgres
    assert databases is not None
    with databases.database(prefix, _SEEDS[template.name]) as url:
        yield url


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


# --- the command line (tests/issuer/shell.py has its helpers) ---------------------------------


@pytest.fixture
def env(database_url: str) -> dict[str, str | None]:
    """The environment every command runs in: the fixture's database, base URL, passphrase."""
    return {
        "DATABASE_URL": database_url,
        "MICROCRED_ISSUER_URL": BASE_URL,
        "MICROCRED_VERIFIER_URL": "https://verifier.example",
        "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
        "MICROCRED_DEBUG": None,
    }


@pytest.fixture
def cli(env: dict[str, str | None]) -> Run:
    """``cli(*args, code=0, **env_overrides)`` runs ``microcred issuer *args`` and checks the
    exit status; a failure must be one ``error: …`` message and never a traceback."""
    runner = CliRunner()

    def run(*args: str, code: int = 0, **overrides: str | None) -> Result:
        result = runner.invoke(main, ["issuer", *args], env={**env, **overrides})
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        if code == 2:
            assert result.stderr.startswith("error: "), result.stderr
            assert "Traceback" not in result.output
            assert isinstance(result.exception, SystemExit)
        return result

    return run


@pytest.fixture
def partnership(cli: Run, tmp_path: Path) -> None:
    """Partnership ``p``, made with the command line: a university ``uni`` (Ed25519), an
    employer ``firm`` (P-256), the demo specification."""
    cli("create-partnership", "p", "Test Partnership")
    did = cli(
        "add-organisation",
        "p",
        "uni",
        "--name",
        "Test University",
        "--country",
        "DNK",
        "--country-label",
        "Denmark",
        "--identifier",
        "DK UNI01",
        "--homepage",
        "https://uni.example",
    ).stdout.strip()
    assert did == "did:web:issuer.example:orgs:p:uni"
    cli(
        "add-organisation",
        "p",
        "firm",
        "--name",
        "Firm A/S",
        "--country",
        "DNK",
        "--country-label",
        "Denmark",
        "--suite",
        "ecdsa-rdfc-2019",
    )
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(DEMO_SPECIFICATION))
    result = cli("create-specification", "p", str(spec))
    assert f"{BASE_URL}/specifications/p/{SPEC}" in result.stdout


# --- server secrets ---------------------------------------------------------------------------

#: The settings that decide the secret key, the key passphrase and demo mode.
SECRET_SETTINGS = (SECRET_ENV, PASSPHRASE_ENV, server_secrets.DEMO_ENV)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No secret, passphrase or demo flag from the caller's environment."""
    for name in SECRET_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch
