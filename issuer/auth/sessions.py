"""Staff sessions kept by the server, in the database (``issuer.models.StaffSession``).

Signing in creates a row and gives the browser a random secret (in Flask's signed cookie);
the row stores only the secret's SHA-256. A request's session is live while its row is not
ended, began less than the allowed time ago *by the row's own record*, and its user's password
is still the one they signed in with. Ending a session (signing out, changing the password,
signing in again over it) marks the row, so every copy of the cookie stops working at once, in
every worker and every app instance over the same database, and after a restart. A cookie
re-signed with the app's secret key gains nothing: without a live row's secret it names no
session.

Services here flush, never commit. Times come from :func:`now`, one clock for these rules.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.models import StaffSession, User

SECRET_BYTES = 32
#: ``last_seen_at`` is written at most this often, so reading a page stays a read.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
#: Ended and expired rows are kept this long (who was signed in, when), then deleted.
KEEP_FOR = timedelta(days=30)


class EndReason(enum.StrEnum):
    """Why a session ended (``staff_sessions.end_reason``)."""

    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    REPLACED = "replaced"  # the same browser signed in again


@dataclass(frozen=True)
class Live:
    """A live session: its row's id, its user's id and when it was last used."""

    session_id: int
    user_id: int
    last_seen_at: datetime

    def needs_touch(self, at: datetime) -> bool:
        """Whether ``last_seen_at`` is older than ``LAST_SEEN_RESOLUTION`` at ``at``."""
        return at - self.last_seen_at >= LAST_SEEN_RESOLUTION


def now() -> datetime:
    """The current time (timezone-aware UTC) from ``time.time()``: the clock of every session
    rule."""
    return datetime.fromtimestamp(time.time(), UTC)


def hash_secret(secret: str) -> str:
    """The stored form of a session's secret: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def password_check(user: User) -> str:
    """A fingerprint of ``user``'s password hash: it changes whenever the password does."""
    return hashlib.sha256((user.password_hash or "").encode("utf-8")).hexdigest()


def start(db: Session, user: User, *, at: datetime) -> str:
    """Begin a session for ``user`` at ``at``; return its secret (for the cookie only)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    db.add(
        StaffSession(
            user_id=user.id,
            token_hash=hash_secret(secret),
            password_check=password_check(user),
            created_at=at,
            last_seen_at=at,
        )
    )
    db.flush()
    return secret


def find_live(db: Session, secret: str, *, max_age: timedelta, at: datetime) -> Live | None:
    """The live session whose secret is ``secret``: not ended, begun less than ``max_age``
    before ``at``, and its user's password unchanged since. None for anything else."""
    row = db.scalar(select(StaffSession).where(StaffSession.token_hash == hash_secret(secret)))
    if row is None or row.ended_at is not None:
        return None
    if at - row.created_at >= max_age:
        return None
    user = db.get(User, row.user_id)
    if user is None or password_check(user) != row.password_check:
        return None
    return Live(row.id, row.user_id, row.last_seen_at)


def touch(db: Session, session_id: int, *, at: datetime) -> None:
    """Record that the session was used at ``at``."""
    db.execute(update(StaffSession).where(StaffSession.id == session_id).values(last_seen_at=at))


def end(db: Session, secret: str, reason: EndReason, *, at: datetime) -> bool:
    """End the session whose secret is ``secret`` (if live); True when one was ended."""
    result = db.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == hash_secret(secret), StaffSession.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason.value)
    )
    return bool(getattr(result, "rowcount", 0))


def end_all(db: Session, user_id: int, reason: EndReason, *, at: datetime) -> int:
    """End every session of the user; how many there were."""
    result = db.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason.value)
    )
    return int(getattr(result, "rowcount", 0))


def prune(db: Session, *, at: datetime, keep: timedelta = KEEP_FOR) -> int:
    """Delete sessions begun more than ``keep`` before ``at`` (long dead: ``keep`` exceeds
    any session's lifetime); how many."""
    result = db.execute(delete(StaffSession).where(StaffSession.created_at < at - keep))
    return int(getattr(result, "rowcount", 0))
