"""The link between a credential and the one that corrects it (re-issue with correction). Kept
beside :mod:`issuer.models` (whose ``Base`` it shares; :mod:`issuer.db` imports it so that the
metadata is whole) to keep that module within size."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from issuer.models import Base, IssuedCredential, utcnow


class CredentialCorrection(Base):
    """``old_credential`` (revoked, reason ``superseded``) is replaced by ``new_credential``,
    issued with the corrections ``changes`` (learner member → [before, after]). Each credential
    replaces at most one and is replaced by at most one: the link reads both ways."""

    __tablename__ = "credential_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), unique=True)
    new_credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), unique=True)
    corrected_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(300))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)

    old_credential: Mapped[IssuedCredential] = relationship(foreign_keys=[old_credential_id])
    new_credential: Mapped[IssuedCredential] = relationship(foreign_keys=[new_credential_id])
