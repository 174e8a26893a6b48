"""The learner's record with the verifier: the Open Badges 3.0 export of a real issued
credential verifies with the project's own verifier and has the shape of 1EdTech's OB 3.0
eddsa-rdfc-2022 vector (read from ../shared at test time); a set link's presentation is fetched
by the verifier's ``GET /verify?url=`` and every credential in it is checked, with a recognition
rule evaluated on the set when one is asked for."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from demo.partnership import DEMO_SPECIFICATION
from issuer.credentials.issuance import LearnerInput, SigningKeys
from issuer.credentials.ob3 import OB_CONTEXT, VC_V2, achievement_credential
from issuer.db import transaction
from issuer.models import IssuedCredential, Organisation
from issuer.partnerships.services import public_keypairs
from keys.did_web import build_did_document, did_web_to_url
from keys.resolver import DidResolver
from tests.issuer.conftest import BASE_URL, PASSPHRASE
from tests.issuer.issuing import NOW, issue
from verifier.app import create_app as create_verifier
from verifier.fetch.client import Fetched, FetchError
from verifier.report import Outcome, Verdict
from verifier.trust import trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential

VECTOR = Path(__file__).resolve().parents[3] / "shared" / "reference" / "w3c" / "ob3"
BO = LearnerInput(reference="S-2002", given_name="Bo", family_name="Berg")


def _documents(app) -> dict[str, bytes]:
    with transaction(app) as session:
        return {
            did_web_to_url(org.did): json.dumps(
                build_did_document(org.did, public_keypairs(org))
            ).encode()
            for org in session.scalars(select(Organisation))
        }


def _options(app) -> VerifierOptions:
    documents = _documents(app)
    return VerifierOptions(
        now=NOW + timedelta(minutes=5), resolver=DidResolver(fetch=lambda url: documents[url])
    )


def _badge(app, credential_id: int) -> dict[str, Any]:
    with transaction(app) as session:
        credential = session.get(IssuedCredential, credential_id)
        return achievement_credential(
            credential, keys=SigningKeys(PASSPHRASE.encode()), now=NOW + timedelta(minutes=1)
        )


def _shape(node: Any) -> Any:
    """The structure of a JSON value: objects by their keys (``type`` by its value, with
    OpenBadgeCredential read as its alias AchievementCredential), lists by their first item,
    other values by their JSON type."""
    if isinstance(node, dict):
        return {
            key: (_types(value) if key == "type" else _shape(value))
            for key, value in node.items()
            if key != "proofValue"
        }
    if isinstance(node, list):
        return [_shape(node[0])] if node else []
    return type(node).__name__


def _types(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return ["AchievementCredential" if v == "OpenBadgeCredential" else v for v in values]


def _covers(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Where ``ours`` lacks something of ``theirs``' shape (extra members of ours are fine)."""
    if isinstance(theirs, dict):
        if not isinstance(ours, dict):
            return [f"{path}: not an object"]
        problems: list[str] = []
        for key, value in theirs.items():
            if key not in ours:
                problems.append(f"{path}.{key}: missing")
            elif key == "type":
                if ours[key] != value:
                    problems.append(f"{path}.type: {ours[key]} is not {value}")
            else:
                problems += _covers(ours[key], value, f"{path}.{key}")
        return problems
    if isinstance(theirs, list):
        if not isinstance(ours, list) or not ours:
            return [f"{path}: not a list"]
        return _covers(ours[0], theirs[0], f"{path}[0]") if theirs else []
    return [] if ours == theirs else [f"{path}: {ours} is not {theirs}"]


