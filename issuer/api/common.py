"""What the ``/api/v1`` views share: the blueprint, the caller's organisation and partnership,
paging (``limit`` / ``cursor``), awarding bodies, ``201 Location`` answers, the answer to an
issuance, and
:func:`field_problems`, which turns a pydantic ``ValidationError`` into the API's one refusal
shape: 422 ``invalid_input`` with ``details.fields`` naming every bad member.

Every route needs an API token (``Authorization: Bearer <token>``): the viewer role reads, the
issuer role issues, changes status and runs bulk jobs, the admin role writes specifications.
Every query is scoped to the caller's partnership: another partnership's credential, job or
specification is "not found", never "forbidden". Services flush; the views commit only after
the service call succeeded, so a failure leaves nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy import Select

from issuer import config
from issuer.auth.tokens import current_caller
from issuer.credentials import issuance
from issuer.db import get_session
from issuer.edge import DB_INT_MAX, json_body
from issuer.errors import InvalidInput, NotFound
from issuer.json_response import stored_json
from issuer.models import IssuedCredential, Organisation, Partnership
from issuer.partnerships.services import get_organisation

__all__ = ["bp", "json_body"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: A page cursor: the id of the last item seen, in decimal (what the OpenAPI's pattern says).
CURSOR = re.compile(r"[1-9][0-9]{0,18}")


def caller_organisation() -> Organisation:
    """The caller's organisation (in this request's session); 404 if it no longer exists."""
    organisation = get_session().get(Organisation, current_caller().organisation_id)
    if organisation is None:  # the token outlived its organisation: treat as unknown
        raise NotFound("the token's organisation no longer exists")
    return organisation


def caller_partnership() -> Partnership:
    """The caller's partnership (in this request's session); 404 if it no longer exists."""
    partnership = get_session().get(Partnership, current_caller().partnership_id)
    if partnership is None:
        raise NotFound("the token's partnership no longer exists")
    return partnership


def field_problems(error: ValidationError, messages: Mapping[str, str]) -> dict[str, str]:
    """Each top-level member pydantic refused → its problem: the rule's own sentence for a
    ``ValueError`` a validator raised, else ``messages[member]``, else pydantic's message."""
    problems: dict[str, str] = {}
    for detail in error.errors():
        member = str(detail["loc"][0]) if detail["loc"] else "body"
        if member in problems:
            continue
        if detail["type"] == "value_error" and "error" in detail.get("ctx", {}):
            problems[member] = str(detail["ctx"]["error"])
        else:
            problems[member] = messages.get(member, detail["msg"])
    return problems


def limit(default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """``?limit=`` (``default`` when absent); 422 ``invalid_input`` unless from 1 to
    ``maximum``."""
    raw = request.args.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise InvalidInput(
            f"limit must be an integer from 1 to {maximum}", details={"fields": {"limit": raw}}
        )
    return value


def decode_cursor(cursor: str | None) -> int | None:
    """The id a page starts below; None for no cursor, or for one past every database id (the
    first page). 422 ``invalid_input`` for anything but a cursor's digits."""
    if cursor is None:
        return None
    if not CURSOR.fullmatch(cursor):
        raise InvalidInput(
            "cursor is not one this API returned", details={"fields": {"cursor": "malformed"}}
        )
    after = int(cursor)
    return None if after > DB_INT_MAX else after


def page(query: Select[Any], id_column: Any, size: int) -> tuple[list[Any], str | None]:
    """Keyset pagination, newest first: ``id`` descending, ``?cursor=`` the last id seen; the
    rows and the next page's cursor (None on the last page)."""
    after = decode_cursor(request.args.get("cursor"))
    if after is not None:
        query = query.where(id_column < after)
    rows = list(get_session().scalars(query.order_by(id_column.desc()).limit(size + 1)))
    has_more = len(rows) > size
    rows = rows[:size]
    return rows, (str(rows[-1].id) if has_more and rows else None)


def created(body: dict[str, Any], location: str, status: int = 201) -> ResponseReturnValue:
    """``body`` as JSON with ``status`` and a ``Location`` header."""
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = location
    return response


def awarding_bodies(slugs: list[str] | None, issuer: Organisation) -> list[Organisation]:
    """The awarding bodies named by slug, the issuer first (``[issuer]`` for None);
    ``ValueError`` names the problem (the issuer missing, or a slug not of the partnership)."""
    if slugs is None:
        return [issuer]
    if issuer.slug not in slugs:
        raise ValueError(f"must include the issuing organisation {issuer.slug!r}")
    session = get_session()
    others = []
    for slug in slugs:
        if slug == issuer.slug:
            continue
        try:
            others.append(get_organisation(session, issuer.partnership_id, slug))
        except NotFound:
            raise ValueError(f"{slug!r} is not an organisation of this partnership") from None
    return [issuer, *others]


def check_slugs(value: Any) -> list[str]:
    """A non-empty list of distinct strings; ``ValueError`` otherwise (the bulk form's
    comma-separated list, checked as the JSON one is)."""
    if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
        raise ValueError("must be a non-empty list of organisation slugs")
    if len(set(value)) != len(value):
        raise ValueError("names an organisation more than once")
    return value


def issue_response(issued: issuance.Issued) -> dict[str, Any]:
    """The answer to an issuance: the credential's metadata, its signed document, its first
    share link with QR codes, and (this once) the learner's management link."""
    base = config.base_url()
    credential = issued.credential
    token = issued.share_link.token
    return {
        "credential": issuance.credential_json(credential, base_url=base),
        "document": stored_json(credential.document),  # as stored: not parsed to be written again
        "shareUrl": f"{base}/c/{token}",
        "learnerManageUrl": f"{base}/learner/{issued.manage_token}",
        "qr": {"png": f"{base}/c/{token}/qr.png", "svg": f"{base}/c/{token}/qr.svg"},
    }


def partnership_credential(ref: str) -> IssuedCredential:
    """The caller's partnership's credential ``ref`` (UUID or ``urn:uuid:``); 404
    ``unknown_credential`` otherwise."""
    return issuance.get_credential(get_session(), current_caller().partnership_id, ref)
