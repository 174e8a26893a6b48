"""A certificate PDF as the verifier's input: the signed credential it carries as an embedded
file, and whether the PDF's own seal (PAdES) is intact.

The issuer's certificate PDF embeds the credential PDF/A-3 style: an embedded file named
:data:`EMBEDDED_NAME` (``credential.jsonld``), MIME type :data:`EMBEDDED_MIME`
(``application/ld+json``), ``/AFRelationship /Source``. :func:`read_pdf` finds it by that name
(or, failing that, the one embedded file whose MIME type or name says JSON-LD / JSON) and hands
back its bytes; the credential is then verified like any other. The PDF's seal is reported
beside the credential's result (:class:`PdfSeal`), never instead of it: what counts is the
credential's own seal.

Bounded, for PDFs from anyone (``verifier.limits``): at most :data:`MAX_PDF_BYTES` read; the
embedded-file name tree walked at most :data:`MAX_TREE_DEPTH` deep and :data:`MAX_FILES` files;
an embedded file decoded only when unfiltered or Flate-compressed, and at most
:data:`verifier.inputs.MAX_DOCUMENT_BYTES` + 1 bytes of it inflated (a compression bomb stops
there: ``too_large``); at most :data:`MAX_SIGNATURES` signatures validated, offline (no
fetching of revocation data), at most :data:`PARSE_SLOTS` PDFs at once per process. Every
failure is an :class:`verifier.inputs.InputError` with a stable code: ``pdf_unreadable``,
``pdf_too_large`` (413), ``pdf_without_credential`` (422), ``busy`` (503).
"""

from __future__ import annotations

import io
import logging
import threading
import zlib
from dataclasses import dataclass
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from verifier.cpu_turn import released
from verifier.inputs import MAX_DOCUMENT_BYTES, InputError

EMBEDDED_NAME: Final = "credential.jsonld"
EMBEDDED_MIME: Final = "application/ld+json"
PDF_MAGIC: Final = b"%PDF-"
MAX_PDF_BYTES: Final = 10 * 1024 * 1024
MAX_TREE_DEPTH: Final = 8
MAX_FILES: Final = 64
MAX_SIGNATURES: Final = 4
PARSE_SLOTS: Final = 2
PARSE_WAIT: Final = 20.0
_parsing = threading.BoundedSemaphore(PARSE_SLOTS)
_JSON_TYPES: Final = ("application/ld+json", "application/vc+ld+json", "application/json")
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # hostile PDFs: our codes say enough


@dataclass(frozen=True)
class PdfSeal:
    """The PDF's own seal: ``code`` is ``pdf_seal_intact`` (the PDF is unchanged since it was
    sealed), ``pdf_seal_broken`` (changed after, or the signature is false),
    ``pdf_changed_after_seal`` (more was added after the sealed part) or ``pdf_not_sealed``.
    ``signer`` is the seal certificate's subject (its own claim, unless ``trusted``: the
    certificate leads to a configured trust anchor)."""

    code: str
    signer: str | None = None
    trusted: bool = False
    signed_at: str | None = None

    @property
    def intact(self) -> bool:
        """True when the PDF is exactly as it was sealed."""
        return self.code == "pdf_seal_intact"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"code", "intact", "signer", "trusted", "signedAt"}``."""
        return {
            "code": self.code,
            "intact": self.intact,
            "signer": self.signer,
            "trusted": self.trusted,
            "signedAt": self.signed_at,
        }


@dataclass(frozen=True)
class PdfInput:
    """What a certificate PDF brought: the embedded credential's bytes and its file name, and
    the PDF's seal."""

    credential: bytes
    name: str
    seal: PdfSeal


