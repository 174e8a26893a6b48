"""Credentials that are not micro-credentials, made by editing a micro-credential's claim.

Each function takes a European Digital Credential carrying one micro-credential (the EU's Annex I
sample, or one of ours) and returns a changed deep copy; every term used is defined by the EDC
context, so the results pass strict JSON-LD expansion and can be signed and verified.
"""

from __future__ import annotations

import copy
from typing import Any

DIPLOMA_SUPPLEMENT = "http://data.europa.eu/snb/credential/6dff8a0f87"
ACCREDITATION_PROFILE = "http://data.europa.eu/snb/credential/c_ae121a00"


def _claim(credential: dict[str, Any]) -> dict[str, Any]:
    claim: dict[str, Any] = credential["credentialSubject"]["hasClaim"]
    return claim


def degree(credential: dict[str, Any]) -> dict[str, Any]:
    """A bachelor's degree: 180 ECTS credits, a full (not partial) qualification."""
    document = copy.deepcopy(credential)
    claim = _claim(document)
    title = {"en": "Bachelor of Science in Digital Media"}
    claim["title"] = title
    specification = claim["specifiedBy"]
    specification["title"] = title
    specification["creditPoint"]["point"] = "180"
    specification["volumeOfLearning"] = "PT4500H"
    specification["isPartialQualification"] = False
    return document


def transcript(credential: dict[str, Any]) -> dict[str, Any]:
    """A transcript of records: two course achievements side by side."""
    document = copy.deepcopy(credential)
    first = _claim(document)
    second = copy.deepcopy(first)
    second["id"] = f"{first['id']}-2"
    second["title"] = {"en": "Databases"}
    document["credentialSubject"]["hasClaim"] = [first, second]
    return document


def degree_with_courses(credential: dict[str, Any]) -> dict[str, Any]:
    """One achievement made of two course achievements (``hasPart``), as a transcript is."""
    document = copy.deepcopy(credential)
    claim = _claim(document)
    claim["hasPart"] = [
        {
            "id": f"{claim['id']}-course-{n}",
            "type": "LearningAchievement",
            "title": {"en": f"Course {n}"},
            "awardedBy": claim["awardedBy"],
        }
        for n in (1, 2)
    ]
    return document


def certificate_of_participation(credential: dict[str, Any]) -> dict[str, Any]:
    """A certificate of participation: the claim is a ``LearningActivity``, not an achievement."""
    document = copy.deepcopy(credential)
    claim = _claim(document)
    document["credentialSubject"]["hasClaim"] = {
        "id": "urn:epass:learningActivity:1",
        "type": "LearningActivity",
        "title": {"en": "Summer school on digital credentials"},
        "awardedBy": claim["awardedBy"],
        "workload": "PT30H",
        "temporal": {
            "id": "urn:epass:period:1",
            "type": "PeriodOfTime",
            "startDate": "2022-07-01T00:00:00Z",
            "endDate": "2022-07-05T00:00:00Z",
        },
        "specifiedBy": {
            "id": "urn:epass:learningActivitySpec:1",
            "type": "LearningActivitySpecification",
            "title": {"en": "Summer school"},
            "mode": claim["specifiedBy"]["mode"],
        },
    }
    return document


def with_profile(credential: dict[str, Any], profile: str, label: str) -> dict[str, Any]:
    """The credential with ``credentialProfiles`` the concept ``profile``."""
    document = copy.deepcopy(credential)
    document["credentialProfiles"] = {
        "id": profile,
        "type": "Concept",
        "inScheme": {"id": "http://data.europa.eu/snb/credential/25831c2", "type": "ConceptScheme"},
        "prefLabel": {"en": label},
    }
    return document


def diploma_supplement(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential under the Diploma Supplement profile."""
    return with_profile(credential, DIPLOMA_SUPPLEMENT, "Diploma Supplement")


def plain_vc2() -> dict[str, Any]:
    """A W3C Verifiable Credential 2.0 that is no European Learning Model credential."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }
