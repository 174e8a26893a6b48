"""The rules of a micro-credential specification, as ONE pydantic model.

:class:`SpecificationInput` is the specification's JSON (the API's shape): the EU standard
elements of Annex I of the Council Recommendation of 16 June 2022. The same model validates
(:func:`validate_specification`, used by the API, the staff pages and the CLI) and documents
(the API's ``SpecificationInput`` schema in ``/openapi.json``).

Refusals keep one shape: ``InvalidInput`` whose ``details.fields`` maps every missing member to
``"required"`` and every malformed one to a sentence saying what it must be, so a caller fixes
everything in one go. Patterns match as Python's ``re.match`` does (``regex_engine``), as the
rules always have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from issuer.errors import InvalidInput
from schemas.elm.vocab import ESCO_SKILL, EU_LANGUAGE_TAGS, LEARNING_SETTINGS, PARTICIPATION_MODES

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
COUNTRY = r"^[A-Z]{3}$"
DURATION = r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"
ISCED = r"^\d{2,4}$"
#: Text with something besides white space (``str.strip()`` leaves something).
NOT_BLANK = r"^\s*\S"
MAX_DURATION = 40  # specifications.volume_of_learning
MAX_ISCED_LABEL = 300  # specifications.isced_label
MAX_ECTS = 180

#: The members every specification has (Annex I): blank or absent is ``"required"``.
SPECIFICATION_FIELDS = (
    "slug",
    "title",
    "learningOutcomes",
    "ects",
    "volumeOfLearning",
    "eqfLevel",
    "iscedField",
    "iscedLabel",
    "assessmentType",
    "participationMode",
    "qualityAssurance",
)
_BLANK: tuple[Any, ...] = (None, "", [], {})


class _Rules(BaseModel):
    model_config = ConfigDict(extra="ignore", regex_engine="python-re")


NotBlank = Annotated[str, Field(pattern=NOT_BLANK)]
#: A language-map key: the two-letter tag of one of the EU's 24 official languages.
EuLanguage = Literal[tuple(EU_LANGUAGE_TAGS)]  # type: ignore[valid-type]


def _as_language_map(value: str | dict[str, str]) -> dict[str, str]:
    return {"en": value} if isinstance(value, str) else dict(value)


#: Text in English, or a language map (EU language tag → text); answers give a language map.
TextOrMap = Annotated[
    NotBlank | Annotated[dict[EuLanguage, NotBlank], Field(min_length=1)],
    AfterValidator(_as_language_map),
    Field(
        description='Text in English, or a language map of EU languages such as {"en": "…", '
        '"da": "…", "de": "…"}.'
    ),
]


def _ects(value: Any) -> Any:
    """ECTS as a Decimal from a number or decimal text; ``ValueError`` for anything else."""
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(str(error) or "malformed") from None


def _integral(value: Any) -> Any:
    """8.0 is an integer in JSON (and JSON Schema); ``True`` is not a number here."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("eqfLevel must be an integer from 1 to 8")
    return value