@pytest.fixture
def vector() -> dict[str, Any]:
    path = VECTOR / "signed-credential.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} (the 1EdTech OB 3.0 vector) cannot be read")
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_ob3_export_verifies_with_the_projects_verifier(app, demo):
    credential_id, uri, document, _ = issue(app, demo, grade="Pass")
    badge = _badge(app, credential_id)

    report = verify_credential(badge, _options(app))
    assert report.result("format").outcome is Outcome.OK, report.to_dict()
    assert report.result("seal").outcome is Outcome.OK, report.to_dict()
    assert report.verdict is not Verdict.NOT_VERIFIED, report.to_dict()
    proof = badge["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == f"{demo.organisations[0].did}#key-1"

    # the same achievement, learner and issuer as the European credential
    signed = json.loads(document)
    subject = badge["credentialSubject"]
    assert subject["id"] == signed["credentialSubject"]["id"]
    qualification = signed["credentialSubject"]["hasClaim"]["specifiedBy"]
    assert subject["achievement"]["id"] == qualification["id"]
    assert subject["achievement"]["name"] == qualification["title"]["en"]
    assert subject["achievement"]["creditsAvailable"] == 5.0
    assert badge["issuer"]["id"] == signed["issuer"]["id"]
    assert badge["validFrom"] == signed["issued"]
    assert badge["credentialStatus"] == signed["credentialStatus"]
    assert badge["id"] != uri and badge["id"] == _badge(app, credential_id)["id"]

    # a changed claim no longer verifies
    forged = json.loads(json.dumps(badge))
    forged["credentialSubject"]["achievement"]["name"] = "Something else"
    assert verify_credential(forged, _options(app)).verdict is Verdict.NOT_VERIFIED


def test_the_ob3_export_has_the_1edtech_vectors_shape(app, demo, vector):
    credential_id, *_ = issue(app, demo)
    badge = _badge(app, credential_id)
    assert badge["@context"] == vector["@context"] == [VC_V2, OB_CONTEXT]
    problems = _covers(_shape(badge), _shape(vector))
    assert problems == [], problems


# --- a set link, checked by the verifier's GET /verify?url= ----------------------------------

RULE: dict[str, Any] = {
    "type": "RecognitionRule",
    "version": 1,
    "id": "urn:example:aarhus-demo-university:recognition:green-elective",
    "title": "Green data micro-credentials as a 10 ECTS elective",
    "institution": {"name": "Aarhus Demo University", "country": "DNK"},
    "recognisedAs": {"code": "GD-E1", "title": {"en": "Elective GD-E1"}, "ects": 10},
    "criteria": {"eqfLevel": {"min": 6}, "assessed": True, "ects": {"min": 10}},
}


class IssuerOverHttp:
    """The verifier's fetcher, answering from the issuer app as the guarded client would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.asked: list[str] = []

    def fetch(self, url: str, *, accept: str = "application/json") -> Fetched:
        self.asked.append(url)
        if not url.startswith(BASE_URL):
            raise FetchError("fetch_failed", f"{url} is not the issuer")
        response = self.client.get(url.removeprefix(BASE_URL), headers={"Accept": accept})
        if response.status_code != 200:
            raise FetchError("fetch_bad_status", f"{url} answered {response.status_code}")
        return Fetched(url, 200, response.data, {}, datetime.now(UTC), 60.0)

    def fetch_entry(self, url: str) -> Fetched:
        return self.fetch(url)

    def __call__(self, url: str) -> bytes:
        return self.fetch(url).content


@pytest.fixture
def verifier_client(app, client, demo, tmp_path):
    trusted = tmp_path / "trusted.json"
    issuers = [(o.did, o.legal_name) for o in demo.organisations]
    trusted.write_text(json.dumps(trusted_issuers_document(issuers, name="Demo partnership")))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "green-elective.json").write_text(json.dumps(RULE))
    verifier = create_verifier(
        {
            "FETCHER": IssuerOverHttp(client),
            "TRUSTED_ISSUERS_PATH": str(trusted),
            "RECOGNITION_RULES": str(rules),
            "CACHE_DIR": str(tmp_path / "cache"),
            "SECRET_KEY": "integration-tests",
        }
    )
    return verifier.test_client()


def _issue_api(client, auth, specification: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/credentials",
        json={
            "specification": specification,
            "learner": {"reference": "S-3003", "givenName": "Cai", "familyName": "Dahl"},
        },
        headers=auth("issuer"),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_set_link_is_verified_credential_by_credential(client, auth, verifier_client):
    second = {**DEMO_SPECIFICATION, "slug": "green-data-two", "title": {"en": "Green Data II"}}
    assert (
        client.post("/api/v1/specifications", json=second, headers=auth("admin")).status_code == 201
    )
    first = _issue_api(client, auth, DEMO_SPECIFICATION["slug"])
    other = _issue_api(client, auth, "green-data-two")
    key = first["learnerManageUrl"].rsplit("/", 1)[1]
    created = client.post(
        f"/api/v1/learner/{key}/set-links",
        json={"credentials": [first["credential"]["id"], other["credential"]["id"]]},
    )
    assert created.status_code == 201, created.get_json()
    link = created.get_json()
    verify = urlsplit(link["verifyUrl"])
    assert parse_qs(verify.query)["url"] == [link["url"]]

    answer = verifier_client.get(f"/verify?{verify.query}&format=json").get_json()
    assert answer["kind"] == "presentation" and answer["holderProof"] == "absent"
    assert [c["id"] for c in answer["credentials"]] == link["credentials"]
    assert [c["verdict"] for c in answer["credentials"]] == ["verified", "verified"], answer
    assert answer["verdict"] == "verified"

    # a rule evaluated on the set: 5 + 5 ECTS make the 10 the elective needs
    ruled = verifier_client.get(f"/verify?{verify.query}&rule=green-elective&format=json")
    decision = ruled.get_json()["recognition"]
    assert decision["decision"] == "recognised", decision
    page = verifier_client.get(f"/verify?{verify.query}&rule=green-elective")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-kind="presentation"' in html
    assert 'data-decision="recognised"' in html and "Green Data II" in html

    # a revoked member makes the set not verified, and no longer counts for the rule
    revoked = other["credential"]["id"].removeprefix("urn:uuid:")
    assert (
        client.post(
            f"/api/v1/credentials/{revoked}/revoke", json={}, headers=auth("issuer")
        ).status_code
        == 200
    )
    answer = verifier_client.get(f"/verify?{verify.query}&rule=green-elective&format=json")
    body = answer.get_json()
    assert [c["verdict"] for c in body["credentials"]] == ["verified", "not_verified"]
    assert body["verdict"] == "not_verified"
    assert body["recognition"]["decision"] == "partly_recognised"

    # the learner saw every fetch counted; withdrawn, the verifier cannot fetch the set
    record = client.get(f"/api/v1/learner/{key}/record").get_json()
    assert record["setLinks"][0]["openCount"] == 4  # one per verification above
    assert client.delete(f"/api/v1/learner/{key}/set-links/{link['token']}").status_code == 204
    gone = verifier_client.get(f"/verify?{verify.query}&format=json")
    assert gone.status_code == 502 and gone.get_json()["error"]["code"] == "fetch_bad_status"
