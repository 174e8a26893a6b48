"""A recognition decision as a PDF (fpdf2): the decision, the rule and who wrote it, the learner,
each criterion (what it asks, how it ended, what is missing), and each credential it rests on
(its id, issuer and verdict, whether it counts and why not). Pages follow as needed.

Fonts: DejaVu Sans (Debian's ``fonts-dejavu-core``) when present, so every letter prints;
otherwise fpdf2's Helvetica with text outside Latin-1 replaced. Every string from a
credential or a rule is drawn as plain text.
"""

from __future__ import annotations

from flask_babel import gettext as _

from verifier.pdf_page import PdfPage
from verifier.recognition.evaluate import Decision
from verifier.recognition.wording import CRITERIA, DECISIONS, STATUSES

COLOURS = {
    "recognised": (20, 110, 50),
    "partly_recognised": (150, 90, 0),
    "not_recognised": (164, 14, 38),
}


def decision_pdf(decision: Decision, languages: tuple[str, ...] = ("en",)) -> bytes:
    """The PDF of ``decision``, its words in the current language (labels from the rule in the
    first of ``languages`` it has)."""
    page = PdfPage()
    rule = decision.rule
    page.line(_("Recognition decision"), 16, "B")
    page.gap()
    page.pdf.set_text_color(*COLOURS[decision.decision])
    page.line(DECISIONS[decision.decision], 14, "B")
    page.pdf.set_text_color(0, 0, 0)
    page.line(decision.headline.words())
    page.gap()
    page.line(f"{_('Rule')}: {rule.title(languages)} ({rule.id})", 9)
    page.line(f"{_('Recognising institution')}: {rule.institution(languages)}", 9)
    if decision.learner:
        learner = decision.learner.get("name") or decision.learner.get("id")
        page.line(f"{_('Learner')}: {learner}", 9)
    page.line(f"{_('Evaluated')}: {decision.to_dict()['evaluatedAt']}", 9)
    page.gap(5)
    page.line(_("Criteria"), 12, "B")
    for result in decision.criteria:
        asks = "; ".join(s.words() for s in result.requirement)
        page.line(f"{CRITERIA[result.criterion]} — {STATUSES[result.status]}", 10, "B")
        page.line(f"{asks}: {result.outcome.words()}", 9, indent=4)
        for finding in result.findings:
            page.line(f"- {finding.words()}", 9, indent=8)
        page.gap(1)
    page.gap(4)
    page.line(_("Credentials the decision rests on"), 12, "B")
    for entry in decision.entries:
        data = entry.to_dict(with_document=False)
        counted = _("counts") if entry.counted else _("left out")
        page.line(f"{entry.label} — {counted}", 10, "B")
        page.line(f"{_('Id')}: {data['id'] or '-'}", 8, indent=4)
        page.line(f"{_('Issuer')}: {data['issuer'] or '-'}", 8, indent=4)
        page.line(f"{_('Verdict')}: {data['verdict']}", 8, indent=4)
        for reason in entry.reasons:
            if reason.code != "counted":
                page.line(f"- {reason.words()}", 8, indent=8)
        page.gap(1)
    page.gap(4)
    page.line(
        _(
            "Every credential was verified by this verifier before the rule read it; only "
            "verified credentials count. The JSON download holds the credentials themselves."
        ),
        8,
    )
    return bytes(page.pdf.output())
