"""Many rows in one statement: the multi-row ``INSERT`` and ``UPDATE`` of the bulk path.

On PostgreSQL the rows travel as one array parameter per column and the server unnests them
(``INSERT … SELECT * FROM unnest(…)``, ``UPDATE … FROM unnest(…)``), sent in psycopg's binary
format straight to the driver (``exec_driver_sql``; errors still reach the caller as
SQLAlchemy's, ``IntegrityError`` and all): one statement and one
round trip whatever the number of rows, and an SQL text that does not depend on it, so that
SQLAlchemy's compiled cache, psycopg's query cache and the server's prepared statements all
hold (a ``VALUES`` list of N rows is a new text of N placeholders for every N).

On SQLite (in process: a statement costs no round trip) the same work goes through the
driver's ``executemany``; rows that come back (``RETURNING``) through SQLAlchemy's
multi-row ``INSERT … VALUES``.

Values are given as the ORM would take them (enums, timezone-aware datetimes, dicts for JSON)
and pass through each column type's bind processing on either database. Columns left out get
their Python-side default (``default=`` of the column, computed once per call), or NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Dialect,
    Row,
    Table,
    any_,
    bindparam,
    func,
    or_,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

Rows = Sequence[Mapping[str, Any]]


def among(
    dialect: Dialect, column: ColumnElement[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """``column IN (values)`` in SQL whose text does not depend on how many values there are:
    on PostgreSQL ``column = ANY(:array)`` (one parameter: the statement is prepared once and
    its plan kept), on SQLite the usual ``IN``."""
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _columns(table: Table, rows: Rows) -> tuple[list[str], dict[str, Any]]:
    """The columns the rows give, and the Python-side defaults of the insertable rest."""
    given = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or column.primary_key or default is None:
            continue
        if default.is_scalar:
            defaults[column.name] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            defaults[column.name] = default.arg(None)  # type: ignore[attr-defined]
    return given, defaults


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    key = (column, dialect.name)
    if key not in _PROCESSORS:
        _PROCESSORS[key] = column.type.dialect_impl(dialect).bind_processor(dialect)
    return _PROCESSORS[key]


# Built once per shape (table, columns, options, database): building a statement, its SQL
# text or a column's bind processing costs more than running a small insert on SQLite.
_PROCESSORS: dict[tuple[Column[Any], str], Callable[[Any], Any] | None] = {}
_SQLITE_INSERTS: dict[tuple[Table, bool, tuple[str, ...]], Any] = {}
_POSTGRES_INSERTS: dict[tuple[Table, tuple[str, ...], bool, tuple[str, ...]], str] = {}


def _sqlite_insert(table: Table, skip_conflicts: bool, returning: tuple[str, ...]) -> Any:
    """The SQLite ``INSERT`` of :func:`insert_rows` for these options, built once."""
    key = (table, skip_conflicts, returning)
    statement = _SQLITE_INSERTS.get(key)
    if statement is None:
        statement = sqlite_insert(table)
        if skip_conflicts:
            statement = statement.on_conflict_do_nothing()
        if returning:
            statement = statement.returning(*(table.c[c] for c in returning))
        _SQLITE_INSERTS[key] = statement
    return statement


def _postgres_insert(
    table: Table,
    names: Sequence[str],
    skip_conflicts: bool,
    returning: tuple[str, ...],
    dialect: Dialect,
) -> str:
    """The PostgreSQL ``INSERT … SELECT * FROM unnest(…)`` text of :func:`insert_rows`, built
    once per shape."""
    key = (table, tuple(names), skip_conflicts, returning)
    sql = _POSTGRES_INSERTS.get(key)
    if sql is None:
        columns = ", ".join(_quote(dialect, name) for name in names)
        sql = f"INSERT INTO {_quote(dialect, table.name)} ({columns}) "
        sql += f"SELECT * FROM {_unnest(table, names, dialect)}"
        if skip_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += " RETURNING " + ", ".join(_quote(dialect, c) for c in returning)
        _POSTGRES_INSERTS[key] = sql
    return sql


def _arrays(
    table: Table, names: Sequence[str], rows: Rows, constants: Mapping[str, Any], dialect: Dialect
) -> dict[str, list[Any]]:
    """One list of database values per column (``p0``, ``p1``, …), in ``names``' order."""
    arrays: dict[str, list[Any]] = {}
    for n, name in enumerate(names):
        process = _processor(table.c[name], dialect)
        constant = name in constants
        values = [constants[name]] * len(rows) if constant else [row[name] for row in rows]
        arrays[f"p{n}"] = [process(v) for v in values] if process else values
    return arrays


