"""Why a bulk row was refused, in words for people (English or Danish, the request's language).

A refused row keeps its stable ``error_code`` and the technical ``error_message`` (what the API
and the CSV report as ``code`` and ``message``); :func:`reason` turns the two into a sentence:
``invalid_learner`` / ``family_name: required`` → "Family name is missing". This module is the one
place that words them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext

#: What people call each CSV column.
COLUMNS = {
    "reference": lazy_gettext("Learner reference"),
    "given_name": lazy_gettext("Given name"),
    "family_name": lazy_gettext("Family name"),
    "email": lazy_gettext("E-mail address"),
    "email_in_credential": lazy_gettext("Include the e-mail address in the credential"),
    "date_of_birth": lazy_gettext("Date of birth"),
    "grade": lazy_gettext("Grade"),
    "language": lazy_gettext("Language"),
}


def _limit(found: re.Match[str], field: str) -> str:
    return _("%(field)s is too long: at most %(limit)s characters.", field=field, limit=found[1])


# A column's problem (as issuance states it) → the sentence, given the column's name.
PROBLEMS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (re.compile(r"^required$"), lambda _m, f: _("%(field)s is missing.", field=f)),
    (re.compile(r"^must be at most (\d+) characters$"), _limit),
    (
        re.compile(r"^must not contain control characters"),
        lambda _m, f: _("%(field)s must be one line, without tabs or line breaks.", field=f),
    ),
    (
        re.compile(r"^is not a plausible e-mail address$"),
        lambda _m, f: _("%(field)s is not an e-mail address.", field=f),
    ),
    (
        re.compile(r"^must be an ISO date"),
        lambda _m, f: _("%(field)s must be a date written YYYY-MM-DD.", field=f),
    ),
    (
        re.compile(r"^must lie between 1900 and today$"),
        lambda _m, f: _("%(field)s must lie between 1900 and today.", field=f),
    ),
    (
        re.compile(r"^must be true or false$"),
        lambda _m, f: _("%(field)s must be yes or no.", field=f),
    ),
    (
        re.compile(r"^needs an e-mail address$"),
        lambda _m, f: _("The e-mail address is missing, so it cannot be included."),
    ),
    (
        re.compile(r"^must be one of (.+)$"),
        lambda m, f: _("%(field)s must be one of %(choices)s.", field=f, choices=m[1]),
    ),
]


def field_problem(column: str, problem: str) -> str:
    """One column's problem as a sentence; an unknown problem keeps issuance's words."""
    field = str(COLUMNS.get(column, column))
    for pattern, words in PROBLEMS:
        found = pattern.search(problem.strip())
        if found:
            return words(found, field)
    return f"{field}: {problem}"


def _field_problems(message: str) -> str:
    """``column: problem; column: problem`` (as the upload's check writes them) in words."""
    sentences = []
    for part in message.split("; "):
        column, _sep, problem = part.partition(": ")
        sentences.append(field_problem(column.strip(), problem) if problem else part)
    return " ".join(sentences)


def reason(code: str | None, message: str | None) -> str:
    """Why a row was refused, as a sentence in the request's language."""
    message = message or ""
    if code in ("invalid_learner", "invalid_grade", "invalid_language"):
        return _field_problems(message)
    if code == "duplicate_learner":
        line = re.search(r"on line (\d+)", message)
        return _(
            "The same learner reference is on line %(line)s already.",
            line=line[1] if line else "?",
        )
    if code == "already_holds_credential":
        return _(
            "This learner holds this credential already. To issue another, upload the file "
            "again and tick re-issue."
        )
    if code == "extra_cells":
        return _("The row has more cells than the header line has columns.")
    if code == "invalid_credential":
        return _("The credential made from this row would not be a valid micro-credential.")
    return message or (code or "")
