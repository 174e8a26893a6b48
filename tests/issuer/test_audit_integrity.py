"""Audit you can prove: the database itself refuses to change or remove audit events, every
event is hash-chained to the one before it, ``microcred issuer audit verify`` names the first
event that does not fit, and concurrent writers still form one chain. Every test here runs on
SQLite and, with ``DATABASE_URL`` set to PostgreSQL (``-m postgres``), on PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner, Result
from sqlalchemy import (
    JSON,
    String,
    column,
    delete,
    func,
    insert,
    make_url,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from cli.main import main
from issuer.audit import chain as audit
from issuer.audit import ddl as audit_ddl
from issuer.audit.verify import BROKEN_LINK, HASH_MISMATCH, verify_chain
from issuer.db import MIGRATIONS, make_engine, session_factory, transaction, upgrade
from issuer.models import AuditEvent, Base, UTCDateTime


def add_events(app, count: int, *, prefix: str = "test") -> list[int]:  # type: ignore[no-untyped-def]
    """``count`` audit events added through the ORM, one transaction; their ids."""
    with transaction(app) as session:
        events = [
            AuditEvent(
                actor="cli",
                action=f"{prefix}-{n}",
                reason=f"reason {n}" if n % 2 else None,
                details={"n": n, "name": "Ærø", "nested": {"b": [1, 2.5, None], "a": True}},
            )
            for n in range(count)
        ]
        session.add_all(events)
        session.flush()
        return [event.id for event in events]


def as_dba(app, *statements: str) -> None:  # type: ignore[no-untyped-def]
    """What a malicious database administrator does: drop the triggers, then run raw SQL."""
    with session_factory(app).kw["bind"].begin() as connection:
        audit_ddl.drop_triggers(connection)
        for statement in statements:
            connection.execute(text(statement))


@pytest.fixture
def audit_verify(database_url: str) -> Callable[[], Result]:
    """Run ``microcred issuer audit verify`` on the test's database."""

    def run() -> Result:
        env = {"DATABASE_URL": database_url, "MICROCRED_DEBUG": None}
        return CliRunner().invoke(main, ["issuer", "audit", "verify"], env=env)

    return run


# --- the database refuses changes -------------------------------------------------------------


def test_core_update_of_an_audit_event_is_refused_by_the_database(app):
    [event_id] = add_events(app, 1)
    with pytest.raises(IntegrityError, match=audit_ddl.APPEND_ONLY_MESSAGE):  # noqa: SIM117
        with transaction(app) as session:
            session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(actor="x"))
    with pytest.raises(IntegrityError, match=audit_ddl.APPEND_ONLY_MESSAGE):  # noqa: SIM117
        with transaction(app) as session:
            session.execute(text("UPDATE audit_events SET reason = 'rewritten'"))
    with transaction(app) as session:
        assert session.get_one(AuditEvent, event_id).actor == "cli"


def test_core_delete_of_an_audit_event_is_refused_by_the_database(app):
    add_events(app, 2)
    with pytest.raises(IntegrityError, match=audit_ddl.APPEND_ONLY_MESSAGE):  # noqa: SIM117
        with transaction(app) as session:
            session.execute(delete(AuditEvent))
    with pytest.raises(IntegrityError, match=audit_ddl.APPEND_ONLY_MESSAGE):  # noqa: SIM117
        with transaction(app) as session:
            session.execute(text("DELETE FROM audit_events"))
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_truncate_is_refused_on_postgresql(app):
    add_events(app, 1)
    engine = session_factory(app).kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE trigger covers DELETE without WHERE")
    with pytest.raises(IntegrityError, match=audit_ddl.APPEND_ONLY_MESSAGE):  # noqa: SIM117
        with engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE audit_events")


def test_an_insert_without_the_chain_fields_is_refused(app):
    with pytest.raises(IntegrityError), transaction(app) as session:
        session.execute(insert(AuditEvent).values(actor="cli", action="x", at=audit_now()))


def audit_now() -> datetime:
    return datetime.now(UTC)


# --- the chain --------------------------------------------------------------------------------


