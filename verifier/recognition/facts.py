"""What a recognition rule reads of a credential: the facts of a verified credential, taken from
the document through :mod:`schemas.elm.read` and, for its awarding bodies, from the
``accreditation`` check of its report (who vouched, and for which accreditation).

Only the evaluation decides whether these facts may be used (the credential's verdict is
``verified``); nothing here trusts the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from schemas.elm.read import (
    awarding_bodies,
    claims,
    decimal,
    eqf_level,
    hours,
    is_ects,
    issued,
    learner,
    node_id,
    objects,
    parse_date,
    specification,
    subject,
    text,
    title,
    types,
)
from verifier.credential import organisation_name
from verifier.registry.assess import body_facts
from verifier.registry.vocabulary import isced_field
from verifier.report import Report


@dataclass(frozen=True)
class Body:
    """An awarding body as the report vouched for it: who vouched (``source``: ``registry`` or
    ``list``, None when nobody did), the accreditation's type (the registry record's
    ``dcType``), the words of who vouched, and the countries the credential states for it."""

    id: str
    name: str
    source: str | None
    accreditation_type: str | None
    vouched_by: str | None
    countries: frozenset[str]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "name": self.name,
            "vouchedBy": self.vouched_by,
            "source": {"list": "trustedIssuers"}.get(self.source or "", self.source),
            "accreditationType": self.accreditation_type,
            "countries": sorted(self.countries),
        }


@dataclass(frozen=True)
class Facts:
    """The values a rule may ask about, as the credential states them (absent: None/empty).

    ``skills`` maps each ESCO skill IRI its learning outcomes relate to onto ``(label,
    assessed)``: assessed when the achievement whose outcome it is was proven by an
    assessment."""

    id: str | None
    title: str
    issuer: str | None
    learner_id: str | None
    learner_name: str | None
    date_of_birth: str | None
    eqf_levels: tuple[int, ...]
    fields: tuple[str, ...]
    ects: Decimal | None
    hours: Decimal | None
    assessed: bool
    issued: datetime | None
    skills: Mapping[str, tuple[str, bool]] = field(default_factory=dict)
    bodies: tuple[Body, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (numbers as text, as the credential states them)."""
        return {
            "eqfLevels": list(self.eqf_levels),
            "iscedFields": list(self.fields),
            "ects": _plain(self.ects),
            "volumeOfLearningHours": _plain(self.hours),
            "assessed": self.assessed,
            "issued": self.issued.isoformat() if self.issued else None,
            "escoSkills": [
                {"id": iri, "label": label, "assessed": assessed}
                for iri, (label, assessed) in self.skills.items()
            ],
            "awardingBodies": [body.to_dict() for body in self.bodies],
        }


def _plain(number: Decimal | None) -> str | None:
    return None if number is None else format(number.normalize(), "f")


def _proven(achievement: Mapping[str, Any]) -> bool:
    return any("LearningAssessment" in types(p) for p in objects(achievement.get("provenBy")))


def credential_facts(credential: Mapping[str, Any], report: Report) -> Facts:
    """The facts of ``credential`` (every claim counted: EQF levels, fields, ECTS summed over
    claims, skills of every outcome), with its awarding bodies as ``report`` vouched for them."""
    levels: list[int] = []
    fields: list[str] = []
    ects: Decimal | None = None
    volume: Decimal | None = None
    skills: dict[str, tuple[str, bool]] = {}
    achievements = claims(credential)
    for achievement in achievements:
        spec = specification(achievement)
        level = eqf_level(spec)
        if level is not None:
            levels.append(int(level))
        for area in objects(spec.get("thematicArea")) or [spec.get("thematicArea")]:
            code = isced_field(node_id(area))
            if code is not None:
                fields.append(code)
        credits = _ects_of(spec)
        if credits is not None:
            ects = (ects or Decimal(0)) + credits
        learning_hours = hours(spec.get("volumeOfLearning"))
        if learning_hours is not None:
            volume = (volume or Decimal(0)) + learning_hours
        proven = _proven(achievement)
        for outcome in objects(spec.get("learningOutcome")):
            for skill in objects(outcome.get("relatedESCOSkill")) or [
                {"id": outcome.get("relatedESCOSkill")}
            ]:
                iri = node_id(skill)
                if iri is None:
                    continue
                label = text(skill.get("prefLabel")) or iri
                before = skills.get(iri)
                skills[iri] = (label, proven or (before is not None and before[1]))
    person = subject(credential)
    name = title(credential)
    who = learner(credential)
    return Facts(
        id=node_id(credential),
        title=name.value if name is not None else (node_id(credential) or "?"),
        issuer=node_id(credential.get("issuer")),
        learner_id=node_id(person),
        learner_name=who.value if who is not None else None,
        date_of_birth=person.get("dateOfBirth")
        if isinstance(person.get("dateOfBirth"), str)
        else None,
        eqf_levels=tuple(levels),
        fields=tuple(dict.fromkeys(fields)),
        ects=ects,
        hours=volume,
        assessed=bool(achievements) and all(_proven(a) for a in achievements),
        issued=parse_date(issued(credential)),
        skills=skills,
        bodies=_bodies(credential, report),
    )


def _ects_of(spec: Mapping[str, Any]) -> Decimal | None:
    for credit in objects(spec.get("creditPoint")):
        if is_ects(credit):
            return decimal(credit.get("point"))
    return None


def _bodies(credential: Mapping[str, Any], report: Report) -> tuple[Body, ...]:
    """Every awarding body, with what the ``accreditation`` check found for it."""
    try:
        parties = report.result("accreditation").details.get("parties", [])
    except StopIteration:
        parties = []
    judged = {p.get("id"): p for p in parties if isinstance(p, Mapping)}
    found = []
    for body in awarding_bodies(credential):
        identifier = str(node_id(body))
        party = judged.get(identifier, {})
        vouched = party.get("vouched") is True
        found.append(
            Body(
                id=identifier,
                name=party.get("confirmedName") or organisation_name(body) or identifier,
                source=party.get("source") if vouched else None,
                accreditation_type=_record_type(party) if vouched else None,
                vouched_by=party.get("vouchedBy") if vouched else None,
                countries=body_facts(credential, body, identifier).countries - {"?"},
            )
        )
    return tuple(found)


def _record_type(party: Mapping[str, Any]) -> str | None:
    """The type (``dcType``) of the registry record that vouched for the party, if any."""
    for finding in party.get("findings", []):
        if finding.get("source") == "registry" and finding.get("vouched"):
            record = finding.get("assessment", {}).get("record") or {}
            kind = record.get("type")
            return kind if isinstance(kind, str) else None
    return None
