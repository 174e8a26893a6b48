"""Set links: one share link over a chosen set of a learner's credentials (a presentation).

A set link mirrors a share link (:mod:`issuer.sharing.links`): an unguessable token, an
optional expiry (not the credentials' expiry), withdrawal for good; a withdrawn or expired link
is ``Gone`` (410), an unknown one ``NotFound`` (404). What it serves
(:func:`presentation`) is a W3C ``VerifiablePresentation`` without a holder proof carrying
each credential exactly as signed, so a verifier checks every credential on its own (the
project's verifier does so at ``GET /verify?url=<set link>``).

Every time the set is served counts as one open (:func:`record_open`): the link keeps a count
and the latest :data:`KEEP_OPENS` moments — only the time, nothing about who opened it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.learner_models import SetLink, SetLinkCredential, SetLinkOpen
from issuer.models import AuditEvent, IssuedCredential, Learner, utcnow
from issuer.sharing.links import (
    MAX_TOKEN_LENGTH,
    Gone,
    iso_moment,
    link_state,
    new_token,
    stored_document,
)

#: At most this many credentials in one set: the project's verifier checks presentations of up
#: to 10 credentials (``verifier.presentation.MAX_CREDENTIALS``).
MAX_SET_CREDENTIALS = 10
MAX_SET_LINKS_PER_LEARNER = 100
MAX_LABEL = 200
KEEP_OPENS = 50
PRESENTATION_CONTEXT = "https://www.w3.org/2018/credentials/v1"
LEARNER_ACTOR = "learner"


def set_url(base_url: str, token: str) -> str:
    """The public URL of set link ``token`` at the issuer ``base_url``."""
    return f"{base_url.rstrip('/')}/s/{token}"


def live_set_link(session: Session, token: str) -> SetLink:
    """The live set link ``token``: ``NotFound`` (``unknown_set_link``) or ``Gone``
    (``set_link_withdrawn`` / ``set_link_expired``) otherwise."""
    link = find_set_link(session, token)
    if link is None:
        raise NotFound("no such set link", code="unknown_set_link")
    state = link_state(link)
    if state == "withdrawn":
        raise Gone("the learner has withdrawn this link", code="set_link_withdrawn")
    if state == "expired":
        raise Gone("this link has expired", code="set_link_expired")
    return link


def find_set_link(session: Session, token: str) -> SetLink | None:
    """The set link ``token`` (any state), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(select(SetLink).where(SetLink.token == token))


def learner_set_link(session: Session, learner: Learner, token: str) -> SetLink:
    """The learner's set link ``token`` (any state); ``NotFound`` for anyone else's."""
    link = find_set_link(session, token)
    if link is None or link.learner_id != learner.id:
        raise NotFound("no such set link", code="unknown_set_link")
    return link


def learner_set_links(session: Session, learner: Learner) -> list[SetLink]:
    """The learner's set links, newest first."""
    return list(
        session.scalars(
            select(SetLink).where(SetLink.learner_id == learner.id).order_by(SetLink.id.desc())
        )
    )


def _audit(session: Session, link: SetLink, action: str, actor: str) -> None:
    first = link.members[0].credential if link.members else None
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=None if first is None else first.issuer_id,
            action=action,
            details={
                "setLinkId": link.id,
                "credentials": [m.credential.credential_uri for m in link.members],
                "expiresAt": iso_moment(link.expires_at),
            },
        )
    )
    session.flush()


def chosen_credentials(
    session: Session, learner: Learner, references: Sequence[Any]
) -> list[IssuedCredential]:
    """The learner's credentials named by ``references`` (UUIDs or ``urn:uuid:`` ids), in the
    order given, each once. ``InvalidInput``: none given (``empty_set``), more than
    :data:`MAX_SET_CREDENTIALS` (``too_many_credentials``), a reference that is not a string or
    names no credential of this learner (``unknown_credential``, with the reference)."""
    if not references:
        raise InvalidInput("choose at least one credential", code="empty_set")
    wanted: list[str] = []
    for reference in references:
        if not isinstance(reference, str) or not reference or len(reference) > 100:
            raise InvalidInput("credentials must be credential ids", code="unknown_credential")
        uri = reference if reference.startswith("urn:") else f"urn:uuid:{reference}"
        if uri not in wanted:
            wanted.append(uri)
    if len(wanted) > MAX_SET_CREDENTIALS:
        raise InvalidInput(
            f"a set holds at most {MAX_SET_CREDENTIALS} credentials",
            code="too_many_credentials",
        )
    found = {
        credential.credential_uri: credential
        for credential in session.scalars(
            select(IssuedCredential).where(
                IssuedCredential.learner_id == learner.id,
                IssuedCredential.credential_uri.in_(wanted),
            )
        )
    }
    missing = [uri for uri in wanted if uri not in found]
    if missing:
        raise InvalidInput(
            "not a credential of this learner",
            code="unknown_credential",
            details={"credentials": missing},
        )
    return [found[uri] for uri in wanted]


