"""Issue many credentials of one specification at once: the bulk worker's path.

The same credential as :func:`issuer.credentials.issuance.issue_credential` gives, for many
learners, in three steps so that signing needs no open transaction:

1. :func:`prepare` (in a short transaction): the learners' subject ids (new learners are stored
   now, so the id that is signed is the one kept) and the status entries of the whole batch,
   reserved at once (:func:`issuer.status.lists.reserve_batch`);
2. :func:`sign` (no database): each row's credential is built, read once
   (:class:`schemas.jsonld.PreparedDocument`), checked whole — strict JSON-LD expansion and the
   Annex I profile (a compiled JSON Schema validator: microseconds) — and signed by every body
   over that one canonical form;
3. :func:`store` (in the batch's write transaction): learners updated where they changed,
   credentials, awarding bodies, status-entry links, share links and audit events written with
   one multi-row statement each (:mod:`issuer.manyrows`), the audit events hashed in one pass.

A row that cannot be issued (an ``ApiError`` while building or signing) comes back as a refusal
with its code and message; the others are issued.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from issuer.audit.chain import NewEvent, append_events
from issuer.credentials.issuance import (
    LearnerInput,
    SigningKeys,
    check_document,
    serialize,
)
from issuer.credentials.learner_rows import new_learner_row
from issuer.credentials.single import SignedCredential, credential_row
from issuer.errors import ApiError
from issuer.folding import learner_search_text
from issuer.manyrows import among, insert_rows, update_rows
from issuer.models import (
    AuditEvent,
    CredentialAwardingBody,
    IssuedCredential,
    Learner,
    Organisation,
    ShareLink,
    Specification,
    StatusEntry,
)
from issuer.partnerships.services import organisation_data
from issuer.sharing.links import hash_manage_token, new_token
from issuer.specifications.services import specification_data
from issuer.status.lists import entry_json, reserve_batch
from keys.proof import add_proofs
from schemas.elm.build import Award, build_microcredential
from schemas.elm.build import Learner as LearnerData
from schemas.jsonld import PreparedDocument


@dataclass(frozen=True)
class BatchRow:
    """One row to issue: its key (the caller's row id), learner, grade and bulk line."""

    key: int
    line: int
    learner: LearnerInput
    grade: str | None


@dataclass
class BatchAward:
    """What an issuing run shares: who issues what, signed with which keys."""

    issuer: Organisation
    specification: Specification
    bodies: list[Organisation]
    keys: SigningKeys
    base_url: str
    actor: str
    bulk_job_id: int
    _data: dict[str, Any] = field(default_factory=dict)

    def data(self) -> tuple[Any, Any, list[Any]]:
        """The specification's, issuer's and bodies' data for the builder (computed once)."""
        if not self._data:
            self._data["spec"] = specification_data(self.specification)
            self._data["issuer"] = organisation_data(self.issuer)
            self._data["bodies"] = [organisation_data(body) for body in self.bodies]
        return self._data["spec"], self._data["issuer"], self._data["bodies"]


@dataclass(frozen=True)
class Prepared:
    """A row ready to sign: its learner's subject id and reserved status entries."""

    row: BatchRow
    learner_id: int
    subject_id: str
    entry_ids: list[int]
    entries: list[dict[str, Any]]


@dataclass(frozen=True)
class Signed:
    """A row's signed credential, not yet stored."""

    prepared: Prepared
    credential_uri: str
    document: str
    manage_token: str


@dataclass(frozen=True)
class Refused:
    """A row that cannot be issued, and why."""

    key: int
    code: str
    message: str


@dataclass(frozen=True)
class Stored:
    """A stored credential of a row: its id, the learner's management token and share token."""

    key: int
    credential_id: int
    manage_token: str
    share_token: str


def known_learners(
    session: Session, partnership_id: int, references: Collection[str]
) -> dict[str, tuple[int, str]]:
    """The partnership's stored learners among ``references``, as ``(id, subject id)`` by
    reference (one query)."""
    if not references:
        return {}
    connection = session.connection()
    table = Learner.__table__
    query = select(table.c.reference, table.c.id, table.c.subject_id).where(
        table.c.partnership_id == partnership_id,
        among(connection.dialect, table.c.reference, references),
    )
    return {ref: (id_, subject) for ref, id_, subject in connection.execute(query)}


def learners_of(
    session: Session, partnership_id: int, given: Sequence[LearnerInput]
) -> tuple[dict[str, tuple[int, str]], set[str]]:
    """The partnership's learners of ``given`` by reference, as ``(id, subject id)``, the
    missing ones created; and the references created now. Inserts first (``INSERT … ON
    CONFLICT DO NOTHING``: the unique ``(partnership, reference)`` decides, by an index probe
    whatever the table's statistics say), then reads back only those that were there already
    (or were created meanwhile by another transaction). A later learner of the same
    reference in ``given`` wins."""
    if not given:
        return {}, set()
    new = {learner.reference: learner for learner in given}
    created = insert_rows(
        session.connection(),
        Learner.__table__,
        [new_learner_row(partnership_id, learner) for learner in new.values()],
        returning=("reference", "id", "subject_id"),
        skip_conflicts=True,
    )
    found = {ref: (id_, subject) for ref, id_, subject in created}
    fresh = set(found)
    if len(found) < len(new):
        found.update(known_learners(session, partnership_id, set(new) - fresh))
    return found, fresh


def prepare(
    session: Session,
    award: BatchAward,
    rows: Sequence[BatchRow],
    *,
    learners: dict[str, tuple[int, str]] | None = None,
) -> list[Prepared]:
    """Subject ids (new learners stored) and status entries for ``rows``, in their order;
    ``learners``: the rows' learners when the caller has them already (:func:`learners_of`,
    in this transaction). Writes in the session's transaction; the caller commits, so that
    what is signed next is what the database keeps."""
    if not rows:
        return []
    if learners is None:
        partnership_id = award.specification.partnership_id
        learners, _ = learners_of(session, partnership_id, [row.learner for row in rows])
    reserved = reserve_batch(session, award.issuer, len(rows))
    return [
        Prepared(
            row=row,
            learner_id=learners[row.learner.reference][0],
            subject_id=learners[row.learner.reference][1],
            entry_ids=[entry.id for entry in entries],
            entries=[entry_json(entry, award.base_url) for entry in entries],
        )
        for row, entries in zip(rows, reserved, strict=True)
    ]


def sign(
    award: BatchAward, prepared: Sequence[Prepared], *, now: datetime
) -> list[Signed | Refused]:
    """Build, check and sign each prepared row's credential (see the module docstring for what
    is checked on every row and what once per batch); no database access."""
    spec, issuer, bodies = award.data()
    pairs = [award.keys.keypair(body) for body in award.bodies]
    out: list[Signed | Refused] = []
    for item in prepared:
        given = item.row.learner
        credential_uri = f"urn:uuid:{uuid.uuid4()}"
        try:
            document = build_microcredential(
                Award(
                    credential_id=credential_uri,
                    specification=spec,
                    learner=LearnerData(
                        id=item.subject_id,
                        given_name=given.given_name,
                        family_name=given.family_name,
                        email=given.credential_email,
                        date_of_birth=given.date_of_birth,
                    ),
                    issuer=issuer,
                    awarding_bodies=bodies,
                    issued=now,
                    grade=item.row.grade,
                    status=item.entries,
                )
            )
            prepared = PreparedDocument(document)  # read once: checked, then every proof
            check_document(prepared)
            document = add_proofs(document, list(pairs), created=now, prepared=prepared)
        except ApiError as error:
            out.append(Refused(item.row.key, error.code, error.message))
            continue
        out.append(Signed(item, credential_uri, serialize(document), new_token()))
    return out


def store(
    session: Session,
    award: BatchAward,
    signed: Sequence[Signed],
    *,
    now: datetime,
    before_events: Callable[[list[Stored]], None] | None = None,
) -> list[Stored]:
    """Write the signed rows: learners' names (and e-mail, date of birth when given) where they
    changed, credentials, awarding bodies, status-entry links, a share link each and an
    ``issue`` audit event each (last: the audit chain's lock is held from then to commit), with
    one multi-row statement each (:mod:`issuer.manyrows`). An ``IntegrityError`` means a row's
    bulk line was stored meanwhile by another worker. ``before_events(stored)``, when given,
    runs in the same transaction just before the audit events are appended (with nothing
    stored: at once), so that what else the caller writes does not hold the chain's lock."""
    if not signed:
        if before_events is not None:
            before_events([])
        return []
    connection = session.connection()
    update_rows(
        connection,
        Learner.__table__,
        _learner_updates(signed),
        keep_where_null=("email", "date_of_birth"),
        only_changed=True,
    )
    ids = _insert_credentials(connection, award, signed, now)
    update_rows(
        connection,
        StatusEntry.__table__,
        [
            {"id": entry_id, "credential_id": ids[item.credential_uri]}
            for item in signed
            for entry_id in item.prepared.entry_ids
        ],
    )
    insert_rows(
        connection,
        CredentialAwardingBody.__table__,
        [
            {"credential_id": ids[item.credential_uri], "organisation_id": body.id, "position": n}
            for item in signed
            for n, body in enumerate(award.bodies)
        ],
    )
    tokens = [new_token() for _ in signed]
    insert_rows(
        connection,
        ShareLink.__table__,
        [
            {"credential_id": ids[item.credential_uri], "token": token, "created_at": now}
            for item, token in zip(signed, tokens, strict=True)
        ],
    )
    stored = [
        Stored(item.prepared.row.key, ids[item.credential_uri], item.manage_token, token)
        for item, token in zip(signed, tokens, strict=True)
    ]
    if before_events is not None:
        before_events(stored)
    append_events(connection, AuditEvent.__table__, _issue_events(award, signed, ids))
    return stored


def _learner_updates(signed: Sequence[Signed]) -> list[dict[str, Any]]:
    """One ``learners`` update per learner: names, search text, and e-mail and date of birth
    (None: keep the stored one); a later row of the same learner wins."""
    updates: dict[int, dict[str, Any]] = {}
    for item in signed:
        given = item.prepared.row.learner
        values = updates.setdefault(
            item.prepared.learner_id,
            {"id": item.prepared.learner_id, "email": None, "date_of_birth": None},
        )
        values["given_name"] = given.given_name
        values["family_name"] = given.family_name
        values["search_text"] = learner_search_text(
            given.given_name, given.family_name, given.reference
        )
        if given.email is not None:
            values["email"] = given.email
        if given.date_of_birth is not None:
            values["date_of_birth"] = given.date_of_birth
    return list(updates.values())


def _insert_credentials(
    connection: Connection, award: BatchAward, signed: Sequence[Signed], now: datetime
) -> dict[str, int]:
    """Insert the signed credentials; their ids by credential URI."""
    rows = [
        credential_row(
            SignedCredential(
                credential_uri=item.credential_uri,
                document=item.document,
                issued_at=now,
                manage_token_hash=hash_manage_token(item.manage_token),
                bulk_job_id=award.bulk_job_id,
                bulk_line=item.prepared.row.line,
            ),
            issuer=award.issuer,
            specification=award.specification,
            learner_id=item.prepared.learner_id,
        )
        for item in signed
    ]
    returned = insert_rows(
        connection, IssuedCredential.__table__, rows, returning=("credential_uri", "id")
    )
    return {uri: id_ for uri, id_ in returned}


def _issue_events(
    award: BatchAward, signed: Sequence[Signed], ids: dict[str, int]
) -> list[NewEvent]:
    """The ``issue`` audit event of each signed row, in order."""
    slugs = [body.slug for body in award.bodies]
    return [
        NewEvent(
            actor=award.actor,
            action="issue",
            organisation_id=award.issuer.id,
            credential_id=ids[item.credential_uri],
            details={
                "credential": item.credential_uri,
                "specification": award.specification.slug,
                "awardingBodies": slugs,
                "bulkJob": award.bulk_job_id,
                "line": item.prepared.row.line,
            },
        )
        for item in signed
    ]
