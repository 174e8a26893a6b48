"""Alembic environment: migrate the database given by the caller's connection or DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

import issuer.learner_models  # noqa: F401 (its tables join Base.metadata)
from issuer.db import make_engine
from issuer.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run on a connection handed over by ``issuer.db.upgrade``, or one opened from
    ``DATABASE_URL`` (default: the SQLite file of ``instance/``)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("DATABASE_URL", "sqlite:///instance/issuer.sqlite3")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        transaction_per_migration=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
