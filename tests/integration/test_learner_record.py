"""The learner's record with the verifier: the Open Badges 3.0 export of a real issued
credential verifies with the project's own verifier and has the shape of 1EdTech's OB 3.0
eddsa-rdfc-2022 vector (read from ../shared at test time); a set link's presentation is fetched
by the verifier's ``GET /verify?url=`` and every credential in it is checked, with a recognition
rule evaluated on the set when one is asked for."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from issuer.credentials.issuance import LearnerInput, SigningKeys
from issuer.credentials.ob3 import OB_CONTEXT, VC_V2, achievement_credential
from issuer.db import transaction
from issuer.models import IssuedCredential, Organisation
from issuer.partnerships.services import public_keypairs
from issuer.sharing.set_links import new_set_link, presentation
from keys.did_web import build_did_document, did_web_to_url
from keys.resolver import DidResolver
from tests.issuer.conftest import BASE_URL, PASSPHRASE
from tests.issuer.issuing import ANA, NOW, issue
from verifier.report import Outcome, Verdict
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
