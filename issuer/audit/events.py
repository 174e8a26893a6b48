"""Reading the audit log: what its events refer to, looked up once per page of events."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.models import AuditEvent, IssuedCredential


def credential_uuids(session: Session, events: Iterable[AuditEvent]) -> dict[int, str]:
    """The UUID (:attr:`IssuedCredential.uuid`) of every credential ``events`` refer to, by
    the credential's row id, in one query (none when no event refers to a credential)."""
    ids = {event.credential_id for event in events if event.credential_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(IssuedCredential.id, IssuedCredential.credential_uri).where(
            IssuedCredential.id.in_(ids)
        )
    ).all()
    return {id_: uri.removeprefix("urn:uuid:") for id_, uri in rows}