def test_every_added_event_is_chained_in_order(app):
    add_events(app, 3, prefix="first")
    add_events(app, 2, prefix="second")  # a second transaction continues the chain
    with transaction(app) as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert [event.seq for event in events] == [1, 2, 3, 4, 5]
    assert [event.action for event in events] == [
        "first-0",
        "first-1",
        "first-2",
        "second-0",
        "second-1",
    ]
    assert events[0].prev_hash == audit.GENESIS
    for before, event in itertools.pairwise(events):
        assert event.prev_hash == before.hash
    for event in events:
        assert event.hash == audit.event_hash(event)  # as read back from the database
        assert len(event.hash) == 64 and int(event.hash, 16) >= 0


def test_the_hash_input_is_pinned():
    """The canonical serialization must never change: stored chains are hashed with it."""
    event = SimpleNamespace(
        seq=7,
        at=datetime(2026, 1, 31, 10, 5, tzinfo=UTC),
        actor="user:ana@example.org",
        organisation_id=3,
        action="revoke",
        credential_id=12,
        reason="Fraud — see case 4",
        details={"to": "revoked", "from": "active"},
        prev_hash="ab" * 32,
    )
    expected = (
        '{"action":"revoke","actor":"user:ana@example.org","at":"2026-01-31T10:05:00.000000Z",'
        '"credential":12,"details":{"from":"active","to":"revoked"},"organisation":3,'
        '"prev":"' + "ab" * 32 + '","reason":"Fraud — see case 4","seq":7,"v":1}'
    ).encode()
    assert (
        audit.canonical_event(
            seq=7,
            at=event.at,
            actor=event.actor,
            organisation_id=3,
            action="revoke",
            credential_id=12,
            reason=event.reason,
            details=event.details,
            prev_hash=event.prev_hash,
        )
        == expected
    )
    assert audit.event_hash(event) == hashlib.sha256(expected).hexdigest()
    later = datetime(2026, 1, 31, 11, 5, tzinfo=UTC).astimezone()  # the same time, another zone
    assert audit.utc_text(later) == "2026-01-31T11:05:00.000000Z"


def test_concurrent_appends_form_one_chain(app):
    writers, per_writer = 6, 5
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            barrier.wait()
            for n in range(per_writer):
                with transaction(app) as session:
                    session.add(AuditEvent(actor=f"writer-{writer}", action=f"append-{n}"))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with transaction(app) as session:
        report = verify_chain(session)
        seqs = list(session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert report.intact, report.tampered
    assert report.events == writers * per_writer
    assert seqs == list(range(1, writers * per_writer + 1))


def test_the_chain_lock_is_held_before_anything_is_written(app, database_url):
    """``lock_chain`` on a transaction that has written nothing yet already keeps every other
    writer out (PostgreSQL: the advisory lock; SQLite: the write lock) until it ends."""
    engine = session_factory(app).kw["bind"]
    with engine.connect() as holder:
        holder.begin()
        audit.lock_chain(holder)
        if engine.dialect.name == "sqlite":
            other = sqlite3.connect(make_url(database_url).database, timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        else:
            with engine.connect() as other:
                taken = other.exec_driver_sql(
                    f"SELECT pg_try_advisory_xact_lock({audit.LOCK_KEY})"
                ).scalar()
                assert taken is False
                other.rollback()
        holder.rollback()


# --- audit verify -----------------------------------------------------------------------------


def test_audit_verify_says_an_untouched_log_is_intact(app, audit_verify):
    add_events(app, 4)
    result = audit_verify()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "audit log intact: 4 events"
    with transaction(app) as session:
        head = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 4))
    assert f"seq 4 hash {head}" in result.stdout


def test_audit_verify_on_an_empty_log(audit_verify):
    result = audit_verify()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "audit log intact: 0 events"


