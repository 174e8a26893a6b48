"""What the public link views share (share links ``/c/``, set links ``/s/``): whether the
client wants JSON or a page.

JSON when the client prefers ``application/ld+json`` or ``application/json`` (``Accept``,
negotiated against ``text/html``), sends no ``Accept`` header at all (a program; every browser
sends one), or asks ``?format=jsonld`` / ``?format=json`` or ``?download=1``; a page with
``?format=html``.
"""

from __future__ import annotations

from flask import request

JSONLD = "application/ld+json"
JSON_TYPES = (JSONLD, "application/json")


def wants_json() -> bool:
    """True when the client wants JSON rather than a page (see the module docstring)."""
    fmt = request.args.get("format")
    if fmt in ("jsonld", "json") or request.args.get("download") == "1":
        return True
    if fmt == "html":
        return False
    if "Accept" not in request.headers:
        return True  # a program that says nothing; every browser sends Accept
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES])
    return best in JSON_TYPES
