"""Migrating a test's database to a given revision, down or up (the migration tests)."""

from __future__ import annotations

from collections.abc import Callable

from alembic.config import Config
from sqlalchemy import Engine

from issuer.db import MIGRATIONS

Step = Callable[..., None]


def migrator(engine: Engine) -> Callable[[Step, str], None]:
    """``migrate(alembic.command.downgrade, "0012_…")`` (or ``upgrade``) for ``engine``'s
    database, each step in a transaction of its own."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def migrate(step: Step, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    return migrate
