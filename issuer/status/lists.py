"""Bitstring Status Lists (W3C): allocate entries, set bits, encode the list.

Each organisation publishes one list per purpose (revocation, suspension) of at least 131,072
entries; every credential gets a random index in each, so that a list reveals nothing about
issuance order (herd privacy). An index is reserved by inserting a row under a unique
(list, index) constraint: two concurrent issuances can never share one. A bit is the
``is_set`` of its entry; the encoded list is built from the set entries.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


def _open_list(session: Session, organisation: Organisation, purpose: StatusPurpose) -> StatusList:
    lists = session.scalars(
        select(StatusList)
        .where(StatusList.organisation_id == organisation.id, StatusList.purpose == purpose)
        .order_by(StatusList.id.desc())
    ).all()
    for candidate in lists:
        used = session.query(StatusEntry).filter_by(status_list_id=candidate.id).count()
        if used < candidate.size * MAX_FILL:
            return candidate
    status_list = StatusList(organisation_id=organisation.id, purpose=purpose, size=LIST_SIZE)
    session.add(status_list)
    session.flush()
    return status_list


def reserve_entry(
    session: Session,
    organisation: Organisation,
    purpose: StatusPurpose,
    *,
    rng: RandomIndex | None = None,
) -> StatusEntry:
    """Reserve a random free index in the organisation's open list for ``purpose``.

    Each attempt inserts under a SAVEPOINT; a collision (the index is taken, perhaps by a
    concurrent transaction) rolls back only that attempt and draws again.
    """
    source: RandomIndex = rng or secrets.SystemRandom()
    status_list = _open_list(session, organisation, purpose)
    for _ in range(RESERVE_ATTEMPTS):
        entry = StatusEntry(
            status_list_id=status_list.id, list_index=source.randrange(status_list.size)
        )
        try:
            with session.begin_nested():
                session.add(entry)
                session.flush()
        except IntegrityError:
            continue
        entry.status_list = status_list
        return entry
    raise RuntimeError(f"no free index found in status list {status_list.id}")


def reserve_entries(
    session: Session, organisation: Organisation, *, rng: RandomIndex | None = None
) -> list[StatusEntry]:
    """One reserved entry per purpose (revocation, then suspension); the caller links them to
    the credential in the same transaction."""
    return [reserve_entry(session, organisation, purpose, rng=rng) for purpose in StatusPurpose]


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
    indices distinct. Per purpose, one count of the newest list's entries and one multi-row
    ``INSERT … ON CONFLICT DO NOTHING``; indices found taken (by anyone, committed or not:
    the unique ``(list, index)`` decides) are drawn again, a few at a time. The caller links
    each entry to its credential in the same transaction, or deletes it."""
    source: RandomIndex = rng or secrets.SystemRandom()
    by_purpose: list[list[Reserved]] = []
    for purpose in StatusPurpose:
        entries: list[Reserved] = []
        while len(entries) < count:
            status_list, used = _newest_open_list(session, organisation, purpose)
            room = int(status_list.size * MAX_FILL) - used
            wanted = min(count - len(entries), max(room, 1))
            entries += _insert_free(session, status_list, wanted, source)
        by_purpose.append(entries)
    return [list(row) for row in zip(*by_purpose, strict=True)]


def _newest_open_list(
    session: Session, organisation: Organisation, purpose: StatusPurpose
) -> tuple[StatusList, int]:
    """The organisation's newest list for ``purpose`` and how many entries it holds, when it
    is open (at most :data:`MAX_FILL` full); otherwise a new list (and 0). Older lists are
    not counted: a list is only ever followed by another once it is full."""
    newest = session.scalars(
        select(StatusList)
        .where(StatusList.organisation_id == organisation.id, StatusList.purpose == purpose)
        .order_by(StatusList.id.desc())
        .limit(1)
    ).first()
    if newest is not None:
        used = session.scalar(select(func.count()).where(StatusEntry.status_list_id == newest.id))
        if (used or 0) < newest.size * MAX_FILL:
            return newest, used or 0
    status_list = StatusList(organisation_id=organisation.id, purpose=purpose, size=LIST_SIZE)
    session.add(status_list)
    session.flush()
    return status_list, 0


def _insert_free(
    session: Session, status_list: StatusList, wanted: int, source: RandomIndex
) -> list[Reserved]:
    """Insert ``wanted`` entries at random free indices of ``status_list``: draw, insert
    skipping the indices taken, draw again for those, up to :data:`RESERVE_ATTEMPTS` times."""
    connection = session.connection()
    table = StatusEntry.__table__
    reserved: list[Reserved] = []
    tried: set[int] = set()
    for _ in range(RESERVE_ATTEMPTS):
        drawn: set[int] = set()
        while len(drawn) < wanted - len(reserved):
            index = source.randrange(status_list.size)
            if index not in tried:
                drawn.add(index)
        tried |= drawn
        rows = [
            {"status_list_id": status_list.id, "list_index": i, "is_set": False}
            for i in sorted(drawn)
        ]
        inserted = insert_rows(
            connection, table, rows, returning=("id", "list_index"), skip_conflicts=True
        )
        reserved += [Reserved(row.id, status_list, row.list_index) for row in inserted]
        if len(reserved) == wanted:
            return sorted(reserved, key=lambda entry: entry.list_index)
    raise RuntimeError(f"no free indices found in status list {status_list.id}")
