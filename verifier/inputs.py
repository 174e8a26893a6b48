"""Turning what a person hands the verifier into a credential to check.

Four ways in: pasted or uploaded JSON, a credential URL (a learner's share link, the URL the
issuer's QR codes carry), a photo of such a QR code, and a JSON API body. Each failure is an
``InputError`` with a stable code; nothing here raises anything else for bad input.

Every JSON text goes through one reader, ``verifier.limits.read_document`` (``too_large`` 413,
``too_many_nodes`` 413, ``not_utf8``, ``empty``, ``not_json``, ``too_deep``, ``invalid_input``),
and :func:`parse_credential` adds ``not_an_object``. Text fields (a link, a pasted credential)
holding a NUL or a lone surrogate are ``invalid_input``. A photo is judged by its header before
any pixel is decoded (:func:`decode_qr`: at most :data:`MAX_IMAGE_PIXELS` pixels and
:data:`MAX_IMAGE_SIDE` a side, else ``image_too_large`` 413), then only its first frame is
decoded, as a grayscale image of at most :data:`DECODE_SIDE` pixels a side (a JPEG is scaled
down while it is decoded), and at most :data:`DECODE_SLOTS` photos are decoded at once per
process (memory stays bounded under concurrent uploads).
"""

from __future__ import annotations

import io
import re
import threading
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from schemas.json_text import TextBounds
from verifier.cpu_turn import released
from verifier.fetch.client import FetchError, GuardedFetcher
from verifier.limits import LIMITS, LimitExceeded, read_bounded

MAX_DOCUMENT_BYTES: Final = LIMITS.max_bytes  # a credential with logos is ~150 KB
MAX_IMAGE_BYTES: Final = 12 * 1024 * 1024  # a phone photo; the app's request limit too
#: Pixels and side length a photo may have (read from its header, before decoding): a 16 MP
#: phone camera's photo fits; the 13,000 x 13,000 one-bit PNG of 37 kB does not.
MAX_IMAGE_PIXELS: Final = 16_000_000
MAX_IMAGE_SIDE: Final = 8000
#: The largest side of the grayscale image handed to the QR reader (a QR code filling a tenth
#: of a 12 MP photo still reads at this size).
DECODE_SIDE: Final = 2048
#: Photos decoded at once per process; others wait up to DECODE_WAIT seconds (then ``busy``).
DECODE_SLOTS: Final = 2
DECODE_WAIT: Final = 20.0
IMAGE_FORMATS: Final = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
MAX_URL_LENGTH: Final = 2048
CREDENTIAL_MEDIA_TYPES = "application/ld+json, application/vc+ld+json;q=0.9, application/json;q=0.8"
_NOT_TEXT: Final = re.compile("[\ud800-\udfff\x00]")
_decoding = threading.BoundedSemaphore(DECODE_SLOTS)


class InputError(Exception):
    """Input the verifier cannot use; ``code`` is stable, ``status`` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def parse_credential(data: str | bytes) -> dict[str, Any]:
    """The JSON object in ``data``, read by the one bounded reader; ``InputError`` with its
    code if it is too large (413), has too many values (413), is not UTF-8, is empty, is not
    JSON, is nested too deeply, holds a NUL or a lone surrogate (``invalid_input``), or is not
    an object (``not_an_object``)."""
    return read_credential(data)[0]


def read_credential(data: str | bytes) -> tuple[dict[str, Any], TextBounds]:
    """What :func:`parse_credential` reads (the same object, the same refusals), with what its
    text bounds about it (``verifier.limits.read_bounded``)."""
    try:
        document, bounds = read_bounded(data)
    except LimitExceeded as error:
        words = _PLAIN_WORDS.get(error.code, error.message)
        raise InputError(error.code, words, error.status) from None
    if not isinstance(document, dict):
        raise InputError("not_an_object", "The JSON is not an object, so not a credential.")
    return document, bounds


_PLAIN_WORDS: Final = {
    "too_large": f"The credential is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
    "not_utf8": "This is not a credential: the file is not text.",
    "not_json": "This is not a credential: the text is not JSON.",
    "empty": "No credential was given.",
    "too_deep": "The JSON is nested too deeply.",
    "too_many_nodes": (
        f"The credential holds more than {LIMITS.max_nodes:,} JSON values; this verifier "
        "checks credentials up to that size."
    ),
}


def check_text(value: str, what: str, max_length: int | None = None) -> str:
    """``value`` (a form field or query parameter) if it is text; ``InputError``
    (``invalid_input``) when it holds a NUL or a lone surrogate or is longer than
    ``max_length``."""
    found = _NOT_TEXT.search(value)
    if found is not None:
        kind = "a NUL character" if found.group() == "\x00" else "a lone surrogate"
        raise InputError("invalid_input", f"The {what} holds {kind}, which is not text.")
    if max_length is not None and len(value) > max_length:
        raise InputError("invalid_input", f"The {what} is longer than {max_length:,} characters.")
    return value


def fetch_credential(url: str, fetcher: GuardedFetcher) -> dict[str, Any]:
    """Fetch the credential at ``url`` (asking for JSON-LD) and parse it; the errors of
    :func:`fetch_bytes` and :func:`parse_credential`."""
    return parse_credential(fetch_bytes(url, fetcher))


#: What an answer's HTTP status means for a credential link: (code, message, our status).
_LINK_STATUS: Final = {
    410: (
        "link_withdrawn",
        "The link has been withdrawn: the credential is no longer shared there.",
        410,
    ),
    404: ("link_not_found", "There is no credential at this link.", 404),
}


def fetch_bytes(url: str, fetcher: GuardedFetcher) -> bytes:
    """What the link ``url`` answers (asking for JSON-LD), within the fetch limits.
    ``InputError`` otherwise: ``empty`` or ``invalid_input`` for no usable link;
    ``link_withdrawn`` (410) when it answered 410 Gone (a withdrawn share link),
    ``link_not_found`` (404) for 404; ``fetch_bad_status`` (502) for another error answer,
    ``fetch_failed`` (502) when the host cannot be found or reached, ``fetch_timeout`` (504),
    and the guarded client's other codes (400: a link it may not open)."""
    if not isinstance(url, str) or not url.strip():
        raise InputError("empty", "No link was given.")
    check_text(url, "link", MAX_URL_LENGTH)
    try:
        return fetcher.fetch(url.strip(), accept=CREDENTIAL_MEDIA_TYPES).content
    except FetchError as error:
        if error.code == "fetch_bad_status" and error.status in _LINK_STATUS:
            code, message, status = _LINK_STATUS[error.status]
            raise InputError(code, message, status) from None
        status = {"fetch_failed": 502, "fetch_bad_status": 502, "fetch_timeout": 504}
        message = f"The link could not be opened: {error.message}"
        raise InputError(error.code, message, status.get(error.code, 400)) from None


def credential_url_from_qr_text(text: str) -> str:
    """The credential URL a scanned QR code stands for: either a verifier link carrying
    ``?url=<credential URL>`` or a credential URL itself. ``InputError`` for anything else."""
    check_text(text, "QR code's text", MAX_URL_LENGTH)
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
    """The text of the (first) QR code in an uploaded photo; ``InputError`` otherwise:
    ``too_large`` (413) over :data:`MAX_IMAGE_BYTES`, ``image_too_large`` (413) over the pixel
    limits (read from the header; nothing is decoded), ``not_an_image``, ``busy`` (503) when
    the decoding slots stay taken, ``no_qr_code``. Only the first frame of an animated image is
    read."""
    from PIL import Image, UnidentifiedImageError

    if len(image) > MAX_IMAGE_BYTES:
        raise InputError(
            "too_large", f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", 413
        )
    unreadable = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)
    bomb = (Image.DecompressionBombError, Image.DecompressionBombWarning)
    try:
        with Image.open(io.BytesIO(image), formats=IMAGE_FORMATS) as picture:
            _check_pixels(*picture.size)
            with released():  # a slot may be long in coming, a photo long to decode
                if not _decoding.acquire(timeout=DECODE_WAIT):
                    raise InputError("busy", "The verifier is busy; try again in a moment.", 503)
                try:
                    return _read_qr(picture)
                finally:
                    _decoding.release()
    except bomb:
        raise _too_many_pixels() from None
    except unreadable:
        raise InputError("not_an_image", "The upload is not an image we can read.") from None


def _check_pixels(width: int, height: int) -> None:
    """``image_too_large`` (413) for a picture over the pixel or side limits."""
    if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_IMAGE_SIDE:
        raise InputError(
            "image_too_large",
            f"The image is {width:,} x {height:,} pixels; photos of up to "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels and {MAX_IMAGE_SIDE:,} pixels a side "
            "are read.",
            413,
        )


def _too_many_pixels() -> InputError:
    return InputError(
        "image_too_large",
        f"The image has more pixels than the {MAX_IMAGE_PIXELS // 1_000_000} megapixels read.",
        413,
    )


def _read_qr(picture: Any) -> str:
    """Decode the first frame as a small grayscale image and read its QR code."""
    import zxingcpp

    picture.draft("L", (DECODE_SIDE, DECODE_SIDE))  # JPEG: scaled down while decoding
    gray = picture.convert("L")
    if max(gray.size) > DECODE_SIDE:
        gray.thumbnail((DECODE_SIDE, DECODE_SIDE))
    qr_codes_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    results = zxingcpp.read_barcodes(gray, formats=qr_codes_only)
    texts = [r.text for r in results if r.text]
    if not texts:
        raise InputError("no_qr_code", "No QR code was found in the image.")
    return texts[0]