def _whole(value: Any) -> Any:
    """A whole number (8.0 counts, ``True`` does not)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("stacking.minParts must be a whole number")
    return value


class EscoSkill(_Rules):
    """An ESCO skill a learning outcome refers to."""

    id: Annotated[str, Field(pattern="^" + re.escape(ESCO_SKILL), description="An ESCO skill IRI.")]
    label: str


class LearningOutcomeInput(_Rules):
    """A learning outcome: its title and the ESCO skills it refers to."""

    title: TextOrMap
    escoSkills: list[EscoSkill] = Field(default_factory=list)


def _outcomes(items: list[Any]) -> list[dict[str, Any]]:
    normalised = []
    for item in items:
        outcome = LearningOutcomeInput(title=item) if isinstance(item, str) else item
        normalised.append(outcome.model_dump())
    return normalised


class Agent(_Rules):
    """The body that assures the quality of the specification."""

    id: Annotated[str, Field(min_length=1)]
    legalName: Annotated[str, Field(min_length=1)]
    country: Annotated[str, Field(min_length=1, pattern=COUNTRY)]
    countryLabel: Annotated[str, Field(min_length=1)]


class QualityAssuranceInput(_Rules):
    """The quality assurance of the specification (Annex I)."""

    title: TextOrMap
    typeIri: str
    typeLabel: str
    agent: Agent


MAX_PARTS = 50


class StackingRule(_Rules):
    """What makes a specification a stackable award: credentials of which of the partnership's
    specifications may be its parts (``parts``, by slug), how many distinct ones a learner
    needs (``minParts``) and the ECTS those parts must add up to at least (``minEcts``)."""

    parts: Annotated[
        list[Annotated[str, Field(pattern=SLUG)]],
        Field(
            min_length=1,
            max_length=MAX_PARTS,
            json_schema_extra={"uniqueItems": True},
            description="Slugs of the specifications whose credentials qualify.",
        ),
    ]
    minParts: Annotated[
        int,
        BeforeValidator(_whole),
        Field(ge=1, le=MAX_PARTS, description="How many distinct qualifying credentials."),
    ]
    minEcts: Annotated[
        Decimal,
        BeforeValidator(_ects),
        Field(ge=0, le=MAX_ECTS, description="ECTS the parts add up to at least (default 0)."),
    ] = Decimal(0)

    @model_validator(mode="after")
    def _consistent(self) -> StackingRule:
        if len(set(self.parts)) != len(self.parts):
            raise ValueError("stacking.parts names a specification more than once")
        if self.minParts > len(self.parts):
            raise ValueError("stacking.minParts cannot exceed the number of parts")
        return self


class SpecificationInput(_Rules):
    """A micro-credential specification: the EU standard elements (Council Recommendation of
    16 June 2022, Annex I) every award of it carries. An optional member given as null counts
    as absent; members not named here are ignored."""

    slug: Annotated[str, Field(pattern=SLUG, description="1-64 lower-case letters, digits, -")]
    title: TextOrMap
    description: TextOrMap | None = None
    learningOutcomes: Annotated[
        list[NotBlank | LearningOutcomeInput], Field(min_length=1), AfterValidator(_outcomes)
    ]
    ects: Annotated[
        Decimal,
        BeforeValidator(_ects),
        Field(gt=0, le=MAX_ECTS, description="ECTS credit points (0 < ects ≤ 180)."),
    ]
    volumeOfLearning: Annotated[
        str,
        Field(max_length=MAX_DURATION, pattern=DURATION, description="ISO 8601, e.g. PT125H"),
    ]
    eqfLevel: Annotated[int, BeforeValidator(_integral), Field(ge=1, le=8)]
    iscedField: Annotated[str, Field(pattern=ISCED, description="ISCED-F 2013, e.g. 0688")]
    iscedLabel: Annotated[str, Field(max_length=MAX_ISCED_LABEL, pattern=NOT_BLANK)]
    assessmentType: TextOrMap
    participationMode: Literal[tuple(PARTICIPATION_MODES)]  # type: ignore[valid-type]
    learningSetting: Literal[tuple(LEARNING_SETTINGS)] | None = None  # type: ignore[valid-type]
    qualityAssurance: QualityAssuranceInput
    prerequisites: TextOrMap | None = None
    language: Annotated[str, Field(pattern=COUNTRY, description="e.g. ENG")] | None = None
    stacking: Annotated[
        StackingRule | None,
        Field(description="Set for a stackable award: which credentials stack into it."),
    ] = None


_LANGUAGE_MAP = (
    "must be a non-empty string or a language map of EU languages (en, da, de, …) to non-empty text"
)
#: The problem reported for a malformed member (when its rule says no more).
MESSAGES = {
    "slug": "slug must be lower-case letters, digits and hyphens (1-64)",
    "title": f"title {_LANGUAGE_MAP}",
    "description": f"description {_LANGUAGE_MAP}",
    "ects": f"ECTS must be a positive number up to {MAX_ECTS}",
    "volumeOfLearning": "volumeOfLearning must be an ISO 8601 duration such as PT125H",
    "eqfLevel": "eqfLevel must be an integer from 1 to 8",
    "iscedField": "iscedField must be an ISCED-F 2013 code such as 0688",
    "iscedLabel": f"iscedLabel must be a non-empty string of at most {MAX_ISCED_LABEL}",
    "assessmentType": f"assessmentType {_LANGUAGE_MAP}",
    "participationMode": f"participationMode must be one of {sorted(PARTICIPATION_MODES)}",
    "learningSetting": f"learningSetting must be one of {sorted(LEARNING_SETTINGS)}",
    "prerequisites": f"prerequisites {_LANGUAGE_MAP}",
    "language": "language must be an EU language code such as ENG",
    "stacking": "stacking must be {parts: [specification slugs], minParts, minEcts?}",
}
_CHOICES = {"participationMode": PARTICIPATION_MODES, "learningSetting": LEARNING_SETTINGS}


def _outcome_problem(errors: list[ErrorDetails], items: Any) -> str:
    if any(len(e["loc"]) == 1 for e in errors):
        return "learningOutcomes must be a non-empty list"
    number = min(int(e["loc"][1]) for e in errors)
    item = items[number]
    if not isinstance(item, str | Mapping):
        return f"learning outcome {number + 1} must be an object or a string"
    if isinstance(item, Mapping) and any(
        e["loc"][1:4] == (number, "LearningOutcomeInput", "escoSkills") for e in errors
    ):
        return f"learning outcome {number + 1}: escoSkills must be [{{id: ESCO skill IRI, label}}]"
    return f"learning outcome {number + 1} title {_LANGUAGE_MAP}"


def _quality_problem(errors: list[ErrorDetails]) -> str:
    locs = [(e["loc"][1:], e["type"]) for e in errors]
    if any(not loc for loc, _type in locs):
        return "qualityAssurance must be an object"
    if any(loc[0] == "agent" and loc[1:] != ("country",) for loc, _type in locs) or any(
        loc == ("agent", "country") and kind != "string_pattern_mismatch" for loc, kind in locs
    ):
        return "qualityAssurance.agent needs id, legalName, country, countryLabel"
    if any(loc[0] == "agent" for loc, _type in locs):
        return "qualityAssurance.agent.country must be a country code such as DNK"
    if any(loc[0] in ("typeIri", "typeLabel") for loc, _type in locs):
        return "qualityAssurance needs typeIri and typeLabel"
    return f"qualityAssurance.title {_LANGUAGE_MAP}"


def _problem(field: str, errors: list[ErrorDetails], data: Mapping[str, Any]) -> str:
    """The sentence for a malformed ``field``, from pydantic's errors about it."""
    if field == "learningOutcomes":
        return _outcome_problem(errors, data[field])
    if field == "qualityAssurance":
        return _quality_problem(errors)
    if field in _CHOICES:
        try:
            data[field] in _CHOICES[field]  # noqa: B015 (an unhashable value says so)
        except TypeError as error:
            return str(error)
    for error in errors:
        if error["type"] == "value_error" and "error" in error.get("ctx", {}):
            return str(error["ctx"]["error"])
    return MESSAGES[field]


