"""The status-entry reservation rule (issuer.status.lists._reserve), shared by one issuance
(reserve_entry, reserve_entries) and a batch (reserve_batch): unique indices however many are
reserved, random and not in issuance order, a full list followed by a new one, and concurrent
reservations that never share an index. Run on SQLite and, with MICROCRED_TEST_POSTGRES, on
PostgreSQL (the tests take ``app``, hence ``database_url``)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError

import issuer.status.lists as lists
from issuer.db import make_engine, session_factory, transaction, upgrade
from issuer.errors import is_transient
from issuer.models import Organisation, StatusEntry, StatusList, StatusPurpose
from issuer.status.lists import reserve_batch, reserve_entries, reserve_entry

from .migrating import migrator
from .threads import run_together

SMALL = 64  # a list size for these tests: open for 32 entries (MAX_FILL)
OPEN = int(SMALL * lists.MAX_FILL)


class Recording:
    """A seeded rng that remembers what it drew."""

    def __init__(self, seed: int, stop: int | None = None) -> None:
        self.random = random.Random(seed)
        self.stop = stop
        self.drawn: list[int] = []

    def randrange(self, stop: int, /) -> int:
        index = self.random.randrange(min(stop, self.stop or stop))
        self.drawn.append(index)
        return index


@pytest.fixture
def small_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """New status lists hold 64 entries (open for 32), so that tests fill them."""
    monkeypatch.setattr(lists, "LIST_SIZE", SMALL)


def _places(session, organisation_id: int) -> list[tuple[int, int]]:
    rows = session.execute(
        select(StatusEntry.status_list_id, StatusEntry.list_index)
        .join(StatusList, StatusEntry.status_list_id == StatusList.id)
        .where(StatusList.organisation_id == organisation_id)
    )
    return [(list_id, index) for list_id, index in rows]


def test_reserving_one_credentials_entries_is_two_statements(app, demo):
    engine = session_factory(app).kw["bind"]
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[0].id)
        reserve_entries(session, organisation)  # the lists are made
        event.listen(engine, "before_cursor_execute", note)
        try:
            entries = reserve_entries(session, organisation)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert [e.status_list.purpose for e in entries] == list(StatusPurpose)
        assert all(e.id is not None and e.credential_id is None for e in entries)
    assert len(seen) == 2, seen  # the newest lists (no count: their ``used``); one INSERT


def test_many_reservations_never_share_an_index(app, demo, small_lists):
    organisation_id = demo.organisations[1].id
    rng = Recording(3)
    with transaction(app) as session:
        organisation = session.get(Organisation, organisation_id)
        singles = [reserve_entries(session, organisation, rng=rng) for _ in range(50)]
        batch = reserve_batch(session, organisation, 70, rng=rng)
        places = _places(session, organisation_id)
    assert len(places) == len(set(places)) == 2 * (50 + 70)
    given = [(e.status_list_id, e.list_index) for pair in singles for e in pair]
    given += [(e.status_list.id, e.list_index) for pair in batch for e in pair]
    assert sorted(given) == sorted(places)
    assert all(0 <= index < SMALL for _, index in places)
    # 120 per purpose at 32 a list: four lists per purpose, none past its open part
    per_list = Counter(list_id for list_id, _ in places)
    assert len(per_list) == 8
    assert all(count <= OPEN for count in per_list.values())
    # more draws than entries: a list filled to half collides, and is drawn again
    assert len(rng.drawn) > len(places)


def test_a_full_list_is_followed_by_a_new_one_whichever_path_fills_it(app, demo, small_lists):
    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[2].id)
        first = [reserve_entry(session, organisation, StatusPurpose.REVOCATION) for _ in range(20)]
        assert len({e.status_list_id for e in first}) == 1
        list_id = first[0].status_list_id
        batch = [pair[0] for pair in reserve_batch(session, organisation, 20)]
        assert Counter(e.status_list.id == list_id for e in batch) == {True: 12, False: 8}
        after = reserve_entry(session, organisation, StatusPurpose.REVOCATION)
        newer = {e.status_list.id for e in batch} - {list_id}
        assert after.status_list_id in newer  # the newest list, not the full one
        # the suspension list filled by the batch alone: 20 entries, still open
        suspension = reserve_entry(session, organisation, StatusPurpose.SUSPENSION)
        rows = session.execute(
            select(StatusEntry.status_list_id, func.count()).group_by(StatusEntry.status_list_id)
        )
        counts = {list_id: count for list_id, count in rows}
        assert counts[list_id] == OPEN
        assert counts[suspension.status_list_id] == 21


def test_entries_are_handed_out_in_the_order_drawn_not_sorted(app, demo):
    rng = Recording(11)
    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[0].id)
        reserved = reserve_batch(session, organisation, 30, rng=rng)
    revocation = [pair[0].list_index for pair in reserved]
    assert revocation == rng.drawn[:30]  # the first 30 draws are the revocation list's
    assert revocation != sorted(revocation)


def test_concurrent_single_and_batch_reservations_never_share_an_index(app, demo, small_lists):
    organisation_id = demo.organisations[0].id
    threads_count, rounds = 4, 8
    def work(seed: int) -> None:
        rng = Recording(seed)
        for round_ in range(rounds):
            for _attempt in range(5):  # as callers do: a deadlock aborts one; it goes again
                try:
                    with transaction(app) as session:  # one per issuance or batch
                        organisation = session.get(Organisation, organisation_id)
                        if (seed + round_) % 2:
                            reserve_entries(session, organisation, rng=rng)
                        else:
                            reserve_batch(session, organisation, 3, rng=rng)
                    break
                except DBAPIError as error:
                    if not is_transient(error):
                        raise
            else:
                raise AssertionError("five deadlocks in a row")

    run_together(work, range(threads_count))
    with transaction(app) as session:
        places = _places(session, organisation_id)
    per_purpose = threads_count * rounds // 2 * (1 + 3)
    assert len(places) == len(set(places)) == 2 * per_purpose
    assert all(0 <= index < SMALL for _, index in places)
    # counts race (a transaction does not see another's uncommitted entries): a list may take
    # a few entries past its open part, never more than the concurrent writers add
    per_list = Counter(list_id for list_id, _ in places)
    assert all(count <= OPEN + threads_count * 3 for count in per_list.values())


def _used(session, list_ids) -> dict[int, int]:
    rows = session.execute(
        select(StatusList.id, StatusList.used).where(StatusList.id.in_(list_ids))
    )
    return {list_id: used for list_id, used in rows}


def _counted(session, list_ids) -> dict[int, int]:
    rows = session.execute(
        select(StatusEntry.status_list_id, func.count())
        .where(StatusEntry.status_list_id.in_(list_ids))
        .group_by(StatusEntry.status_list_id)
    )
    return {list_id: count for list_id, count in rows}


def test_a_lists_used_is_its_entries_once_committed_and_not_after_a_rollback(app, demo):
    with transaction(app) as session:
        organisation = session.get(Organisation, demo.organisations[0].id)
        entries = reserve_entries(session, organisation)
        reserve_batch(session, organisation, 5)
        list_ids = [entry.status_list_id for entry in entries]
        assert _used(session, list_ids) == dict.fromkeys(list_ids, 0)  # counted at commit
    with transaction(app) as session:
        assert _used(session, list_ids) == _counted(session, list_ids) == dict.fromkeys(list_ids, 6)
    session = session_factory(app)()
    try:
        reserve_entries(session, session.get(Organisation, demo.organisations[0].id))
        session.rollback()
        session.commit()  # a later commit of the same session counts nothing
    finally:
        session.close()
    with transaction(app) as session:
        assert _used(session, list_ids) == _counted(session, list_ids) == dict.fromkeys(list_ids, 6)


def test_the_migration_counts_the_entries_stored(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate = migrator(engine)

    purpose = StatusList.__table__.c.purpose.type
    status_lists = sa.table(
        "status_lists",
        sa.column("id", sa.Integer),
        sa.column("organisation_id", sa.Integer),
        sa.column("purpose", purpose),
        sa.column("size", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    entries = sa.table(
        "status_entries",
        sa.column("status_list_id", sa.Integer),
        sa.column("list_index", sa.Integer),
        sa.column("is_set", sa.Boolean),
    )
    try:
        migrate(command.downgrade, "0012_bulk_write_path")
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO partnerships (slug, name, created_at) VALUES ('p', 'P', :at)"),
                {"at": datetime(2026, 1, 1, tzinfo=UTC)},
            )
            partnership = connection.scalar(sa.text("SELECT id FROM partnerships"))
            connection.execute(
                sa.text(
                    "INSERT INTO organisations (partnership_id, slug, legal_name, country,"
                    " country_label, did, created_at)"
                    " VALUES (:p, 'o', 'O', 'DNK', 'Denmark', 'did:web:o.example', :at)"
                ),
                {"p": partnership, "at": datetime(2026, 1, 1, tzinfo=UTC)},
            )
            organisation = connection.scalar(sa.text("SELECT id FROM organisations"))
            at = datetime(2026, 1, 1, tzinfo=UTC)
            for list_id, kind in ((1, StatusPurpose.REVOCATION), (2, StatusPurpose.SUSPENSION)):
                connection.execute(
                    status_lists.insert().values(
                        id=list_id,
                        organisation_id=organisation,
                        purpose=kind,
                        size=SMALL,
                        version=0,
                        updated_at=at,
                    )
                )
            connection.execute(
                entries.insert(),
                [{"status_list_id": 1, "list_index": i, "is_set": False} for i in range(7)],
            )
        upgrade(engine)
        with engine.connect() as connection:
            used = dict(connection.execute(sa.text("SELECT id, used FROM status_lists")).all())
        assert used == {1: 7, 2: 0}
    finally:
        engine.dispose()
