"""The issuer's edge: what every request passes before a view reads it.

- :class:`EdgeRequest` bounds the body whatever its transfer encoding: Werkzeug 3 cuts a
  streamed (``Transfer-Encoding: chunked``) body off silently at ``MAX_CONTENT_LENGTH``, so
  a body one byte over the limit was read as truncated JSON (400) instead of refused; here
  reading past the limit is ``413`` and nothing beyond ``limit + 1`` bytes is ever read.
- :func:`json_body` is the one reader of JSON request bodies: every byte goes through
  :func:`schemas.json_text.load_json` (size first, depth scanned before parsing, NaN
  refused, lone surrogates and NUL refused), its codes mapped to the API's.
- :func:`refuse_unreadable_text` (a ``before_request`` hook) refuses NUL and lone
  surrogates in query strings, form and multipart fields and file names with 400
  ``invalid_input``, and treats a path holding them as naming nothing (404): no such text
  reaches a database (PostgreSQL refuses NUL in text with an error, i.e. a 500).
- :class:`DbIntConverter` (``<dbint:name>``) matches only integers that fit the database's
  ``integer`` column (32-bit signed): a larger id names nothing (404), never a database error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from flask import Flask, Request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from issuer.errors import ApiError, NotFound
from schemas.json_text import DEFAULT_MAX_DEPTH, JsonInputError, load_json

#: The largest value of the database's ``integer`` columns (PostgreSQL ``integer``).
DB_INT_MAX: Final = 2**31 - 1
#: The largest JSON request body read (bytes); ``MAX_JSON_BODY`` in the app's config.
DEFAULT_MAX_JSON_BODY: Final = 2 * 1024 * 1024
#: A lone surrogate or NUL: not text any encoder, database or canonicalizer accepts.
UNREADABLE: Final = re.compile("[\ud800-\udfff\x00]")
FORM_TYPES: Final = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


# --- the body, bounded ------------------------------------------------------------------------


class _StrictLimit(LimitedStream):
    """A body stream without a ``Content-Length`` (chunked) that raises 413 when the client
    sends more than ``limit`` bytes, instead of ending there as if the body were complete."""

    def on_exhausted(self) -> None:
        # Reached the limit: one more byte from the client means the body is too large.
        if self._stream.read(1):
            raise RequestEntityTooLarge()

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()
        return data


class EdgeRequest(Request):
    """Flask's request whose body stream is bounded by ``MAX_CONTENT_LENGTH`` whatever the
    transfer encoding: reading past the limit raises ``RequestEntityTooLarge`` (413)."""

    @cached_property
    def stream(self) -> Any:
        """The body stream; a streamed body is cut at ``max_content_length`` with a 413."""
        limit = self.max_content_length
        if (
            limit is not None
            and not self.shallow
            and self.content_length is None
            and "wsgi.input_terminated" in self.environ
        ):
            return _StrictLimit(self.environ["wsgi.input"], limit, is_max=True)
        return super().stream


# --- JSON bodies ------------------------------------------------------------------------------


def max_json_body() -> int:
    """The largest JSON body the app reads, in bytes (``MAX_JSON_BODY``)."""
    return int(current_app.config.get("MAX_JSON_BODY") or DEFAULT_MAX_JSON_BODY)


def too_large(message: str) -> ApiError:
    """The API's 413: ``payload_too_large`` (the code every 413 of the API carries)."""
    return ApiError(message, code="payload_too_large", status=413)


def json_error(error: JsonInputError) -> ApiError:
    """The API error for a refused JSON text: 413 ``payload_too_large`` for size, 400
    ``invalid_input`` for NUL or a lone surrogate, 400 ``invalid_json`` for the rest (not
    JSON, not UTF-8, empty, nested too deeply), the reason in the message."""
    if error.code == "too_large":
        return too_large(f"the request body is too large: {error.message}")
    if error.code == "invalid_input":
        return ApiError(error.message, code="invalid_input", status=400)
    return ApiError(
        f"the request body is not valid JSON: {error.message}",
        code="invalid_json",
        details={"reason": error.code},
    )


