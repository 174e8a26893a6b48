"""Share links: the learner's unguessable links to a credential, and the learner's own
management link that creates, expires and withdraws them.

Only SHA-256 hashes of management tokens are stored; share-link tokens are stored as they are
(they are public once shared). Share-link expiry is not credential expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy.orm import Session

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
