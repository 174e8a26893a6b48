"""QR codes of the issuer's links: PNG and SVG, error correction M, with the quiet zone
scanners need. Shared by the share-link and set-link views."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathFillImage

QR_BOX_SIZE = 10  # PNG pixels per module; the SVG draws 1 mm per module
QR_BORDER = 4  # the quiet zone scanners need


def qr_code(data: str) -> qrcode.QRCode:
    """The QR code of ``data`` (error correction M, smallest version that fits)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=QR_BOX_SIZE,
        border=QR_BORDER,
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str) -> bytes:
    """``data`` as a black-on-white PNG QR code."""
    buffer = io.BytesIO()
    qr_code(data).make_image().save(buffer)
    return buffer.getvalue()


def qr_svg(data: str) -> bytes:
    """``data`` as an SVG QR code (one path on a white background)."""
    buffer = io.BytesIO()
    qr_code(data).make_image(image_factory=SvgPathFillImage).save(buffer)
    return buffer.getvalue()
