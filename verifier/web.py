"""What the verifier's routes share: the app's fetcher, trust settings and verification options,
the request body read within the limits, JSON or a page, and the heavy lane for large documents.

Every blueprint of the verifier (the form and APIs in ``verifier.views``, recognition in
``verifier.recognition.views``) reads its request through these, so no view imports another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request

from keys.keypairs import KeyPair
from schemas.json_text import TextBounds
from verifier.fetch.client import GuardedFetcher
from verifier.inputs import MAX_DOCUMENT_BYTES, InputError
from verifier.limits import Busy, HeavyLane
from verifier.report import Report
from verifier.settings import SETTINGS, SettingsError, TrustSettings
from verifier.verify import VerifierOptions, verify_credential

READ_CHUNK = 64 * 1024
RECORD_KEY = "microcred.record_key"
HEAVY_LANE = HeavyLane()  # per process: one large verification at a time (verifier.limits)


def wants_json() -> bool:
    """True when the client asked for JSON rather than a page."""
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def fetcher() -> GuardedFetcher:
    """The app's guarded HTTP client."""
    client: GuardedFetcher = current_app.extensions["microcred.fetcher"]
    return client


def settings() -> TrustSettings:
    """This app's trust settings."""
    found: TrustSettings = current_app.extensions[SETTINGS]
    return found


def record_key() -> KeyPair | None:
    """The key this verifier signs verification records with (``verifier.record``); None when
    none is configured."""
    key: KeyPair | None = current_app.extensions.get(RECORD_KEY)
    return key


def options() -> VerifierOptions:
    """Verification options for this app: the guarded fetcher and the trust sources (registry,
    trusted issuers, JAdES trust anchors and CRLs), as configured. Raises ``InputError``
    (503 ``configuration_error``) when a trust file changed into one that cannot be used."""
    trust = settings()
    try:
        trusted = trust.trusted_issuers()
    except SettingsError as error:
        raise InputError("configuration_error", str(error), 503) from None
    return VerifierOptions(
        fetch=fetcher(),
        registry=trust.registry(fetcher()),
        trusted=trusted,
        trust_anchors=trust.trust_anchors,
        crls=trust.crls,
        budget=float(current_app.config["VERIFY_BUDGET"]),
    )


def request_body(limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The request body, read up to ``limit`` bytes and no further; ``InputError``
    (``too_large``, 413) for a longer one — announced by ``Content-Length`` or found while
    reading a chunked body (also when the server did not mark the stream as terminated)."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    environ = request.environ
    if is_chunked(environ) and not environ.get("wsgi.input_terminated"):
        stream = environ["wsgi.input"]  # werkzeug would read nothing; the server dechunks
    else:
        stream = request.stream
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise _too_large(limit)
    return b"".join(parts)


def is_chunked(environ: Mapping[str, Any]) -> bool:
    """True when the request's body comes chunked: its length is not announced."""
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def checked(
    document: Any, chosen: VerifierOptions, size: int = 0, bounds: TextBounds | None = None
) -> Report:
    """``verify_credential`` in the heavy lane when the document is large (``size`` bytes as
    received, when known; ``bounds`` those of the text it was read from, when it was);
    ``InputError`` (``busy``, 503) when no turn came in time."""
    try:
        with HEAVY_LANE.turn(document, size, bounds):
            return verify_credential(document, chosen, bounds=bounds)
    except Busy as error:
        raise InputError(error.code, error.message, error.status) from None


def _too_large(limit: int) -> InputError:
    return InputError(
        "too_large", f"The credential is larger than {limit // (1024 * 1024)} MB.", 413
    )
