"""The rows of one issued credential, written with Core statements (issue #15).

:func:`issuer.credentials.issuance.issue_credential` builds, checks and signs; this module
stores what it signed: the credential, its status entries' link to it, its awarding bodies,
its first share link and the ``issue`` audit event, without the ORM's unit of work. On
PostgreSQL the first four are one statement (a data-modifying ``WITH``, which also takes the
audit chain's lock), then the event is appended (the chain's head, the insert): every
statement is a round trip there. On SQLite (in process, no round trips) they are one statement
per table, as :func:`issuer.credentials.batch.store` writes many. The rows come back as ORM
objects of the session, made from the values written (no query reads them back), so that
callers use them as before: their relationships are set, and a later change to them is an
ordinary ``UPDATE`` at the next flush.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    Table,
    any_,
    bindparam,
    func,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from issuer.audit.chain import NewEvent, append_events, lock_in_statement
from issuer.db import stored_row
from issuer.manyrows import insert_rows
from issuer.models import (
    AuditEvent,
    CredentialAwardingBody,
    CredentialState,
    IssuedCredential,
    Learner,
    Organisation,
    ShareLink,
    Specification,
    StatusEntry,
    utcnow,
)
from issuer.sharing.links import new_token

_CREDENTIALS = cast(Table, IssuedCredential.__table__)
_ENTRIES = cast(Table, StatusEntry.__table__)
_LINKS = cast(Table, ShareLink.__table__)
_BODIES = cast(Table, CredentialAwardingBody.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
# Built once: a statement built per call costs more than running it on SQLite (its cache key
# is computed again each time); these are compiled once per dialect and reused.
_INSERT_CREDENTIAL = insert(_CREDENTIALS).returning(_CREDENTIALS.c.id)
_LINK_ENTRY = (
    update(_ENTRIES)
    .where(_ENTRIES.c.id == bindparam("entry_id"))
    .values(credential_id=bindparam("linked_id"))
)
_INSERT_LINK = insert(_LINKS).returning(_LINKS.c.id)


def _rows_in_one_statement() -> Select[Any]:
    """PostgreSQL: the credential, its status entries' link, its awarding bodies and its share
    link written by one statement (data-modifying ``WITH``, a round trip instead of four),
    which also takes the audit chain's lock for the ``issue`` event appended next (one more
    round trip saved); the new credential's id and share link's id. Bound values:
    ``c_<column>`` of the credential, ``entry_ids``, ``body_ids`` and ``positions`` (arrays),
    ``l_token``, ``l_created_at``."""
    credential = (
        insert(_CREDENTIALS)
        .values({c.key: bindparam(f"c_{c.key}", type_=c.type) for c in _CREDENTIAL_COLUMNS})
        .returning(_CREDENTIALS.c.id)
        .cte("new_credential")
    )
    new_id = select(credential.c.id).scalar_subquery()
    entries = (
        update(_ENTRIES)
        .where(_ENTRIES.c.id == any_(bindparam("entry_ids", type_=ARRAY(Integer))))
        .values(credential_id=new_id)
        .cte("linked_entries")
    )
    bodies = (
        insert(_BODIES)
        .from_select(
            ["credential_id", "organisation_id", "position"],
            select(
                new_id,
                func.unnest(bindparam("body_ids", type_=ARRAY(Integer))),
                func.unnest(bindparam("positions", type_=ARRAY(Integer))),
            ),
        )
        .cte("awarding_bodies")
    )
    link = (
        insert(_LINKS)
        .from_select(
            ["credential_id", "token", "created_at", "expires_at", "withdrawn_at"],
            select(
                credential.c.id,
                bindparam("l_token", type_=_LINKS.c.token.type),
                bindparam("l_created_at", type_=_LINKS.c.created_at.type),
                null(),
                null(),
            ),
        )
        .returning(_LINKS.c.id, _LINKS.c.credential_id)
        .cte("share_link")
    )
    lock = lock_in_statement("postgresql")  # the audit chain's, for the event that follows
    if lock is None:
        raise RuntimeError("PostgreSQL's audit chain lock is an expression")
    return select(
        link.c.credential_id.label("id"), link.c.id.label("link_id"), lock.label("chain_locked")
    ).add_cte(entries, bodies)


_CREDENTIAL_COLUMNS = [c for c in _CREDENTIALS.c if not c.primary_key]
_ONE_STATEMENT = _rows_in_one_statement()


@dataclass(frozen=True)
class SignedCredential:
    """A signed credential ready to store: who issued what to whom, and the stored text."""

    credential_uri: str
    document: str
    issued_at: datetime
    manage_token_hash: str
    bulk_job_id: int | None = None
    bulk_line: int | None = None


def credential_row(
    signed: SignedCredential,
    *,
    issuer: Organisation,
    specification: Specification,
    learner_id: int,
) -> dict[str, Any]:
    """The ``credentials`` row of ``signed`` (active), for one issuance and for a batch."""
    return {
        "credential_uri": signed.credential_uri,
        "partnership_id": specification.partnership_id,
        "issuer_id": issuer.id,
        "specification_id": specification.id,
        "learner_id": learner_id,
        "document": signed.document,
        "state": CredentialState.ACTIVE,
        "issued_at": signed.issued_at,
        "bulk_job_id": signed.bulk_job_id,
        "bulk_line": signed.bulk_line,
        "manage_token_hash": signed.manage_token_hash,
    }


def store_credential(
    session: Session,
    signed: SignedCredential,
    *,
    issuer: Organisation,
    specification: Specification,
    learner: Learner,
    bodies: Sequence[Organisation],
    entries: Sequence[StatusEntry],
    actor: str,
    details: dict[str, Any],
) -> tuple[IssuedCredential, ShareLink]:
    """Store ``signed`` in the session's transaction: the credential (``IntegrityError`` when
    its bulk line has a credential already), ``entries`` (reserved in this transaction) linked
    to it, ``bodies`` in order, a share link, and the ``issue`` audit event with ``details``
    (last: the audit chain's lock is held from then to the commit). Returns the credential and
    the share link as persistent objects of ``session``, with the credential's issuer,
    specification, learner, awarding bodies and status entries set; never flushes the
    session."""
    connection = session.connection()
    values = credential_row(
        signed, issuer=issuer, specification=specification, learner_id=learner.id
    )
    link_values: dict[str, Any] = {
        "token": new_token(),
        "created_at": utcnow(),
        "expires_at": None,
        "withdrawn_at": None,
    }
    if connection.dialect.name == "postgresql":
        written = connection.execute(
            _ONE_STATEMENT,
            {f"c_{c.key}": values.get(c.key) for c in _CREDENTIAL_COLUMNS}
            | {
                "entry_ids": [e.id for e in entries],
                "body_ids": [body.id for body in bodies],
                "positions": list(range(len(bodies))),
                "l_token": link_values["token"],
                "l_created_at": link_values["created_at"],
            },
        ).one()
        credential_id, link_id, locked = written.id, written.link_id, True
    else:  # one statement per table
        locked = False
        credential_id = connection.execute(_INSERT_CREDENTIAL, values).scalar_one()
        if entries:  # one executemany: a single statement
            connection.execute(
                _LINK_ENTRY, [{"entry_id": e.id, "linked_id": credential_id} for e in entries]
            )
        insert_rows(
            connection,
            _BODIES,
            [
                {"credential_id": credential_id, "organisation_id": body.id, "position": n}
                for n, body in enumerate(bodies)
            ],
        )
        link_id = connection.execute(
            _INSERT_LINK, link_values | {"credential_id": credential_id}
        ).scalar_one()
    link_values["credential_id"] = credential_id
    append_events(
        connection,
        _EVENTS,
        [
            NewEvent(
                actor=actor,
                action="issue",
                organisation_id=issuer.id,
                credential_id=credential_id,
                details=details,
            )
        ],
        locked=locked,
    )
    credential = stored_row(session, IssuedCredential, values | {"id": credential_id})
    set_committed_value(credential, "issuer", issuer)
    set_committed_value(credential, "specification", specification)
    set_committed_value(credential, "learner", learner)
    set_committed_value(credential, "awarding_bodies", list(bodies))
    set_committed_value(credential, "status_entries", list(entries))
    for entry in entries:
        set_committed_value(entry, "credential_id", credential_id)
        set_committed_value(entry, "credential", credential)
    link = stored_row(session, ShareLink, link_values | {"id": link_id})
    set_committed_value(link, "credential", credential)
    return credential, link

