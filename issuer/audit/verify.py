"""Walk the audit log's hash chain and find the first event that does not fit.

An event fits when its ``hash`` is the hash of its own fields
(:func:`issuer.audit.chain.event_hash`) and it links to the event before it: its ``seq`` is one more
and its ``prev_hash`` is that event's ``hash`` (the first event: ``seq`` 1 and 64 zeros). An edited
event fails the first test; a removed or reordered one makes the next event fail the second.

What a chain cannot show: removal of the newest events, or a chain rewritten from the first
changed event on (no secret goes into the hashes). Keep the head (``seq`` and ``hash``, which
:func:`verify_chain` reports) somewhere the database's administrators cannot write, and compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.audit.chain import GENESIS, event_hash, utc_text
from issuer.models import AuditEvent

HASH_MISMATCH = "event_hash_mismatch"  # the event's fields or hash were changed
BROKEN_LINK = "chain_link_broken"  # an event before it was removed, inserted or reordered
BATCH = 1000


@dataclass(frozen=True)
class Tampered:
    """The first event that does not fit the chain, and how (``code``: a stable code above)."""

    event_id: int
    seq: int
    at: datetime
    action: str
    code: str
    problem: str

    def describe(self) -> str:
        """One line naming the event and what does not match."""
        return (
            f"event id {self.event_id} (seq {self.seq}, {utc_text(self.at)}, "
            f"action {self.action!r}): {self.problem} [{self.code}]"
        )


@dataclass(frozen=True)
class ChainReport:
    """How many events were read, the head the walk ended at, and the first misfit, if any."""

    events: int
    head_seq: int
    head_hash: str
    tampered: Tampered | None

    @property
    def intact(self) -> bool:
        """True when every event fits the chain."""
        return self.tampered is None


def verify_chain(session: Session) -> ChainReport:
    """Read every audit event in ``seq`` order and check the chain; stops at the first misfit."""
    count, seq, previous = 0, 0, GENESIS
    query = select(AuditEvent).order_by(AuditEvent.seq, AuditEvent.id)
    events = session.scalars(query.execution_options(yield_per=BATCH))
    try:
        for event in events:
            count += 1
            problem = _misfit(event, seq, previous)
            if problem is not None:
                code, text = problem
                found = Tampered(event.id, event.seq, event.at, event.action, code, text)
                return ChainReport(count, seq, previous, found)
            seq, previous = event.seq, event.hash
    finally:
        events.close()  # a server-side cursor on PostgreSQL, left open by an early return
    return ChainReport(count, seq, previous, None)


def _misfit(event: AuditEvent, seq: int, previous: str) -> tuple[str, str] | None:
    if event_hash(event) != event.hash:
        return HASH_MISMATCH, "its hash does not match its contents (the event was changed)"
    if event.seq != seq + 1 or event.prev_hash != previous:
        after = f"seq {seq} (hash {previous[:12]}…)" if seq else "the start of the log"
        return BROKEN_LINK, (
            f"its link to the previous event is broken: after {after} comes seq {seq + 1}, "
            f"but this is seq {event.seq} naming prev_hash {event.prev_hash[:12]}… "
            "(an event before it was removed, inserted or reordered)"
        )
    return None
