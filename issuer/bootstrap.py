"""The demo partnership in the database: two universities and an employer, one specification,
and an API token per role. ``make run`` and the tests start from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from issuer.auth import create_token
from issuer.models import Organisation, Partnership, Role, Specification
from issuer.partnerships import add_organisation, create_partnership, create_specification

DEMO_PARTNERSHIP = ("green-skills-alliance", "Green Skills Alliance")
DEMO_ORGANISATIONS = [
    # slug, legal name, country, country label, identifier
    ("aarhus-demo-university", "Aarhus Demo University", "DNK", "Denmark", "DK AARHUS01"),
    ("lyon-demo-university", "Université de Lyon (démo)", "FRA", "France", "F LYON100"),
    ("nordic-wind-employer", "Nordic Wind A/S (demo employer)", "DNK", "Denmark", "DK12345678"),
]

DEMO_SPECIFICATION: dict[str, Any] = {
    "slug": "green-data-analytics",
    "title": {"en": "Green Data Analytics", "da": "Grøn dataanalyse"},
    "description": {"en": "Analysing energy and emissions data to support sustainable decisions."},
    "learningOutcomes": [
        {
            "title": {"en": "Collect and clean energy consumption data"},
            "escoSkills": [
                {
                    "id": "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a",
                    "label": "develop digital content",
                }
            ],
        },
        {"title": {"en": "Model emissions with statistical methods"}, "escoSkills": []},
        {
            "title": {"en": "Communicate findings to decision makers"},
            "escoSkills": [
                {
                    "id": "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
                    "label": "communicate with target community",
                }
            ],
        },
    ],
    "ects": "5",
    "volumeOfLearning": "PT125H",
    "eqfLevel": 6,
    "iscedField": "0688",
    "iscedLabel": "Inter-disciplinary programmes involving ICTs",
    "assessmentType": {"en": "Written project report with oral defence"},
    "participationMode": "blended",
    "learningSetting": "non-formal",
    "qualityAssurance": {
        "title": {"en": "Institutional accreditation"},
        "typeIri": "urn:microcred:concept:accreditation:institutional",
        "typeLabel": "Institutional accreditation",
        "agent": {
            "id": "did:web:agency.example",
            "legalName": "Danish Accreditation Institution",
            "country": "DNK",
            "countryLabel": "Denmark",
        },
    },
    "prerequisites": {"en": "Basic statistics (EQF 5 or equivalent)."},
    "language": "ENG",
}


@dataclass
class Demo:
    """What the demo consists of, with the secret of each token (shown only here)."""

    partnership: Partnership
    organisations: list[Organisation]
    specification: Specification
    tokens: dict[str, str] = field(default_factory=dict)  # "<org-slug>:<role>" → secret


def create_demo(session: Session, *, base_url: str, passphrase: bytes) -> Demo:
    """Create the demo partnership, its three organisations (each with a key), the demo
    specification and tokens (admin, issuer, viewer for each organisation)."""
    partnership = create_partnership(session, *DEMO_PARTNERSHIP)
    organisations = [
        add_organisation(
            session,
            partnership,
            slug=slug,
            legal_name=name,
            country=country,
            country_label=label,
            identifier=identifier,
            base_url=base_url,
            passphrase=passphrase,
        )
        for slug, name, country, label, identifier in DEMO_ORGANISATIONS
    ]
    specification = create_specification(
        session, partnership, DEMO_SPECIFICATION, base_url=base_url
    )
    demo = Demo(partnership, organisations, specification)
    for organisation in organisations:
        for role in Role:
            _, secret = create_token(session, organisation, role, f"{organisation.slug}-{role}")
            demo.tokens[f"{organisation.slug}:{role.value}"] = secret
    return demo
