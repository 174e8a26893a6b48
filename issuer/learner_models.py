"""The tables of the learner's record: sign-in links, set links and when a set link was opened.

Kept beside :mod:`issuer.models` (on the same ``Base``) because that module is near the 600-line
limit; the app (through the record's views) and ``migrations/env.py`` import it, so
``Base.metadata`` holds these tables wherever it is compared or migrated. The migration is
``0010_learner_records``.

- ``LearnerSignin``: a sign-in link to a learner's record (only its SHA-256 is stored), valid
  until ``expires_at``.
- ``SetLink``: a learner's share link over several of their credentials (a presentation),
  withdrawable, optionally expiring — the same semantics as ``ShareLink``.
- ``SetLinkCredential``: which credentials a set link shows, in order.
- ``SetLinkOpen``: one moment a set link was opened. Only the time: no address, no user agent,
  nothing about who opened it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from issuer.models import Base, IssuedCredential, Learner, utcnow


class LearnerSignin(Base):
    """A sign-in link to a learner's record; the token is shown once, its hash is stored."""

    __tablename__ = "learner_signins"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(300))  # the actor who asked for it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    learner: Mapped[Learner] = relationship()


class SetLink(Base):
    """A learner's unguessable link to a chosen set of their credentials; withdrawable, with an
    optional expiry (not the credentials' expiry). ``open_count`` counts every time it was
    opened; ``SetLinkOpen`` keeps the latest moments."""

    __tablename__ = "set_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))  # the learner's own name for it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    open_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    learner: Mapped[Learner] = relationship()
    members: Mapped[list[SetLinkCredential]] = relationship(
        order_by="SetLinkCredential.position", cascade="all, delete-orphan"
    )

    @property
    def credentials(self) -> list[IssuedCredential]:
        """The credentials the link shows, in the learner's order."""
        return [member.credential for member in self.members]


class SetLinkCredential(Base):
    """One credential of a set link, at ``position``."""

    __tablename__ = "set_link_credentials"

    set_link_id: Mapped[int] = mapped_column(ForeignKey("set_links.id"), primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    credential: Mapped[IssuedCredential] = relationship()


class SetLinkOpen(Base):
    """A moment a set link was opened (nothing about who opened it)."""

    __tablename__ = "set_link_opens"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_link_id: Mapped[int] = mapped_column(ForeignKey("set_links.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["LearnerSignin", "SetLink", "SetLinkCredential", "SetLinkOpen"]
