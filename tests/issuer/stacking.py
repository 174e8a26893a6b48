"""A stackable award in the demo partnership, and parts issued for it: shared by
tests/issuer/test_stacking*.py, tests/issuer/test_shacl.py and
tests/integration/test_stacked_award.py; imports no verifier.

The award: "Certificate in Green Data", any 3 of 4 micro-credentials (the demo's Green Data
Analytics and three more of 5 ECTS each), at least 15 ECTS.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from demo.partnership import DEMO_SPECIFICATION
from issuer.db import transaction
from issuer.models import Partnership, Specification
from issuer.specifications.services import create_specification

from .conftest import BASE_URL
from .issuing import issue

AWARD = "certificate-green-data"
#: The parts' slugs: the demo's specification first.
PARTS = (
    DEMO_SPECIFICATION["slug"],
    "green-data-storage",
    "green-data-machine-learning",
    "green-data-policy",
)
TITLES = {
    "green-data-storage": {"en": "Sustainable Data Storage", "da": "Bæredygtig datalagring"},
    "green-data-machine-learning": {"en": "Energy-aware Machine Learning"},
    "green-data-policy": {"en": "Data for Climate Policy"},
}


def award_data(**stacking: Any) -> dict[str, Any]:
    """The award's specification: the demo's elements, its own title and 15 ECTS, and the
    stacking rule (3 of :data:`PARTS`, at least 15 ECTS, unless ``stacking`` says otherwise)."""
    return {
        **DEMO_SPECIFICATION,
        "slug": AWARD,
        "title": {"en": "Certificate in Green Data", "da": "Certifikat i grønne data"},
        "ects": "15",
        "volumeOfLearning": "PT375H",
        "stacking": {"parts": list(PARTS), "minParts": 3, "minEcts": 15, **stacking},
    }


def add_stack(app, demo, **stacking: Any) -> None:
    """Add the three more parts and the award to the demo partnership (committed)."""
    with transaction(app) as session:
        partnership = session.get(Partnership, demo.partnership.id)
        for slug, title in TITLES.items():
            create_specification(
                session,
                partnership,
                {**DEMO_SPECIFICATION, "slug": slug, "title": title},
                base_url=BASE_URL,
            )
        create_specification(session, partnership, award_data(**stacking), base_url=BASE_URL)


def issue_part(app, demo, slug: str, **options: Any):
    """Issue the part ``slug`` (as :func:`tests.issuer.issuing.issue`, to Ana unless
    ``learner=``): (row id, uri, document text, the issuance's result)."""

    def specification(session):
        return session.scalar(
            select(Specification).where(
                Specification.partnership_id == demo.partnership.id, Specification.slug == slug
            )
        )

    return issue(app, demo, specification=specification, **options)
