"""What a recognition decision says, in words: one template per stable code, marked for gettext
(Flask-Babel), so the JSON and the command line (English) and the page (the reader's language)
say the same thing. :func:`say` fills a template with its parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask_babel import force_locale
from flask_babel import lazy_gettext as _

DECISIONS: Final = {
    "recognised": _("Recognised"),
    "partly_recognised": _("Partly recognised"),
    "not_recognised": _("Not recognised"),
}
STATUSES: Final = {"met": _("met"), "partly_met": _("partly met"), "not_met": _("not met")}
CRITERIA: Final = {
    "eqfLevel": _("EQF level"),
    "iscedFields": _("Field of education (ISCED-F)"),
    "provider": _("Awarding body"),
    "issuedWithinYears": _("Date of issue"),
    "assessed": _("Assessment"),
    "ects": _("ECTS credits together"),
    "escoSkills": _("ESCO skills covered together"),
}
SOURCE_NAMES: Final = {
    "registry": _("the accreditation registry"),
    "list": _("the trusted-issuers list"),
}

MESSAGES: Final = {
    # the decision
    "decision_recognised": _("Recognised as %(target)s."),
    "decision_partly_recognised": _("Partly recognised as %(target)s: %(missing)s."),
    "decision_not_recognised": _("Not recognised as %(target)s: %(why)s."),
    "nothing_counts": _("no credential counts"),
    # what each criterion asks
    "req_eqf_min": _("each credential at EQF level %(min)s or higher"),
    "req_eqf_max": _("each credential at EQF level %(max)s or lower"),
    "req_eqf_range": _("each credential at EQF level %(min)s to %(max)s"),
    "req_fields": _("each credential in ISCED-F field %(fields)s"),
    "req_provider": _("each awarding body vouched for by %(sources)s"),
    "req_provider_types": _("accredited as %(types)s"),
    "req_provider_places": _("established in %(places)s"),
    "req_issued_within": _("each credential issued within the last %(years)s years"),
    "req_assessed": _("each credential's achievement proven by an assessment"),
    "req_ects": _("together at least %(need)s ECTS"),
    "req_ects_hours": _("(a credential without ECTS: %(hours)s hours of learning per credit)"),
    "req_skills": _("learning outcomes covering at least %(need)s of %(total)s ESCO skills"),
    "req_skills_assessed": _(
        "assessed learning outcomes covering at least %(need)s of %(total)s ESCO skills"
    ),
    # how a criterion for each credential ended
    "each_met": _("every verified credential meets it"),
    "each_partly": _("%(count)s of %(total)s verified credentials meet it"),
    "each_none": _("no verified credential meets it"),
    "nothing_verified": _("no verified credential to judge"),
    # why a credential does not meet a criterion
    "eqf_missing": _("%(credential)s states no EQF level"),
    "eqf_below": _("%(credential)s is at EQF level %(level)s, below %(min)s"),
    "eqf_above": _("%(credential)s is at EQF level %(level)s, above %(max)s"),
    "field_missing": _("%(credential)s states no ISCED-F field"),
    "field_outside": _("%(credential)s is in ISCED-F field %(field)s, not %(fields)s"),
    "body_not_vouched": _("%(body)s is not vouched for by %(sources)s"),
    "body_type": _("%(body)s is not accredited as %(types)s"),
    "body_place": _("%(body)s is in %(country)s, not in %(places)s"),
    "body_place_missing": _("%(body)s states no country"),
    "issued_missing": _("%(credential)s has no readable date of issue"),
    "issued_too_long_ago": _(
        "%(credential)s was issued on %(date)s, more than %(years)s years ago"
    ),
    "not_assessed": _("%(credential)s states no assessment"),
    # together
    "ects_total": _("%(have)s of %(need)s ECTS"),
    "ects_reached": _("%(have)s ECTS (%(need)s needed)"),
    "ects_from_hours": _("%(credential)s: %(hours)s hours counted as %(ects)s ECTS"),
    "ects_missing": _("%(credential)s states no ECTS credits"),
    "skills_total": _("%(have)s of %(need)s ESCO skills covered"),
    "skills_reached": _("%(have)s ESCO skills covered (%(need)s needed)"),
    "skill_missing_assessed": _("no assessed outcome covering ESCO skill %(skill)s"),
    "skill_missing": _("no outcome covering ESCO skill %(skill)s"),
    "skill_covered": _("ESCO skill %(skill)s: %(credential)s"),
    # why a credential was left out
    "left_out_unconfirmed": _("%(credential)s was left out: its verdict is unconfirmed (%(why)s)"),
    "left_out_not_verified": _("%(credential)s was left out: it is not verified (%(why)s)"),
    "left_out_other_learner": _(
        "%(credential)s was left out: it was awarded to %(learner)s, not to %(first)s"
    ),
    "left_out_criteria": _("%(credential)s does not count: %(why)s"),
    "counted": _("%(credential)s counts"),
}


def say(code: str, params: Mapping[str, Any] | None = None, *, locale: str | None = None) -> str:
    """The words for ``code`` with ``params`` filled in: in ``locale`` when given (``"en"`` for
    JSON and the command line), else in the current request's language (English outside one)."""
    template = MESSAGES[code]
    if locale is None:
        return str(template) % dict(params or {})
    with force_locale(locale):
        return str(template) % dict(params or {})


def english(code: str, params: Mapping[str, Any] | None = None) -> str:
    """:func:`say` in English: the message of the JSON decision and the command line."""
    return say(code, params, locale="en")


def source_name(source: str) -> str:
    """A trust source's name in English ("the accreditation registry")."""
    with force_locale("en"):
        return str(SOURCE_NAMES[source])
