"""The specification form's translations: besides its English text, every human-language
element of a specification (title, description, learning outcomes, type of assessment,
prerequisites, quality assurance title) can be given in any EU language the staff choose.

The chosen languages come with the request (``languages``, repeatable: the form's language
checkboxes, or a link's query); Danish is offered by default. :func:`form_class` gives the form
with one field per element and chosen language (``<element>_<tag>``, such as ``title_de``), and
:func:`add_translations` puts what was filled in into the specification's language maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from babel import Locale, UnknownLocaleError
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms import Field, StringField, TextAreaField

from issuer.staff.forms import strip
from schemas.elm.vocab import ENGLISH, EU_LANGUAGE_TAGS

#: The languages the form has fields for when the staff chose none.
DEFAULT_LANGUAGES: Final = ("da",)
#: The request parameter naming the languages chosen.
PARAMETER: Final = "languages"
#: The elements given in several languages: form field prefix → (member, multi-line).
ELEMENTS: Final[Mapping[str, tuple[str, bool]]] = {
    "title": ("title", False),
    "description": ("description", True),
    "learning_outcomes": ("learningOutcomes", True),
    "assessment_type": ("assessmentType", False),
    "prerequisites": ("prerequisites", True),
    "qa_title": ("qualityAssurance", False),
}
#: The languages translations can be given in: every EU language but English.
TRANSLATABLE: Final = tuple(tag for tag in EU_LANGUAGE_TAGS if tag != ENGLISH)


def chosen_languages(values: Iterable[str] | None = None) -> list[str]:
    """The EU languages (not English) the staff chose, in the EU's order; Danish when they
    chose none. ``values`` defaults to the request's ``languages``."""
    asked = set(request.values.getlist(PARAMETER) if values is None else values)
    chosen = [tag for tag in TRANSLATABLE if tag in asked]
    return chosen or list(DEFAULT_LANGUAGES)


def language_label(tag: str) -> str:
    """An EU language's name in the page's language ("Danish", "dansk"); the tag if unknown."""
    try:
        return str(Locale.parse(tag).get_display_name(str(get_locale() or ENGLISH)))
    except (UnknownLocaleError, ValueError, TypeError):
        return tag


def _label(element: str, language: str) -> str:
    labels = {
        "title": _("Title in %(language)s", language=language),
        "description": _("Description in %(language)s", language=language),
        "learning_outcomes": _(
            "Learning outcomes in %(language)s, one per line in the order of the English ones",
            language=language,
        ),
        "assessment_type": _("Assessment in %(language)s", language=language),
        "prerequisites": _("Prerequisites in %(language)s", language=language),
        "qa_title": _("Quality assurance in %(language)s: title", language=language),
    }
    return labels[element]


def form_class(base: type, languages: Iterable[str]) -> type:
    """``base`` (the specification form) with a field for each element of :data:`ELEMENTS` in
    each of ``languages``; the class says which (``languages``)."""
    chosen = list(languages)
    fields: dict[str, Any] = {"languages": chosen}
    for tag in chosen:
        name = language_label(tag)
        for element, (_member, multi_line) in ELEMENTS.items():
            kind = TextAreaField if multi_line else StringField
            fields[f"{element}_{tag}"] = kind(_label(element, name), filters=[strip])
    return type(base.__name__, (base,), fields)


def translation(form: Any, element: str, tag: str) -> Field | None:
    """The field of ``element`` in language ``tag``; None when the form has none."""
    field: Field | None = form._fields.get(f"{element}_{tag}")
    return field


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def add_translations(form: Any, data: dict[str, Any]) -> None:
    """Add every translation filled in to ``data`` (the specification JSON the English fields
    made): each element's language map gets the language's text. Learning outcomes are
    translated line by line, in the order of the English ones; a translation with another
    number of lines is the field's problem (and left out)."""
    for tag in form.languages:
        for element, (member, _multi_line) in ELEMENTS.items():
            field = translation(form, element, tag)
            text = field.data if field is not None else None
            if not text:
                continue
            if element == "learning_outcomes":
                _outcomes(form, field, data.get(member) or [], tag)
            elif element == "qa_title":
                quality = data.get(member)
                if quality is not None:
                    quality["title"][tag] = text
            else:
                data.setdefault(member, {})[tag] = text


def _outcomes(form: Any, field: Field, outcomes: list[dict[str, Any]], tag: str) -> None:
    lines = _lines(field.data)
    if not outcomes:
        return  # the English outcomes' own problem is shown at them
    if len(lines) != len(outcomes):
        form.add_error(
            field.name,
            _(
                "Write one line for each of the %(count)d English learning outcomes.",
                count=len(outcomes),
            ),
        )
        return
    for outcome, line in zip(outcomes, lines, strict=True):
        outcome["title"][tag] = line
