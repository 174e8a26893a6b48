"""The audit log's hash chain: how an event is hashed, and how new events join the chain.

Every audit event carries ``seq`` (1, 2, 3, … with no gaps), ``prev_hash`` (the ``hash`` of the
event before it; 64 zeros for the first) and ``hash``: the SHA-256 (hex) of the canonical
serialization of its own fields and ``prev_hash`` (:func:`canonical_event`). Changing, removing
or reordering a stored event breaks the chain at that event; ``microcred issuer audit verify``
(:mod:`issuer.audit.verify`) finds the first break.

This module is the one place that computes the chain. :func:`link_new_events` is called for
every ORM flush that adds audit events (``issuer.models`` hooks ``before_flush``), so every
writer that does ``session.add(AuditEvent(...))`` is chained; a Core ``insert`` without the
chain fields is refused by the columns' NOT NULL constraints.

Appends form one linear chain under concurrency: before reading the chain's head the
transaction takes the chain lock — on PostgreSQL a transaction-level advisory lock
(``pg_advisory_xact_lock``), on SQLite the database's write lock (``BEGIN IMMEDIATE``), both
held until the transaction ends. The unique ``seq`` column refuses a fork should a writer skip
the lock. The lock is held from the flush of the first audit event to commit: add audit events
at the end of a transaction, after its other writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Select, Table, func, select

from issuer.manyrows import insert_rows

GENESIS = "0" * 64  # the prev_hash of the first event
FORMAT = 1  # the version of the canonical serialization, part of every hashed document
# pg_advisory_xact_lock key of the chain: the first 8 bytes of SHA-256("microcred.audit_events")
_LOCK_NAME = b"microcred.audit_events"
LOCK_KEY = int.from_bytes(hashlib.sha256(_LOCK_NAME).digest()[:8], "big", signed=True)


class ChainedEvent(Protocol):
    """What the chain reads and writes of an audit event (``issuer.models.AuditEvent``)."""

    seq: int
    at: datetime
    actor: str
    organisation_id: int | None
    action: str
    credential_id: int | None
    reason: str | None
    details: Any
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace and unescaped Unicode: equal values give equal
    text. Raises ``TypeError`` for values JSON cannot hold."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def normalise_details(details: Any) -> Any:
    """``details`` as it reads back from the database's JSON column (tuples become lists, keys
    strings), so that what is hashed is what is stored."""
    return None if details is None else json.loads(canonical_json(details))


def utc_text(at: datetime) -> str:
    """A timezone-aware time as UTC ISO 8601 with microseconds: ``2026-01-31T09:05:00.000000Z``."""
    if at.tzinfo is None:
        raise ValueError("audit event times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(
    *,
    seq: int,
    at: datetime,
    actor: str,
    organisation_id: int | None,
    action: str,
    credential_id: int | None,
    reason: str | None,
    details: Any,
    prev_hash: str,
) -> bytes:
    """The bytes an event's hash is taken over: a canonical JSON object (UTF-8) of the format
    version, its sequence number, time (UTC ISO), actor, organisation id, action, credential id,
    reason, details (canonical JSON) and the previous event's hash."""
    document = {
        "v": FORMAT,
        "seq": seq,
        "at": utc_text(at),
        "actor": actor,
        "organisation": organisation_id,
        "action": action,
        "credential": credential_id,
        "reason": reason,
        "details": details,
        "prev": prev_hash,
    }
    return canonical_json(document).encode("utf-8")


def event_hash(event: ChainedEvent, *, prev_hash: str | None = None) -> str:
    """SHA-256 (hex) of ``event``'s canonical serialization, over its own ``prev_hash`` unless
    another is given."""
    data = canonical_event(
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        organisation_id=event.organisation_id,
        action=event.action,
        credential_id=event.credential_id,
        reason=event.reason,
        details=event.details,
        prev_hash=event.prev_hash if prev_hash is None else prev_hash,
    )
    return hashlib.sha256(data).hexdigest()


def lock_in_statement(dialect: str) -> ColumnElement[Any] | None:
    """A column that takes the chain lock when a statement computes it (PostgreSQL), for a
    writer that appends events right after that statement and so saves the lock its own round
    trip (``append_events(…, locked=True)``); None where the lock is no expression (SQLite's
    write lock: the transaction holds it from its first write). The head is then read by the
    next statement, whose snapshot is taken after the lock was granted."""
    if dialect == "postgresql":
        return func.pg_advisory_xact_lock(LOCK_KEY)
    return None


def lock_chain(connection: Connection) -> None:
    """Take the chain lock for the rest of ``connection``'s transaction (see the module)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    elif dialect == "sqlite":
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None and not dbapi_connection.in_transaction:
            # A transaction that has not written yet holds no lock; take the write lock now,
            # before the head is read, so no other writer can append in between.
            dbapi_connection.execute("BEGIN IMMEDIATE")
    else:
        raise NotImplementedError(f"no audit chain lock for the {dialect} dialect")


_HEADS: dict[Table, Select[Any]] = {}


def chain_head(connection: Connection, table: Table) -> tuple[int, str]:
    """``(seq, hash)`` of the newest event in ``table``; ``(0, GENESIS)`` when it is empty."""
    statement = _HEADS.get(table)
    if statement is None:  # built once per table (every issuance reads the head)
        statement = _HEADS[table] = (
            select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
        )
    row = connection.execute(statement).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def chain(events: Iterable[ChainedEvent], head: tuple[int, str], now: datetime) -> tuple[int, str]:
    """Give ``events`` (in order) the chain fields after ``head``: ``seq``, ``at`` (``now`` when
    unset), normalised ``details``, ``prev_hash`` and ``hash``. Returns the new head."""
    seq, previous = head
    for event in events:
        seq += 1
        event.seq = seq
        if event.at is None:
            event.at = now
        event.details = normalise_details(event.details)
        event.prev_hash = previous
        event.hash = event_hash(event)
        previous = event.hash
    return seq, previous


def link_new_events(
    connection: Connection,
    table: Table,
    events: Sequence[ChainedEvent],
    *,
    locked: bool = False,
) -> None:
    """Lock the chain (unless ``locked``: this transaction holds the lock already), read its
    head from ``table`` and append ``events`` (in order) to it. Called once per flush that
    adds audit events, on the flush's connection."""
    if not events:
        return
    if not locked:
        lock_chain(connection)
    chain(events, chain_head(connection, table), datetime.now(UTC))


@dataclass
class NewEvent:
    """An audit event to append with a Core ``INSERT`` (:func:`append_events`) rather than
    through the ORM: the same fields, the chain's filled in by :func:`chain`."""

    actor: str
    action: str
    organisation_id: int | None = None
    credential_id: int | None = None
    reason: str | None = None
    details: Any = None
    at: datetime = None  # type: ignore[assignment]  # set by chain() when left None
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""

    def row(self) -> dict[str, Any]:
        """The event as a row of the audit table (its columns by name, no id)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "organisation_id": self.organisation_id,
            "action": self.action,
            "credential_id": self.credential_id,
            "reason": self.reason,
            "details": self.details,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def append_events(
    connection: Connection, table: Table, events: Sequence[NewEvent], *, locked: bool = False
) -> None:
    """Append ``events`` (in order) to the chain in one multi-row ``INSERT``: the chain lock
    is taken (unless ``locked``: the transaction's previous statement took it, with
    :func:`lock_in_statement`) and the head read once, every event hashed in one pass. As with
    the ORM path, the lock is held to the end of the transaction: append at the end of it."""
    if not events:
        return
    link_new_events(connection, table, events, locked=locked)
    insert_rows(connection, table, [event.row() for event in events])
