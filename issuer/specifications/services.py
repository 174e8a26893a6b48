"""Stored specifications of a partnership: create (after :mod:`issuer.specifications.rules`),
look up, list, and render them for the API and for the credential builder.

Services flush, never commit: the caller commits once the whole change succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from issuer.db import as_stored
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import Partnership, Specification
from issuer.partnerships.services import organisation_data
from issuer.specifications.rules import SPECIFICATION_FIELDS, validate_specification
from schemas.elm.build import (
    Award,
    Learner,
    LearningOutcome,
    QualityAssurance,
    build_microcredential,
)
from schemas.elm.build import Organisation as OrganisationData
from schemas.elm.build import Specification as SpecificationData

__all__ = [
    "SPECIFICATION_FIELDS",
    "check_shapes",
    "create_specification",
    "decimal_text",
    "get_specification",
    "list_specifications",
    "specification_data",
    "specification_json",
    "validate_specification",
]


def decimal_text(value: Decimal | str) -> str:
    """A decimal as plain text without trailing zeros or an exponent: ``10.00`` → ``10``
    (``str(Decimal("10.00").normalize())`` would give ``1E+1``), ``7.50`` → ``7.5``."""
    return format(Decimal(value).normalize(), "f")


def create_specification(
    session: Session,
    partnership: Partnership,
    data: Any,
    *,
    base_url: str,
    shapes: str | None = None,
) -> Specification:
    """Validate ``data`` (``InvalidInput`` listing every problem) and store it as a new
    specification of ``partnership``, whose URI is under ``base_url``; ``Conflict`` when the
    partnership has a specification of that slug already.

    With ``shapes`` (the EDC SHACL shapes files, :func:`issuer.config.edc_shapes`), sample
    credentials of the specification are checked against them first (see
    :func:`check_shapes`): ``InvalidInput`` ``shacl_violation`` when one does not conform.
    """
    valid = validate_specification(data)
    slug = valid["slug"]
    exists = session.scalar(
        select(Specification).where(
            Specification.partnership_id == partnership.id, Specification.slug == slug
        )
    )
    if exists is not None:
        raise Conflict(f"specification {slug!r} exists already")
    stacking = _stacking_rule(session, partnership, slug, valid.get("stacking"))
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
        stacking=stacking,
    )
    if shapes:
        check_shapes(specification, partnership, shapes)
    session.add(specification)
    session.flush()
    return specification


def _stacking_rule(
    session: Session, partnership: Partnership, slug: str, rule: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The stacking rule as stored (``minEcts`` as decimal text), after checking that every
    part is a plain (not stackable) specification of the partnership other than ``slug``:
    ``InvalidInput`` ``unknown_part_specification`` naming the others."""
    if rule is None:
        return None
    found = {
        spec.slug: spec
        for spec in session.scalars(
            select(Specification).where(
                Specification.partnership_id == partnership.id,
                Specification.slug.in_(rule["parts"]),
            )
        )
    }
    wrong = [
        part
        for part in rule["parts"]
        if part == slug or part not in found or found[part].stacking is not None
    ]
    if wrong:
        raise InvalidInput(
            "every part of a stackable award must be a micro-credential specification of the "
            "partnership (not a stackable award itself)",
            code="unknown_part_specification",
            details={"fields": {"stacking": f"not a plain specification here: {wrong}"}},
        )
    return {
        "parts": list(rule["parts"]),
        "minParts": rule["minParts"],
        "minEcts": decimal_text(rule["minEcts"]),
    }


_SPECIFICATIONS = cast(Table, Specification.__table__)
# Built once, read with Core: the ORM's query costs several times the statement (every
# issuance over the API reads its specification).
_SPECIFICATION_BY_SLUG = select(*_SPECIFICATIONS.c).where(
    _SPECIFICATIONS.c.partnership_id == bindparam("partnership_id"),
    _SPECIFICATIONS.c.slug == bindparam("slug"),
)


def get_specification(session: Session, partnership_id: int, slug: str) -> Specification:
    """The partnership's specification ``slug`` (an object of ``session``); ``NotFound``
    (``unknown_specification``) otherwise."""
    row = (
        session.connection()
        .execute(_SPECIFICATION_BY_SLUG, {"partnership_id": partnership_id, "slug": slug})
        .first()
    )
    if row is None:
        raise NotFound(
            f"no specification {slug!r} in this partnership", code="unknown_specification"
        )
    return as_stored(session, Specification, row._asdict())


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
        "ects": decimal_text(specification.ects),
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
    if specification.stacking is not None:
        data["stacking"] = specification.stacking
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
        ects=Decimal(decimal_text(specification.ects)),
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


#: The organisation a sample credential names when the partnership has none yet.
SAMPLE_ORGANISATION = OrganisationData(
    id="did:web:sample.example",
    legal_name="Sample organisation",
    country="BEL",
    country_label="Belgium",
)
SAMPLE_LEARNER = Learner(
    given_name="Sample",
    family_name="Learner",
    id="urn:microcred:learner:sample",
    email="learner@sample.example",
)


def sample_awards(
    specification: Specification, organisations: Sequence[OrganisationData]
) -> dict[str, Award]:
    """Sample awards of ``specification``: ``single`` (by the first organisation, or
    :data:`SAMPLE_ORGANISATION`) and, with two organisations or more, ``joint`` (by all)."""
    bodies = list(organisations) or [SAMPLE_ORGANISATION]
    data = specification_data(specification)
    moment = datetime(2026, 1, 1, tzinfo=UTC)

    def award(name: str, awarding: Sequence[OrganisationData]) -> Award:
        return Award(
            credential_id=f"urn:microcred:sample:{name}",
            specification=data,
            learner=SAMPLE_LEARNER,
            issuer=awarding[0],
            awarding_bodies=awarding,
            issued=moment,
            grade="Pass",
        )

    awards = {"single": award("single", bodies[:1])}
    if len(bodies) > 1:
        awards["joint"] = award("joint", bodies)
    return awards


def check_shapes(specification: Specification, partnership: Partnership, shapes: str) -> None:
    """Check the sample credentials of ``specification`` (:func:`sample_awards`, with the
    partnership's organisations) against the SHACL ``shapes`` files; ``InvalidInput``
    ``shacl_violation`` whose ``details.violations`` name the sample, shape, node and path of
    each violation. Takes a fraction of a second a sample (pySHACL)."""
    from schemas.elm.shacl import validate  # pySHACL loads slowly: only when checking

    organisations = [
        organisation_data(o) for o in sorted(partnership.organisations, key=lambda o: o.id or 0)
    ]
    problems = [
        {
            "sample": name,
            "shape": violation.shape,
            "component": violation.component,
            "focusNode": violation.focus_node,
            "path": violation.path,
            "message": violation.message,
        }
        for name, award in sample_awards(specification, organisations).items()
        for violation in validate(build_microcredential(award), shapes)
    ]
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"a credential of this specification would not conform to the EDC shapes: "
            f"{first['shape']} at {first['path'] or first['focusNode']}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            code="shacl_violation",
            details={"violations": problems},
        )
