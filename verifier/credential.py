"""Reading a credential's parts the way the European Learning Model lays them out.

ELM values may be one object or a list of them, and language maps may hold a string or a list
per language; these helpers absorb both forms so the checks read plainly. Nothing here trusts
the document: callers decide what may be shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from schemas.elm import node_id

PREFERRED_LANGUAGES = ("en",)


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 date-time (a date alone means its midnight, UTC; no zone means UTC); None if
    ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: ``[]`` for None, itself for a list, ``[value]`` otherwise."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text(value: Any, languages: tuple[str, ...] = PREFERRED_LANGUAGES) -> str | None:
    """A readable string from a plain string or a language map, preferring ``languages``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((t for t in (text(v, languages) for v in value) if t), None)
    if isinstance(value, Mapping):
        for language in (*languages, *value.keys()):
            found = value.get(language)
            if isinstance(found, list):
                found = next((f for f in found if isinstance(f, str)), None)
            if isinstance(found, str):
                return found
    return None


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's identifier (``issuer`` as a string or as an object's ``id``)."""
    return node_id(credential.get("issuer"))


def claims(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The learning achievements (``credentialSubject.hasClaim``) as a list of objects."""
    found: list[Mapping[str, Any]] = []
    for subject in as_list(credential.get("credentialSubject")):
        if isinstance(subject, Mapping):
            found.extend(c for c in as_list(subject.get("hasClaim")) if isinstance(c, Mapping))
    return found


def awarding_bodies(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every awarding body named by any claim's ``awardedBy``, once each, in document order."""
    bodies: dict[str, Mapping[str, Any]] = {}
    for claim in claims(credential):
        for process in as_list(claim.get("awardedBy")):
            if not isinstance(process, Mapping):
                continue
            for body in as_list(process.get("awardingBody")):
                identifier = node_id(body)
                if identifier is not None and identifier not in bodies:
                    bodies[identifier] = body if isinstance(body, Mapping) else {"id": body}
    return list(bodies.values())


def summary(credential: Mapping[str, Any]) -> dict[str, Any]:
    """What a recognition officer reads first: title, learner, awarding bodies, ECTS, EQF level,
    workload and learning outcomes (plain strings; absent parts are None or empty)."""
    claim = next(iter(claims(credential)), {})
    specification = next(iter(as_list(claim.get("specifiedBy"))), {})
    if not isinstance(specification, Mapping):
        specification = {}
    subject = next(iter(as_list(credential.get("credentialSubject"))), {})
    credit = next(iter(as_list(specification.get("creditPoint"))), {})
    eqf = node_id(next(iter(as_list(specification.get("eqfLevel"))), None))
    outcomes = [
        text(o.get("title"))
        for o in as_list(specification.get("learningOutcome"))
        if isinstance(o, Mapping)
    ]
    return {
        "title": text(claim.get("title")) or text(specification.get("title")),
        "learner": text(subject.get("fullName")) if isinstance(subject, Mapping) else None,
        "issuer": issuer_id(credential),
        "awardingBodies": [
            text(b.get("legalName")) or text(b.get("prefLabel")) or node_id(b)
            for b in awarding_bodies(credential)
        ],
        "ects": credit.get("point") if isinstance(credit, Mapping) else None,
        "eqfLevel": eqf.rsplit("/", 1)[-1] if eqf else None,
        "volumeOfLearning": specification.get("volumeOfLearning"),
        "learningOutcomes": [o for o in outcomes if o],
        "issued": credential.get("issued")
        or credential.get("validFrom")
        or credential.get("issuanceDate"),
    }
