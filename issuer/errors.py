"""API errors: exceptions with a stable code and an HTTP status, rendered as JSON at the edge.

Every error response is ``{"error": {"code": ..., "message": ..., "details": ...}}``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An error the API reports to its caller: ``code`` is stable, ``message`` is for people."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of this error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class NotFound(ApiError):
    """The thing asked for does not exist (or belongs to another organisation)."""

    status = 404
    code = "not_found"


class Unauthorized(ApiError):
    """No valid API token was given."""

    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    """The token is valid but its role or organisation does not allow this."""

    status = 403
    code = "forbidden"


class Conflict(ApiError):
    """The request conflicts with the current state (e.g. revoking a revoked credential)."""

    status = 409
    code = "conflict"


class InvalidInput(ApiError):
    """The request's data is malformed or incomplete; ``details`` says where."""

    status = 422
    code = "invalid_input"


def _render(error: ApiError) -> ResponseReturnValue:
    return jsonify(error.to_dict()), error.status


#: Headers of an HTTP error kept on its JSON answer (``Allow`` on a 405, ``Retry-After``, …).
_KEPT_HEADERS = frozenset({"allow", "retry-after", "www-authenticate", "content-range"})


def _render_http(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error as JSON, keeping the headers it carries (a 405 keeps ``Allow``)."""
    code = (error.name or "error").lower().replace(" ", "_")
    if error.code == 413:
        code = "payload_too_large"
    body = {"error": {"code": code, "message": error.description or error.name}}
    response = jsonify(body)
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() in _KEPT_HEADERS:
            response.headers.add(name, value)
    return response


#: SQLSTATEs of errors that say "try the transaction again": a deadlock (two transactions
#: waiting on each other's rows; PostgreSQL aborts one) and a serialization failure.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


#: What SQLite says when its lock stayed taken for the whole busy timeout.
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked")


def is_transient(error: BaseException) -> bool:
    """True when ``error`` (a SQLAlchemy ``DBAPIError``) aborted its transaction for a reason
    that running the same transaction again can get past: PostgreSQL's
    :data:`TRANSIENT_SQLSTATES`, or SQLite's lock taken for the whole busy timeout."""
    if not isinstance(error, DBAPIError):
        return False
    if getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return isinstance(error.orig, sqlite3.OperationalError) and str(error.orig) in (
        SQLITE_BUSY_MESSAGES
    )


def _render_database_error(error: DBAPIError) -> ResponseReturnValue:
    """A transaction the database aborted to get out of a deadlock (or a serialization
    failure), or that waited out SQLite's busy timeout: nothing of it was kept, and the same
    request again goes through; 503 ``database_busy`` with ``Retry-After``. Any other
    database error is not handled here."""
    if not is_transient(error):
        raise error
    body = {
        "error": {
            "code": "database_busy",
            "message": "The database was busy with a conflicting change and kept nothing of "
            "this request; send it again.",
        }
    }
    return jsonify(body), 503, {"Retry-After": "1"}


def init_app(app: Flask) -> None:
    """Render ``ApiError``, HTTP errors and transient database errors as JSON."""
    app.register_error_handler(ApiError, _render)
    app.register_error_handler(HTTPException, _render_http)
    app.register_error_handler(DBAPIError, _render_database_error)
