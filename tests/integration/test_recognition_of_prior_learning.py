"""Recognition end to end: micro-credentials issued by the issuer (two awarding partners, two
countries) are verified by the verifier and evaluated against a recognition rule; the
recognising institution then issues the decision as its own credential through the issuer's
W3C VC API (``POST /credentials/issue``), and the verifier verifies that too, its evidence
naming the credentials the decision rests on. The verifier reaches the issuer's did:web
documents and status lists through the issuer app itself."""

from __future__ import annotations

import json
from typing import Any

from schemas.elm.build import Organisation
from tests.issuer.conftest import BASE_URL
from tests.issuer.issuing import issue
from verifier.fetch.client import FetchError
from verifier.recognition.award import recognition_credential
from verifier.recognition.evaluate import Candidate, evaluate
from verifier.recognition.rules import parse_rule
from verifier.trust import TrustedIssuer, TrustedIssuers
from verifier.verify import VerifierOptions, verify_credential

RULE: dict[str, Any] = {
    "type": "RecognitionRule",
    "version": 1,
    "id": "urn:example:aarhus-demo-university:recognition:msc-data-science:DS-E2",
    "title": "Partnership micro-credentials as elective DS-E2 (MSc Data Science)",
    "institution": {"name": "Aarhus Demo University", "country": "DNK"},
    "recognisedAs": {"code": "DS-E2", "title": {"en": "Elective DS-E2"}, "ects": 10},
    "criteria": {
        "eqfLevel": {"min": 6},
        "iscedFields": ["0613", "0688"],
        "provider": {"vouchedBy": ["trustedIssuers"], "jurisdictions": ["EU"]},
        "issuedWithinYears": 5,
        "assessed": True,
        "ects": {"min": 10},
        "escoSkills": {
            "atLeast": 2,
            "skills": [
                {"id": "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304"},
                {"id": "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"},
            ],
        },
    },
}


def _options(app, demo) -> VerifierOptions:
    """The verifier, trusting the demo partnership, fetching from the issuer app."""
    client = app.test_client()

    def fetch(url: str) -> bytes:
        if not url.startswith(BASE_URL):
            raise FetchError("fetch_failed", f"{url} did not answer")
        response = client.get(url.removeprefix(BASE_URL))
        if response.status_code != 200:
            raise FetchError("fetch_failed", f"{url}: {response.status_code}")
        return response.data

    trusted = TrustedIssuers(
        "Demo partnership",
        "partners.json",
        {o.did: TrustedIssuer(o.did, o.legal_name, None) for o in demo.organisations},
    )
    return VerifierOptions(fetch=fetch, trusted=trusted)


def test_recognised_and_issued_as_the_institutions_credential(app, client, auth, demo):
    _, _, aarhus_award, _ = issue(app, demo, bodies=(0,))
    _, _, lyon_award, _ = issue(app, demo, bodies=(1,))
    options = _options(app, demo)
    candidates = [
        Candidate(name, json.loads(text), verify_credential(json.loads(text), options))
        for name, text in (("aarhus.json", aarhus_award), ("lyon.json", lyon_award))
    ]
    assert [c.report.verdict.value for c in candidates] == ["verified", "verified"], [
        c.report.to_dict()["checks"] for c in candidates
    ]

    decision = evaluate(parse_rule(RULE), candidates)
    assert decision.decision == "recognised", decision.to_dict(with_documents=False)["message"]
    countries = [e.facts.bodies[0].countries for e in decision.entries if e.facts]
    assert countries[0] != countries[1]  # two partners, two countries

    institution = demo.organisations[0]
    unsigned = recognition_credential(
        decision,
        Organisation(
            id=institution.did,
            legal_name=institution.legal_name,
            country=institution.country,
            country_label=institution.country_label,
        ),
    )
    response = client.post("/credentials/issue", json={"credential": unsigned}, headers=auth())
    assert response.status_code == 201, response.get_json()
    signed = response.get_json()["verifiableCredential"]
    assert signed["issuer"] == institution.did

    report = verify_credential(signed, options)
    assert report.verdict.value == "verified", report.to_dict()["checks"]
    claim = signed["credentialSubject"]["hasClaim"]
    assert claim["specifiedBy"]["creditPoint"]["point"] == "10"
    statements = [e["evidenceStatement"] for e in signed["evidence"]]
    for award in (aarhus_award, lyon_award):
        assert any(json.loads(award)["id"] in s for s in statements)
    assert signed["credentialSubject"]["id"] == decision.learner["id"]
