"""How the staff pages show things: the words for the codes they show (credential and job
states, audit actions, participation modes, roles, share-link states, the status changes with
the words on their buttons and confirmation pages), each in the page's language, and the
formatting of language maps, moments and durations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import get_locale, lazy_gettext

from issuer.audit.wording import ACTION_LABELS
from issuer.credentials import issuance
from issuer.models import CredentialState

STATE_LABELS = {
    "active": lazy_gettext("Active"),
    "suspended": lazy_gettext("Suspended"),
    "revoked": lazy_gettext("Revoked"),
}
JOB_STATE_LABELS = {
    "pending": lazy_gettext("Waiting to start"),
    "running": lazy_gettext("Issuing"),
    "done": lazy_gettext("Finished"),
    "failed": lazy_gettext("Stopped by an error"),
}
MODE_LABELS = {
    "online": lazy_gettext("Online"),
    "onsite": lazy_gettext("Onsite (in person)"),
    "blended": lazy_gettext("Blended"),
}
SETTING_LABELS = {
    "formal": lazy_gettext("Formal learning"),
    "non-formal": lazy_gettext("Non-formal learning"),
}
ROLE_LABELS = {
    "admin": lazy_gettext("Administrator"),
    "issuer": lazy_gettext("Issuer"),
    "viewer": lazy_gettext("Viewer"),
}
LINK_STATE_LABELS = {
    "live": lazy_gettext("Live"),
    "withdrawn": lazy_gettext("Withdrawn"),
    "expired": lazy_gettext("Expired"),
}
# What each status change is called on its button and its confirmation page.
STATUS_ACTIONS = {
    "suspend": (lazy_gettext("Suspend"), lazy_gettext("Suspend this credential?")),
    "reinstate": (lazy_gettext("Reinstate"), lazy_gettext("Reinstate this credential?")),
    "revoke": (lazy_gettext("Revoke"), lazy_gettext("Revoke this credential for good?")),
}
# Which changes a credential in each state allows (issuer.credentials.issuance.TRANSITIONS).
POSSIBLE_ACTIONS = {
    state: [a for a in issuance.ACTIONS if (a, state) in issuance.TRANSITIONS]
    for state in CredentialState
}
# Every label table, by the name the templates know it by.
TEMPLATE_LABELS = {
    "STATE_LABELS": STATE_LABELS,
    "JOB_STATE_LABELS": JOB_STATE_LABELS,
    "ACTION_LABELS": ACTION_LABELS,
    "MODE_LABELS": MODE_LABELS,
    "SETTING_LABELS": SETTING_LABELS,
    "ROLE_LABELS": ROLE_LABELS,
    "LINK_STATE_LABELS": LINK_STATE_LABELS,
    "STATUS_ACTIONS": STATUS_ACTIONS,
}


def localised(value: Any) -> tuple[str, str | None]:
    """(text, its language) from a language map, in the page's language when it has it; a
    plain string is its own text in no stated language; anything else is ``("", None)``."""
    if isinstance(value, str):
        return value, None
    if not isinstance(value, Mapping) or not value:
        return "", None
    for language in (str(get_locale()), "en", next(iter(value))):
        text = value.get(language)
        if isinstance(text, str) and text:
            return text, language
    return "", None


def when(moment: datetime | None) -> str:
    """A moment as ``YYYY-MM-DD HH:MM UTC``; no moment as an empty string."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def hours(duration: str) -> str:
    """``PT125H`` → ``125``; any other duration as it is."""
    found = re.fullmatch(r"PT(\d+)H", duration or "")
    return found.group(1) if found else duration
