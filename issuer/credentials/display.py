"""What people see of a credential: the facts read from its signed JSON (through
:mod:`schemas.elm.read`), the awarding bodies' generated badges, and dates in the reader's
language.

Used by the share page, the learner's management page and the PDF certificate. Nothing here is
trusted markup: every string is credential data that templates autoescape.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.dates import format_date
from flask import has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _

from schemas.elm import read
from schemas.elm.languages import language_name, languages_of, reading_order, shown_language
from schemas.elm.read import Text, parse_date
from schemas.elm.vocab import ENGLISH

PREFERRED_LANGUAGE = ENGLISH
BADGE_TONES = 6  # CSS classes org-badge-0 … org-badge-5 (white text on dark colours)


@dataclass
class Summary:
    """What the pages show, all taken from the stored (signed) JSON."""

    title: Text | None = None
    learner: Text | None = None
    awarding_bodies: list[Text] = field(default_factory=list)
    issued: str | None = None
    valid_until: str | None = None
    ects: str | None = None
    eqf_level: str | None = None
    learning_outcomes: list[Text] = field(default_factory=list)
    description: Text | None = None
    assessment: Text | None = None
    grade: Text | None = None
    hours: str | None = None
    prerequisites: Text | None = None
    quality_assurance: Text | None = None


@dataclass(frozen=True)
class Language:
    """A language a credential's texts are given in: its tag (``de``), its name in itself
    (``Deutsch``) and whether the page shows the texts in it."""

    tag: str
    name: str
    shown: bool


@dataclass(frozen=True)
class Languages:
    """The language a page shows credentials' texts in (``shown``: a language-map key) and the
    languages it offers to switch to (every one the credentials carry, in the order met)."""

    shown: str
    offered: list[Language] = field(default_factory=list)


#: The query parameter that asks for a language (the page's own, ``issuer.i18n``, as well).
LANGUAGE_PARAMETER = "lang"


def credential_languages(*documents: Mapping[str, Any]) -> Languages:
    """Which language the page shows the ``documents``' texts in: the one the reader asks
    for (``?lang=``) when a credential carries it, else the page's language, else English,
    else the first the credentials carry; and every language they carry, to switch to."""
    available: list[str] = []
    for document in documents:
        available += [tag for tag in languages_of(document) if tag not in available]
    asked = request.args.get(LANGUAGE_PARAMETER) if has_request_context() else None
    shown = shown_language(available, asked, locale_name()) or locale_name()
    offered = [Language(tag, language_name(tag), tag == shown) for tag in available]
    return Languages(shown, offered)


def _day(value: Any) -> str | None:
    """The day (``YYYY-MM-DD``) of an ISO date-time, in the zone it states; a string that is no
    date as it is; None for anything else."""
    moment = parse_date(value)
    if moment is not None:
        return moment.date().isoformat()
    return value if isinstance(value, str) else None


def credential_summary(
    document: Mapping[str, Any], *, language: str = PREFERRED_LANGUAGE
) -> Summary:
    """The facts a page shows, read defensively from a credential's JSON; language maps give
    their ``language`` text when they have one, else their English, else any language's
    (pick ``language`` with :func:`credential_languages`).

    The title falls back to the credential's display parameters; awarding bodies are named by
    their legal names; dates are days (``YYYY-MM-DD``), a string that is no date shown as it is.
    """
    languages = reading_order(language)
    claim = read.claim(document)
    specification = read.specification(claim)
    accreditation = read.first(specification.get("accreditation"))
    bodies = (read.tagged(b.get("legalName"), languages) for b in read.awarding_bodies(document))
    return Summary(
        title=read.title(document, languages)
        or read.tagged(read.first(document.get("displayParameter")).get("title"), languages),
        learner=read.learner(document, languages),
        awarding_bodies=[name for name in bodies if name is not None],
        issued=_day(read.issued(document)),
        valid_until=_day(read.valid_until(document)),
        ects=read.ects(specification),
        eqf_level=read.eqf_level(specification),
        learning_outcomes=read.outcomes(specification, languages),
        description=read.tagged(specification.get("description"), languages),
        assessment=read.assessment(claim, languages),
        grade=read.grade(claim, languages),
        hours=_hours(specification.get("volumeOfLearning")),
        prerequisites=read.tagged(
            read.first(specification.get("entryRequirement")).get("noteLiteral"), languages
        ),
        quality_assurance=read.tagged(accreditation.get("title"), languages),
    )


def _hours(duration: Any) -> str | None:
    found = read.hours(duration)
    return read.plain(found) if found is not None else None


def _labels(value: Any, languages: tuple[str, ...]) -> str | None:
    """The labels of one or many concepts (their prefLabel in ``languages``, else their
    label), joined by " · "."""
    found = []
    for node in read.as_list(value):
        named = read.tagged(node.get("prefLabel"), languages) if isinstance(node, Mapping) else None
        text = named.value if named is not None else read.label(node)
        if text:
            found.append(text.strip())
    return " \u00b7 ".join(found) or None


def _isced(spec: Mapping[str, Any], languages: tuple[str, ...]) -> str | None:
    """Each ISCED-F field as "label (code)"."""
    fields = []
    for node in read.as_list(spec.get("thematicArea")):
        code = (read.node_id(node) or "").rsplit("/", 1)[-1]
        name = _labels(node, languages)
        if name:
            fields.append(f"{name} ({code})" if code.isdigit() else name)
    return "; ".join(fields) or None


def _quality_assurance(spec: Mapping[str, Any], languages: tuple[str, ...]) -> str | None:
    parts = []
    for accreditation in read.objects(spec.get("accreditation")):
        title = read.tagged(accreditation.get("title"), languages)
        kind = _labels(accreditation.get("dcType"), languages)
        agent = _labels(accreditation.get("accreditingAgent"), languages) or read.label(
            read.first(accreditation.get("accreditingAgent"))
        )
        words = [title.value] if title else []
        if kind and kind not in words:
            words.append(kind)
        if agent:
            words.append(_("by %(agent)s", agent=agent))
        if words:
            parts.append(" \u2014 ".join(words))
    return "; ".join(parts) or None


def _stackability(spec: Mapping[str, Any], languages: tuple[str, ...]) -> str | None:
    larger = [
        read.tagged(read.first(node).get("title"), languages)
        for node in read.as_list(spec.get("isPartOf"))
    ]
    named = [t.value for t in larger if t is not None]
    if named:
        return _("Part of: %(titles)s", titles="; ".join(named))
    partial = spec.get("isPartialQualification")
    if partial is True:
        return _("Counts towards a larger qualification")
    if partial is False:
        return _("A qualification in its own right")
    return None


def annex_details(
    document: Mapping[str, Any], *, language: str = PREFERRED_LANGUAGE
) -> list[tuple[str, str]]:
    """The Annex I elements a certificate lists beside its headline facts, as (label, value)
    pairs in the reader's language, read from the signed JSON: field of education (ISCED-F),
    form of participation and learning setting, assessment, grade, identity verification,
    quality assurance, prerequisites, language, the issuer's country and stackability. An
    element the credential does not state is given as "Not stated" (prerequisites: "None";
    identity verification, optional, is left out)."""
    languages = (language, PREFERRED_LANGUAGE)
    claim = read.claim(document)
    spec = read.specification(claim)
    proof = read.first(claim.get("provenBy"))
    country = read.first(
        read.first(read.first(document.get("issuer")).get("location")).get("address")
    ).get("countryCode")
    participation = " \u00b7 ".join(
        v
        for v in (
            _labels(spec.get("mode"), languages),
            _labels(spec.get("learningSetting"), languages),
        )
        if v
    )
    prerequisites = read.tagged(
        read.first(spec.get("entryRequirement")).get("noteLiteral"), languages
    )
    assessment = read.assessment(claim, languages)
    grade = read.grade(claim, languages)
    rows = [
        (_("Field of education (ISCED-F)"), _isced(spec, languages)),
        (_("Form of participation"), participation or None),
        (_("Assessment"), assessment.value if assessment else None),
        (_("Grade"), grade.value if grade else None),
        (_("Identity verification"), _labels(proof.get("idVerification"), languages)),
        (_("Quality assurance"), _quality_assurance(spec, languages)),
        (_("Prerequisites"), prerequisites.value if prerequisites else _("None")),
        (_("Language"), _labels(spec.get("language"), languages)),
        (_("Country of the issuer"), _labels(country, languages)),
        (_("Stackability"), _stackability(spec, languages)),
    ]
    optional = {_("Identity verification")}
    return [
        (label, value or _("Not stated")) for label, value in rows if value or label not in optional
    ]


# --- awarding bodies' badges ------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """A generated stand-in for an organisation's logo: its initials on a colour picked from
    its name (the same name always gets the same colour)."""

    initials: str
    tone: int


def badge(name: str) -> Badge:
    """The badge of organisation ``name``: the initials of up to three of its capitalised
    words ("Aarhus Demo University" → "ADU", "Université de Lyon" → "UL")."""
    words = re.findall(r"\w+", name)
    significant = [w for w in words if w[0].isupper() or w[0].isdigit()] or words
    initials = "".join(w[0] for w in significant[:3]).upper() or "?"
    tone = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:2], "big") % BADGE_TONES
    return Badge(initials, tone)


# --- dates ------------------------------------------------------------------------------------


def locale_name() -> str:
    """The reader's language ("en", "da"); English outside a request."""
    return str(get_locale() or PREFERRED_LANGUAGE)


def long_date(value: date | datetime | str | None) -> str | None:
    """``value`` as the reader's long date ("June 30, 2026"; "30. juni 2026" in Danish).
    A string that is not an ISO date is returned as it is."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
    elif isinstance(value, datetime):
        day = value.astimezone(UTC).date()
    else:
        day = value
    return format_date(day, format="long", locale=locale_name())


def date_time(moment: datetime | None) -> str | None:
    """``moment`` as the reader's long date and a 24-hour UTC time ("… 03:04 UTC")."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return f"{long_date(moment)} {moment:%H:%M} UTC"


def expiry_label(moment: datetime | None) -> str | None:
    """A share link's expiry for people: "end of <day> (UTC)" when it is a midnight (what the
    learner's date field sets), else the date and time."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if moment.time() == datetime.min.time():
        return _("end of %(date)s (UTC)", date=long_date(last_day(moment)))
    return date_time(moment)


def last_day(expires_at: datetime) -> date:
    """The last (UTC) day on which a link that stops at ``expires_at`` still works."""
    return (expires_at.astimezone(UTC) - timedelta(microseconds=1)).date()