def _raw_body() -> bytes:
    """The body's bytes: 413 when its declared length is over ``MAX_JSON_BODY`` (nothing is
    read) or it is over ``MAX_CONTENT_LENGTH`` whatever its encoding (:class:`EdgeRequest`)."""
    limit = max_json_body()
    if request.content_length is not None and request.content_length > limit:
        raise too_large(f"the request body is larger than {limit:,} bytes")
    return request.get_data(cache=True)


def json_value(*, allow_empty: bool = False) -> Any:
    """The request body as a JSON value, read with bounded work (see the module); with
    ``allow_empty`` an empty body (no bytes) gives ``None``. Raises ``ApiError`` (400
    ``invalid_json`` / ``invalid_input``, 413 ``payload_too_large``) otherwise."""
    limit = max_json_body()
    raw = _raw_body()
    if allow_empty and not raw:
        return None
    try:
        return load_json(raw, max_bytes=limit, max_depth=DEFAULT_MAX_DEPTH)
    except JsonInputError as error:
        raise json_error(error) from None


def json_body(*, allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object (see :func:`json_value`); 400 ``invalid_json`` when
    it is not an object (``null`` included). With ``allow_empty`` an empty body (no bytes at
    all) counts as ``{}``; whitespace alone is not JSON and is refused like any other."""
    if allow_empty and not _raw_body():
        return {}
    data = json_value()
    if not isinstance(data, dict):
        raise ApiError("the request body must be a JSON object", code="invalid_json")
    return data


# --- text in URLs, forms and file names -------------------------------------------------------


def unreadable(text: str | None) -> str | None:
    """``"a NUL character"`` or ``"a lone surrogate"`` when ``text`` holds one, else None."""
    found = UNREADABLE.search(text or "")
    if found is None:
        return None
    return "a NUL character" if found.group() == "\x00" else "a lone surrogate"


def _first_unreadable(
    where: str, pairs: Iterable[tuple[str | None, str | None]]
) -> ApiError | None:
    """The 400 for the first name or value of ``pairs`` that holds unreadable text."""
    for name, value in pairs:
        what = unreadable(name) or unreadable(value)
        if what:
            field = "(name)" if unreadable(name) else str(name)
            return ApiError(
                f"{where} {field!r} holds {what}, which is not text",
                code="invalid_input",
                status=400,
                details={"in": where, "fields": {field: f"holds {what}"}},
            )
    return None


def refuse_unreadable_text() -> None:
    """``before_request``: 404 for a path holding NUL or a lone surrogate (it names nothing);
    400 ``invalid_input`` for one in a query parameter, a form or multipart field, or an
    uploaded file's name (the form is parsed here, so its size limit is enforced first)."""
    if unreadable(request.path):
        raise NotFound("no such resource")
    problem = _first_unreadable("query parameter", request.args.items(multi=True))
    if problem is None and request.mimetype in FORM_TYPES:
        problem = _first_unreadable("form field", request.form.items(multi=True))
        if problem is None:
            names = ((name, upload.filename) for name, upload in request.files.items(multi=True))
            problem = _first_unreadable("file name", names)
    if problem is not None:
        raise problem


# --- integer ids in URLs ----------------------------------------------------------------------


class DbIntConverter(IntegerConverter):
    """``<dbint:name>``: ASCII digits whose value fits a database ``integer`` (0 to
    :data:`DB_INT_MAX`); anything larger matches no route (404)."""

    regex = r"[0-9]+"

    def __init__(self, map: Map) -> None:
        super().__init__(map, max=DB_INT_MAX)


def init_app(app: Flask) -> None:
    """Bounded bodies, the ``dbint`` converter and the unreadable-text guard."""
    app.request_class = EdgeRequest
    app.url_map.converters["dbint"] = DbIntConverter
    app.config.setdefault("MAX_JSON_BODY", DEFAULT_MAX_JSON_BODY)
    app.before_request(refuse_unreadable_text)


#: Yes/no text as forms, CSV cells and query strings write it (any case).
FLAGS = {"": False, "true": True, "yes": True, "1": True, "ja": True, "x": True, "false": False}
FLAGS |= {"no": False, "0": False, "nej": False}


def flag(value: Any) -> bool | None:
    """A yes/no value: a boolean or text (:data:`FLAGS`; blank or absent is no); None for
    anything else."""
    if value is None or isinstance(value, bool):
        return bool(value)
    return FLAGS.get(value.strip().lower()) if isinstance(value, str) else None