def clean_label(value: Any) -> str | None:
    """The learner's name for a link, trimmed (None when blank); ``InvalidInput`` when it is
    not one line of at most :data:`MAX_LABEL` characters."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_LABEL or "\n" in value or "\r" in value:
        raise InvalidInput(
            f"label must be one line of at most {MAX_LABEL} characters",
            details={"field": "label"},
        )
    return value.strip() or None


def new_set_link(
    session: Session,
    learner: Learner,
    credentials: Sequence[IssuedCredential],
    *,
    actor: str = LEARNER_ACTOR,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> SetLink:
    """A new set link over ``credentials`` (the learner's, as :func:`chosen_credentials`
    gives them), audited as ``set_link_created``. ``Conflict`` (``set_link_limit``) when the
    learner has :data:`MAX_SET_LINKS_PER_LEARNER` links already. Flushes, never commits."""
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("a link's expiry must lie in the future", details={"field": "expiresAt"})
    if any(credential.learner_id != learner.id for credential in credentials):
        raise ValueError("a set link shows only its learner's credentials")
    count = session.scalar(
        select(func.count()).select_from(SetLink).where(SetLink.learner_id == learner.id)
    )
    if (count or 0) >= MAX_SET_LINKS_PER_LEARNER:
        raise Conflict(
            f"a learner has at most {MAX_SET_LINKS_PER_LEARNER} set links",
            code="set_link_limit",
        )
    link = SetLink(
        learner_id=learner.id, token=new_token(), label=label, expires_at=expires_at, open_count=0
    )
    link.members = [
        SetLinkCredential(credential_id=credential.id, position=n, credential=credential)
        for n, credential in enumerate(credentials)
    ]
    session.add(link)
    session.flush()
    _audit(session, link, "set_link_created", actor)
    return link


def withdraw_set_link(session: Session, link: SetLink, *, actor: str = LEARNER_ACTOR) -> None:
    """Withdraw ``link`` for good (idempotent: a second call records nothing)."""
    if link.withdrawn_at is None:
        link.withdrawn_at = utcnow()
        _audit(session, link, "set_link_withdrawn", actor)


def record_open(session: Session, link: SetLink, *, now: datetime | None = None) -> None:
    """Count one open of ``link`` at ``now`` and keep its moment (only the latest
    :data:`KEEP_OPENS` moments are kept). The count is raised in the database, so concurrent
    opens all count. Flushes, never commits."""
    session.execute(
        update(SetLink).where(SetLink.id == link.id).values(open_count=SetLink.open_count + 1)
    )
    session.add(SetLinkOpen(set_link_id=link.id, at=now or utcnow()))
    session.flush()
    oldest_kept = session.scalar(
        select(SetLinkOpen.id)
        .where(SetLinkOpen.set_link_id == link.id)
        .order_by(SetLinkOpen.id.desc())
        .offset(KEEP_OPENS - 1)
        .limit(1)
    )
    if oldest_kept is not None:
        session.execute(
            delete(SetLinkOpen).where(
                SetLinkOpen.set_link_id == link.id, SetLinkOpen.id < oldest_kept
            )
        )
    session.expire(link, ["open_count"])


def recent_opens(session: Session, link: SetLink) -> list[datetime]:
    """The latest moments ``link`` was opened, newest first (at most :data:`KEEP_OPENS`)."""
    return list(
        session.scalars(
            select(SetLinkOpen.at)
            .where(SetLinkOpen.set_link_id == link.id)
            .order_by(SetLinkOpen.id.desc())
            .limit(KEEP_OPENS)
        )
    )


def presentation(link: SetLink, *, base_url: str) -> dict[str, Any]:
    """What the set link serves: a ``VerifiablePresentation`` (VC Data Model 1.1, no holder
    and no proof: the issuers' proofs are what a verifier checks) whose ``verifiableCredential``
    holds each credential of the set exactly as signed, in the learner's order."""
    return {
        "@context": [PRESENTATION_CONTEXT],
        "id": set_url(base_url, link.token),
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [dict(stored_document(c)) for c in link.credentials],
    }
