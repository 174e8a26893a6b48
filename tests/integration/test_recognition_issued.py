"""A recognition rule evaluated on credentials the issuer issued: one credential, a set of three
from two partnerships, a set whose revoked member and whose unconfirmed member do not count.
The verifier reaches the issuer's did:web documents and status lists through the issuer app."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from issuer.credentials.issuance import change_status, issue_credential
from issuer.db import transaction
from issuer.models import IssuedCredential, Organisation, Partnership, Specification
from tests.issuer.conftest import BASE_URL, PASSPHRASE
from tests.issuer.issuing import ANA, NOW, issue
from verifier.fetch.client import FetchError
from verifier.recognition.evaluate import Candidate, Decision, evaluate
from verifier.recognition.rules import parse_rule
from verifier.trust import TrustedIssuer, TrustedIssuers
from verifier.verify import VerifierOptions, verify_credential

# 15 ECTS of EQF 6 or above, assessed, from a provider the verifier's trusted list names.
RULE: dict[str, Any] = {
    "type": "RecognitionRule",
    "version": 1,
    "id": "urn:example:recognition:module-15",
    "title": "Three partnership micro-credentials as a 15 ECTS module",
    "institution": {"name": "Aarhus Demo University", "country": "DNK"},
    "recognisedAs": {"code": "M-15", "title": {"en": "Module M-15"}, "ects": 15},
    "criteria": {
        "eqfLevel": {"min": 6},
        "provider": {"vouchedBy": ["trustedIssuers"]},
        "issuedWithinYears": 5,
        "assessed": True,
        "ects": {"min": 15},
    },
}


def _options(app, trusted: list[Organisation]) -> VerifierOptions:
    """The verifier trusting ``trusted``, fetching from the issuer app."""
    client = app.test_client()

    def fetch(url: str) -> bytes:
        if not url.startswith(BASE_URL):
            raise FetchError("fetch_failed", f"{url} did not answer")
        response = client.get(url.removeprefix(BASE_URL))
        if response.status_code != 200:
            raise FetchError("fetch_failed", f"{url}: {response.status_code}")
        return response.data

    listed = {o.did: TrustedIssuer(o.did, o.legal_name, None) for o in trusted}
    return VerifierOptions(fetch=fetch, trusted=TrustedIssuers("Partners", "t.json", listed))


def _issue_in_p(app) -> str:
    """Ana's credential from partnership ``p``'s university (another partnership)."""
    with transaction(app) as session:
        partnership = session.scalar(select(Partnership).where(Partnership.slug == "p"))
        assert partnership is not None
        uni = session.scalar(
            select(Organisation).where(
                Organisation.partnership_id == partnership.id, Organisation.slug == "uni"
            )
        )
        specification = session.scalar(
            select(Specification).where(Specification.partnership_id == partnership.id)
        )
        assert uni is not None and specification is not None
        issued = issue_credential(
            session,
            issuer=uni,
            specification=specification,
            learner=ANA,
            awarding_bodies=[uni],
            actor="token:test",
            base_url=BASE_URL,
            passphrase=PASSPHRASE.encode(),
            now=NOW,
        )
        return issued.credential.document


def _organisations(app, *slugs: str) -> list[Organisation]:
    with transaction(app) as session:
        found = list(session.scalars(select(Organisation).where(Organisation.slug.in_(slugs))))
        for organisation in found:
            session.expunge(organisation)
        return found


def _decide(documents: list[str], options: VerifierOptions) -> Decision:
    candidates = [
        Candidate(
            f"credential-{n}.json", json.loads(text), verify_credential(json.loads(text), options)
        )
        for n, text in enumerate(documents)
    ]
    return evaluate(parse_rule(RULE), candidates)


def _ects(decision: Decision) -> dict[str, Any]:
    return next(c.to_dict() for c in decision.criteria if c.criterion == "ects")


def test_one_credential_is_partly_recognised(app, demo):
    _, _, award, _ = issue(app, demo, bodies=(0,))
    decision = _decide([award], _options(app, demo.organisations))
    assert decision.decision == "partly_recognised"
    assert _ects(decision)["status"] != "met"
    assert [e.counted for e in decision.entries] == [True]


def test_three_credentials_from_two_partnerships_are_recognised(app, demo, partnership):
    first = issue(app, demo, bodies=(0,))[2]
    second = issue(app, demo, bodies=(1,))[2]
    third = _issue_in_p(app)
    trusted = [*demo.organisations, *_organisations(app, "uni")]
    decision = _decide([first, second, third], _options(app, trusted))
    assert [e.candidate.report.verdict.value for e in decision.entries] == ["verified"] * 3
    assert decision.decision == "recognised", decision.to_dict(with_documents=False)
    assert all(e.counted for e in decision.entries)
    partnerships = {
        json.loads(d)["issuer"]["id"].split(":orgs:")[1].split(":")[0] for d in (first, third)
    }
    assert len(partnerships) == 2  # two partnerships' issuers


def test_a_revoked_and_an_unconfirmed_member_do_not_count(app, demo, partnership):
    first = issue(app, demo, bodies=(0,))[2]
    credential_id, _, revoked, _ = issue(app, demo, bodies=(1,))
    with transaction(app) as session:
        change_status(
            session,
            session.get(IssuedCredential, credential_id),
            "revoke",
            actor="token:test",
            reason="test",
        )
    unconfirmed = _issue_in_p(app)  # partnership p's university is in no trust source here
    decision = _decide([first, revoked, unconfirmed], _options(app, demo.organisations))
    verdicts = [e.candidate.report.verdict.value for e in decision.entries]
    assert verdicts == ["verified", "not_verified", "unconfirmed"]
    assert [e.counted for e in decision.entries] == [True, False, False]
    assert all(e.reasons for e in decision.entries[1:])  # each says why it was left out
    assert decision.decision == "partly_recognised"
    assert _ects(decision)["status"] != "met"