def _unnest(table: Table, names: Sequence[str], dialect: Dialect) -> str:
    """``unnest(CAST(%(p0)b AS type[]), …)`` for ``names``' columns: each a parameter in
    psycopg's binary format (the text format escapes every element, with a regular expression
    per quote: far slower than the statement for JSON documents)."""
    casts = (
        f"CAST(%(p{n})b AS {table.c[name].type.compile(dialect=dialect)}[])"
        for n, name in enumerate(names)
    )
    return f"unnest({', '.join(casts)})"


def _quote(dialect: Dialect, name: str) -> str:
    return dialect.identifier_preparer.quote(name)


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Rows,
    *,
    returning: Sequence[str] = (),
    skip_conflicts: bool = False,
) -> list[Row[Any]]:
    """Insert ``rows`` (mappings of column name to value, each with the same names) in one
    statement; the ``returning`` columns of the inserted rows (in no promised order: match
    them by a unique column). ``skip_conflicts`` leaves out, silently, the rows that would
    break a unique constraint (``ON CONFLICT DO NOTHING``); otherwise they raise
    ``IntegrityError`` and nothing is inserted."""
    if not rows:
        return []
    dialect = connection.dialect
    given, defaults = _columns(table, rows)
    if dialect.name != "postgresql":
        filled = [{**defaults, **row} for row in rows] if defaults else list(rows)
        statement = _sqlite_insert(table, skip_conflicts, tuple(returning))
        if returning:
            return list(connection.execute(statement, filled).all())
        connection.execute(statement, filled)
        return []
    names = given + list(defaults)
    sql = _postgres_insert(table, names, skip_conflicts, tuple(returning), dialect)
    result = connection.exec_driver_sql(sql, _arrays(table, names, rows, defaults, dialect))
    return list(result.all()) if returning else []


def update_rows(
    connection: Connection,
    table: Table,
    rows: Rows,
    *,
    key: str = "id",
    keep_where_null: Sequence[str] = (),
    only_changed: bool = False,
) -> None:
    """Update the rows whose ``key`` column has each row's ``key`` value, setting the other
    columns each row gives. A column of ``keep_where_null`` keeps its stored value where the
    row's value is None. ``only_changed`` writes only the rows where some value differs from
    what is stored (so unchanged rows cost no write, no new row version, no trigger)."""
    if not rows:
        return
    dialect = connection.dialect
    names = [key] + [name for name in rows[0] if name != key]
    targets = names[1:]
    if dialect.name != "postgresql":
        _update_each(connection, table, rows, key, targets, keep_where_null, only_changed)
        return
    quoted = {name: _quote(dialect, name) for name in names}
    table_name = _quote(dialect, table.name)
    new = {
        name: f"COALESCE(v.{quoted[name]}, t.{quoted[name]})"
        if name in keep_where_null
        else f"v.{quoted[name]}"
        for name in targets
    }
    sql = f"UPDATE {table_name} AS t SET "
    sql += ", ".join(f"{quoted[name]} = {new[name]}" for name in targets)
    sql += f" FROM {_unnest(table, names, dialect)} AS v({', '.join(quoted.values())})"
    sql += f" WHERE t.{quoted[key]} = v.{quoted[key]}"
    if only_changed:
        changed = " OR ".join(f"t.{quoted[n]} IS DISTINCT FROM {new[n]}" for n in targets)
        sql += f" AND ({changed})"
    connection.exec_driver_sql(sql, _arrays(table, names, rows, {}, dialect))


def _update_each(
    connection: Connection,
    table: Table,
    rows: Rows,
    key: str,
    targets: Sequence[str],
    keep_where_null: Sequence[str],
    only_changed: bool,
) -> None:
    """:func:`update_rows` as one ``UPDATE`` per row through ``executemany`` (SQLite)."""
    new = {
        name: func.coalesce(bindparam(f"v_{name}", type_=table.c[name].type), table.c[name])
        if name in keep_where_null
        else bindparam(f"v_{name}", type_=table.c[name].type)
        for name in targets
    }
    statement = update(table).where(table.c[key] == bindparam("v_key", type_=table.c[key].type))
    if only_changed:
        statement = statement.where(
            or_(*(table.c[name].is_distinct_from(new[name]) for name in targets))
        )
    statement = statement.values({table.c[name]: new[name] for name in targets})
    params = [{"v_key": row[key], **{f"v_{n}": row[n] for n in targets}} for row in rows]
    connection.execute(statement, params)
