"""The credential as the result page shows it to a person: in their language when the credential
carries it, with dates, workload and level in words (``verifier.credential`` keeps the report's
``summary`` as stated; this module is only for pages).

:func:`languages_of` lists the languages the credential's texts are given in (its title,
description and learning outcomes); :func:`credential_view` gives one :class:`CredentialView`
per language worth showing, the reader's first. Nothing here trusts the document: the page
shows a view only when the seal is genuine, and says so while it is not confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from flask_babel import gettext as _

from schemas.elm.read import (
    ENGLISH_FIRST,
    as_list,
    assessment,
    awarding_bodies,
    claim,
    decimal,
    eqf_level,
    grade,
    hours,
    label,
    learner,
    objects,
    parse_date,
    plain,
    specification,
    tagged,
    title,
)
from schemas.elm.read import ects as ects_of

#: At most this many languages get a view (a credential may carry all 24 EU languages).
MAX_LANGUAGES: Final = 24


@dataclass(frozen=True)
class CredentialView:
    """The credential in one language: ``lang`` (a language tag) and its name in itself, the
    texts found (each in ``lang`` where the credential has it, else in English or any
    language it has), and the values in words."""

    lang: str
    language_name: str
    title: str | None
    description: str | None
    learner: str | None
    awarded_by: list[str]
    level: str | None
    workload: str | None
    issued: str | None
    valid_until: str | None
    grade: str | None
    assessment: str | None
    outcomes: list[str] = field(default_factory=list)


def _language_keys(value: Any) -> list[str]:
    keys: list[str] = []
    for item in as_list(value):
        if isinstance(item, Mapping):
            keys += [k for k in item if isinstance(k, str) and not k.startswith("@")]
    return keys


def languages_of(credential: Mapping[str, Any]) -> list[str]:
    """The language tags the credential's title, description and outcomes are given in, in the
    order first met (at most :data:`MAX_LANGUAGES`)."""
    achievement = claim(credential)
    spec = specification(achievement)
    found: list[str] = []
    values = [achievement.get("title"), spec.get("title"), spec.get("description")]
    values += [o.get("title") for o in objects(spec.get("learningOutcome"))]
    for value in values:
        for key in _language_keys(value):
            if key not in found:
                found.append(key)
    return found[:MAX_LANGUAGES]


def language_name(tag: str) -> str:
    """A language's name in itself ("Dansk" for ``da``); the tag when Babel does not know it."""
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return tag
    return (name[:1].upper() + name[1:]) if name else tag


def _date(value: Any, reader: str) -> str | None:
    moment = parse_date(value)
    if moment is None:
        return str(value) if isinstance(value, str) and value else None
    try:
        return format_date(moment.date(), format="long", locale=reader)
    except (UnknownLocaleError, ValueError):
        return moment.date().isoformat()


def workload(spec: Mapping[str, Any]) -> str | None:
    """ "5 ECTS credits (about 125 hours of study)", in the page's language; the parts stated."""
    credits = ects_of(spec)
    duration = hours(spec.get("volumeOfLearning"))
    if credits is not None and duration is not None:
        return _(
            "%(ects)s ECTS credits (about %(hours)s hours of study)",
            ects=credits,
            hours=plain(duration),
        )
    if credits is not None:
        return _("%(ects)s ECTS credits", ects=credits)
    if duration is not None:
        return _("about %(hours)s hours of study", hours=plain(duration))
    point = decimal(next(iter(objects(spec.get("creditPoint"))), {}).get("point"))
    return _("%(points)s credits", points=plain(point)) if point is not None else None


def _view(credential: Mapping[str, Any], lang: str, reader: str) -> CredentialView:
    order = (lang, *ENGLISH_FIRST)
    achievement = claim(credential)
    spec = specification(achievement)
    level = eqf_level(spec)

    def words(value: Any) -> str | None:
        found = tagged(value, order)
        return found.value if found is not None else None

    named = learner(credential, order)
    stated_title = title(credential, order)
    graded = grade(achievement, order)
    assessed = assessment(achievement, order)
    return CredentialView(
        lang=lang,
        language_name=language_name(lang),
        title=stated_title.value if stated_title else None,
        description=words(achievement.get("description")) or words(spec.get("description")),
        learner=named.value if named else None,
        awarded_by=[
            words(b.get("legalName")) or label(b) or str(b.get("id", "")) or "?"
            for b in awarding_bodies(credential)
        ],
        level=_("EQF level %(level)s", level=level) if level else None,
        workload=workload(spec),
        issued=_date(
            credential.get("issued")
            or credential.get("validFrom")
            or credential.get("issuanceDate"),
            reader,
        ),
        valid_until=_date(credential.get("validUntil") or credential.get("expirationDate"), reader),
        grade=graded.value if graded else None,
        assessment=assessed.value if assessed else None,
        outcomes=[
            text
            for text in (words(o.get("title")) for o in objects(spec.get("learningOutcome")))
            if text
        ],
    )


def credential_view(
    credential: Mapping[str, Any], reader: str, chosen: str | None = None
) -> list[CredentialView]:
    """One view per language the credential carries, the first in ``chosen`` (when the
    credential has it), else the reader's page language ``reader``, else English, else the
    credential's first language; a single view when the credential has no language map."""
    available = languages_of(credential)
    first_choice = next(
        (lang for lang in (chosen, reader, "en") if lang and lang in available),
        available[0] if available else reader,
    )
    ordered = [first_choice, *(lang for lang in available if lang != first_choice)]
    return [_view(credential, lang, reader) for lang in ordered]
