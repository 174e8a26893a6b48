"""Share links: the learner's unguessable links to a credential, and the learner's own
management link that creates, expires and withdraws them.

Only SHA-256 hashes of management tokens are stored; share-link tokens are stored as they are
(they are public once shared). Share-link expiry is not credential expiry.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.dates import MomentError, parse_moment
from issuer.errors import ApiError, Conflict, InvalidInput, NotFound
from issuer.models import AuditEvent, IssuedCredential, ShareLink, utcnow
from schemas.elm.build import xsd_datetime

TOKEN_BYTES = 24  # 192 bits: unguessable
LEARNER_ACTOR = "learner"
MAX_LINKS_PER_CREDENTIAL = 100  # a management token cannot fill the table
MAX_TOKEN_LENGTH = 64


class Gone(ApiError):
    """The share link existed but is withdrawn or expired."""

    status = 410
    code = "gone"


def new_token() -> str:
    """A fresh unguessable URL-safe token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_manage_token(token: str) -> str:
    """The stored form of a learner management token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


LEARNER_LINK_RENEWED = "learner_link_renewed"


def renew_learner_link(
    session: Session, credential: IssuedCredential, *, actor: str, organisation_id: int | None
) -> str:
    """Give ``credential``'s learner a new management token and return it (the caller shows it
    once: only its hash is stored); the old token stops working at once. Audited as
    ``learner_link_renewed`` for ``organisation_id`` (the acting organisation). Flushes."""
    token = new_token()
    credential.manage_token_hash = hash_manage_token(token)
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=organisation_id,
            action=LEARNER_LINK_RENEWED,
            credential_id=credential.id,
        )
    )
    session.flush()
    return token


def learner_manage_url(base_url: str, token: str) -> str:
    """The learner's management link for ``token``."""
    return f"{base_url.rstrip('/')}/learner/{token}"


def create_share_link(
    session: Session,
    credential: IssuedCredential,
    *,
    expires_at: datetime | None = None,
    flush: bool = True,
) -> ShareLink:
    """A new share link to ``credential`` (optionally expiring), added to ``session``; stored
    now, or with ``flush=False`` at the caller's next flush (with its other rows)."""
    if expires_at is not None and expires_at <= utcnow():
        raise ValueError("a share link's expiry must lie in the future")
    link = ShareLink(credential_id=credential.id, token=new_token(), expires_at=expires_at)
    session.add(link)
    if flush:
        session.flush()
    return link


def link_is_live(link: ShareLink, *, now: datetime | None = None) -> bool:
    """True when the link is neither withdrawn nor expired."""
    now = now or utcnow()
    return link.withdrawn_at is None and (link.expires_at is None or link.expires_at > now)


class Withdrawable(Protocol):
    """A link the learner can withdraw and that may expire: a share link or a set link."""

    withdrawn_at: datetime | None
    expires_at: datetime | None


def link_state(link: Withdrawable, *, now: datetime | None = None) -> str:
    """``"live"``, ``"withdrawn"`` or ``"expired"`` (withdrawn wins when both apply) of a share
    link or a set link."""
    if link.withdrawn_at is not None:
        return "withdrawn"
    if link.expires_at is not None and link.expires_at <= (now or utcnow()):
        return "expired"
    return "live"


def share_url(base_url: str, token: str) -> str:
    """The public URL of share link ``token`` at the issuer ``base_url``."""
    return f"{base_url.rstrip('/')}/c/{token}"


def verify_url(verifier_base_url: str, shared_url: str) -> str:
    """The verifier page that checks the credential at ``shared_url`` (what QR codes encode):
    ``<verifier>/verify?url=<shared_url, percent-encoded>``."""
    return f"{verifier_base_url.rstrip('/')}/verify?url={quote(shared_url, safe='')}"


def parse_expiry(value: Any, *, field: str = "expiresAt", now: datetime | None = None) -> datetime:
    """A share-link expiry from JSON: an ISO 8601 date-time with a time zone, in the future
    and within :mod:`issuer.dates`' range (never an overflow), in UTC.

    Raises ``InvalidInput`` naming ``field`` otherwise.
    """
    try:
        return parse_moment(value, after=now or utcnow())
    except MomentError as error:
        message = (
            f"{field} must be an ISO 8601 date-time string or null"
            if error.reason == "not_a_string"
            else f"{field} {error.message}"
        )
        raise InvalidInput(
            message, details={"field": field, "fields": {field: error.message}}
        ) from None


