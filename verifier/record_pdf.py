"""The verification record as a PDF (fpdf2), for people: the verdict, the credential, each check
in words, the trust sources, who checked and when — with the signed JSON record embedded as
``verification-record.json`` (``application/json``, ``/AFRelationship /Source``), so the PDF
carries its own proof. Words in the current language (``verifier.wording``).

Fonts: DejaVu Sans when present (every letter prints), else Helvetica with text outside
Latin-1 replaced. Every string from a credential is drawn as plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask_babel import gettext as _

from verifier.pdf_page import PdfPage
from verifier.record import record_json
from verifier.wording import CHECK_TITLES, CODE_TEXT, OUTCOME_LABELS, VERDICT_BY_NAME

COLOURS: Final = {"verified": (20, 110, 50), "unconfirmed": (150, 90, 0)}
NOT_VERIFIED_COLOUR: Final = (164, 14, 38)
EMBEDDED_RECORD: Final = "verification-record.json"


def record_pdf(record: Mapping[str, Any]) -> bytes:
    """The PDF of a signed verification record (``verifier.record``), the record embedded."""
    page = PdfPage()
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
