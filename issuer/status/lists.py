"""Bitstring Status Lists (W3C): allocate entries, set bits, encode the list.

Each organisation publishes one list per purpose (revocation, suspension) of at least 131,072
entries; every credential gets a random index in each, so that a list reveals nothing about
issuance order (herd privacy). An index is reserved by inserting a row under a unique
(list, index) constraint: two concurrent issuances can never share one. One rule reserves
them, for one credential and for a batch alike (:func:`_reserve`): a list takes entries until
it is half full (:data:`MAX_FILL`), as its ``used`` column says (grown when the reserving
transaction commits), and is then followed by a new list. A bit is the ``is_set`` of its
entry; the encoded list is built from the set entries.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import ARRAY, Integer, Table, Update, any_, bindparam, event, func, select, update
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from issuer.db import as_stored, stored_row
from issuer.manyrows import insert_rows
from issuer.models import (
    IssuedCredential,
    Organisation,
    StatusEntry,
    StatusList,
    StatusPurpose,
    utcnow,
)
from schemas.bitstring import MINIMUM_ENTRIES, decode_list, encode_list, is_set

LIST_SIZE = MINIMUM_ENTRIES
MAX_FILL = 0.5  # a list more than half full is closed; new entries go to a fresh list
RESERVE_ATTEMPTS = 64

__all__ = [
    "LIST_SIZE",
    "decode_list",
    "encode_list",
    "is_set",
    "reserve_batch",
    "reserve_entries",
    "set_entry",
    "set_status",
]


class RandomIndex(Protocol):
    """Where random indices come from (``secrets.SystemRandom`` by default; seeded in tests)."""

    def randrange(self, stop: int, /) -> int: ...


def reserve_entry(
    session: Session,
    organisation: Organisation,
    purpose: StatusPurpose,
    *,
    rng: RandomIndex | None = None,
) -> StatusEntry:
    """Reserve a random free index in the organisation's open list for ``purpose`` (the rule of
    :func:`reserve_batch`, for one entry): a persistent ``StatusEntry`` of this session."""
    (entries,) = _reserve(session, organisation, (purpose,), 1, rng)
    return _persistent(session, entries[0])


def reserve_entries(
    session: Session, organisation: Organisation, *, rng: RandomIndex | None = None
) -> list[StatusEntry]:
    """One reserved entry per purpose (revocation, then suspension), as persistent
    ``StatusEntry`` rows of this session, reserved with :func:`reserve_batch`'s rule in two
    statements (one read of the newest lists, one insert) when no index collides; the caller
    links them to the credential in the same transaction."""
    by_purpose = _reserve(session, organisation, tuple(StatusPurpose), 1, rng)
    return [_persistent(session, entries[0]) for entries in by_purpose]


def _persistent(session: Session, reserved: Reserved) -> StatusEntry:
    """The ``StatusEntry`` of a row :func:`_reserve` inserted, made part of ``session`` as the
    stored row it is (no query: its columns are known), so that linking it to a credential is
    an ``UPDATE``."""
    entry = stored_row(
        session,
        StatusEntry,
        {
            "id": reserved.id,
            "status_list_id": reserved.status_list.id,
            "list_index": reserved.list_index,
            "credential_id": None,
            "credential_ref": None,
            "is_set": False,
        },
    )
    set_committed_value(entry, "status_list", reserved.status_list)
    return entry


def status_list_url(base_url: str, status_list: StatusList) -> str:
    """Where a status list credential is published."""
    return f"{base_url.rstrip('/')}/status/{status_list.id}"


class ListedEntry(Protocol):
    """An entry's place: its list and index (a ``StatusEntry``, or one just :class:`Reserved`)."""

    @property
    def status_list(self) -> StatusList: ...

    @property
    def list_index(self) -> int: ...


