"""The verifier's JSON answers, written by orjson (a C encoder) rather than the standard
library's: the report of every ``POST /api/verify`` is written once per request.

:class:`OrjsonProvider` is the app's JSON provider, so ``jsonify`` answers with it. It writes
the JSON Flask's default provider writes — keys sorted, compact, a final newline; dates,
dataclasses, decimals and ``__html__`` through Flask's own ``default`` — except that text beyond
ASCII is written as UTF-8 instead of ``\\u`` escapes (the same JSON value) and a non-finite float
as ``null`` (the standard library wrote ``NaN``/``Infinity``, which is not JSON). What orjson
refuses (an integer beyond 64 bits, a string with a lone surrogate, a member name that is not a
string) is written by Flask's provider, as before; so are pretty-printed answers (debug mode).
Reading JSON and the ``tojson`` filter of the pages are Flask's, unchanged.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response as SansioResponse


class OrjsonProvider(DefaultJSONProvider):
    """Flask's default JSON provider with :meth:`response` written by orjson."""

    def response(self, *args: Any, **kwargs: Any) -> SansioResponse:
        """The JSON answer for ``jsonify(*args, **kwargs)``: as Flask's default provider
        answers, written by orjson (see the module for the differences)."""
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        value = self._prepare_response_obj(args, kwargs)
        options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        if self.sort_keys:
            options |= orjson.OPT_SORT_KEYS
        try:
            body = orjson.dumps(value, default=self.default, option=options)
        except orjson.JSONEncodeError:  # what orjson cannot write: as Flask writes it
            return super().response(*args, **kwargs)
        answer = cast("type[Response]", self._app.response_class)  # a Flask app's
        return answer(body + b"\n", mimetype=self.mimetype)
