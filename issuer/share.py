"""Share links: the learner's unguessable links to a credential, and the learner's own
management link that creates, expires and withdraws them.

Only SHA-256 hashes of management tokens are stored; share-link tokens are stored as they are
(they are public once shared). Share-link expiry is not credential expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from issuer.dates import MomentError, parse_moment
from issuer.errors import InvalidInput
from issuer.models import IssuedCredential, ShareLink, utcnow

TOKEN_BYTES = 24  # 192 bits: unguessable


def new_token() -> str:
    """A fresh unguessable URL-safe token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_manage_token(token: str) -> str:
    """The stored form of a learner management token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_share_link(
    session: Session, credential: IssuedCredential, *, expires_at: datetime | None = None
) -> ShareLink:
    """A new share link to ``credential`` (optionally expiring)."""
    if expires_at is not None and expires_at <= utcnow():
        raise ValueError("a share link's expiry must lie in the future")
    link = ShareLink(credential_id=credential.id, token=new_token(), expires_at=expires_at)
    session.add(link)
    session.flush()
    return link


def link_is_live(link: ShareLink, *, now: datetime | None = None) -> bool:
    """True when the link is neither withdrawn nor expired."""
    now = now or utcnow()
    return link.withdrawn_at is None and (link.expires_at is None or link.expires_at > now)


def link_state(link: ShareLink, *, now: datetime | None = None) -> str:
    """``"live"``, ``"withdrawn"`` or ``"expired"`` (withdrawn wins when both apply)."""
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
