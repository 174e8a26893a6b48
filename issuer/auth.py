"""API token authentication: tokens scoped to an organisation with a role.

A token is shown once when created; only its SHA-256 is stored. Requests send it as
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db import get_session
from issuer.errors import Forbidden, Unauthorized
from issuer.models import ApiToken, Organisation, Role, utcnow

TOKEN_PREFIX = "mc_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
ROLE_RANK = {Role.VIEWER: 0, Role.ISSUER: 1, Role.ADMIN: 2}

F = TypeVar("F", bound=Callable[..., Any])


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, organisation: Organisation, role: Role, name: str
) -> tuple[ApiToken, str]:
    """Create a token for ``organisation``; return the row and the secret (shown only once)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organisation_id=organisation.id, role=role, name=name, token_hash=hash_token(secret)
    )
    session.add(token)
    session.flush()
    return token, secret


@dataclass(frozen=True)
class Caller:
    """Who is making the request: the token, its organisation and role."""

    token_id: int
    token_name: str
    organisation_id: int
    partnership_id: int
    role: Role

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"token:{self.token_name}"

    def allows(self, role: Role) -> bool:
        """True when this caller's role is ``role`` or stronger."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def authenticate(session: Session, header: str | None) -> Caller:
    """The caller for an ``Authorization`` header; ``Unauthorized`` if missing or unknown."""
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    secret = header.removeprefix("Bearer ").strip()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None:
        raise Unauthorized("the API token is unknown or revoked")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now  # written at most once a minute: reads stay reads
    return Caller(
        token_id=token.id,
        token_name=token.name,
        organisation_id=token.organisation_id,
        partnership_id=token.organisation.partnership_id,
        role=token.role,
    )


def current_caller() -> Caller:
    """The authenticated caller of this request (set by ``require``)."""
    caller: Caller = g.caller
    return caller


def require(role: Role) -> Callable[[F], F]:
    """Decorate a view so it needs a token of at least ``role``; ``Forbidden`` otherwise."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            caller = authenticate(get_session(), request.headers.get("Authorization"))
            if not caller.allows(role):
                raise Forbidden(f"this needs the {role.value} role; the token has {caller.role}")
            g.caller = caller
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator
