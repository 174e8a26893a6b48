"""What a file or a fetched answer holds: a credential's JSON, or a certificate PDF that carries
its signed credential (``verifier.pdf_input``). A photo or any other kind of file is refused
with its own code, so the page can say what to do instead.

- :func:`read_from_bytes`: the credential, the PDF's seal when it came in a PDF, and the
  bounds of its JSON text;
  ``InputError`` ``unsupported_file`` (415) for an image (the QR photo field is for those) or
  another binary file, else the codes of ``verifier.inputs.parse_credential`` and
  ``verifier.pdf_input.read_pdf``;
- :func:`require_credential`: ``not_a_credential`` (422) for a JSON object that has none of the
  members of a credential (``{"hello": "world"}``), for the pages.
"""

from __future__ import annotations

from typing import Any, Final

from cryptography import x509

from schemas.json_text import TextBounds
from verifier.inputs import InputError, read_credential
from verifier.pdf_input import PdfSeal, is_pdf, read_pdf

#: How images start (PNG, JPEG, GIF, WebP's RIFF, BMP): a photo given as the credential file.
IMAGE_MAGIC: Final = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM")
#: How other common binary files start (ZIP: Word, Excel, Open Document; old Office files).
BINARY_MAGIC: Final = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
CREDENTIAL_MEMBERS: Final = ("@context", "type", "credentialSubject", "proof", "payload")


def read_from_bytes(
    data: bytes, trust_anchors: list[x509.Certificate] | None = None
) -> tuple[dict[str, Any], PdfSeal | None, TextBounds]:
    """The credential ``data`` holds, the PDF's seal when ``data`` is a certificate PDF (None
    otherwise), and the bounds of the JSON text the credential was read from
    (``verifier.inputs.read_credential``, for ``verifier.web.checked``); :class:`InputError`
    for anything else (see the module)."""
    if is_pdf(data):
        found = read_pdf(data, trust_anchors)
        document, bounds = read_credential(found.credential)
        return document, found.seal, bounds
    if data.startswith(IMAGE_MAGIC):
        raise InputError(
            "unsupported_file",
            "The file is an image, not a credential. For a photo of a QR code, use the photo "
            "field.",
            415,
        )
    if data.startswith(BINARY_MAGIC):
        raise InputError(
            "unsupported_file",
            "The file is not a credential: give the credential file (JSON-LD) or the "
            "certificate PDF.",
            415,
        )
    document, bounds = read_credential(data)
    return document, None, bounds


def require_credential(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` if it has at least one member of a credential (or of a JAdES seal);
    :class:`InputError` ``not_a_credential`` (422) otherwise."""
    if not any(member in document for member in CREDENTIAL_MEMBERS):
        raise InputError(
            "not_a_credential",
            "This is JSON, but not a credential: it has none of a credential's members.",
            422,
        )
    return document
