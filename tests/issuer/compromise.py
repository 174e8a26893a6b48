"""The demo partnership's credentials and audit log, as the key compromise tests use them:
shared by tests/issuer/test_key_compromise.py and
tests/integration/test_key_compromise_verification.py; imports no verifier."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from demo.partnership import Demo
from issuer.credentials.issuance import LearnerInput, issue_credential
from issuer.db import transaction
from issuer.models import AuditEvent, Organisation, Specification

from .conftest import BASE_URL, PASSPHRASE

PARTNERSHIP = "green-skills-alliance"
AARHUS, LYON = "aarhus-demo-university", "lyon-demo-university"


def issue(app: Any, demo: Demo, reference: str, *bodies: int) -> dict[str, Any]:
    """Issue to learner ``reference``, awarded by the demo organisations ``bodies`` (the first
    issues); its stored row's id, document and share token."""
    with transaction(app) as session:
        organisations = [session.get(Organisation, demo.organisations[n].id) for n in bodies]
        issued = issue_credential(
            session,
            issuer=organisations[0],
            specification=session.get(Specification, demo.specification.id),
            learner=LearnerInput.from_json(
                {"reference": reference, "givenName": "Ana", "familyName": "Berg"}
            ),
            awarding_bodies=organisations,
            actor="token:test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
        )
        return {
            "id": issued.credential.id,
            "text": issued.credential.document,
            "token": issued.share_link.token,
        }


def events(app: Any, action: str) -> list[AuditEvent]:
    """The audit log's events of ``action``, oldest first."""
    with transaction(app) as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def did(demo: Demo, n: int) -> str:
    """The did:web of the ``n``-th demo organisation."""
    return demo.organisations[n].did
