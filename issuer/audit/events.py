"""Reading the audit log: narrowing it (by credential, action, actor and dates), and what a page
of events refers to, looked up once per page."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from issuer.audit.wording import (
    CREDENTIAL_DETAILS,
    CredentialName,
    Lookups,
    action_label,
    describe,
)
from issuer.errors import InvalidInput
from issuer.models import AuditEvent, IssuedCredential, Learner, Organisation, Specification

MAX_ACTOR = 300  # audit_events.actor


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: all of them when every member is None. ``since`` and ``until``
    are days (UTC), both included; ``actor`` matches the whole actor or a part of it."""

    credential_id: int | None = None
    action: str | None = None
    actor: str | None = None
    since: date | None = None
    until: date | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        """``query`` (of ``AuditEvent``) narrowed to the events this filter keeps."""
        if self.credential_id is not None:
            query = query.where(AuditEvent.credential_id == self.credential_id)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.actor:
            escaped = self.actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(AuditEvent.actor.like(f"%{escaped}%", escape="\\"))
        if self.since is not None:
            query = query.where(AuditEvent.at >= datetime.combine(self.since, time(), UTC))
        if self.until is not None:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            query = query.where(AuditEvent.at < end)
        return query


def read_filter(
    args: Mapping[str, str], credential_id: int | None = None, *, blank_dates: bool = True
) -> AuditFilter:
    """The filter of a request's ``action``, ``actor``, ``since`` and ``until`` (YYYY-MM-DD)
    parameters (blank ones ignored; a blank date is a problem unless ``blank_dates``, as a
    page's empty form fields send them). ``InvalidInput`` names each malformed one in
    ``details.fields``; ``since`` after ``until`` is a problem of ``until``."""
    problems: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        value = (args.get(name) or "").strip()
        days[name] = None
        if value or (name in args and not blank_dates):
            with contextlib.suppress(ValueError):
                days[name] = date.fromisoformat(value) if len(value) == 10 else None
            if days[name] is None:
                problems[name] = "must be a date written YYYY-MM-DD"
    since, until = days["since"], days["until"]
    if since and until and since > until:
        problems["until"] = "must not lie before since"
    actor = (args.get("actor") or "").strip() or None
    if actor is not None and len(actor) > MAX_ACTOR:
        problems["actor"] = f"must be at most {MAX_ACTOR} characters"
    action = (args.get("action") or "").strip() or None
    if action is not None and (len(action) > 40 or not action.replace("_", "").isalnum()):
        problems["action"] = "must be an action's code, such as revoke"
    if problems:
        raise InvalidInput(
            "the audit filter has malformed parameters", details={"fields": problems}
        )
    return AuditFilter(credential_id, action, actor, since, until)


def lookups(session: Session, events: Iterable[AuditEvent]) -> Lookups:
    """Everything ``events`` refer to, in one query per kind: their credentials (and those their
    details name) with title and learner, the specifications and organisations named by slug."""
    events = list(events)
    found = Lookups()
    language = str(get_locale() or "en")
    credential_ids = {e.credential_id for e in events if e.credential_id is not None}
    slugs: set[str] = set()
    specs: set[str] = set()
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        credential_ids |= {
            details[k] for k in CREDENTIAL_DETAILS if isinstance(details.get(k), int)
        }
        bodies = details.get("awardingBodies")
        slugs |= {str(s) for s in bodies} if isinstance(bodies, list) else set()
        if isinstance(details.get("specification"), str):
            specs.add(details["specification"])
    if credential_ids:
        rows = session.execute(
            select(
                IssuedCredential.id,
                IssuedCredential.credential_uri,
                Specification.title,
                Learner.given_name,
                Learner.family_name,
            )
            .join(Specification, Specification.id == IssuedCredential.specification_id)
            .join(Learner, Learner.id == IssuedCredential.learner_id)
            .where(IssuedCredential.id.in_(credential_ids))
        ).all()
        for id_, uri, title, given, family in rows:
            found.credentials[id_] = CredentialName(
                uri.removeprefix("urn:uuid:"), title_text(title, language), f"{given} {family}"
            )
    if specs:
        found.specifications = {
            slug: title_text(title, language)
            for slug, title in session.execute(
                select(Specification.slug, Specification.title).where(Specification.slug.in_(specs))
            )
        }
    organisation_ids = {e.organisation_id for e in events if e.organisation_id is not None}
    if slugs or organisation_ids:
        for id_, slug, name in session.execute(
            select(Organisation.id, Organisation.slug, Organisation.legal_name).where(
                Organisation.slug.in_(slugs) | Organisation.id.in_(organisation_ids)
            )
        ):
            found.organisations[slug] = name
            found.organisation_ids[id_] = name
    return found


