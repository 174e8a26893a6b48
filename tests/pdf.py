"""Reading the issuer's PDF certificates in tests, with pypdf: what a PDF reader shows."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL.Image import Image
from pypdf import PdfReader


@dataclass(frozen=True)
class Pdf:
    """A PDF as a reader sees it: its page count, the first page's size, text and images, the
    fonts it uses and the document information (title, author, creator …)."""

    pages: int
    size: tuple[float, float]  # the first page's width and height, in points
    lines: list[str]  # the first page's text, line by line, blanks collapsed
    fonts: set[str]  # the first page's fonts, by /BaseFont without the leading slash
    images: list[Image]
    metadata: dict[str, str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def read_pdf(data: bytes) -> Pdf:
    """``data`` read with pypdf. Each line of the extracted text has its runs of blanks
    collapsed to one space (pypdf's word spacing depends on glyph positions) and empty lines
    are dropped; nothing else is changed."""
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    text = page.extract_text()
    fonts = page["/Resources"]["/Font"].values()
    return Pdf(
        pages=len(reader.pages),
        size=(float(page.mediabox.width), float(page.mediabox.height)),
        lines=[" ".join(line.split()) for line in text.splitlines() if line.strip()],
        fonts={str(font.get_object()["/BaseFont"]).removeprefix("/") for font in fonts},
        images=[image.image for image in page.images],
        metadata={key.removeprefix("/"): str(value) for key, value in reader.metadata.items()},
    )