def entry_json(entry: ListedEntry, base_url: str) -> dict[str, Any]:
    """The credential's ``BitstringStatusListEntry`` for ``entry``."""
    url = status_list_url(base_url, entry.status_list)
    return {
        "id": f"{url}#{entry.list_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": entry.status_list.purpose.value,
        "statusListIndex": str(entry.list_index),
        "statusListCredential": url,
    }


def set_status(
    session: Session, credential: IssuedCredential, purpose: StatusPurpose, value: bool
) -> bool:
    """Set (or clear) the credential's bit for ``purpose``; True if anything changed. The list's
    version is bumped so its signed form is rebuilt."""
    for entry in credential.status_entries:
        if entry.status_list.purpose is purpose:
            return set_entry(session, entry, value)
    raise LookupError(f"credential {credential.credential_uri} has no {purpose} entry")


def set_entry(session: Session, entry: StatusEntry, value: bool) -> bool:
    """Set (or clear) one entry's bit; True if it changed. The list's version is bumped so its
    signed form is rebuilt."""
    if entry.is_set == value:
        return False
    entry.is_set = value
    # In SQL, not Python: two concurrent changes to one list must give two versions
    # (a read-modify-write would lose one, and the signed list's cache with it).
    entry.status_list.version = StatusList.version + 1
    entry.status_list.updated_at = utcnow()
    session.flush()
    return True


def set_indices(session: Session, status_list: StatusList) -> list[int]:
    """The indices whose bit is set in ``status_list``."""
    return list(
        session.scalars(
            select(StatusEntry.list_index).where(
                StatusEntry.status_list_id == status_list.id, StatusEntry.is_set.is_(True)
            )
        )
    )


@dataclass(frozen=True)
class Reserved:
    """A status entry reserved for a credential not yet stored: its row id, list and index."""

    id: int
    status_list: StatusList
    list_index: int


def reserve_batch(
    session: Session,
    organisation: Organisation,
    count: int,
    *,
    rng: RandomIndex | None = None,
) -> list[list[Reserved]]:
    """``count`` credentials' entries at once: for each, one entry per purpose (revocation,
    then suspension), each at a random free index of the organisation's open list, the batch's
    indices distinct and handed out in the order they were drawn (not sorted: the order of the
    rows says nothing of their indices). See :func:`_reserve` for the statements. The caller
    links each entry to its credential in the same transaction, or deletes it."""
    by_purpose = _reserve(session, organisation, tuple(StatusPurpose), count, rng)
    return [list(row) for row in zip(*by_purpose, strict=True)]


def _reserve(
    session: Session,
    organisation: Organisation,
    purposes: Sequence[StatusPurpose],
    count: int,
    rng: RandomIndex | None,
) -> list[list[Reserved]]:
    """The reservation rule, for one credential or many: ``count`` entries for each of
    ``purposes`` (in that order), each at a random free index of the organisation's open list
    for its purpose. One read of the newest lists (with how many entries each holds) and one
    multi-row ``INSERT … ON CONFLICT DO NOTHING`` for every purpose together; indices found
    taken (by anyone, committed or not: the unique ``(list, index)`` decides) are drawn again,
    a few at a time. A list at :data:`MAX_FILL` is followed by a new one. Each statement
    inserts in ``(list, index)`` order; still, on PostgreSQL two transactions whose draws
    collide twice can wait on each other's rows across their attempts, and the database then
    aborts one (a deadlock: :func:`issuer.errors.is_transient`), which its caller runs again
    (the bulk runner does; the API answers 503 ``database_busy``). The lists' ``used``
    grows by what was reserved when the transaction commits (:func:`_count_reserved`)."""
    source: RandomIndex = rng or secrets.SystemRandom()
    reserved: dict[StatusPurpose, list[Reserved]] = {purpose: [] for purpose in purposes}
    while pending := [p for p in purposes if len(reserved[p]) < count]:
        wanted: dict[StatusList, int] = {}
        for purpose, (status_list, used) in _newest_open_lists(
            session, organisation, pending
        ).items():
            room = int(status_list.size * MAX_FILL) - used
            wanted[status_list] = min(count - len(reserved[purpose]), max(room, 1))
        for status_list, entries in _insert_free(session, wanted, source).items():
            reserved[status_list.purpose] += entries
            _reserved_here(session)[status_list.id] += len(entries)
    return [reserved[purpose] for purpose in purposes]