def is_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF (``%PDF-`` within its first 1,024 bytes, as
    readers allow)."""
    return PDF_MAGIC in data[:1024]


def read_pdf(data: bytes, trust_anchors: list[x509.Certificate] | None = None) -> PdfInput:
    """The credential embedded in the PDF ``data`` and the PDF's seal, judged against
    ``trust_anchors``; :class:`InputError` when the PDF is too large, cannot be read or
    carries no credential (see the module)."""
    if len(data) > MAX_PDF_BYTES:
        raise InputError(
            "pdf_too_large", f"The PDF is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB.", 413
        )
    with released():  # a slot may be long in coming, a PDF long to read
        if not _parsing.acquire(timeout=PARSE_WAIT):
            raise InputError("busy", "The verifier is busy; try again in a moment.", 503)
        try:
            reader = _open(data)
            name, credential = _embedded_credential(reader)
            seal = _seal(reader, trust_anchors or [])
        finally:
            _parsing.release()
    return PdfInput(credential, name, seal)


def _open(data: bytes) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        reader.root  # noqa: B018 — reading the catalogue is where a broken file fails
    except Exception:  # pyHanko raises many kinds on hostile input; all mean "unreadable"
        raise InputError("pdf_unreadable", "The PDF could not be read.") from None
    return reader


def _embedded_credential(reader: Any) -> tuple[str, bytes]:
    try:
        files = list(_name_tree(_get(_get(reader.root, "/Names"), "/EmbeddedFiles"), 0))
        files += [(None, spec) for spec in _list(_get(reader.root, "/AF"))[:MAX_FILES]]
    except InputError:
        raise
    except Exception:
        raise InputError("pdf_unreadable", "The PDF's attachments could not be read.") from None
    chosen = _choose(files)
    if chosen is None:
        raise InputError(
            "pdf_without_credential",
            "The PDF carries no credential file; only a certificate PDF that embeds its signed "
            "credential can be checked.",
            422,
        )
    name, spec = chosen
    return name, _file_bytes(spec)


def _choose(files: list[tuple[str | None, Any]]) -> tuple[str, Any] | None:
    """The file named ``credential.jsonld``, else the only JSON one."""
    described = [(_file_name(key, spec), _mime(spec), spec) for key, spec in files]
    for name, _, spec in described:
        if name == EMBEDDED_NAME:
            return name, spec
    jsonish = {
        name: spec
        for name, mime, spec in described
        if mime in _JSON_TYPES or name.endswith((".jsonld", ".json"))
    }
    if len(jsonish) == 1:
        return next(iter(jsonish.items()))
    return None


def _name_tree(node: Any, depth: int) -> list[tuple[str, Any]]:
    if node is None:
        return []
    if depth > MAX_TREE_DEPTH:
        raise InputError("pdf_unreadable", "The PDF's attachments are nested too deeply.")
    found: list[tuple[str, Any]] = []
    names = _list(_get(node, "/Names"))
    for index in range(0, min(len(names), 2 * MAX_FILES) - 1, 2):
        found.append((str(names[index]), names[index + 1]))
    for kid in _list(_get(node, "/Kids"))[:MAX_FILES]:
        found += _name_tree(kid, depth + 1)
        if len(found) >= MAX_FILES:
            break
    return found[:MAX_FILES]


def _file_name(key: str | None, spec: Any) -> str:
    for member in ("/UF", "/F"):
        value = _get(spec, member)
        if value is not None:
            return str(value)
    return key or ""


def _mime(spec: Any) -> str:
    stream = _get(_get(spec, "/EF"), "/F")
    subtype = _get(stream, "/Subtype")
    return str(subtype).lstrip("/").replace("#2F", "/").lower() if subtype is not None else ""


def _file_bytes(spec: Any) -> bytes:
    """The embedded file's content, inflated within the document limit."""
    stream = _get(_get(spec, "/EF"), "/F")
    if stream is None or not hasattr(stream, "encoded_data"):
        raise InputError("pdf_unreadable", "The PDF's credential file could not be read.")
    filters = [str(f) for f in _list(_get(stream, "/Filter"))]
    raw: bytes = stream.encoded_data
    if not filters:
        content = raw[: MAX_DOCUMENT_BYTES + 1]
    elif filters == ["/FlateDecode"] and _get(stream, "/DecodeParms") is None:
        try:
            content = zlib.decompressobj().decompress(raw, MAX_DOCUMENT_BYTES + 1)
        except zlib.error:
            raise InputError("pdf_unreadable", "The PDF's credential file is damaged.") from None
    else:
        raise InputError(
            "pdf_unreadable",
            "The PDF's credential file is stored in a way this verifier does not read.",
        )
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InputError(
            "too_large",
            f"The credential is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
            413,
        )
    return content


def _seal(reader: Any, anchors: list[x509.Certificate]) -> PdfSeal:
    try:
        signatures = list(reader.embedded_signatures)[:MAX_SIGNATURES]
    except Exception:
        return PdfSeal("pdf_seal_broken")
    if not signatures:
        return PdfSeal("pdf_not_sealed")
    return min((_judge(s, anchors) for s in signatures), key=_rank)


def _rank(seal: PdfSeal) -> int:
    order = ("pdf_seal_broken", "pdf_changed_after_seal", "pdf_seal_intact")
    return order.index(seal.code) if seal.code in order else 0


def _judge(signature: Any, anchors: list[x509.Certificate]) -> PdfSeal:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in anchors
    ]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, signer_validation_context=context)
    except Exception:
        return PdfSeal("pdf_seal_broken")
    subject = status.signing_cert.subject if status.signing_cert else None
    signer = (subject.native.get("common_name") or subject.human_friendly) if subject else None
    when = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    if not (status.intact and status.valid):
        return PdfSeal("pdf_seal_broken", signer)
    if status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        return PdfSeal("pdf_changed_after_seal", signer, bool(status.trusted), when)
    return PdfSeal("pdf_seal_intact", signer, bool(status.trusted), when)


def _get(node: Any, key: str) -> Any:
    """``node[key]`` resolved, or None (a missing member, or ``node`` not a dictionary)."""
    if node is None or not isinstance(node, dict):
        return None
    try:
        value = node[key]
    except Exception:
        return None
    return value.get_object() if hasattr(value, "get_object") else value


def _list(value: Any) -> list[Any]:
    """An array's items, resolved (a single object as a one-item list)."""
    if value is None:
        return []
    items = list(value) if isinstance(value, list) else [value]
    return [v.get_object() if hasattr(v, "get_object") else v for v in items]