# --- looking things up ------------------------------------------------------------------------


def find_link(session: Session, token: str) -> ShareLink | None:
    """The share link ``token`` (any state), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(select(ShareLink).where(ShareLink.token == token))


def live_link(session: Session, token: str) -> ShareLink:
    """The live share link ``token``: ``NotFound`` (``unknown_share_link``) or ``Gone``
    (``share_link_withdrawn`` / ``share_link_expired``) otherwise."""
    link = find_link(session, token)
    if link is None:
        raise NotFound("no such share link", code="unknown_share_link")
    state = link_state(link)
    if state == "withdrawn":
        raise Gone("the learner has withdrawn this share link", code="share_link_withdrawn")
    if state == "expired":
        raise Gone("this share link has expired", code="share_link_expired")
    return link


def learner_credential(session: Session, manage_token: str) -> IssuedCredential:
    """The credential whose learner management token is ``manage_token``; ``NotFound``
    (``unknown_learner_link``) otherwise."""
    credential = None
    if manage_token and len(manage_token) <= 200:
        credential = session.scalar(
            select(IssuedCredential).where(
                IssuedCredential.manage_token_hash == hash_manage_token(manage_token)
            )
        )
    if credential is None:
        raise NotFound("no such learner link", code="unknown_learner_link")
    return credential


def credential_link(session: Session, credential: IssuedCredential, token: str) -> ShareLink:
    """The share link ``token`` of ``credential`` (any state); ``NotFound`` otherwise."""
    link = find_link(session, token)
    if link is None or link.credential_id != credential.id:
        raise NotFound("no such share link", code="unknown_share_link")
    return link


def iso_moment(moment: datetime | None) -> str | None:
    """``moment`` as an XSD date-time (UTC, ``Z``), or None."""
    return None if moment is None else xsd_datetime(moment)


# --- writes (flush; the views commit) ---------------------------------------------------------


def _audit(
    session: Session, credential: IssuedCredential, link: ShareLink, action: str, actor: str
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=credential.issuer_id,
            action=action,
            credential_id=credential.id,
            details={"shareLinkId": link.id, "expiresAt": iso_moment(link.expires_at)},
        )
    )
    session.flush()


def new_share_link(
    session: Session,
    credential: IssuedCredential,
    *,
    actor: str,
    expires_at: datetime | None = None,
) -> ShareLink:
    """A new share link with an audit event; ``Conflict`` (``share_link_limit``) when the
    credential has ``MAX_LINKS_PER_CREDENTIAL`` links already."""
    count = session.scalar(
        select(func.count()).select_from(ShareLink).where(ShareLink.credential_id == credential.id)
    )
    if (count or 0) >= MAX_LINKS_PER_CREDENTIAL:
        raise Conflict(
            f"a credential has at most {MAX_LINKS_PER_CREDENTIAL} share links",
            code="share_link_limit",
        )
    link = create_share_link(session, credential, expires_at=expires_at)
    _audit(session, credential, link, "share_link_created", actor)
    return link


def withdraw_share_link(
    session: Session, credential: IssuedCredential, link: ShareLink, *, actor: str
) -> None:
    """Withdraw ``link`` for good (idempotent: a second call records nothing)."""
    if link.withdrawn_at is None:
        link.withdrawn_at = utcnow()
        _audit(session, credential, link, "share_link_withdrawn", actor)


def set_share_link_expiry(
    session: Session,
    credential: IssuedCredential,
    link: ShareLink,
    expires_at: datetime | None,
    *,
    actor: str,
) -> None:
    """Set (or with ``None`` clear) a link's expiry; ``Conflict`` for a withdrawn link."""
    if link.withdrawn_at is not None:
        raise Conflict("a withdrawn share link stays withdrawn", code="share_link_withdrawn")
    link.expires_at = expires_at
    _audit(session, credential, link, "share_link_expiry_set", actor)


def stored_document(credential: IssuedCredential) -> Mapping[str, Any]:
    """The credential's stored JSON as a mapping (empty when it is somehow not an object)."""
    try:
        document = json.loads(credential.document)
    except ValueError:
        return {}
    return document if isinstance(document, Mapping) else {}
