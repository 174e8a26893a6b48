"""Organisations' logos: checked, re-encoded and stored in the database
(``organisations.logo``, ``logo_type``); shown on the certificate PDF and, through the public
``/orgs/<partnership>/<organisation>/logo`` route, on the learner's credential page and the
staff pages.

:func:`check_logo` accepts a PNG or JPEG only (read by Pillow from its header, never from a file
name or a declared type) of at most ``MAX_BYTES`` and ``MAX_PIXELS``, at least ``MIN_SIDE`` px a
side, and re-encodes it (what is stored is Pillow's own PNG or JPEG: no metadata, no trailing
data), scaled down to ``MAX_SIDE`` px at most. SVG is refused: it is a document that can carry
scripts and links, and fpdf2 draws only part of it.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput
from issuer.models import AuditEvent, Organisation

MAX_BYTES = 512 * 1024
MAX_PIXELS = 16_000_000
MIN_SIDE = 16
MAX_SIDE = 1024
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
SET_LOGO = "set_logo"


#: How long browsers and proxies may keep a logo before asking again (with its ETag).
CACHE_SECONDS = 300


def logo_path(partnership_slug: str, organisation: Organisation) -> str | None:
    """The public path of ``organisation``'s logo (``/orgs/<partnership>/<organisation>/logo``,
    beside its DID document), or None when it has none."""
    if organisation.logo_type is None:
        return None
    return f"/orgs/{partnership_slug}/{organisation.slug}/logo"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_logo", details={"fields": {"logo": message}})


def check_logo(data: bytes) -> tuple[bytes, str]:
    """(the re-encoded image, its media type) of an uploaded logo; ``InvalidInput`` (code
    ``invalid_logo``) when it is too large, not a PNG or JPEG, or too small or too big in
    pixels. See the module's docstring."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"the logo must be at most {MAX_BYTES // 1024} KiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                if kind not in FORMATS:
                    raise _refuse("the logo must be a PNG or JPEG image")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _refuse("the logo has too many pixels")
                if min(width, height) < MIN_SIDE:
                    raise _refuse(f"the logo must be at least {MIN_SIDE} pixels on each side")
                image.load()
                picture = image.copy()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning, SyntaxError):
        raise _refuse("the logo must be a PNG or JPEG image") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if kind == "JPEG":
        picture.convert("RGB").save(out, format="JPEG", quality=90)
    else:
        picture.save(out, format="PNG", optimize=True)
    return out.getvalue(), FORMATS[kind]


def set_logo(
    session: Session, organisation: Organisation, data: bytes | None, *, actor: str
) -> None:
    """Store ``data`` (checked by :func:`check_logo`) as ``organisation``'s logo, or remove the
    logo when ``data`` is None; audited (``set_logo``). Flushes, never commits."""
    if data is None:
        organisation.logo, organisation.logo_type = None, None
    else:
        organisation.logo, organisation.logo_type = check_logo(data)
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=organisation.id,
            action=SET_LOGO,
            details={"mediaType": organisation.logo_type, "bytes": len(organisation.logo or b"")},
        )
    )
    session.flush()
