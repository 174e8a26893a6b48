"""Turning what a person hands the verifier into a credential to check.

Four ways in: pasted or uploaded JSON, a credential URL (a learner's share link, the URL the
issuer's QR codes carry), a photo of such a QR code, and a JSON API body. Each failure is an
``InputError`` with a stable code; nothing here raises anything else for bad input.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from verifier.http import FetchError, GuardedFetcher

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024  # a credential with logos is ~150 KB
CREDENTIAL_MEDIA_TYPES = "application/ld+json, application/vc+ld+json;q=0.9, application/json;q=0.8"


class InputError(Exception):
    """Input the verifier cannot use; ``code`` is stable, ``status`` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def parse_credential(data: str | bytes) -> dict[str, Any]:
    """The JSON object in ``data``; ``InputError`` if it is too large, not UTF-8, not JSON, too
    deeply nested, or not an object."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError("too_large", "The credential is larger than 2 MB.", 413)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("not_utf8", "The file is not UTF-8 text.") from None
    if not data.strip():
        raise InputError("empty", "No credential was given.")
    try:
        document = json.loads(data)
    except RecursionError:
        raise InputError("too_deep", "The JSON is nested too deeply.") from None
    except ValueError as error:
        raise InputError("not_json", f"This is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InputError("not_an_object", "The JSON is not an object, so not a credential.")
    return document


def fetch_credential(url: str, fetcher: GuardedFetcher) -> dict[str, Any]:
    """Fetch the credential at ``url`` (asking for JSON-LD) and parse it."""
    if not isinstance(url, str) or not url.strip():
        raise InputError("empty", "No link was given.")
    try:
        fetched = fetcher.fetch(url.strip(), accept=CREDENTIAL_MEDIA_TYPES)
    except FetchError as error:
        status = 502 if error.code in ("fetch_failed", "fetch_timeout", "fetch_bad_status") else 400
        raise InputError(
            error.code, f"The link could not be opened: {error.message}", status
        ) from None
    return parse_credential(fetched.content)


def credential_url_from_qr_text(text: str) -> str:
    """The credential URL a scanned QR code stands for: either a verifier link carrying
    ``?url=<credential URL>`` or a credential URL itself. ``InputError`` for anything else."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InputError(
            "qr_not_a_credential_link", "The QR code does not hold a link to a credential."
        )
    nested = parse_qs(parts.query).get("url")
    if parts.path.rstrip("/").endswith("/verify") and nested:
        return credential_url_from_qr_text(nested[0])
    return text.strip()


def decode_qr(image: bytes) -> str:
    """The text of the (first) QR code in an uploaded photo; ``InputError`` if none is found."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(image) > 10 * MAX_DOCUMENT_BYTES:
        raise InputError("too_large", "The image is larger than 20 MB.", 413)
    try:
        with Image.open(io.BytesIO(image)) as picture:
            picture.load()
            results = zxingcpp.read_barcodes(picture.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InputError("not_an_image", "The upload is not an image we can read.") from None
    texts = [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode and r.text]
    if not texts:
        raise InputError("no_qr_code", "No QR code was found in the image.")
    return texts[0]
