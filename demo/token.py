"""``make run`` keeps its demo token across starts: the issuer token it prints is kept in
``instance/demo_token`` (readable by its owner only) and printed again while it is still a valid
token of the demo organisation. When it is not (no file, a new database, a revoked token) a new
one is made, written there, and every other token ``make run`` made before (named ``demo-…``)
is revoked, so no forgotten demo token stays valid."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.auth.tokens import create_token, hash_token
from issuer.models import ApiToken, Organisation, Role, utcnow

TOKEN_FILE = "demo_token"
PREFIX = "demo-"


def _valid(session: Session, organisation: Organisation, token: str) -> bool:
    found = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.organisation_id == organisation.id,
            ApiToken.role == Role.ISSUER,
            ApiToken.revoked_at.is_(None),
        )
    )
    return found is not None


def kept_token(
    session: Session, organisation: Organisation, path: Path, *, fresh: str | None = None
) -> tuple[str, bool]:
    """(the issuer token of ``organisation`` kept in ``path``, whether it was reused). A kept
    token that is still valid is reused; otherwise ``fresh`` (a token just made, e.g. by a
    new demo) or a new ``demo-<time>`` token is kept, and the older ``demo-…`` tokens of the
    organisation are revoked. Flushes, never commits."""
    kept = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    if kept and _valid(session, organisation, kept):
        return kept, True
    if fresh is None:
        name = f"{PREFIX}{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}"
        _, fresh = create_token(session, organisation, Role.ISSUER, name)
    keep = hash_token(fresh)
    for old in session.scalars(
        select(ApiToken).where(
            ApiToken.organisation_id == organisation.id,
            ApiToken.name.startswith(PREFIX),
            ApiToken.revoked_at.is_(None),
            ApiToken.token_hash != keep,
        )
    ):
        old.revoked_at = utcnow()
    session.flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(fresh + "\n")
    return fresh, False
