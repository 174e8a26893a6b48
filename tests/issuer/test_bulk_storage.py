"""What the bulk path writes, and how: the multi-row statements of ``issuer.manyrows`` on
either database, status entries reserved a batch at a time, learners created or updated only
where needed, and the audit chain, links and status entries of a bulk job intact."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import issuer.status.lists as lists
from issuer.audit.chain import NewEvent, append_events
from issuer.audit.verify import verify_chain
from issuer.bulk.runner import work_on_job
from issuer.bulk.sealing import Sealer
from issuer.credentials.batch import learners_of
from issuer.credentials.issuance import LearnerInput
from issuer.db import transaction
from issuer.folding import learner_search_text
from issuer.manyrows import among, insert_rows, update_rows
from issuer.models import (
    AuditEvent,
    BulkJobRow,
    IssuedCredential,
    Learner,
    Organisation,
    RowState,
    ShareLink,
    StatusEntry,
    StatusList,
)
from issuer.sharing.links import hash_manage_token
from issuer.status.lists import reserve_batch

from .conftest import PASSPHRASE
from .test_bulk import _create, rows_csv


def _learner_row(partnership_id: int, n: int, **values) -> dict:
    return {
        "partnership_id": partnership_id,
        "reference": f"R-{n}",
        "subject_id": f"urn:uuid:00000000-0000-0000-0000-{n:012d}",
        "given_name": f"Given {n}",
        "family_name": "Family",
        "email": None,
        "date_of_birth": None,
        "search_text": "",
        **values,
    }


def test_insert_rows_returns_what_it_inserted_and_fills_python_defaults(app, demo):
    partnership_id = demo.specification.partnership_id
    table = Learner.__table__
    with transaction(app) as session:
        connection = session.connection()
        rows = [_learner_row(partnership_id, n) for n in range(3)]
        returned = insert_rows(connection, table, rows, returning=("reference", "id"))
        assert sorted(ref for ref, _ in returned) == ["R-0", "R-1", "R-2"]
        stored = connection.execute(
            select(table.c.reference, table.c.created_at).where(
                among(connection.dialect, table.c.reference, ["R-0", "R-1", "R-2"])
            )
        ).all()
        assert len(stored) == 3 and all(at is not None for _, at in stored)


def test_insert_rows_skipping_conflicts_leaves_out_only_the_taken_rows(app, demo):
    partnership_id = demo.specification.partnership_id
    with transaction(app) as session:
        connection = session.connection()
        insert_rows(connection, Learner.__table__, [_learner_row(partnership_id, 1)])
        again = [
            _learner_row(partnership_id, 1, subject_id="urn:uuid:other"),
            _learner_row(partnership_id, 2),
        ]
        returned = insert_rows(
            connection, Learner.__table__, again, returning=("reference",), skip_conflicts=True
        )
        assert [ref for (ref,) in returned] == ["R-2"]


def test_insert_rows_without_skipping_refuses_a_conflict(app, demo):
    partnership_id = demo.specification.partnership_id
    with pytest.raises(IntegrityError), transaction(app) as session:
        rows = [_learner_row(partnership_id, 1), _learner_row(partnership_id, 1, subject_id="x")]
        insert_rows(session.connection(), Learner.__table__, rows)


def test_update_rows_keeps_stored_values_where_asked_and_writes_only_changes(app, demo):
    partnership_id = demo.specification.partnership_id
    table = Learner.__table__
    with transaction(app) as session:
        connection = session.connection()
        first = _learner_row(partnership_id, 1, email="one@example.org")
        ids = dict(
            insert_rows(
                connection,
                table,
                [first, _learner_row(partnership_id, 2)],
                returning=("reference", "id"),
            )
        )
        update_rows(
            connection,
            table,
            [
                {"id": ids["R-1"], "given_name": "New", "email": None},  # e-mail kept
                {"id": ids["R-2"], "given_name": "Given 2", "email": "two@example.org"},
            ],
            keep_where_null=("email",),
            only_changed=True,
        )
        stored = dict(
            (ref, (given, email))
            for ref, given, email in connection.execute(
                select(table.c.reference, table.c.given_name, table.c.email).where(
                    table.c.id.in_(ids.values())
                )
            )
        )
        assert stored == {
            "R-1": ("New", "one@example.org"),
            "R-2": ("Given 2", "two@example.org"),
        }


def test_reserve_batch_gives_distinct_indices_and_draws_again_for_taken_ones(app, demo):
    with transaction(app) as session:
        issuer = session.get(Organisation, demo.organisations[0].id)
        first = reserve_batch(session, issuer, 50, rng=random.Random(7))
        again = reserve_batch(session, issuer, 50, rng=random.Random(7))  # same draws: taken
        entries = [entry for pair in first + again for entry in pair]
        assert all(len(pair) == 2 for pair in first + again)
        places = {(entry.status_list.id, entry.list_index) for entry in entries}
        assert len(places) == len(entries) == 200
        stored = session.scalar(
            select(func.count()).where(StatusEntry.id.in_([entry.id for entry in entries]))
        )
        assert stored == 200
        purposes = [[entry.status_list.purpose.value for entry in pair] for pair in again]
        assert purposes == [["revocation", "suspension"]] * 50


def test_reserve_batch_opens_a_new_list_when_the_newest_is_half_full(app, demo, monkeypatch):
    monkeypatch.setattr(lists, "LIST_SIZE", 64)
    with transaction(app) as session:
        issuer = session.get(Organisation, demo.organisations[2].id)
        reserved = reserve_batch(session, issuer, 40, rng=random.Random(1))
        lists_used = {pair[0].status_list.id for pair in reserved}
        assert len(lists_used) == 2  # 32 in the first (half of 64), 8 in the next
        for list_id in lists_used:
            size = session.get(StatusList, list_id).size
            used = session.scalar(select(func.count()).where(StatusEntry.status_list_id == list_id))
            assert used <= size * lists.MAX_FILL


def test_learners_of_creates_the_missing_and_reads_the_rest(app, demo):
    partnership_id = demo.specification.partnership_id
    given = [
        LearnerInput.from_json({"reference": f"L-{n}", "givenName": "Å", "familyName": "Øst"})
        for n in range(3)
    ]
    with transaction(app) as session:
        first, created = learners_of(session, partnership_id, given[:2])
        assert created == {"L-0", "L-1"}
        second, created_again = learners_of(session, partnership_id, given)
        assert created_again == {"L-2"}
        assert {ref: second[ref] for ref in first} == first
        text = session.scalar(select(Learner.search_text).where(Learner.reference == "L-2"))
        assert text == learner_search_text("Å", "Øst", "L-2")


def test_append_events_chains_a_batch_after_the_orm_events(app):
    with transaction(app) as session:
        session.add(AuditEvent(actor="test", action="note", details={"n": 0}))
    with transaction(app) as session:
        events = [NewEvent(actor="test", action="note", details={"n": n}) for n in (1, 2, 3)]
        append_events(session.connection(), AuditEvent.__table__, events)
    with transaction(app) as session:
        session.add(AuditEvent(actor="test", action="note", details={"n": 4}))
    with transaction(app) as session:
        report = verify_chain(session)
        details = [e.details["n"] for e in session.scalars(select(AuditEvent).order_by("seq"))]
    assert report.intact and report.events >= 5
    assert details[-5:] == [0, 1, 2, 3, 4]


def test_a_bulk_job_stores_links_entries_and_a_chained_event_per_row(app, demo):
    job_id = _create(app, demo, rows_csv(7), bodies=(0, 1))
    work_on_job(app, job_id)
    with transaction(app) as session:
        credentials = session.scalars(
            select(IssuedCredential).where(IssuedCredential.bulk_job_id == job_id)
        ).all()
        assert len(credentials) == 7
        for credential in credentials:
            assert len(credential.status_entries) == 2
            assert [o.id for o in credential.awarding_bodies] == [
                demo.organisations[0].id,
                demo.organisations[1].id,
            ]
            links = session.scalars(
                select(ShareLink).where(ShareLink.credential_id == credential.id)
            ).all()
            assert len(links) == 1 and links[0].created_at <= datetime.now(UTC)
        rows = session.scalars(select(BulkJobRow).where(BulkJobRow.job_id == job_id)).all()
        assert {row.state for row in rows} == {RowState.ISSUED}
        by_id = {c.id: c for c in credentials}
        for row in rows:  # the row's sealed token opens to the credential's management token
            token = Sealer(PASSPHRASE.encode()).unseal(row.manage_token_sealed, row_id=row.id)
            assert token and hash_manage_token(token) == by_id[row.credential_id].manage_token_hash
        issued = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "issue", AuditEvent.credential_id.in_(by_id))
        )
        assert issued == 7
        assert verify_chain(session).intact
        learner = session.scalars(select(Learner).where(Learner.reference == "S-3")).one()
        assert learner.search_text == learner_search_text("Given 3", "Family 3", "S-3")
        assert learner.date_of_birth == date(2000, 1, 2)


def test_a_second_job_updates_a_learner_whose_name_changed(app, demo):
    first = _create(app, demo, rows_csv(2), filename="a.csv")
    work_on_job(app, first)
    renamed = rows_csv(2).replace(b"S-1,Given 1,Family 1", b"S-1,Renamed,Person")
    second = _create(app, demo, renamed, filename="b.csv", reissue=True)
    work_on_job(app, second)
    with transaction(app) as session:
        learner = session.scalars(select(Learner).where(Learner.reference == "S-1")).one()
        assert (learner.given_name, learner.family_name) == ("Renamed", "Person")
        assert learner.search_text == learner_search_text("Renamed", "Person", "S-1")
        assert learner.email == "l1@example.org"
