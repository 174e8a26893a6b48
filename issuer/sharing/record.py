"""The learner's record: one place for all of a learner's credentials from this issuer.

A learner is who the issuer already knows: a ``Learner`` row, i.e. a partnership's own
reference (student number or e-mail address) within that partnership. Their record lists every
credential issued to that row, across specifications and issuing organisations.

The record is reached with a **record key** in the URL (``/record/<key>``), which is either

- the learner management token of any of their credentials (the ``learnerManageUrl`` issuance
  gives; only its hash is stored), or
- a **sign-in token**: made by :func:`new_signin_link` for a learner found by reference or
  e-mail address, valid for :data:`SIGNIN_DAYS` days and reusable until then (only its hash is
  stored).

Sending the sign-in link is not this module's job: :func:`new_signin_link` returns the link
(and the learner's e-mail address) so that staff, the CLI (``microcred issuer learners
signin-link``), the API (``POST /api/v1/learners/signin-link``) or a mail queue can deliver it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.learner_models import LearnerSignin
from issuer.models import AuditEvent, IssuedCredential, Learner, ShareLink, utcnow
from issuer.sharing.links import LEARNER_ACTOR, hash_manage_token, new_share_link, new_token

SIGNIN_DAYS = 7
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class SigninLink:
    """A sign-in link made for a learner: the URL to send, until when it works, and where to
    send it (the learner's e-mail address, when the issuer has one)."""

    url: str
    token: str
    expires_at: datetime
    learner: Learner

    @property
    def email(self) -> str | None:
        """The learner's e-mail address, if known."""
        return self.learner.email


def record_url(base_url: str, key: str) -> str:
    """The learner record's URL for ``key`` (a management or sign-in token)."""
    return f"{base_url.rstrip('/')}/record/{key}"


def learner_by_key(session: Session, key: str, *, now: datetime | None = None) -> Learner:
    """The learner whose record ``key`` opens: a management token of one of their credentials,
    or a sign-in token that has not expired. ``NotFound`` (``unknown_record_link``) otherwise
    (an expired sign-in token too: the learner asks for a new one)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise NotFound("no such record link", code="unknown_record_link")
    digest = hash_manage_token(key)
    credential = session.scalar(
        select(IssuedCredential).where(IssuedCredential.manage_token_hash == digest)
    )
    if credential is not None:
        return credential.learner
    signin = session.scalar(select(LearnerSignin).where(LearnerSignin.token_hash == digest))
    if signin is not None and signin.expires_at > (now or utcnow()):
        return signin.learner
    raise NotFound("no such record link", code="unknown_record_link")


def learner_credentials(session: Session, learner: Learner) -> list[IssuedCredential]:
    """Every credential issued to ``learner``, newest first."""
    return list(
        session.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.learner_id == learner.id)
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
        )
    )


def learner_credential_by_uuid(
    session: Session, learner: Learner, credential_uuid: str
) -> IssuedCredential:
    """The learner's credential with this UUID (or ``urn:uuid:`` id); ``NotFound``
    (``unknown_credential``) for anyone else's."""
    uri = credential_uuid if credential_uuid.startswith("urn:") else f"urn:uuid:{credential_uuid}"
    credential = session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.credential_uri == uri, IssuedCredential.learner_id == learner.id
        )
    )
    if credential is None:
        raise NotFound("no such credential in this record", code="unknown_credential")
    return credential


def find_learner(
    session: Session,
    partnership_id: int,
    *,
    reference: str | None = None,
    email: str | None = None,
) -> Learner:
    """The partnership's learner with ``reference``, or else with the e-mail address ``email``
    (compared without regard to case). ``InvalidInput`` when neither is given; ``NotFound``
    (``unknown_learner``) when none matches; ``Conflict`` (``ambiguous_learner``, with their
    references) when several learners share the e-mail address."""
    query = select(Learner).where(Learner.partnership_id == partnership_id)
    if reference:
        found = list(session.scalars(query.where(Learner.reference == reference)))
    elif email:
        wanted = email.strip().lower()
        found = list(session.scalars(query.where(func.lower(Learner.email) == wanted)))
    else:
        raise InvalidInput(
            "give the learner's reference or e-mail address", details={"field": "reference"}
        )
    if not found:
        raise NotFound("no such learner in this partnership", code="unknown_learner")
    if len(found) > 1:
        raise Conflict(
            "several learners have this e-mail address: give the reference",
            code="ambiguous_learner",
            details={"references": sorted(learner.reference for learner in found)},
        )
    return found[0]


def new_signin_link(
    session: Session,
    learner: Learner,
    *,
    base_url: str,
    actor: str,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> SigninLink:
    """A new sign-in link to ``learner``'s record, working for :data:`SIGNIN_DAYS` days
    (earlier ones keep working until they expire). Audited as ``learner_signin_link``; only the
    token's hash is stored, so the link is shown this once. Flushes, never commits."""
    now = now or utcnow()
    token = new_token()
    signin = LearnerSignin(
        learner_id=learner.id,
        token_hash=hash_manage_token(token),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=SIGNIN_DAYS),
    )
    session.add(signin)
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=organisation_id,
            action="learner_signin_link",
            details={"learner": learner.reference},
        )
    )
    session.flush()
    return SigninLink(
        url=record_url(base_url, token), token=token, expires_at=signin.expires_at, learner=learner
    )


def lasting_share_link(session: Session, credential: IssuedCredential) -> ShareLink:
    """A live share link of ``credential`` that never expires (for a profile such as
    LinkedIn's, which keeps the address): the newest one there is, else a new one made by the
    learner (audited as ``share_link_created``). Flushes, never commits."""
    existing = session.scalar(
        select(ShareLink)
        .where(
            ShareLink.credential_id == credential.id,
            ShareLink.withdrawn_at.is_(None),
            ShareLink.expires_at.is_(None),
        )
        .order_by(ShareLink.id.desc())
        .limit(1)
    )
    if existing is not None:
        return existing
    return new_share_link(session, credential, actor=LEARNER_ACTOR)
