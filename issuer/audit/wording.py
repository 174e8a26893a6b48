"""The audit log in words: what each action is called, and what an event's details say, for
people, in English or Danish (the request's language). Presentation only: the stored events and
their hash chain (:mod:`issuer.audit.chain`) are untouched.

:data:`ACTION_LABELS` is the one table of the actions' names (the staff pages, the API's
``summary`` and the CSV export read it). :func:`describe` turns an event's details into
sentences, naming the credential by its title and its learner by name (looked up once per page
of events by :func:`issuer.audit.events.lookups`), never by a raw id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext

ACTION_LABELS = {
    "issue": lazy_gettext("Issued"),
    "issue_vc_api": lazy_gettext("Issued through the VC API"),
    "suspend": lazy_gettext("Suspended"),
    "reinstate": lazy_gettext("Reinstated"),
    "revoke": lazy_gettext("Revoked"),
    "credential_reissued": lazy_gettext("Re-issued with corrections"),
    "credential_resealed": lazy_gettext("Credential re-sealed"),
    "bulk_upload": lazy_gettext("Bulk file uploaded"),
    "bulk_resume": lazy_gettext("Bulk job resumed"),
    "create_specification": lazy_gettext("Specification created"),
    "share_link_created": lazy_gettext("Share link created"),
    "share_link_withdrawn": lazy_gettext("Share link withdrawn"),
    "share_link_expiry_set": lazy_gettext("Share link expiry set"),
    "learner_link_renewed": lazy_gettext("Learner link renewed"),
    "password_changed": lazy_gettext("Password changed"),
    "rotate_key": lazy_gettext("Signing key rotated"),
    "key_compromised": lazy_gettext("Signing key marked compromised"),
    "organisation_key_compromised": lazy_gettext("Organisation's key marked compromised"),
    "set_logo": lazy_gettext("Logo changed"),
}
#: Credential states as the log's sentences say them.
STATES = {
    "active": lazy_gettext("active"),
    "suspended": lazy_gettext("suspended"),
    "revoked": lazy_gettext("revoked"),
}


def action_label(action: str) -> str:
    """What ``action`` is called; an action this table does not know yet reads as words
    (``learner_record_opened`` → "Learner record opened"), never as a code."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action.replace("_", " ").strip().capitalize()


@dataclass(frozen=True)
class CredentialName:
    """How the log names a credential: its uuid (for links), title and learner's name."""

    uuid: str
    title: str
    learner: str


@dataclass
class Lookups:
    """What a page of events refers to, by the id or slug the events store."""

    credentials: dict[int, CredentialName] = field(default_factory=dict)
    specifications: dict[str, str] = field(default_factory=dict)  # slug → title
    organisations: dict[str, str] = field(default_factory=dict)  # slug → legal name
    organisation_ids: dict[int, str] = field(default_factory=dict)  # id → legal name


def _names(slugs: Any, names: Mapping[str, str]) -> str:
    items = slugs if isinstance(slugs, list) else [slugs]
    return ", ".join(names.get(str(s), str(s)) for s in items)


def _size(count: Any) -> str:
    count = int(count) if isinstance(count, int) else 0
    return f"{count / 1024:.0f} kB" if count >= 1024 else f"{count} B"


