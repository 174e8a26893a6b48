"""What the public link views share (share links ``/c/``, set links ``/s/``): whether the
client wants JSON or a page, the page of a link that cannot be served, and a link's QR code.

JSON when the client prefers ``application/ld+json`` or ``application/json`` (``Accept``,
negotiated against ``text/html``), sends no ``Accept`` header at all (a program; every browser
sends one), or asks ``?format=jsonld`` / ``?format=json`` or ``?download=1``; a page with
``?format=html``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, render_template, request

from issuer.errors import ApiError

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


def unavailable(error: ApiError, *, as_json: bool) -> Response:
    """A link that cannot be served (unknown, withdrawn, expired): ``error`` raised for JSON
    (the edge renders it), else the page saying so, with the error's status."""
    if as_json:
        raise error
    page = render_template("share/unavailable.html", error=error)
    return Response(page, status=error.status, mimetype="text/html")


def qr_answer(
    check: Callable[[], object],
    data: Callable[[], str],
    render: Callable[[str], bytes],
    mimetype: str,
) -> Response:
    """The QR code of ``data()`` drawn by ``render`` when ``check()`` (the link is live) raises
    no ``ApiError``; else :func:`unavailable`."""
    try:
        check()
    except ApiError as error:
        return unavailable(error, as_json=wants_json())
    return Response(render(data()), mimetype=mimetype)
