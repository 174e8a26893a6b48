"""Issuing one credential straight through the service, in a committed transaction, as the
issuance tests do: shared by tests/issuer/test_issuance.py and
tests/integration/test_issued_credentials_verify.py; imports no verifier."""

from __future__ import annotations

from datetime import UTC, date, datetime

from issuer.credentials.issuance import LearnerInput, issue_credential
from issuer.db import transaction
from issuer.models import Organisation, Specification

from .conftest import BASE_URL, PASSPHRASE

NOW = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
ANA = LearnerInput(
    reference="S-1001",
    given_name="Ana",
    family_name="Andersen",
    email="ana@example.org",
    date_of_birth=date(2001, 4, 5),
)


def issue(app, demo, *, bodies=(0,), learner=ANA, issuer=None, specification=None, **options):
    """Issue in a committed transaction, awarded by the demo organisations ``bodies`` (the
    first issues unless ``issuer(session)`` names another; signed at ``NOW`` unless ``now=``;
    the demo's specification unless ``specification(session)`` names another);
    returns (credential id, uri, document text, the issuance's result with its tokens)."""
    with transaction(app) as session:
        orgs = [session.get(Organisation, demo.organisations[n].id) for n in bodies]
        issued = issue_credential(
            session,
            issuer=issuer(session) if issuer else orgs[0],
            specification=specification(session)
            if specification
            else session.get(Specification, demo.specification.id),
            learner=learner,
            awarding_bodies=orgs,
            actor="token:test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
            now=options.pop("now", NOW),
            **options,
        )
        credential = issued.credential
        return credential.id, credential.credential_uri, credential.document, issued
