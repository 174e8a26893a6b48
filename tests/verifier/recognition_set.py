"""Real, signed micro-credentials and a signed accreditation registry for the recognition tests:
a VET provider's EQF 5 micro-credentials (the permeability example of docs/recognition.md), a
university in another country, each accredited in the registry with the kind of provider it
is (the record's ``dcType``). Built with the project's builders (``demo.reference``,
``schemas.elm.build``, ``verifier.registry.author``) and did:key keys."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from demo.reference import demo_award, demo_organisation, reference_keypair
from keys.keypairs import KeyPair
from keys.proof import add_proof
from keys.resolver import DidResolver
from schemas.elm.build import LearningOutcome, build_microcredential
from verifier.recognition.rules import Rule, load_rule_file
from verifier.registry.author import agencies_credential, bundle, record_credential, sign
from verifier.registry.load import load_registry
from verifier.registry.model import AccreditationRegistry

ROOT = Path(__file__).resolve().parents[2]
VET_RULE = ROOT / "docs" / "recognition" / "vet-to-bachelor.yaml"
MSC_RULE = ROOT / "docs" / "recognition" / "msc-elective.json"

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ISSUED = datetime(2026, 6, 30, 12, tzinfo=UTC)
REGISTRY_SIGNED_AT = datetime(2026, 1, 15, tzinfo=UTC)

AUTHORITY = reference_keypair(71)
AGENCY = reference_keypair(72)
VET = reference_keypair(81)  # Copenhagen Demo VET College, DNK
UNI = reference_keypair(82)  # Lund Demo University, SWE
SCHOOL = reference_keypair(83)  # a language school, accredited as such
STRANGER = reference_keypair(84)  # in no trust source

VET_TYPE = "urn:microcred:concept:accreditation:vet-provider"
HE_TYPE = "urn:microcred:concept:accreditation:higher-education-institution"
SCHOOL_TYPE = "urn:microcred:concept:accreditation:language-school"

ESCO = "http://data.europa.eu/esco/skill/"
DATABASES = (ESCO + "example-use-databases", "use databases")
PROGRAMMING = (ESCO + "example-computer-programming", "computer programming")
ANALYSIS = (ESCO + "example-perform-data-analysis", "perform data analysis")

NAMES = {
    VET: ("Copenhagen Demo VET College", "DNK", "Denmark"),
    UNI: ("Lund Demo University", "SWE", "Sweden"),
    SCHOOL: ("Demo Language School", "DNK", "Denmark"),
    STRANGER: ("Unknown Academy", "DNK", "Denmark"),
}


def vet_rule() -> Rule:
    """docs/recognition/vet-to-bachelor.yaml: EQF >= 5, ISCED-F 06, >= 10 ECTS, 2 of 3 skills."""
    return load_rule_file(VET_RULE)


def registry() -> AccreditationRegistry:
    """The authority recognises one agency (DNK, SWE); the agency accredits the VET college
    (EQF 4-5, a VET provider), the university (EQF 5-8) and the language school."""
    return load_registry(
        registry_document(),
        authority=str(AUTHORITY.controller),
        resolver=DidResolver(),
        now=NOW,
    )


def registry_document() -> dict[str, Any]:
    """The same registry as the JSON envelope a ``--registry`` file holds."""
    agencies = add_proof(
        agencies_credential(
            [{"id": AGENCY.controller, "name": "Nordic Demo Accreditation Agency",
              "jurisdictions": ["DNK", "SWE"]}],
            authority=str(AUTHORITY.controller),
            issued=REGISTRY_SIGNED_AT,
        ),
        AUTHORITY,
        created=REGISTRY_SIGNED_AT,
    )  # fmt: skip
    return bundle(
        agencies,
        [
            _record(VET, VET_TYPE, [4, 5]),
            _record(UNI, HE_TYPE, [5, 6, 7, 8]),
            _record(SCHOOL, SCHOOL_TYPE, [4, 5, 6]),
        ],
    )


def _record(organisation: KeyPair, kind: str, levels: list[int]) -> dict[str, Any]:
    name = NAMES[organisation][0]
    document = record_credential(
        {
            "organisation": {"id": organisation.controller, "name": name},
            "title": "Institutional accreditation",
            "dcType": kind,
            "issued": "2018-01-01",
            "expiryDate": "2030-12-31",
            "limitEQFLevel": levels,
        },
        agency=str(AGENCY.controller),
        issued=REGISTRY_SIGNED_AT,
    )
    return sign(document, AGENCY, created=REGISTRY_SIGNED_AT)


def micro_credential(
    provider: KeyPair,
    title: str,
    *,
    number: int,
    ects: str = "5",
    eqf: int = 5,
    field: str = "0613",
    skills: tuple[tuple[str, str], ...] = (),
    learner: int = 7,
    issued: datetime = ISSUED,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A micro-credential of ``provider`` to demo learner ``learner``, signed by its key."""
    name, country, label = NAMES[provider]
    body = demo_organisation(str(provider.controller), name, country, label)
    award = demo_award(body, [body], number=learner)
    spec = dataclasses.replace(
        award.specification,
        id=f"urn:microcred:spec:{provider.controller[-8:]}:{number}",
        title={"en": title},
        ects=Decimal(ects),
        eqf_level=eqf,
        isced_field=field,
        learning_outcomes=[
            LearningOutcome(title=f"{title}: outcome {n}", esco_skills=[skill])
            for n, skill in enumerate(skills, start=1)
        ]
        or [LearningOutcome(title=f"{title}: outcome")],
    )
    award = dataclasses.replace(
        award,
        credential_id=f"urn:uuid:00000000-0000-4000-9000-{number:012d}",
        specification=spec,
        issued=issued,
    )
    document = build_microcredential(award)
    if status is not None:
        document["@context"].insert(2, "https://www.w3.org/ns/credentials/status/v1")
        document["credentialStatus"] = status
    return add_proof(document, provider, created=issued)


def vet_set() -> list[dict[str, Any]]:
    """Three EQF 5 micro-credentials of the VET college, 14 ECTS, three skills."""
    return [
        micro_credential(VET, "Python programming", number=1, skills=(PROGRAMMING,)),
        micro_credential(VET, "Relational databases", number=2, skills=(DATABASES,)),
        micro_credential(VET, "Data visualisation", number=3, ects="4", skills=(ANALYSIS,)),
    ]
