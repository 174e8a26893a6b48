"""What people see of a credential: the facts read defensively from its signed JSON, the
awarding bodies' generated badges, and dates in the reader's language.

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
from flask_babel import get_locale
from flask_babel import gettext as _

ECTS_FRAMEWORK = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
EQF_PREFIX = "http://data.europa.eu/snb/eqf/"
PREFERRED_LANGUAGE = "en"
BADGE_TONES = 6  # CSS classes org-badge-0 … org-badge-5 (white text on dark colours)


@dataclass(frozen=True)
class Text:
    """A string from the credential and the language it is in (``None``: not tagged)."""

    value: str
    lang: str | None = None


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


def _text(value: Any, language: str = PREFERRED_LANGUAGE) -> Text | None:
    """A display string from a plain string or a language map (``language`` preferred, then
    English, then the first language given)."""
    if isinstance(value, str):
        return Text(value) if value.strip() else None
    if isinstance(value, list):
        parts = [t for t in (_text(v, language) for v in value) if t is not None]
        return parts[0] if parts else None
    if isinstance(value, Mapping) and value:
        if "@value" in value:
            return _text(value["@value"], language)
        for chosen in (language, PREFERRED_LANGUAGE, next(iter(value))):
            if chosen in value:
                found = _text(value[chosen], language)
                if found is not None:
                    return Text(found.value, str(chosen))
    return None


def _node(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def _nodes(value: Any) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, Mapping)]


def _date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return value


def credential_summary(
    document: Mapping[str, Any], *, language: str = PREFERRED_LANGUAGE
) -> Summary:
    """The facts a page shows, read defensively from a credential's JSON; language maps give
    their ``language`` text when they have one."""

    def text(value: Any) -> Text | None:
        return _text(value, language)

    subject = _node(document.get("credentialSubject"))
    claim = _node(subject.get("hasClaim"))
    specification = _node(claim.get("specifiedBy"))
    summary = Summary()
    summary.title = (
        text(claim.get("title"))
        or text(specification.get("title"))
        or text(_node(document.get("displayParameter")).get("title"))
    )
    summary.learner = text(subject.get("fullName"))
    if summary.learner is None:
        names = [text(subject.get(k)) for k in ("givenName", "familyName")]
        joined = " ".join(n.value for n in names if n is not None)
        summary.learner = Text(joined) if joined else None
    for body in _nodes(_node(claim.get("awardedBy")).get("awardingBody")):
        name = text(body.get("legalName"))
        if name is not None:
            summary.awarding_bodies.append(name)
    summary.issued = _date(
        document.get("issued") or document.get("validFrom") or document.get("issuanceDate")
    )
    summary.valid_until = _date(document.get("validUntil") or document.get("expirationDate"))
    for credit in _nodes(specification.get("creditPoint")):
        if _node(credit.get("framework")).get("id") == ECTS_FRAMEWORK:
            point = credit.get("point")
            summary.ects = str(point) if isinstance(point, str | int | float) else None
            break
    eqf = _node(specification.get("eqfLevel")).get("id")
    if isinstance(eqf, str) and eqf.startswith(EQF_PREFIX):
        summary.eqf_level = eqf.removeprefix(EQF_PREFIX)
    for outcome in _nodes(specification.get("learningOutcome")):
        title = text(outcome.get("title"))
        if title is not None:
            summary.learning_outcomes.append(title)
    summary.description = text(specification.get("description"))
    assessment = _node(claim.get("provenBy"))
    summary.assessment = text(assessment.get("title")) or text(
        _node(assessment.get("specifiedBy")).get("title")
    )
    summary.grade = text(_node(assessment.get("grade")).get("noteLiteral"))
    return summary


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