_LISTS = cast(Table, StatusList.__table__)
# Built once (a statement built per call costs more than running it): the organisation's
# newest list of each purpose asked for, without its signed form (which loads if read).
_NEWEST_LISTS = select(*(c for c in _LISTS.c if c.key != "signed_document")).where(
    _LISTS.c.id.in_(
        select(func.max(_LISTS.c.id))
        .where(
            _LISTS.c.organisation_id == bindparam("organisation_id"),
            _LISTS.c.purpose.in_(bindparam("purposes", expanding=True)),
        )
        .group_by(_LISTS.c.purpose)
    )
)


def _newest_open_lists(
    session: Session, organisation: Organisation, purposes: Sequence[StatusPurpose]
) -> dict[StatusPurpose, tuple[StatusList, int]]:
    """For each of ``purposes``: the organisation's newest list and how many entries it holds
    (its ``used``, as committed, and what this transaction reserved in it), when it is open
    (below :data:`MAX_FILL`); otherwise a new list (and 0). One query for all of them, which
    counts no rows. Older lists are not looked at: a list is only ever followed by another
    once it is full."""
    mine = _reserved_here(session)
    rows = session.connection().execute(
        _NEWEST_LISTS, {"organisation_id": organisation.id, "purposes": list(purposes)}
    )
    found = {  # ``used`` as read now: an object the session held already may be older
        row.purpose: (as_stored(session, StatusList, row._asdict()), row.used + mine[row.id])
        for row in rows
    }
    opened: dict[StatusPurpose, tuple[StatusList, int]] = {}
    created = False
    for purpose in purposes:
        newest = found.get(purpose)
        if newest is None or newest[1] >= newest[0].size * MAX_FILL:
            fresh = StatusList(organisation_id=organisation.id, purpose=purpose, size=LIST_SIZE)
            session.add(fresh)
            newest, created = (fresh, 0), True
        opened[purpose] = newest
    if created:
        session.flush()  # the new lists' ids
    return opened


def _insert_free(
    session: Session, wanted: Mapping[StatusList, int], source: RandomIndex
) -> dict[StatusList, list[Reserved]]:
    """Insert ``wanted[list]`` entries at random free indices of each list, in one statement
    per attempt: draw, insert skipping the indices taken, draw again for those, up to
    :data:`RESERVE_ATTEMPTS` times. Each list's entries come back in the order drawn."""
    connection = session.connection()
    table = StatusEntry.__table__
    reserved: dict[StatusList, dict[int, Reserved]] = {status_list: {} for status_list in wanted}
    order: dict[StatusList, list[int]] = {status_list: [] for status_list in wanted}
    tried: dict[StatusList, set[int]] = {status_list: set() for status_list in wanted}
    for _ in range(RESERVE_ATTEMPTS):
        rows: list[dict[str, Any]] = []
        for status_list, count in wanted.items():
            for _draw in range(count - len(reserved[status_list])):
                index = source.randrange(status_list.size)
                if index not in tried[status_list]:  # drawn already: taken, or ours
                    tried[status_list].add(index)
                    order[status_list].append(index)
                    rows.append(
                        {"status_list_id": status_list.id, "list_index": index, "is_set": False}
                    )
        # in (list, index) order, as every reservation's statement inserts: two concurrent
        # statements wait on each other's uncommitted rows in one order, not in a cycle
        rows.sort(key=lambda row: (row["status_list_id"], row["list_index"]))
        inserted = insert_rows(
            connection,
            table,
            rows,
            returning=("id", "status_list_id", "list_index"),
            skip_conflicts=True,
        )
        lists = {status_list.id: status_list for status_list in wanted}
        for row in inserted:
            status_list = lists[row.status_list_id]
            reserved[status_list][row.list_index] = Reserved(row.id, status_list, row.list_index)
        if all(len(reserved[sl]) == count for sl, count in wanted.items()):
            return {
                status_list: [entries[i] for i in order[status_list] if i in entries]
                for status_list, entries in reserved.items()
            }
    short = [sl.id for sl, count in wanted.items() if len(reserved[sl]) < count]
    raise RuntimeError(f"no free indices found in status list(s) {short}")


