"""The tests' PostgreSQL databases: one per test process and purpose, made once and reset before
each test, instead of a new database made from a template for every test.

A reset ends every other session on the database (as ``DROP DATABASE … WITH (FORCE)`` did),
empties every table but ``alembic_version`` (with triggers off, so neither foreign keys nor
``audit_events``' append-only trigger get in the way), puts back the rows of a :class:`Seed`
(captured once: the migrated, empty database, or the one holding the demo partnership) and
sets every sequence back to where the seed left it. A test that changed the schema (the
migration tests downgrade and upgrade; some drop the audit triggers) leaves a different
catalogue fingerprint: the database is then made anew from the migrated template. The
databases commit with ``synchronous_commit = off``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from issuer.db import make_engine, normalise_url, upgrade

#: One text summarising the database's schema: the columns, defaults, indexes, constraints,
#: triggers, relations, functions and types of ``public``, the other schemas, the extensions
#: and the migration revision. Equal text, same schema.
FINGERPRINT = """
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
         || ':' || a.attnotnull || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS x
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT conrelid::regclass || ':' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT tgrelid::regclass || ':' || pg_get_triggerdef(oid)
  FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'revision ' || version_num FROM alembic_version
  UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
  WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
  UNION ALL SELECT 'relation ' || relname || ' ' || relkind::text FROM pg_class
  WHERE relnamespace = 'public'::regnamespace
  UNION ALL SELECT 'function ' || oid::regprocedure FROM pg_proc
  WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace
  UNION ALL SELECT 'extension ' || extname FROM pg_extension
) AS s
"""

TABLES = """
SELECT c.relname, array_agg(a.attname ORDER BY a.attnum)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = ''
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'alembic_version'
GROUP BY c.relname ORDER BY c.relname
"""

SEQUENCES = """
SELECT schemaname || '.' || sequencename, coalesce(last_value, start_value), last_value IS NOT NULL
FROM pg_sequences WHERE schemaname = 'public'
"""

OTHER_SESSIONS = """
SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@dataclass(frozen=True)
class Seed:
    """What a reset database holds: each table's rows (binary ``COPY``, named columns) and
    each sequence's position."""

    rows: dict[str, tuple[list[str], bytes]]
    sequences: dict[str, tuple[int, bool]]


def _named(server: str, name: str) -> str:
    return make_url(normalise_url(server)).set(database=name).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tables(connection: psycopg.Connection) -> dict[str, list[str]]:
    return {name: list(columns) for name, columns in connection.execute(TABLES).fetchall()}


def capture(url: str) -> Seed:
    """The rows and sequence positions of the database at ``url``."""
    rows: dict[str, tuple[list[str], bytes]] = {}
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        for table, columns in _tables(connection).items():
            statement = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT binary)").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            if not connection.execute(
                sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(table))
            ).fetchone()[0]:  # type: ignore[index]
                continue
            with connection.cursor().copy(statement) as copy:
                rows[table] = (columns, b"".join(bytes(block) for block in copy))
        sequences = {
            name: (int(value), bool(called))
            for name, value, called in connection.execute(SEQUENCES).fetchall()
        }
    return Seed(rows, sequences)


def fingerprint(url: str) -> str:
    """The schema fingerprint of the database at ``url`` (see :data:`FINGERPRINT`)."""
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        return str(connection.execute(FINGERPRINT).fetchone()[0])  # type: ignore[index]


@dataclass
class Databases:
    """This process's test databases on the server at ``server``: a migrated template
    ``mc_tpl_<pid>`` and, per purpose (``prefix``), one database ``<prefix>_<pid>`` made from
    it, reset to a seed each time it is handed out."""

    server: str
    template: str = field(init=False)
    schema: str = field(init=False, default="")
    made: set[str] = field(default_factory=set)
    in_use: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.template = f"mc_tpl_{os.getpid()}"

    def _admin(self, statements: Callable[[psycopg.Connection], None]) -> None:
        with psycopg.connect(_libpq(normalise_url(self.server)), autocommit=True) as connection:
            statements(connection)

    def make_template(self) -> str:
        """Make and migrate the template database; its URL."""

        def create(connection: psycopg.Connection) -> None:
            name = sql.Identifier(self.template)
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))

        self._admin(create)
        url = _named(self.server, self.template)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        self.schema = fingerprint(url)
        return url

    def _create(self, name: str) -> None:
        def create(connection: psycopg.Connection) -> None:
            database = sql.Identifier(name)
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    database, sql.Identifier(self.template)
                )
            )
            connection.execute(
                sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(database)
            )

        self._admin(create)
        self.made.add(name)

    def reset(self, prefix: str, seed: Seed) -> str:
        """The URL of database ``<prefix>_<pid>``, made if need be, holding just ``seed``."""
        name = f"{prefix}_{os.getpid()}"
        url = _named(self.server, name)
        if name not in self.made:
            self._create(name)
        with psycopg.connect(_libpq(url), autocommit=True) as connection:
            connection.execute(OTHER_SESSIONS)
            same = connection.execute(FINGERPRINT).fetchone()[0] == self.schema  # type: ignore[index]
        if not same:
            self._create(name)
        with psycopg.connect(_libpq(url)) as connection:
            _restore(connection, seed)
        return url

    @contextlib.contextmanager
    def database(self, prefix: str, seed: Seed) -> Iterator[str]:
        """Within the block, the URL of this process's ``prefix`` database, reset to ``seed``."""
        assert prefix not in self.in_use, f"the {prefix} database is already in use"
        self.in_use.add(prefix)
        try:
            yield self.reset(prefix, seed)
        finally:
            self.in_use.discard(prefix)

    def drop_all(self) -> None:
        """Drop every database this process made."""

        def drop(connection: psycopg.Connection) -> None:
            for name in (*self.made, self.template):
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

        self._admin(drop)
        self.made.clear()


def _restore(connection: psycopg.Connection, seed: Seed) -> None:
    """Empty every table of the database and put ``seed`` back, in one transaction.

    ``DELETE`` rather than ``TRUNCATE``: on tables this small it is some thirty times faster
    (``TRUNCATE`` makes new files for every table and index). With triggers off for the
    transaction (``session_replication_role = replica``) neither the foreign keys nor
    ``audit_events``' append-only trigger get in the way; the sequences are set back below."""
    tables = _tables(connection)
    connection.execute("SET LOCAL session_replication_role = replica")
    connection.execute(
        sql.SQL("; ").join(sql.SQL("DELETE FROM {}").format(sql.Identifier(t)) for t in tables)
    )
    for table, (columns, data) in seed.rows.items():
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with connection.cursor().copy(statement) as copy:
            copy.write(data)
    if seed.sequences:
        connection.execute(
            sql.SQL("SELECT {}").format(
                sql.SQL(", ").join(
                    sql.SQL("setval({}, {}, {})").format(
                        sql.Literal(name), sql.Literal(value), sql.Literal(called)
                    )
                    for name, (value, called) in seed.sequences.items()
                )
            )
        )
    connection.commit()
