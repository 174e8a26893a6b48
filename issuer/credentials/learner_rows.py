"""The learner row an issuance is for: found by the partnership's reference, or created.

Kept apart from :mod:`issuer.credentials.issuance`, which calls :func:`upsert_learner` for every
credential it issues; :mod:`issuer.credentials.batch` makes its new learners' rows with
:func:`new_learner_row` too.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.db import stored_row
from issuer.folding import learner_search_text
from issuer.models import Learner, utcnow

if TYPE_CHECKING:
    from issuer.credentials.issuance import LearnerInput

# INSERT … ON CONFLICT DO NOTHING, by database
_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_INSERTS: dict[str, Any] = {}


def new_learner_row(partnership_id: int, given: LearnerInput) -> dict[str, Any]:
    """A ``learners`` row for ``given`` with a fresh ``urn:uuid:`` subject id and the search
    text (which the ORM's hook fills, and a Core insert bypasses); ``created_at`` is the
    column's default. The one recipe of a new learner, for one issuance and for a batch."""
    return {
        "partnership_id": partnership_id,
        "reference": given.reference,
        "subject_id": f"urn:uuid:{uuid.uuid4()}",
        "given_name": given.given_name,
        "family_name": given.family_name,
        "email": given.email,
        "date_of_birth": given.date_of_birth,
        "search_text": learner_search_text(given.given_name, given.family_name, given.reference),
    }


def upsert_learner(session: Session, partnership_id: int, given: LearnerInput) -> Learner:
    """The partnership's learner with ``given.reference``, created (with a fresh ``urn:uuid:``
    subject id) or updated: the given names replace the stored ones; e-mail and date of birth
    replace them when given. Insert first: a new learner costs one statement (``INSERT … ON
    CONFLICT DO NOTHING RETURNING``, the unique ``(partnership, reference)`` deciding); a
    known one (or one created meanwhile by a concurrent transaction) is then read, and
    updated at the next flush if anything changed."""
    created = insert_learner(session, partnership_id, given)
    if created is not None:
        return created
    learner = session.scalar(
        select(Learner).where(
            Learner.partnership_id == partnership_id, Learner.reference == given.reference
        )
    )
    if learner is None:
        raise RuntimeError(f"learner {given.reference!r} was neither created nor found")
    learner.given_name = given.given_name
    learner.family_name = given.family_name
    if given.email is not None:
        learner.email = given.email
    if given.date_of_birth is not None:
        learner.date_of_birth = given.date_of_birth
    return learner


def insert_learner(session: Session, partnership_id: int, given: LearnerInput) -> Learner | None:
    """A new learner of the partnership (:func:`new_learner_row`), in one statement
    (``INSERT … ON CONFLICT DO NOTHING RETURNING`` on PostgreSQL and SQLite), returned as a
    persistent object of ``session`` made from the values written (no unit of work, no read
    back); None when the partnership has a learner with ``given.reference`` already (perhaps
    created by a concurrent transaction: this one carries on unharmed, no savepoint
    needed)."""
    values = new_learner_row(partnership_id, given) | {"created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERT_INSERTS:
        return _insert_learner_in_savepoint(session, values)
    statement = _INSERTS.get(dialect)
    if statement is None:  # built once per database (every issuance runs it)
        table = cast(Table, Learner.__table__)
        statement = _INSERTS[dialect] = (
            _UPSERT_INSERTS[dialect](table)
            .on_conflict_do_nothing(index_elements=["partnership_id", "reference"])
            .returning(table.c.id)
        )
    learner_id = session.connection().execute(statement, values).scalar()
    if learner_id is None:
        return None
    return stored_row(session, Learner, values | {"id": learner_id})


def _insert_learner_in_savepoint(session: Session, values: dict[str, Any]) -> Learner | None:
    """:func:`insert_learner` for a database without ``ON CONFLICT``: the insert in a SAVEPOINT,
    rolled back alone when the reference is taken."""
    learner = Learner(**values)
    try:
        with session.begin_nested():
            session.add(learner)
            session.flush()
    except IntegrityError:
        return None
    return learner
