"""The issuer's database lifecycle: one engine per app, one session per request.

SQLite (a file under the instance folder) is the default; ``DATABASE_URL`` selects another
database, e.g. ``postgresql+psycopg://user@host/db``. The schema is created and upgraded by
Alembic (``migrations/``), never by ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached, sessionmaker

# The tables kept in their own modules beside issuer.models (bulk queue, corrections): on the
# metadata wherever the database is used.
from issuer.bulk import models as _bulk_tables  # noqa: F401
from issuer.credentials import models as _correction_tables  # noqa: F401
from issuer.sqlite_writers import QueuedWriters

EXTENSION = "microcred.db"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given as ``postgres://`` or ``postgresql://``."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and its writers
    queued on a lock file (:mod:`issuer.sqlite_writers`) so that bulk workers and web requests
    share the file, each writer starting the moment the one before it commits."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # The driver opens a transaction with BEGIN IMMEDIATE before the first write (reads
        # take no lock), so concurrent writers queue on the busy timeout instead of failing
        # when a read lock cannot be upgraded.
        engine = create_engine(
            url,
            connect_args={
                "timeout": 30,
                "check_same_thread": False,
                "isolation_level": "IMMEDIATE",
                "factory": QueuedWriters,
            },
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _sqlite_begin_before_savepoint(connection: Any, _: str) -> None:
            # The driver sends no BEGIN before a SAVEPOINT; a SAVEPOINT outside a transaction
            # would start one that its RELEASE commits, beyond the reach of a later rollback.
            dbapi_connection = connection.connection.dbapi_connection
            if not dbapi_connection.in_transaction:
                dbapi_connection.execute("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    """Bring the database at ``engine`` to the newest migration (``alembic upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    """The app's session factory (for worker threads and the CLI)."""
    return (app or current_app).extensions[EXTENSION]


def get_session() -> Session:
    """The current request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    session: Session = g.db_session
    return session


@contextmanager
def transaction(app: Flask | None = None) -> Iterator[Session]:
    """A new session in one transaction: committed if the block ends, rolled back if it raises."""
    with session_factory(app).begin() as session:
        yield session


T = TypeVar("T")


def add_as_stored(session: Session, row: T) -> T:
    """``row`` (a new mapped object holding every column of a row just written with a Core
    statement) made part of ``session`` as the stored row it is: no query, its values taken as
    loaded, so a later change to it is an ordinary ``UPDATE`` at the next flush."""
    make_transient_to_detached(row)
    session.add(row)
    return row


def stored_row(session: Session, model: type[T], values: Mapping[str, Any]) -> T:
    """:func:`add_as_stored` of a new ``model`` object holding ``values`` (column names, the
    primary key included), made as the ORM makes the objects of a query's rows: the values
    are put in place without the attribute events of ``model(**values)``, which would only
    record history that :func:`add_as_stored` discards (about half the cost of the object).
    The mappers are configured first, as making the first object of a model does."""
    configure_mappers()  # a no-op once done
    row = cast(T, inspect(model).class_manager.new_instance())
    row.__dict__.update(values)
    return add_as_stored(session, row)


def as_stored(session: Session, model: type[T], values: Mapping[str, Any]) -> T:
    """The ``model`` object of the stored row ``values`` (every column but deferred ones, the
    primary key included), read with a Core statement: the one ``session`` holds already, or a
    new one made part of it by :func:`stored_row` (no query; a column left out loads when
    first read, as a deferred column does)."""
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key(
        [values[column.key] for column in mapper.primary_key]
    )
    known = session.identity_map.get(key)
    if known is not None:
        return cast(T, known)
    return stored_row(session, model, values)


def _close_session(_: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


@click.command("init-db")
def init_db_command() -> None:
    """Create or upgrade the issuer's database to the newest schema."""
    upgrade(session_factory().kw["bind"])
    click.echo("database is at the newest migration")


def init_app(app: Flask) -> None:
    """Bind an engine to ``app`` from ``DATABASE_URL`` and register teardown and ``init-db``."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)
    app.cli.add_command(init_db_command)
