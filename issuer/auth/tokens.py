"""API token authentication: a token belongs to an organisation, with a role and a scope.

A token is shown once when created; only its SHA-256 is stored. Requests send it as
``Authorization: Bearer <token>``. The role says what kind of thing it may do (viewer reads,
issuer issues and changes status, admin also writes specifications); the scope
(``TokenScope``) says on whose credentials: an ``organisation`` token (the default) acts only
on credentials its organisation issued or co-awards, a ``partnership`` token on every
credential of its partnership (``issuer.auth.scope`` holds the rule). Reading is partnership-wide
for every token. A partnership token needs the issuer or admin role.
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
from sqlalchemy import Column, Row, Table, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from issuer.auth.scope import awarding_organisations, ensure_may_act, job_organisations
from issuer.db import as_stored, get_session
from issuer.errors import Forbidden, InvalidInput, Unauthorized
from issuer.models import (
    ApiToken,
    BulkJob,
    IssuedCredential,
    Organisation,
    Role,
    SigningKey,
    TokenScope,
    utcnow,
)

TOKEN_PREFIX = "mc_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
ROLE_RANK = {Role.VIEWER: 0, Role.ISSUER: 1, Role.ADMIN: 2}

F = TypeVar("F", bound=Callable[..., Any])


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    organisation: Organisation,
    role: Role,
    name: str,
    *,
    scope: TokenScope = TokenScope.ORGANISATION,
) -> tuple[ApiToken, str]:
    """Create a token for ``organisation`` with ``role`` and ``scope``; return the row and the
    secret (shown only once). ``InvalidInput`` (``invalid_scope``) for a partnership-wide
    viewer token: viewers read the whole partnership already, and a scope that grants nothing
    would only mislead."""
    if scope is TokenScope.PARTNERSHIP and ROLE_RANK[role] < ROLE_RANK[Role.ISSUER]:
        raise InvalidInput(
            "the partnership scope is for tokens with the issuer or admin role",
            code="invalid_scope",
            details={"fields": {"scope": scope.value, "role": role.value}},
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organisation_id=organisation.id,
        role=role,
        name=name,
        token_hash=hash_token(secret),
        scope=scope,
    )
    session.add(token)
    session.flush()
    return token, secret


@dataclass(frozen=True)
class Caller:
    """Who is making the request: the token, its organisation, role and scope."""

    token_id: int
    token_name: str
    organisation_id: int
    partnership_id: int
    role: Role
    scope: TokenScope = TokenScope.ORGANISATION
    organisation_slug: str = ""

    @property
    def partnership_wide(self) -> bool:
        """True when the token may act on every credential of its partnership."""
        return self.scope is TokenScope.PARTNERSHIP

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"token:{self.token_name}"

    def allows(self, role: Role) -> bool:
        """True when this caller's role is ``role`` or stronger."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def authenticate(session: Session, header: str | None) -> Caller:
    """The caller for an ``Authorization`` header; ``Unauthorized`` if missing or unknown."""
    return _caller_of(_token_of(session, header))


_TOKENS = cast(Table, ApiToken.__table__)
_ORGANISATIONS = cast(Table, Organisation.__table__)
_KEYS = cast(Table, SigningKey.__table__)
#: The organisation's columns read with a token (the logo is deferred, as the model says).
_ORGANISATION_COLUMNS = [c for c in _ORGANISATIONS.c if c.key != "logo"]
#: A key's columns read with a token (its sealed secret loads when the key is first opened,
#: once per process: :class:`issuer.credentials.issuance.SigningKeys`).
_KEY_COLUMNS = [c for c in _KEYS.c if c.key != "sealed_secret"]
# A token, its organisation and the organisation's signing keys (one row per key, by id), in
# one Core statement built once: issuing signs with the caller's current key, which would
# otherwise be another query (a lazy load), and the ORM's joined eager load costs several times
# the query itself.
_TOKEN_WITH_ORGANISATION = (
    select(
        *(c.label(f"t_{c.key}") for c in _TOKENS.c),
        *(c.label(f"o_{c.key}") for c in _ORGANISATION_COLUMNS),
        *(c.label(f"k_{c.key}") for c in _KEY_COLUMNS),
    )
    .select_from(
        _TOKENS.join(_ORGANISATIONS, _ORGANISATIONS.c.id == _TOKENS.c.organisation_id).outerjoin(
            _KEYS, _KEYS.c.organisation_id == _ORGANISATIONS.c.id
        )
    )
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
    .order_by(_KEYS.c.id)
)