# --- how many entries a list holds -------------------------------------------------------------

#: ``session.info`` key: status list id → entries this transaction reserved in it, which its
#: ``used`` gets when the transaction commits.
_RESERVED = "issuer.status.lists.reserved"


def _reserved_here(session: Session) -> Counter[int]:
    """The entries reserved in this session's transaction, by list id, not yet in ``used``."""
    reserved: Counter[int] = session.info.setdefault(_RESERVED, Counter())
    return reserved


# Built once (a statement built per commit costs more than running it on SQLite).
_GROW_USED = (
    update(StatusList)
    .where(StatusList.id == bindparam("list_id"))
    .values(used=StatusList.used + bindparam("added"))
)


def _grow_used_at_once() -> Update:
    """PostgreSQL: :data:`_GROW_USED` for every list in one statement (``list_ids`` and
    ``added``, arrays), whose rows are locked first in the lists' id order (``SELECT … ORDER
    BY id FOR NO KEY UPDATE``, which locks as it returns the sorted rows, with the lock an
    ``UPDATE`` of a non-key column takes: concurrent inserts of entries, whose foreign key
    takes ``FOR KEY SHARE`` on their list, are not blocked), as one ``UPDATE`` per list in
    that order would lock them; psycopg sends an ``executemany`` in pipeline mode, which costs
    more client time than the statement."""
    ids = bindparam("list_ids", type_=ARRAY(Integer))
    locked = (
        select(_LISTS.c.id)
        .where(_LISTS.c.id == any_(ids))
        .order_by(_LISTS.c.id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE, as an UPDATE of ``used`` locks
        .cte("locked_lists")
    )
    grown = (
        select(
            func.unnest(ids).label("list_id"),
            func.unnest(bindparam("added", type_=ARRAY(Integer))).label("added"),
        )
    ).subquery("grown")
    return (
        update(_LISTS)
        .where(_LISTS.c.id == grown.c.list_id, _LISTS.c.id.in_(select(locked.c.id)))
        .values(used=_LISTS.c.used + grown.c.added)
    )


_GROW_USED_AT_ONCE = _grow_used_at_once()


@event.listens_for(Session, "before_commit")
def _count_reserved(session: Session) -> None:
    """Add the entries the committing transaction reserved to their lists' ``used``, in the
    same transaction: one ``UPDATE`` by primary key per list, sent as one statement
    (``executemany``), in the lists' id order. Done at commit rather than at each reservation,
    so that the list's row is locked (PostgreSQL) only from here to the commit, not while the
    credential is built and signed: concurrent issuances of an organisation do not queue on
    it. Entries given back later (a bulk row that was not issued) are not taken off: the list
    closes a little early, never late."""
    reserved: Counter[int] | None = session.info.pop(_RESERVED, None)
    if not reserved:
        return
    grown = sorted(reserved.items())
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(
            _GROW_USED_AT_ONCE,
            {"list_ids": [list_id for list_id, _ in grown], "added": [n for _, n in grown]},
        )
        return
    connection.execute(_GROW_USED, [{"list_id": list_id, "added": n} for list_id, n in grown])


@event.listens_for(Session, "after_transaction_end")
def _forget_reserved(session: Session, transaction: SessionTransaction) -> None:
    """A transaction rolled back took its reservations with it: nothing is counted."""
    if transaction.parent is None:
        session.info.pop(_RESERVED, None)
