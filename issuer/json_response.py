"""The issuer's JSON answers, written by orjson (a C encoder) rather than the standard library's,
as the verifier's are (``verifier.json_response``; the two apps import nothing of each other).

:class:`OrjsonProvider` is the app's JSON provider, so ``jsonify`` answers with it. It writes
the JSON Flask's default provider writes (keys sorted, compact, a final newline; dates,
dataclasses, decimals and ``__html__`` through Flask's own ``default``) except that text beyond
ASCII is written as UTF-8 instead of ``\\u`` escapes (the same JSON value) and a non-finite
float as ``null``. What orjson refuses (an integer beyond 64 bits, a lone surrogate, a member
name that is not a string) is written by Flask's provider, as before; so are pretty-printed
answers (debug mode). Reading JSON and the pages' ``tojson`` filter are Flask's, unchanged.

:func:`stored_json` puts JSON text that is stored already (a signed credential, kept byte for
byte) into an answer as it is, instead of parsing it only to write it again: orjson copies
it into the answer unchanged (its members keep their stored order), Flask's provider, when it
writes the answer, parses it first.
"""

from __future__ import annotations

import json
from typing import Any, cast

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response as SansioResponse


def stored_json(text: str) -> orjson.Fragment:
    """``text`` (JSON as stored, trusted to be valid) as a value of an answer: written as it
    is."""
    return orjson.Fragment(text)


def _parsed(value: Any) -> Any:
    """``value`` with every :func:`stored_json` parsed (for the standard library's encoder)."""
    if isinstance(value, orjson.Fragment):
        return json.loads(value.contents)
    if isinstance(value, dict):
        return {key: _parsed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_parsed(item) for item in value]
    return value


class OrjsonProvider(DefaultJSONProvider):
    """Flask's default JSON provider with :meth:`response` written by orjson."""

    def response(self, *args: Any, **kwargs: Any) -> SansioResponse:
        """The JSON answer for ``jsonify(*args, **kwargs)``: as Flask's default provider
        answers, written by orjson (see the module for the differences)."""
        value = self._prepare_response_obj(args, kwargs)
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(_parsed(value))
        options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        if self.sort_keys:
            options |= orjson.OPT_SORT_KEYS
        try:
            body = orjson.dumps(value, default=self.default, option=options)
        except orjson.JSONEncodeError:  # what orjson cannot write: as Flask writes it
            return super().response(_parsed(value))
        answer = cast("type[Response]", self._app.response_class)  # a Flask app's
        return answer(body + b"\n", mimetype=self.mimetype)
