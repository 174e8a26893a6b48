"""The verification record as a PDF (fpdf2), for people: the verdict, the credential, each check
in words, the trust sources, who checked and when — with the signed JSON record embedded as
``verification-record.json`` (``application/json``, ``/AFRelationship /Source``), so the PDF
carries its own proof. Words in the current language (``verifier.wording``).

Fonts: DejaVu Sans when present (every letter prints), else Helvetica with text outside
Latin-1 replaced. Every string from a credential is drawn as plain text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from verifier.record import record_json
from verifier.wording import CHECK_TITLES, CODE_TEXT, OUTCOME_LABELS, VERDICT_BY_NAME

FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
FONTS: Final = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
COLOURS: Final = {"verified": (20, 110, 50), "unconfirmed": (150, 90, 0)}
NOT_VERIFIED_COLOUR: Final = (164, 14, 38)
MAX_TEXT: Final = 600
EMBEDDED_RECORD: Final = "verification-record.json"


class _Writer:
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
        text = str(value)[:MAX_TEXT]
        if self.unicode:
            return text
        text = unicodedata.normalize("NFKD", text.replace("—", "-").replace("…", "..."))
        text = "".join(c for c in text if not unicodedata.combining(c))
        return text.encode("latin-1", "replace").decode("latin-1")

    def line(self, value: object, size: float = 10, style: str = "", indent: float = 0) -> None:
        self.pdf.set_font(self.family, style, size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(
            self.pdf.epw - indent,
            size * 0.5,
            self.clean(value),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def record_pdf(record: Mapping[str, Any]) -> bytes:
    """The PDF of a signed verification record (``verifier.record``), the record embedded."""
    page = _Writer()
    subject = record.get("credentialSubject", {})
    verdict = str(subject.get("verdict"))
    page.line(_("Verification record"), 16, "B")
    page.pdf.ln(3)
    page.pdf.set_text_color(*COLOURS.get(verdict, NOT_VERIFIED_COLOUR))
    page.line(VERDICT_BY_NAME.get(verdict, verdict), 14, "B")
    page.pdf.set_text_color(0, 0, 0)
    for label, member in (
        (_("Credential"), "credentialTitle"),
        (_("Learner"), "learner"),
        (_("Issuer"), "credentialIssuer"),
        (_("Credential id"), "credentialId"),
        (_("Checked from"), "source"),
        (_("Fingerprint of what was checked"), "credentialDigest"),
    ):
        if subject.get(member):
            page.line(f"{label}: {subject[member]}", 9)
    page.pdf.ln(4)
    page.line(_("Checks"), 12, "B")
    for entry in subject.get("checks", []):
        title = CHECK_TITLES.get(entry.get("check"), entry.get("check"))
        outcome = OUTCOME_LABELS.get(entry.get("outcome"), entry.get("outcome"))
        page.line(f"{title}: {outcome}", 10, "B")
        words = CODE_TEXT.get(entry.get("code"), entry.get("explanation", ""))
        page.line(f"{words} ({entry.get('code')})", 9, indent=4)
    seal = subject.get("pdfSeal")
    if isinstance(seal, dict):
        page.pdf.ln(2)
        page.line(f"{_('Certificate PDF')}: {CODE_TEXT.get(seal.get('code'), '')}", 9)
    page.pdf.ln(4)
    page.line(_("Trust sources"), 12, "B")
    for source in subject.get("trustSources", []) or [{"name": _("none configured")}]:
        page.line(f"- {source.get('name')}", 9, indent=4)
    page.pdf.ln(4)
    issuer = record.get("issuer", {})
    page.line(f"{_('Checked by')}: {issuer.get('name')} ({issuer.get('id')})", 9)
    page.line(f"{_('Checked at')}: {subject.get('checkedAt')}", 9)
    page.pdf.ln(3)
    page.line(
        _(
            "This PDF carries the signed record (%(file)s): any verifier of W3C credentials "
            "can check that this verifier made it and that it has not been changed.",
            file=EMBEDDED_RECORD,
        ),
        8,
    )
    page.pdf.embed_file(
        bytes=record_json(record).encode("utf-8"),
        basename=EMBEDDED_RECORD,
        mime_type="application/json",
        associated_file_relationship="Source",
        desc="The signed verification record",
    )
    return bytes(page.pdf.output())
