"""The database refuses to change or remove audit events: the triggers that say so, per dialect.

Used by the migration ``0002a_audit_integrity`` and attached to the model's table
(:func:`attach`), so ``alembic upgrade`` and ``metadata.create_all`` give the same schema.
SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers that ``RAISE(ABORT, …)``.
PostgreSQL: one trigger function raising SQLSTATE 23000 (``integrity_constraint_violation``),
fired ``BEFORE UPDATE OR DELETE`` for each row and ``BEFORE TRUNCATE`` for the statement.
Both reach SQLAlchemy as ``IntegrityError`` with ``APPEND_ONLY_MESSAGE`` in its text. (No
statement contains ``%``: ``DDL`` and psycopg would read it as a placeholder.)

SQLite drops a table's triggers with the table: a later migration that rebuilds
``audit_events`` in batch mode must call :func:`create_triggers` again.
"""

from __future__ import annotations

from sqlalchemy import DDL, Connection, Table, event, text

TABLE = "audit_events"
APPEND_ONLY_MESSAGE = "audit_events is append-only"

SQLITE_TRIGGERS: dict[str, str] = {
    "audit_events_no_update": (
        f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    ),
    "audit_events_no_delete": (
        f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    ),
}

POSTGRES_FUNCTION = "audit_events_append_only"
POSTGRES_FUNCTION_DDL = f"""\
CREATE OR REPLACE FUNCTION {POSTGRES_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = '{APPEND_ONLY_MESSAGE}: ' || TG_OP || ' refused',
        ERRCODE = 'integrity_constraint_violation';
END
$$"""
POSTGRES_TRIGGERS: dict[str, str] = {
    "audit_events_no_update_delete": (
        f"CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {POSTGRES_FUNCTION}()"
    ),
    "audit_events_no_truncate": (
        f"CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {POSTGRES_FUNCTION}()"
    ),
}


def statements(dialect: str) -> list[str]:
    """The DDL that makes ``audit_events`` append-only on ``dialect``, in order."""
    if dialect == "sqlite":
        return list(SQLITE_TRIGGERS.values())
    if dialect == "postgresql":
        return [POSTGRES_FUNCTION_DDL, *POSTGRES_TRIGGERS.values()]
    raise NotImplementedError(f"no append-only triggers for the {dialect} dialect")


def trigger_names(dialect: str) -> set[str]:
    """The names of the triggers on ``audit_events`` that :func:`create_triggers` makes."""
    return set(SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS)


def create_triggers(connection: Connection) -> None:
    """Make ``audit_events`` append-only in the database of ``connection``."""
    for statement in statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    """Remove what :func:`create_triggers` made (migrations' downgrade; tests acting as a
    malicious database administrator)."""
    dialect = connection.dialect.name
    for name in sorted(trigger_names(dialect)):
        on = "" if dialect == "sqlite" else f" ON {TABLE}"
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{on}")
    if dialect == "postgresql":
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {POSTGRES_FUNCTION}()")


def installed_triggers(connection: Connection) -> set[str]:
    """The names of the user-defined triggers on ``audit_events`` in the database."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"
    elif dialect == "postgresql":
        query = (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = to_regclass(:table)"
        )
    else:
        raise NotImplementedError(f"cannot list triggers on the {dialect} dialect")
    return set(connection.execute(text(query), {"table": TABLE}).scalars())


def attach(table: Table) -> None:
    """Create the triggers whenever ``metadata.create_all`` creates ``table``."""
    for dialect in ("sqlite", "postgresql"):
        for statement in statements(dialect):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