def title_text(title: Any, language: str | None = None) -> str:
    """A title (a language map or a string) as one text: ``language``'s, else English, else
    the first."""
    if isinstance(title, str):
        return title
    if isinstance(title, Mapping) and title:
        for key in (language, "en", next(iter(title))):
            if key and isinstance(title.get(key), str):
                return str(title[key])
    return ""


def credential_uuids(session: Session, events: Iterable[AuditEvent]) -> dict[int, str]:
    """The UUID (:attr:`IssuedCredential.uuid`) of every credential ``events`` refer to, by
    the credential's row id, in one query (none when no event refers to a credential)."""
    ids = {event.credential_id for event in events if event.credential_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(IssuedCredential.id, IssuedCredential.credential_uri).where(
            IssuedCredential.id.in_(ids)
        )
    ).all()
    return {id_: uri.removeprefix("urn:uuid:") for id_, uri in rows}


@dataclass(frozen=True)
class Presented:
    """An event as people read it (the staff page, the API's words, the CSV export)."""

    event: AuditEvent
    label: str  # the action in words
    actor: str  # who, in words
    organisation: str
    credential: CredentialName | None
    sentences: list[str]


def actor_words(actor: str) -> str:
    """Who acted, for people: ``user:<e-mail>`` is the e-mail address, ``token:<name>`` the API
    token's name, ``learner`` the learner; anything else as it is."""
    kind, _sep, name = actor.partition(":")
    if kind == "user" and name:
        return name
    if kind == "token" and name:
        return _("API token %(name)s", name=name)
    if actor == "learner":
        return _("the learner")
    return actor


def present(events: Iterable[AuditEvent], found: Lookups) -> list[Presented]:
    """``events`` in words, each naming its credential by title and learner (``found``: the
    :func:`lookups` of these events)."""
    return [
        Presented(
            event=event,
            label=action_label(event.action),
            actor=actor_words(event.actor),
            organisation=found.organisation_ids.get(event.organisation_id or 0, ""),
            credential=found.credentials.get(event.credential_id or 0),
            sentences=describe(event.details, found),
        )
        for event in events
    ]


#: The longest export: a larger log is narrowed by the filters (dates, action, actor) first.
MAX_CSV_ROWS = 50_000
CSV_COLUMNS = (
    "time",
    "action",
    "event",
    "actor",
    "organisation",
    "credential",
    "title",
    "learner",
    "reason",
    "details",
)


def audit_csv(session: Session, query: Select[Any]) -> str:
    """The events of ``query`` (newest first) as CSV (:data:`CSV_COLUMNS`: the action's code and
    its words, the credential's uuid, title and learner, the details in words), at most
    :data:`MAX_CSV_ROWS`; cells that a spreadsheet would read as a formula get a leading ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    events = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(MAX_CSV_ROWS)))
    for start in range(0, len(events), 1000):
        chunk = events[start : start + 1000]
        for item in present(chunk, lookups(session, chunk)):
            name = item.credential
            writer.writerow(
                _cell(value)
                for value in (
                    item.event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    item.event.action,
                    item.label,
                    item.actor,
                    item.organisation,
                    name.uuid if name else "",
                    name.title if name else "",
                    name.learner if name else "",
                    item.event.reason or "",
                    "; ".join(item.sentences),
                )
            )
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
