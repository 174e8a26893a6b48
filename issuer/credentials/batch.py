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
3. :func:`store` (in the batch's write transaction): learners updated, credentials, awarding
   bodies, status-entry links, share links and audit events written with multi-row statements.

A row that cannot be issued (an ``ApiError`` while building or signing) comes back as a refusal
with its code and message; the others are issued.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.credentials.issuance import (
    LearnerInput,
    SigningKeys,
    check_document,
    serialize,
)
from issuer.errors import ApiError
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


def _learners(session: Session, partnership_id: int, rows: Sequence[BatchRow]) -> dict[str, Any]:
    """The partnership's learners of ``rows`` by reference, the missing ones created."""
    references = {row.learner.reference for row in rows}
    query = select(Learner).where(
        Learner.partnership_id == partnership_id, Learner.reference.in_(references)
    )
    found = {learner.reference: learner for learner in session.scalars(query)}
    missing = {r.learner.reference: r.learner for r in rows if r.learner.reference not in found}
    new = [
        Learner(
            partnership_id=partnership_id,
            reference=given.reference,
            subject_id=f"urn:uuid:{uuid.uuid4()}",
            given_name=given.given_name,
            family_name=given.family_name,
            email=given.email,
            date_of_birth=given.date_of_birth,
        )
        for given in missing.values()
    ]
    if new:
        try:
            with session.begin_nested():
                session.add_all(new)
                session.flush()
        except IntegrityError:  # created meanwhile by another transaction: read them all again
            pass
        found = {learner.reference: learner for learner in session.scalars(query)}
    return found


def prepare(session: Session, award: BatchAward, rows: Sequence[BatchRow]) -> list[Prepared]:
    """Subject ids (new learners stored) and status entries for ``rows``, in their order.
    Flushes; the caller commits, so that what is signed next is what the database keeps."""
    if not rows:
        return []
    learners = _learners(session, award.specification.partnership_id, rows)
    reserved = reserve_batch(session, award.issuer, len(rows))
    return [
        Prepared(
            row=row,
            learner_id=learners[row.learner.reference].id,
            subject_id=learners[row.learner.reference].subject_id,
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
    session: Session, award: BatchAward, signed: Sequence[Signed], *, now: datetime
) -> list[Stored]:
    """Write the signed rows: learners' names (and e-mail, date of birth when given),
    credentials, awarding bodies, status-entry links, a share link each and an ``issue`` audit
    event each (last: the audit chain's lock is held from then to commit). Flushes; an
    ``IntegrityError`` means a row's bulk line was stored meanwhile by another worker."""
    if not signed:
        return []
    updates: dict[int, dict[str, Any]] = {}
    for item in signed:
        given = item.prepared.row.learner
        values: dict[str, Any] = {
            "id": item.prepared.learner_id,
            "given_name": given.given_name,
            "family_name": given.family_name,
        }
        if given.email is not None:
            values["email"] = given.email
        if given.date_of_birth is not None:
            values["date_of_birth"] = given.date_of_birth
        updates.setdefault(item.prepared.learner_id, {}).update(values)
    for values in updates.values():
        session.execute(update(Learner).where(Learner.id == values["id"]).values(**values))
    credentials = [
        IssuedCredential(
            credential_uri=item.credential_uri,
            partnership_id=award.specification.partnership_id,
            issuer_id=award.issuer.id,
            specification_id=award.specification.id,
            learner_id=item.prepared.learner_id,
            document=item.document,
            state=CredentialState.ACTIVE,
            issued_at=now,
            bulk_job_id=award.bulk_job_id,
            bulk_line=item.prepared.row.line,
            manage_token_hash=hash_manage_token(item.manage_token),
        )
        for item in signed
    ]
    session.add_all(credentials)
    session.flush()
    session.execute(
        update(StatusEntry),
        [
            {"id": entry_id, "credential_id": credential.id}
            for item, credential in zip(signed, credentials, strict=True)
            for entry_id in item.prepared.entry_ids
        ],
    )
    links = [ShareLink(credential_id=c.id, token=new_token()) for c in credentials]
    session.add_all(
        CredentialAwardingBody(credential_id=c.id, organisation_id=body.id, position=n)
        for c in credentials
        for n, body in enumerate(award.bodies)
    )
    session.add_all(links)
    session.flush()
    slugs = [body.slug for body in award.bodies]
    session.add_all(
        AuditEvent(
            actor=award.actor,
            action="issue",
            organisation_id=award.issuer.id,
            credential_id=credential.id,
            details={
                "credential": credential.credential_uri,
                "specification": award.specification.slug,
                "awardingBodies": slugs,
                "bulkJob": award.bulk_job_id,
                "line": item.prepared.row.line,
            },
        )
        for item, credential in zip(signed, credentials, strict=True)
    )
    session.flush()
    return [
        Stored(item.prepared.row.key, credential.id, item.manage_token, link.token)
        for item, credential, link in zip(signed, credentials, links, strict=True)
    ]
