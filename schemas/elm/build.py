"""Build a micro-credential as European Learning Model JSON-LD (EDC application profile style).

The input is plain data — the specification, the learner, the issuer and awarding bodies — and
the output an unsigned W3C Verifiable Credential that carries every EU standard element of a
micro-credential (Council Recommendation of 16 June 2022, Annex I). Building is pure: the same
input gives the same document, byte for byte once serialized.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from schemas.elm.display import individual_display, text_of
from schemas.elm.stack import StackPart, part_nodes
from schemas.elm.vocab import (
    ACCREDITATION,
    ACCREDITATION_SCHEME,
    COUNTRY,
    COUNTRY_SCHEME,
    CREDENTIAL_CONTEXT,
    CREDENTIAL_SCHEME,
    CREDENTIAL_TYPES,
    ECTS,
    EDC_GENERIC_FULL,
    EDUCATION_CREDIT_SCHEME,
    EQF,
    EQF_SCHEME,
    ESCO_SKILL,
    ESCO_SKILL_SCHEME,
    GENERIC_PROFILE,
    ISCED_F,
    ISCED_F_SCHEME,
    LANGUAGE,
    LANGUAGE_SCHEME,
    LEARNING_ASSESSMENT_SCHEME,
    LEARNING_SETTING_SCHEME,
    LEARNING_SETTINGS,
    PARTICIPATION_MODES,
    STATUS_LIST_V1,
)

LanguageMap = Mapping[str, str]
#: The grade of an award given none (the EDC shapes require one of every assessment).
DEFAULT_GRADE = "Passed"


def language_map(value: str | LanguageMap, language: str = "en") -> dict[str, str]:
    """A language map from a plain string (tagged ``language``) or an existing map."""
    return {language: value} if isinstance(value, str) else dict(value)


def concept(iri: str, label: str | LanguageMap, scheme: str | None = None) -> dict[str, Any]:
    """An ELM ``Concept`` node of a controlled vocabulary."""
    node: dict[str, Any] = {"id": iri, "type": "Concept", "prefLabel": language_map(label)}
    if scheme:
        node["inScheme"] = {"id": scheme, "type": "ConceptScheme"}
    return node


@dataclass(frozen=True)
class Organisation:
    """An issuing or awarding organisation: its DID, legal name and country (ISO 3166 alpha-3).

    ``identifier`` is its legal (registry) identifier, such as a national business register
    number: the node's ``identifier`` and, with the country as its jurisdiction, its eIDAS legal
    identifier (the EDC shapes require one of the issuer). Without one, the DID stands in as
    the legal identifier's notation.
    """

    id: str
    legal_name: str | LanguageMap
    country: str
    country_label: str
    homepage: str | None = None
    identifier: str | None = None

    def country_concept(self) -> dict[str, Any]:
        """The organisation's country as a concept of the EU's country table."""
        return concept(COUNTRY + self.country, self.country_label, COUNTRY_SCHEME)

    def to_node(self) -> dict[str, Any]:
        """The ELM ``Organisation`` node: legal name, the address's country code and the eIDAS
        legal identifier (``identifier``, else the DID, in the organisation's country)."""
        node: dict[str, Any] = {
            "id": self.id,
            "type": "Organisation",
            "legalName": language_map(self.legal_name),
            "eIDASIdentifier": {
                "id": f"{self.id}#legal-identifier",
                "type": "LegalIdentifier",
                "notation": self.identifier or self.id,
                "spatial": self.country_concept(),
            },
            "location": {
                "id": f"{self.id}#location",
                "type": "Location",
                "address": {
                    "id": f"{self.id}#address",
                    "type": "Address",
                    "countryCode": self.country_concept(),
                },
            },
        }
        if self.identifier:
            node["identifier"] = {
                "id": f"{self.id}#identifier",
                "type": "Identifier",
                "notation": self.identifier,
            }
        if self.homepage:
            node["homepage"] = {
                "id": f"{self.id}#homepage",
                "type": "WebResource",
                "contentURL": self.homepage,
            }
        return node


@dataclass(frozen=True)
class LearningOutcome:
    """A learning outcome: its title and the ESCO skills it relates to (IRIs and labels)."""

    title: str | LanguageMap
    esco_skills: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class QualityAssurance:
    """How the micro-credential's quality is assured: an accreditation by an agency."""

    title: str | LanguageMap
    type_iri: str
    type_label: str
    agent: Organisation


@dataclass(frozen=True)
class Specification:
    """A micro-credential specification: the Annex I elements every award of it carries."""

    id: str
    title: str | LanguageMap
    learning_outcomes: Sequence[LearningOutcome]
    ects: Decimal
    volume_of_learning: str
    eqf_level: int
    isced_field: str
    isced_label: str
    assessment_type: str | LanguageMap
    participation_mode: str
    quality_assurance: QualityAssurance
    learning_setting: str = "non-formal"
    prerequisites: str | LanguageMap | None = None
    language: str = "ENG"
    description: str | LanguageMap | None = None


@dataclass(frozen=True)
class Learner:
    """The person the credential is awarded to."""

    given_name: str
    family_name: str
    id: str
    email: str | None = None
    date_of_birth: date | None = None

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class Award:
    """One award of a specification to a learner, by one or more awarding bodies."""

    credential_id: str
    specification: Specification
    learner: Learner
    issuer: Organisation
    awarding_bodies: Sequence[Organisation]
    issued: datetime
    grade: str | None = None
    valid_until: datetime | None = None
    status: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    #: The credentials a stacked award stacks (:mod:`schemas.elm.stack`); none for others.
    parts: Sequence[StackPart] = field(default_factory=tuple)


def xsd_datetime(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDThh:mm:ssZ``."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _language(code: str) -> dict[str, Any]:
    return concept(LANGUAGE + code, code, LANGUAGE_SCHEME)


def _scheme(iri: str, prefix: str, scheme: str) -> str | None:
    """``scheme`` for a concept of that EU vocabulary (``iri`` under ``prefix``); others (a
    partnership's own accreditation type, say) name no scheme rather than a wrong one."""
    return scheme if iri.startswith(prefix) and iri != scheme else None


def _qualification(spec: Specification) -> dict[str, Any]:
    mode_iri, mode_label = PARTICIPATION_MODES[spec.participation_mode]
    setting_iri, setting_label = LEARNING_SETTINGS[spec.learning_setting]
    qa = spec.quality_assurance
    node: dict[str, Any] = {
        "id": spec.id,
        "type": "Qualification",
        "title": language_map(spec.title),
        "eqfLevel": concept(f"{EQF}{spec.eqf_level}", f"Level {spec.eqf_level}", EQF_SCHEME),
        "thematicArea": concept(ISCED_F + spec.isced_field, spec.isced_label, ISCED_F_SCHEME),
        "creditPoint": {
            "id": f"{spec.id}#credit",
            "type": "CreditPoint",
            "framework": concept(
                ECTS, "European Credit Transfer System", EDUCATION_CREDIT_SCHEME
            ),
            "point": str(spec.ects),
        },
        "volumeOfLearning": spec.volume_of_learning,
        "mode": concept(mode_iri, mode_label, LEARNING_ASSESSMENT_SCHEME),
        "learningSetting": concept(setting_iri, setting_label, LEARNING_SETTING_SCHEME),
        "language": _language(spec.language),
        "learningOutcome": [
            {
                "id": f"{spec.id}#outcome-{n}",
                "type": "LearningOutcome",
                "title": language_map(outcome.title),
                **(
                    {
                        "relatedESCOSkill": [
                            concept(iri, label, _scheme(iri, ESCO_SKILL, ESCO_SKILL_SCHEME))
                            for iri, label in outcome.esco_skills
                        ]
                    }
                    if outcome.esco_skills
                    else {}
                ),
            }
            for n, outcome in enumerate(spec.learning_outcomes, start=1)
        ],
        "accreditation": {
            "id": f"{spec.id}#accreditation",
            "type": "Accreditation",
            "title": language_map(qa.title),
            "dcType": concept(
                qa.type_iri,
                qa.type_label,
                _scheme(qa.type_iri, ACCREDITATION, ACCREDITATION_SCHEME),
            ),
            "accreditingAgent": qa.agent.to_node(),
        },
    }
    if spec.description:
        node["description"] = language_map(spec.description)
    if spec.prerequisites:
        node["entryRequirement"] = {
            "id": f"{spec.id}#entry",
            "type": "Note",
            "noteLiteral": language_map(spec.prerequisites),
        }
    return node


def build_microcredential(award: Award) -> dict[str, Any]:
    """The unsigned credential for ``award``, carrying every Annex I element.

    Context order is VC v1, the EDC profile, then Data Integrity v2 (which defines the proof
    terms); the Bitstring Status List context is added when the award has status entries.
    """
    spec, learner = award.specification, award.learner
    issued = xsd_datetime(award.issued)
    claim_id = f"{award.credential_id}#achievement"
    awarding_process = {
        "id": f"{award.credential_id}#awarding",
        "type": "AwardingProcess",
        "awardingBody": [body.to_node() for body in award.awarding_bodies],
        "awardingDate": issued,
    }
    assessment: dict[str, Any] = {
        "id": f"{award.credential_id}#assessment",
        "type": "LearningAssessment",
        "title": language_map(spec.assessment_type),
        "awardedBy": awarding_process,
        "specifiedBy": {
            "id": f"{spec.id}#assessment",
            "type": "LearningAssessmentSpecification",
            "title": language_map(spec.assessment_type),
            "mode": concept(
                *PARTICIPATION_MODES[spec.participation_mode], LEARNING_ASSESSMENT_SCHEME
            ),
        },
    }
    # The EDC shapes require a grade: an award without one was passed, and says so.
    assessment["grade"] = {
        "id": f"{award.credential_id}#grade",
        "type": "Note",
        "noteLiteral": language_map(award.grade or DEFAULT_GRADE),
    }
    subject: dict[str, Any] = {
        "id": learner.id,
        "type": "Person",
        "givenName": language_map(learner.given_name),
        "familyName": language_map(learner.family_name),
        "fullName": language_map(learner.full_name),
        "hasClaim": {
            "id": claim_id,
            "type": "LearningAchievement",
            "title": language_map(spec.title),
            "awardedBy": awarding_process,
            "provenBy": assessment,
            "specifiedBy": _qualification(spec),
        },
    }
    if award.parts:
        subject["hasClaim"]["hasPart"] = part_nodes(award.credential_id, claim_id, award.parts)
    if learner.date_of_birth:
        subject["dateOfBirth"] = f"{learner.date_of_birth.isoformat()}T00:00:00Z"
    if learner.email:
        subject["contactPoint"] = {
            "id": f"{learner.id}#contact",
            "type": "ContactPoint",
            "emailAddress": {"id": f"mailto:{learner.email}", "type": "Mailbox"},
        }
    context = list(CREDENTIAL_CONTEXT)
    if award.status:
        context.insert(2, STATUS_LIST_V1)
    credential: dict[str, Any] = {
        "@context": context,
        "id": award.credential_id,
        "type": list(CREDENTIAL_TYPES),
        "credentialProfiles": concept(GENERIC_PROFILE, "Generic", CREDENTIAL_SCHEME),
        "credentialSchema": {"id": EDC_GENERIC_FULL, "type": "ShaclValidator2017"},
        "issuer": award.issuer.to_node(),
        "issuanceDate": issued,
        "issued": issued,
        "validFrom": issued,
        "credentialSubject": subject,
        "displayParameter": {
            "id": f"{award.credential_id}#display",
            "type": "DisplayParameter",
            "title": language_map(spec.title),
            "language": _language(spec.language),
            "primaryLanguage": _language(spec.language),
            "individualDisplay": individual_display(
                f"{award.credential_id}#display-{spec.language}",
                spec.language,
                title=text_of(spec.title),
                learner=learner.full_name,
                issuer=text_of(award.issuer.legal_name),
                date=issued[:10],
            ),
        },
    }
    if award.valid_until is not None:
        credential["validUntil"] = xsd_datetime(award.valid_until)
        credential["expirationDate"] = credential["validUntil"]
    if award.status:
        statuses = [dict(entry) for entry in award.status]
        credential["credentialStatus"] = statuses[0] if len(statuses) == 1 else statuses
    return credential
