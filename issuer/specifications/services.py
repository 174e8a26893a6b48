"""Stored specifications of a partnership: create (after :mod:`issuer.specifications.rules`),
look up, list, and render them for the API and for the credential builder.

Services flush, never commit: the caller commits once the whole change succeeded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import Conflict, NotFound
from issuer.models import Partnership, Specification
from issuer.specifications.rules import SPECIFICATION_FIELDS, validate_specification
from schemas.elm.build import LearningOutcome, QualityAssurance
from schemas.elm.build import Organisation as OrganisationData
from schemas.elm.build import Specification as SpecificationData

__all__ = [
    "SPECIFICATION_FIELDS",
    "create_specification",
    "get_specification",
    "list_specifications",
    "specification_data",
    "specification_json",
    "validate_specification",
]


def create_specification(
    session: Session, partnership: Partnership, data: Any, *, base_url: str
) -> Specification:
    """Validate ``data`` (``InvalidInput`` listing every problem) and store it as a new
    specification of ``partnership``, whose URI is under ``base_url``; ``Conflict`` when the
    partnership has a specification of that slug already."""
    valid = validate_specification(data)
    slug = valid["slug"]
    exists = session.scalar(
        select(Specification).where(
            Specification.partnership_id == partnership.id, Specification.slug == slug
        )
    )
    if exists is not None:
        raise Conflict(f"specification {slug!r} exists already")
    specification = Specification(
        partnership_id=partnership.id,
        slug=slug,
        uri=f"{base_url.rstrip('/')}/specifications/{partnership.slug}/{slug}",
        title=valid["title"],
        description=valid.get("description"),
        learning_outcomes=valid["learningOutcomes"],
        ects=valid["ects"],
        volume_of_learning=valid["volumeOfLearning"],
        eqf_level=valid["eqfLevel"],
        isced_field=valid["iscedField"],
        isced_label=valid["iscedLabel"],
        assessment_type=valid["assessmentType"],
        participation_mode=valid["participationMode"],
        learning_setting=valid.get("learningSetting", "non-formal"),
        quality_assurance=valid["qualityAssurance"],
        prerequisites=valid.get("prerequisites"),
        language=valid.get("language", "ENG"),
    )
    session.add(specification)
    session.flush()
    return specification


def get_specification(session: Session, partnership_id: int, slug: str) -> Specification:
    """The partnership's specification ``slug``; ``NotFound`` (``unknown_specification``)
    otherwise."""
    specification = session.scalar(
        select(Specification).where(
            Specification.partnership_id == partnership_id, Specification.slug == slug
        )
    )
    if specification is None:
        raise NotFound(
            f"no specification {slug!r} in this partnership", code="unknown_specification"
        )
    return specification


def list_specifications(session: Session, partnership_id: int) -> list[Specification]:
    """The partnership's specifications, by slug."""
    return list(
        session.scalars(
            select(Specification)
            .where(Specification.partnership_id == partnership_id)
            .order_by(Specification.slug)
        )
    )


def specification_json(specification: Specification) -> dict[str, Any]:
    """The API JSON of a stored specification (the shape ``validate_specification`` takes,
    with its ``uri``; ``ects`` as decimal text)."""
    data: dict[str, Any] = {
        "slug": specification.slug,
        "uri": specification.uri,
        "title": specification.title,
        "learningOutcomes": specification.learning_outcomes,
        "ects": str(specification.ects.normalize()),
        "volumeOfLearning": specification.volume_of_learning,
        "eqfLevel": specification.eqf_level,
        "iscedField": specification.isced_field,
        "iscedLabel": specification.isced_label,
        "assessmentType": specification.assessment_type,
        "participationMode": specification.participation_mode,
        "learningSetting": specification.learning_setting,
        "qualityAssurance": specification.quality_assurance,
        "language": specification.language,
    }
    if specification.description:
        data["description"] = specification.description
    if specification.prerequisites:
        data["prerequisites"] = specification.prerequisites
    return data


def specification_data(specification: Specification) -> SpecificationData:
    """The stored specification as the credential builder wants it."""
    qa = specification.quality_assurance
    agent = qa["agent"]
    return SpecificationData(
        id=specification.uri,
        title=specification.title,
        description=specification.description,
        learning_outcomes=[
            LearningOutcome(
                title=outcome["title"],
                esco_skills=[(s["id"], s["label"]) for s in outcome.get("escoSkills", [])],
            )
            for outcome in specification.learning_outcomes
        ],
        ects=Decimal(specification.ects).normalize(),
        volume_of_learning=specification.volume_of_learning,
        eqf_level=specification.eqf_level,
        isced_field=specification.isced_field,
        isced_label=specification.isced_label,
        assessment_type=specification.assessment_type,
        participation_mode=specification.participation_mode,
        learning_setting=specification.learning_setting,
        quality_assurance=QualityAssurance(
            title=qa["title"],
            type_iri=qa["typeIri"],
            type_label=qa["typeLabel"],
            agent=OrganisationData(
                id=agent["id"],
                legal_name=agent["legalName"],
                country=agent["country"],
                country_label=agent["countryLabel"],
            ),
        ),
        prerequisites=specification.prerequisites,
        language=specification.language,
    )