@dataclass(frozen=True)
class _Token:
    """A live token as read: its row, and its organisation as an object of the session."""

    id: int
    name: str
    role: Role
    scope: TokenScope
    organisation_id: int
    organisation: Organisation


def _columns(row: Row[Any], prefix: str, columns: list[Column[Any]]) -> dict[str, Any]:
    mapping = row._mapping
    return {c.key: mapping[f"{prefix}{c.key}"] for c in columns}


def _token_of(session: Session, header: str | None) -> _Token:
    """The live token an ``Authorization`` header names, read with its organisation and the
    organisation's signing keys in one query (the organisation becomes an object of
    ``session`` with its keys loaded); ``Unauthorized`` if missing or unknown. Notes when it was
    last used (at most once a minute, written with the request's commit: reads stay reads)."""
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    secret = header.removeprefix("Bearer ").strip()
    rows = (
        session.connection()
        .execute(_TOKEN_WITH_ORGANISATION, {"token_hash": hash_token(secret)})
        .all()
    )
    if not rows or rows[0].t_revoked_at is not None:
        raise Unauthorized("the API token is unknown or revoked")
    first = rows[0]
    organisation = as_stored(session, Organisation, _columns(first, "o_", _ORGANISATION_COLUMNS))
    if "keys" not in organisation.__dict__:  # loaded here, unless the session has them
        keys = [
            as_stored(session, SigningKey, _columns(row, "k_", _KEY_COLUMNS))
            for row in rows
            if row.k_id is not None
        ]
        set_committed_value(organisation, "keys", keys)
    now = utcnow()
    if first.t_last_used_at is None or now - first.t_last_used_at > LAST_USED_RESOLUTION:
        stored = session.get(ApiToken, first.t_id)  # written at most once a minute
        if stored is not None:
            stored.last_used_at = now
    return _Token(
        id=first.t_id,
        name=first.t_name,
        role=first.t_role,
        scope=first.t_scope,
        organisation_id=first.t_organisation_id,
        organisation=organisation,
    )


def _caller_of(token: _Token) -> Caller:
    return Caller(
        token_id=token.id,
        token_name=token.name,
        organisation_id=token.organisation_id,
        partnership_id=token.organisation.partnership_id,
        role=token.role,
        scope=token.scope,
        organisation_slug=token.organisation.slug,
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
            token = _token_of(get_session(), request.headers.get("Authorization"))
            caller = _caller_of(token)
            if not caller.allows(role):
                raise Forbidden(f"this needs the {role.value} role; the token has {caller.role}")
            g.caller = caller
            # Held for the request: the session's identity map keeps only what is referenced,
            # so the caller's organisation is then found there (``Session.get``), not read again.
            g.caller_organisation = token.organisation
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def _caller_organisation(caller: Caller) -> Organisation:
    organisation = get_session().get(Organisation, caller.organisation_id)
    if organisation is None:  # cannot happen while the token's row references it
        raise Unauthorized("the API token's organisation no longer exists")
    return organisation


def ensure_caller_may_act_on(credential: IssuedCredential) -> None:
    """Raise ``Forbidden`` (``forbidden``) unless this request's token may change
    ``credential``: its organisation issued or co-awards it, or the token is
    partnership-wide."""
    caller = current_caller()
    ensure_may_act(
        _caller_organisation(caller),
        awarding_organisations(credential),
        partnership_wide=caller.partnership_wide,
    )


def ensure_caller_may_act_on_job(job: BulkJob) -> None:
    """Raise ``Forbidden`` (``forbidden``) unless this request's token may act on the bulk
    job: its organisation is the job's issuer or one of its awarding bodies, or the token is
    partnership-wide."""
    caller = current_caller()
    ensure_may_act(
        _caller_organisation(caller),
        job_organisations(job),
        partnership_wide=caller.partnership_wide,
        what="bulk job",
    )