# A detail's name → the sentence it makes (given its value, all details and the lookups); None
# leaves it out (an id that the event's credential or another detail says better).
Sentence = Callable[[Any, Mapping[str, Any], Lookups], str | None]
DETAILS: dict[str, Sentence] = {
    "credential": lambda v, d, k: None,
    "shareLinkId": lambda v, d, k: None,
    "id": lambda v, d, k: None,
    "line": lambda v, d, k: None,
    "errorRows": lambda v, d, k: None,
    "retired": lambda v, d, k: None,
    "algorithm": lambda v, d, k: None,
    "type": lambda v, d, k: None,
    "entries": lambda v, d, k: None,
    "bytes": lambda v, d, k: None,
    "from": lambda v, d, k: _(
        "Status changed from %(before)s to %(after)s",
        before=STATES.get(str(v), str(v)),
        after=STATES.get(str(d.get("to")), str(d.get("to"))),
    ),
    "to": lambda v, d, k: None if "from" in d else _("Status now %(state)s", state=str(v)),
    "expiresAt": lambda v, d, k: (
        _("Expires %(moment)s", moment=str(v)[:16].replace("T", " ") + " UTC")
        if v
        else _("Does not expire")
    ),
    "specification": lambda v, d, k: _(
        "Specification: %(title)s", title=k.specifications.get(str(v), str(v))
    ),
    "awardingBodies": lambda v, d, k: _("Awarded by %(names)s", names=_names(v, k.organisations)),
    "bulkJob": lambda v, d, k: (
        _("Bulk job %(job)s, line %(line)s", job=v, line=d["line"])
        if "line" in d
        else _("Bulk job %(job)s", job=v)
    ),
    "filename": lambda v, d, k: _(
        "File %(name)s: %(rows)s rows, %(refused)s refused",
        name=v,
        rows=d.get("rows", "?"),
        refused=d.get("errorRows", 0),
    ),
    "rows": lambda v, d, k: None if "filename" in d else _("%(rows)s rows", rows=v),
    "reissue": lambda v, d, k: _("Learners holding it already were issued another") if v else None,
    "parts": lambda v, d, k: _("Stacks %(count)d credentials", count=len(v or [])),
    "via": lambda v, d, k: _("Through the VC API") if v == "vc_api" else str(v),
    "methodId": lambda v, d, k: _("Key %(key)s", key=str(v).rsplit("#", 1)[-1]),
    "replacedBy": lambda v, d, k: (
        _("Replaced by key %(key)s", key=str(v).rsplit("#", 1)[-1]) if v else None
    ),
    "compromisedAt": lambda v, d, k: _("Compromised since %(moment)s", moment=str(v)[:16]),
    "oldVerificationMethod": lambda v, d, k: _(
        "Sealed again: key %(old)s replaced by %(new)s",
        old=str(v).rsplit("#", 1)[-1],
        new=str(d.get("newVerificationMethod", "")).rsplit("#", 1)[-1],
    ),
    "newVerificationMethod": lambda v, d, k: None,
    "mediaType": lambda v, d, k: (
        _(
            "New logo: %(type)s, %(size)s",
            type=str(v).removeprefix("image/").upper(),
            size=_size(d.get("bytes")),
        )
        if v
        else _("Logo removed")
    ),
    "replaces": lambda v, d, k: _("Replaces %(what)s", what=_credential_words(v, k)),
    "supersededBy": lambda v, d, k: _("Replaced by %(what)s", what=_credential_words(v, k)),
}
#: Details that name another credential by its row id (looked up like the event's own).
CREDENTIAL_DETAILS = ("replaces", "supersededBy")


def _credential_words(value: Any, lookups: Lookups) -> str:
    name = lookups.credentials.get(value) if isinstance(value, int) else None
    if name is None:
        return _("another credential")
    return _("%(title)s of %(learner)s", title=name.title, learner=name.learner)


def describe(details: Any, lookups: Lookups) -> list[str]:
    """An event's details as sentences, in the details' order; a detail this module does not
    know yet reads ``Name: value`` with the name in words."""
    if not isinstance(details, Mapping):
        return []
    sentences = []
    for name, value in details.items():
        sentence = DETAILS.get(name)
        if sentence is None:
            words = "".join(f" {c.lower()}" if c.isupper() else c for c in str(name))
            text = value if isinstance(value, str) else str(value)
            sentences.append(f"{words.capitalize()}: {text}")
            continue
        said = sentence(value, details, lookups)
        if said:
            sentences.append(str(said))
    return sentences
