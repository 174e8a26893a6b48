"""One A4 page builder (fpdf2) for the verifier's PDFs — the verification record
(``verifier.record_pdf``) and the recognition decision (``verifier.recognition.pdf``).

Fonts: DejaVu Sans (Debian's ``fonts-dejavu-core``) when present, so every letter prints;
otherwise fpdf2's Helvetica with text outside Latin-1 replaced. Every string is drawn as plain
text, cut at :data:`MAX_TEXT` characters.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
FONTS: Final = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MAX_TEXT: Final = 600


class PdfPage:
    """An A4 document with 18 mm margins, its first page added, lines flowing onto new pages."""

    def __init__(self) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(18, 18, 18)
        self.pdf.set_auto_page_break(True, margin=18)
        self.unicode = all((FONT_DIR / name).is_file() for name in FONTS.values())
        if self.unicode:
            for style, name in FONTS.items():
                self.pdf.add_font("DejaVu", style, str(FONT_DIR / name))
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.pdf.add_page()

    def clean(self, value: object) -> str:
        """``value`` as text the current font can draw, at most :data:`MAX_TEXT` characters."""
        text = str(value)[:MAX_TEXT]
        if self.unicode:
            return text
        text = unicodedata.normalize("NFKD", text.replace("—", "-").replace("…", "..."))
        text = "".join(c for c in text if not unicodedata.combining(c))
        return text.encode("latin-1", "replace").decode("latin-1")

    def line(self, value: object, size: float = 10, style: str = "", indent: float = 0) -> None:
        """``value`` as a paragraph across the page width (less ``indent`` mm), then a new
        line."""
        self.pdf.set_font(self.family, style, size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(
            self.pdf.epw - indent,
            size * 0.5,
            self.clean(value),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def gap(self, height: float = 3) -> None:
        """Vertical space of ``height`` mm."""
        self.pdf.ln(height)
