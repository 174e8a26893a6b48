"""A printable certificate of a micro-credential: one A4 page made with fpdf2.

``certificate_pdf(document, share_url=…, verify_url=…, state=…, logos=…)`` draws the awarding
bodies' logos (when they have uploaded one), the credential's title, learner, awarding bodies,
date of issue, ECTS credits, hours of learning, EQF level, then every other Annex I element
(:func:`issuer.credentials.display.annex_details`: field of education, form of participation,
assessment, grade, quality assurance, prerequisites, language, country, stackability) in two
columns, the learning outcomes, the QR code of ``verify_url`` (the verifier's page for the share
link, the same URL the page's QR code encodes) and that URL as text. The file then gets the
signed credential embedded and the issuer's seal (:mod:`issuer.credentials.pdf_seal`).

A revoked or suspended credential is marked with a banner at the top and a large diagonal
"REVOKED" / "SUSPENDED" across the page.

Always one page: automatic page breaks are off and the learning outcomes are measured before
they are drawn. Their font shrinks from 10 pt to 7 pt until the list fits above the QR code; if
even 7 pt is too large, the list ends with "… and N more". Title, learner name and the awarding
bodies are shortened to a bounded length (their font shrinks first), so they cannot push the
outcomes off the page either.

Fonts: DejaVu Sans (Debian's ``fonts-dejavu-core``, ``/usr/share/fonts/truetype/dejavu``) is
embedded as a subset, so every letter of the credential prints: æøå, é, ł, ő, … When those font
files are missing the certificate falls back to fpdf2's built-in Helvetica, which only knows
Latin-1: Danish and French letters (æøå, é, ç) still print, typographic quotes, dashes and
ellipses become their ASCII look-alikes, other letters lose their accents (NFKD; ł → l, œ → oe)
and anything left outside Latin-1 becomes "?".

The labels are in the reader's language (Flask-Babel; English outside a request). Every string
from the credential is drawn as plain text.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import qrcode
import qrcode.constants
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, WrapMode, XPos, YPos
from PIL import Image

from issuer.credentials.display import (
    Summary,
    annex_details,
    credential_summary,
    locale_name,
    long_date,
)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
UNICODE_FAMILY = "DejaVu"
CORE_FAMILY = "Helvetica"

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # A4, mm
MARGIN = 20.0
WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 42.0
FOOTER_TOP = PAGE_HEIGHT - MARGIN - QR_SIZE  # the QR code and the verification text start here
OUTCOME_SIZES = (10.0, 9.0, 8.0, 7.0)
MAX_OUTCOME = 400  # characters of one learning outcome
MAX_DETAIL = 130  # characters of one Annex I element's value (at most three lines)
LOGO_HEIGHT = 15.0
LOGO_MAX_WIDTH = 45.0
PT = 0.3528  # mm per point

INK = (27, 31, 36)
MUTED = (74, 79, 87)
ACCENT = (11, 78, 162)
MARKS = {  # state → (banner colour, watermark colour)
    "revoked": ((164, 14, 38), (246, 205, 210)),
    "suspended": ((138, 83, 0), (245, 222, 186)),
}

_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00a0": " ",
        # letters NFKD does not take apart
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0126": "H",
        "\u0127": "h",
        "\u0131": "i",
        "\u0152": "OE",
        "\u0153": "oe",
        "\u1e9e": "SS",
        "\u20ac": "EUR",
    }
)


def latin1(text: str) -> str:
    """``text`` in the Latin-1 letters the core fonts have (see the module's docstring)."""
    out = []
    for char in text.translate(_ASCII):
        if ord(char) < 256:
            out.append(char)
            continue
        plain = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if ord(c) < 256 and not unicodedata.combining(c)
        )
        out.append(plain or "?")
    return "".join(out)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())  # no control characters or runs of blanks from the JSON
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _line_height(size: float) -> float:
    return size * PT * 1.3


def _qr_png(data: str) -> io.BytesIO:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    buffer.seek(0)
    return buffer