def test_a_raw_sql_edit_behind_the_triggers_back_is_found(app, audit_verify):
    ids = add_events(app, 5)
    target = ids[2]
    as_dba(app, f"UPDATE audit_events SET reason = 'nothing happened' WHERE id = {target}")
    result = audit_verify()
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert f"event id {target} (seq 3, " in first
    assert "'test-2'" in first  # its action
    assert "hash does not match its contents" in first and HASH_MISMATCH in first
    with transaction(app) as session:  # the session closes with the block: ask inside it
        report = verify_chain(session)
        assert report.tampered is not None and report.tampered.event_id == target
        assert report.tampered.at == session.get_one(AuditEvent, target).at


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(app, audit_verify):
    ids = add_events(app, 4)
    with transaction(app) as session:
        event = session.get_one(AuditEvent, ids[1])
        forged = SimpleNamespace(
            **{c: getattr(event, c) for c in ("seq", "at", "actor", "organisation_id")},
            action=event.action,
            credential_id=event.credential_id,
            reason="forged",
            details=event.details,
            prev_hash=event.prev_hash,
        )
    new_hash = audit.event_hash(forged)
    as_dba(
        app,
        f"UPDATE audit_events SET reason = 'forged', hash = '{new_hash}' WHERE id = {ids[1]}",
    )
    result = audit_verify()
    assert result.exit_code == 1
    assert f"event id {ids[2]} (seq 3, " in result.stdout
    assert BROKEN_LINK in result.stdout


def test_a_deleted_middle_event_is_found(app, audit_verify):
    ids = add_events(app, 5)
    as_dba(app, f"DELETE FROM audit_events WHERE id = {ids[2]}")
    result = audit_verify()
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert f"event id {ids[3]} (seq 4, " in first  # the event after the gap
    assert "'test-3'" in first
    assert "after seq 2" in first and "link to the previous event is broken" in first
    assert BROKEN_LINK in first


# --- the schema: migrations and create_all agree ----------------------------------------------


def test_the_migration_chains_existing_events_and_can_be_undone(database_url):
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        with engine.begin() as connection:
            assert audit_ddl.installed_triggers(connection) == set()
            old_events = table(
                "audit_events",
                column("at", UTCDateTime()),
                column("actor", String()),
                column("action", String()),
                column("details", JSON()),
            )
            for n in range(3):  # events written before the chain existed
                connection.execute(
                    insert(old_events).values(
                        at=datetime(2026, 1, 1 + n, tzinfo=UTC),
                        actor="cli",
                        action=f"old-{n}",
                        details={"n": n},
                    )
                )
        upgrade(engine)
        with engine.connect() as connection:
            assert audit_ddl.installed_triggers(connection) == audit_ddl.trigger_names(
                engine.dialect.name
            )
        with engine.connect() as connection, transaction_on(connection) as session:
            report = verify_chain(session)
            actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
        assert report.intact and report.events == 3
        assert actions == ["old-0", "old-1", "old-2"]
    finally:
        engine.dispose()


def transaction_on(connection):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    return Session(bind=connection)


def test_create_all_makes_the_same_triggers_as_the_migrations(app, database_url):
    migrated = session_factory(app).kw["bind"]
    with migrated.connect() as connection:
        expected = audit_ddl.installed_triggers(connection)
    assert expected == audit_ddl.trigger_names(migrated.dialect.name)
    if migrated.dialect.name == "sqlite":
        fresh = make_engine(database_url.replace("issuer.sqlite3", "create_all.sqlite3"))
        schema_options: dict[str, str] = {}
    else:  # a schema of its own in the test's database, first on the search path
        fresh = make_engine(database_url)
        with fresh.begin() as connection:
            connection.exec_driver_sql("CREATE SCHEMA created_all")
        schema_options = {"options": "-c search_path=created_all"}
        fresh.dispose()
        fresh = make_engine_with(database_url, schema_options)
    try:
        Base.metadata.create_all(fresh)
        with fresh.connect() as connection:
            assert audit_ddl.installed_triggers(connection) == expected
        with pytest.raises(IntegrityError), fresh.begin() as connection:
            connection.execute(
                insert(AuditEvent).values(
                    actor="cli", action="x", at=audit_now(), seq=1, prev_hash="0", hash="0"
                )
            )
            connection.execute(delete(AuditEvent))
    finally:
        fresh.dispose()


def make_engine_with(url: str, connect_args: dict[str, str]):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    from issuer.db import normalise_url

    return create_engine(normalise_url(url), connect_args=connect_args)
