"""Status entries of credentials the issuer signs but does not store (the W3C VC API).

``POST /credentials/issue`` signs the caller's credential and keeps no ``credentials`` row, yet
gives it a ``BitstringStatusListEntry`` per purpose. Each entry records the credential's ``id``
in ``StatusEntry.credential_ref`` (its ``credential_id`` stays empty), so the caller can later
revoke, suspend or reinstate it by that id (``POST /credentials/status``). Lookups are scoped
to the caller's organisation: the lists are the organisation's, so is the id.

The rules follow the stored credentials' (:mod:`issuer.credentials.issuance`): revocation is
for good (clearing it is refused), suspension may be set and cleared. Every change is an audit
event (``revoke``, ``suspend``, ``reinstate``) with the credential's id in its details.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import Conflict, NotFound
from issuer.models import AuditEvent, Organisation, StatusEntry, StatusList, StatusPurpose
from issuer.status.lists import RandomIndex, reserve_entry, set_entry

#: The longest credential id whose entries are recorded (the column's length).
MAX_REFERENCE = 2048
#: The audit action for setting (True) or clearing (False) a bit of each purpose.
ACTIONS = {
    (StatusPurpose.REVOCATION, True): "revoke",
    (StatusPurpose.SUSPENSION, True): "suspend",
    (StatusPurpose.SUSPENSION, False): "reinstate",
}


def reserve_for_reference(
    session: Session,
    organisation: Organisation,
    reference: str,
    *,
    rng: RandomIndex | None = None,
) -> list[StatusEntry]:
    """The entry per purpose (revocation, then suspension) in ``organisation``'s lists for the
    credential whose id is ``reference``: the ones recorded for it already, else newly reserved.

    Idempotent: issuing a credential again under the same id (a retry after a lost answer, a
    re-issue with corrected content) gives it the same entries, so its status — revoked or
    suspended included — follows the id, and no entries are spent on repeats."""
    if not reference or len(reference) > MAX_REFERENCE:
        raise ValueError(f"a credential reference is 1 to {MAX_REFERENCE} characters")
    existing: dict[StatusPurpose, StatusEntry] = {}
    for entry in entries_for_reference(session, organisation.id, reference):
        existing.setdefault(entry.status_list.purpose, entry)
    entries = []
    for purpose in StatusPurpose:
        entry = existing.get(purpose)
        if entry is None:
            entry = reserve_entry(session, organisation, purpose, rng=rng)
            entry.credential_ref = reference
        entries.append(entry)
    session.flush()
    return entries


def entries_for_reference(
    session: Session, organisation_id: int, reference: str
) -> list[StatusEntry]:
    """The entries recorded for ``reference`` in the organisation's lists, oldest first (one per
    purpose; an id issued more than once before re-issues reused them may have more)."""
    return list(
        session.scalars(
            select(StatusEntry)
            .join(StatusList, StatusEntry.status_list_id == StatusList.id)
            .where(
                StatusList.organisation_id == organisation_id,
                StatusEntry.credential_ref == reference,
            )
            .order_by(StatusEntry.id)
        )
    )


def change_reference_status(
    session: Session,
    organisation: Organisation,
    reference: str,
    purpose: StatusPurpose,
    value: bool,
    *,
    actor: str,
) -> list[StatusEntry]:
    """Set (``value`` True) or clear the ``purpose`` bit of every entry recorded for
    ``reference``; returns those entries. Records an audit event when a bit changed.

    Raises ``NotFound`` (``credential_not_found``) when the organisation recorded no entry for
    ``reference``, and ``Conflict`` (``revocation_is_final``) for clearing a revocation.
    """
    if (purpose, value) not in ACTIONS:
        raise Conflict("a revoked credential stays revoked", code="revocation_is_final")
    entries = [
        entry
        for entry in entries_for_reference(session, organisation.id, reference)
        if entry.status_list.purpose is purpose
    ]
    if not entries:
        raise NotFound(
            "no credential with this id was issued with a status entry by this organisation",
            code="credential_not_found",
            details={"credentialId": reference},
        )
    changed = [entry for entry in entries if set_entry(session, entry, value)]
    if changed:
        session.add(
            AuditEvent(
                actor=actor,
                action=ACTIONS[(purpose, value)],
                organisation_id=organisation.id,
                details={
                    "credential": reference,
                    "via": "vc_api",
                    "entries": [[e.status_list_id, e.list_index] for e in changed],
                },
            )
        )
        session.flush()
    return entries