class _Certificate:
    """The page being drawn, with the font set up (DejaVu Sans, else Helvetica)."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.unicode = all((FONT_DIR / name).is_file() for name in FONT_FILES.values())
        if self.unicode:
            for style, name in FONT_FILES.items():
                self.pdf.add_font(UNICODE_FAMILY, style, str(FONT_DIR / name))
        self.family = UNICODE_FAMILY if self.unicode else CORE_FAMILY
        self.pdf.set_title(title)
        self.pdf.set_creator("microcred")
        self.pdf.set_lang(locale_name())
        self.pdf.add_page()

    def clean(self, text: str) -> str:
        return text if self.unicode else latin1(text)

    def font(self, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def lines(self, text: str, size: float, width: float, *, bold: bool = False) -> int:
        """How many lines ``text`` takes at ``size`` in a column ``width`` wide."""
        self.font(size, bold=bold)
        found = self.pdf.multi_cell(
            width,
            _line_height(size),
            self.clean(text),
            align=Align.L,
            dry_run=True,
            output=MethodReturnValue.LINES,
        )
        return len(found) if isinstance(found, list) else 1

    def fit(self, text: str, sizes: Sequence[float], width: float, *, max_lines: int) -> float:
        """The largest of ``sizes`` at which bold ``text`` takes at most ``max_lines``."""
        for size in sizes:
            if self.lines(text, size, width, bold=True) <= max_lines:
                return size
        return sizes[-1]

    def para(
        self,
        text: str,
        size: float,
        *,
        bold: bool = False,
        color: tuple[int, int, int] = INK,
        align: Align = Align.C,
        x: float = MARGIN,
        width: float = WIDTH,
        gap: float = 0.0,
        fill: tuple[int, int, int] | None = None,
        link: str | None = None,
        wrap: WrapMode = WrapMode.WORD,
    ) -> None:
        """A wrapped paragraph at ``x`` from the current height; then ``gap`` mm of space."""
        self.font(size, bold=bold, color=color)
        if fill is not None:
            self.pdf.set_fill_color(*fill)
        self.pdf.set_x(x)
        self.pdf.multi_cell(
            width,
            _line_height(size),
            self.clean(text),
            align=align,
            fill=fill is not None,
            link=link,
            wrapmode=wrap,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.pdf.set_y(self.pdf.get_y() + gap)

    def rule(self, y: float) -> None:
        self.pdf.set_draw_color(*ACCENT)
        self.pdf.set_line_width(0.3)
        self.pdf.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)


def _frame(page: _Certificate) -> None:
    pdf = page.pdf
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, PAGE_WIDTH - 20, PAGE_HEIGHT - 20)
    pdf.set_line_width(0.2)
    pdf.rect(12, 12, PAGE_WIDTH - 24, PAGE_HEIGHT - 24)


def _watermark(page: _Certificate, label: str, color: tuple[int, int, int]) -> None:
    """``label`` large and pale across the page, under everything else."""
    pdf = page.pdf
    size = 90.0
    page.font(size, bold=True, color=color)
    while pdf.get_string_width(page.clean(label)) > 230 and size > 30:
        size -= 5
        page.font(size, bold=True, color=color)
    width = pdf.get_string_width(page.clean(label))
    cx, cy = PAGE_WIDTH / 2, PAGE_HEIGHT / 2
    with pdf.rotation(45, x=cx, y=cy):
        pdf.text(cx - width / 2, cy + size * PT * 0.35, page.clean(label))


def _marking(state: str) -> tuple[str, str] | None:
    if state == "revoked":
        return _("REVOKED"), _(
            "The awarding body has revoked this credential. It is no longer valid."
        )
    if state == "suspended":
        return _("SUSPENDED"), _(
            "The awarding body has suspended this credential. It is not valid while suspended."
        )
    return None


def _facts(page: _Certificate, summary: Summary) -> None:
    """Date of issue, ECTS, EQF level and validity side by side, label above value."""
    facts = [(_("Date of issue"), long_date(summary.issued))]
    if summary.ects:
        facts.append((_("ECTS credits"), summary.ects))
    if summary.hours:
        facts.append((_("Hours of learning"), summary.hours))
    if summary.eqf_level:
        facts.append((_("EQF level"), summary.eqf_level))
    if summary.valid_until:
        facts.append((_("Valid until"), long_date(summary.valid_until)))
    pdf = page.pdf
    column = WIDTH / len(facts)
    top = pdf.get_y()
    for n, (label, value) in enumerate(facts):
        x = MARGIN + n * column
        page.font(8, color=MUTED)
        pdf.set_xy(x, top)
        pdf.cell(column, 4.5, page.clean(label), align=Align.C)
        text = page.clean(_clip(value or _("not stated"), 40))
        size = 12.0
        page.font(size, bold=True)
        while pdf.get_string_width(text) > column - 2 and size > 6:
            size -= 0.5
            page.font(size, bold=True)
        pdf.set_xy(x, top + 5)
        pdf.cell(column, 6, text, align=Align.C)
    pdf.set_xy(MARGIN, top + 14)


def _logos(page: _Certificate, logos: Sequence[bytes]) -> None:
    """The awarding bodies' logos in a centred row, each ``LOGO_HEIGHT`` high (at most
    ``LOGO_MAX_WIDTH`` wide); nothing when there are none."""
    sizes = []
    for data in logos[:4]:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        w = min(LOGO_HEIGHT * width / max(height, 1), LOGO_MAX_WIDTH)
        sizes.append((data, w, w * height / max(width, 1)))
    if not sizes:
        return
    gap = 8.0
    x = MARGIN + (WIDTH - sum(w for _d, w, _h in sizes) - gap * (len(sizes) - 1)) / 2
    top = page.pdf.get_y()
    for data, w, h in sizes:
        page.pdf.image(
            io.BytesIO(data),
            x=x,
            y=top + (LOGO_HEIGHT - h) / 2,
            w=w,
            h=h,
            alt_text=_("Logo of an awarding body"),
        )
        x += w + gap
    page.pdf.set_y(top + LOGO_HEIGHT + 4)


def _details(page: _Certificate, rows: Sequence[tuple[str, str]]) -> None:
    """The Annex I elements as label and value, two to a row."""
    pdf = page.pdf
    gutter = 8.0
    column = (WIDTH - gutter) / 2
    for start in range(0, len(rows), 2):
        top = bottom = pdf.get_y()
        for n, (label, value) in enumerate(rows[start : start + 2]):
            x = MARGIN + n * (column + gutter)
            pdf.set_y(top)
            page.para(label, 7, bold=True, color=MUTED, align=Align.L, x=x, width=column)
            page.para(_clip(value, MAX_DETAIL), 8.5, align=Align.L, x=x, width=column, gap=1.5)
            bottom = max(bottom, pdf.get_y())
        pdf.set_y(bottom)


def _outcomes(page: _Certificate, outcomes: Sequence[str], bottom: float) -> None:
    """The learning outcomes as a bulleted list that ends above ``bottom``: the largest font
    at which all fit, else 7 pt with as many as fit and "… and N more"."""
    pdf = page.pdf
    indent = 5.0
    width = WIDTH - indent
    room = bottom - pdf.get_y()
    for size in OUTCOME_SIZES:
        gap = size * 0.12
        heights = [page.lines(o, size, width) * _line_height(size) + gap for o in outcomes]
        if sum(heights) <= room:
            shown, rest = list(outcomes), 0
            break
    else:
        room -= _line_height(size) + gap  # the "and N more" line
        shown, used = [], 0.0
        for outcome, height in zip(outcomes, heights, strict=True):
            if used + height > room:
                break
            shown.append(outcome)
            used += height
        rest = len(outcomes) - len(shown)
    bullet = "\u2022" if page.unicode else "-"
    for outcome in shown:
        top = pdf.get_y()
        page.font(size, color=ACCENT)
        pdf.set_xy(MARGIN + 1, top)
        pdf.cell(indent - 1, _line_height(size), bullet)
        page.para(outcome, size, align=Align.L, x=MARGIN + indent, width=width, gap=gap)
    if rest:
        more = _("… and %(count)s more", count=rest)
        page.para(more, size, color=MUTED, align=Align.L, x=MARGIN + indent, width=width)


def _footer(page: _Certificate, *, share_url: str, verify_url: str, credential_id: str) -> None:
    """The QR code of ``verify_url`` with the verification text beside it."""
    pdf = page.pdf
    page.rule(FOOTER_TOP - 5)
    pdf.image(
        _qr_png(verify_url),
        x=MARGIN,
        y=FOOTER_TOP,
        w=QR_SIZE,
        h=QR_SIZE,
        alt_text=_("QR code that opens this credential in the verifier"),
    )
    x = MARGIN + QR_SIZE + 6
    width = WIDTH - QR_SIZE - 6
    pdf.set_y(FOOTER_TOP + 1)
    page.para(_("Check this credential"), 11, bold=True, align=Align.L, x=x, width=width, gap=1)
    page.para(
        _("Scan the QR code or open this address to check the signatures and current status:"),
        8.5,
        color=MUTED,
        align=Align.L,
        x=x,
        width=width,
        gap=1,
    )
    page.para(
        verify_url,
        8,
        color=ACCENT,
        align=Align.L,
        x=x,
        width=width,
        gap=2,
        link=verify_url,
        wrap=WrapMode.CHAR,
    )
    page.para(
        _("Shared at: %(url)s", url=share_url),
        7.5,
        color=MUTED,
        align=Align.L,
        x=x,
        width=width,
        wrap=WrapMode.CHAR,
    )
    if credential_id:
        page.para(
            _("Credential ID: %(id)s", id=credential_id),
            7.5,
            color=MUTED,
            align=Align.L,
            x=x,
            width=width,
            wrap=WrapMode.CHAR,
        )
    pdf.set_y(PAGE_HEIGHT - 17.5)
    page.para(
        _(
            "A printout is a copy. The PDF file carries the signed credential "
            "(credential.jsonld) and the issuer's seal: check it with the QR code."
        ),
        7,
        color=MUTED,
    )


def certificate_pdf(
    document: Mapping[str, Any],
    *,
    share_url: str,
    verify_url: str,
    state: str,
    logos: Sequence[bytes] = (),
) -> bytes:
    """The one-page A4 certificate of the credential ``document`` (its stored JSON): the QR code
    encodes ``verify_url``; a ``state`` of ``"revoked"`` or ``"suspended"`` is marked on the
    page; ``logos`` (PNG or JPEG, checked by :mod:`issuer.partnerships.logos`) head the page.
    See the module's docstring for fonts and how everything fits one page. Neither embeds the
    credential nor seals: :func:`issuer.credentials.pdf_seal.finish_certificate` does."""
    summary = credential_summary(document, language=locale_name())
    title = _clip(summary.title.value if summary.title else _("Micro-credential"), 160)
    learner = _clip(summary.learner.value if summary.learner else _("not stated"), 120)
    bodies = _clip(" \u00b7 ".join(body.value for body in summary.awarding_bodies), 300)
    page = _Certificate(title)
    pdf = page.pdf
    if bodies:
        pdf.set_author(bodies)
    _frame(page)
    marking = _marking(state)
    if marking is not None:
        _watermark(page, marking[0], MARKS[state][1])

    pdf.set_y(MARGIN)
    _logos(page, logos)
    page.para(_("Micro-credential certificate").upper(), 9, bold=True, color=ACCENT, gap=4)
    if marking is not None:
        page.para(marking[0], 16, bold=True, color=(255, 255, 255), fill=MARKS[state][0])
        page.para(marking[1], 9, bold=True, color=(255, 255, 255), fill=MARKS[state][0], gap=4)

    size = page.fit(title, (24, 21, 18, 16), WIDTH, max_lines=2)
    page.para(title, size, bold=True, gap=4)
    page.para(_("awarded to"), 10, color=MUTED, gap=1)
    size = page.fit(learner, (20, 17, 14), WIDTH, max_lines=2)
    page.para(learner, size, bold=True, gap=3)
    if bodies:
        page.para(_("by"), 10, color=MUTED, gap=1)
        page.para(bodies, 12, gap=5)
    _facts(page, summary)

    page.rule(pdf.get_y())
    pdf.set_y(pdf.get_y() + 3)
    _details(page, annex_details(document, language=locale_name()))
    page.rule(pdf.get_y())
    pdf.set_y(pdf.get_y() + 3)
    page.para(_("Learning outcomes"), 11, bold=True, align=Align.L, gap=1.5)
    outcomes = [_clip(o.value, MAX_OUTCOME) for o in summary.learning_outcomes]
    if outcomes:
        _outcomes(page, outcomes, FOOTER_TOP - 8)
    else:
        page.para(_("None stated."), 10, color=MUTED, align=Align.L)

    credential_id = document.get("id")
    _footer(
        page,
        share_url=share_url,
        verify_url=verify_url,
        credential_id=credential_id if isinstance(credential_id, str) else "",
    )
    return bytes(pdf.output())