def problems(error: ValidationError, data: Mapping[str, Any]) -> dict[str, str]:
    """Every missing (``"required"``) or malformed member of ``data``, as the API reports them:
    missing members first (in :data:`SPECIFICATION_FIELDS` order), then the malformed ones in
    the model's order."""
    by_field: dict[str, list[ErrorDetails]] = {}
    for detail in error.errors():
        by_field.setdefault(str(detail["loc"][0]), []).append(detail)
    found = {f: "required" for f in SPECIFICATION_FIELDS if data.get(f) in _BLANK}
    for field in SpecificationInput.model_fields:
        if field in by_field and field not in found:
            found[field] = _problem(field, by_field[field], data)
    return found


def validate_specification(data: Any) -> dict[str, Any]:
    """Check a specification's JSON (the API's shape) against :class:`SpecificationInput` and
    return it normalised: text as language maps, ``ects`` a Decimal, learning outcomes as
    objects, only the members given (not null).

    Raises ``InvalidInput`` (``invalid_input``) whose ``details.fields`` lists every missing or
    malformed member, or without details when ``data`` is not a JSON object.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("a specification must be a JSON object")
    try:
        valid = SpecificationInput.model_validate(dict(data))
    except ValidationError as error:
        raise InvalidInput(
            "the specification is missing or has malformed fields",
            details={"fields": problems(error, data)},
        ) from None
    # the validators normalise (text to language maps, outcomes to objects): no type warnings
    return valid.model_dump(exclude_none=True, warnings=False)
