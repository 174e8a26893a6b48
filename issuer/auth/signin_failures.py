"""Failed staff sign-ins, counted in the database so that every worker and every app instance
over the same database sees the same count (``issuer.models.SigninFailure``).

A failure is recorded under the SHA-256 of the client address and the e-mail address tried
(lower-cased), never the addresses themselves. Rows older than the window are removed when a
new failure is recorded; a successful sign-in removes that key's rows.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from issuer.models import SigninFailure


def failure_key(address: str, email: str) -> str:
    """The stored key of a (client address, e-mail address) pair: SHA-256 hex."""
    material = f"{address}\n{email.strip().lower()}".encode()
    return hashlib.sha256(material).hexdigest()


def recent_failures(session: Session, key: str, *, window: float, now: datetime) -> int:
    """How many failures of ``key`` lie within the ``window`` seconds before ``now``."""
    cutoff = now - timedelta(seconds=window)
    query = select(func.count()).where(SigninFailure.key == key, SigninFailure.at > cutoff)
    return int(session.scalar(query) or 0)


def record_failure(session: Session, key: str, *, window: float, now: datetime) -> None:
    """Record a failure of ``key`` at ``now``, dropping every failure older than the window."""
    cutoff = now - timedelta(seconds=window)
    session.execute(delete(SigninFailure).where(SigninFailure.at <= cutoff))
    session.add(SigninFailure(key=key, at=now))
    session.flush()


def clear_failures(session: Session, key: str) -> None:
    """Forget the failures of ``key`` (after a successful sign-in)."""
    session.execute(delete(SigninFailure).where(SigninFailure.key == key))
