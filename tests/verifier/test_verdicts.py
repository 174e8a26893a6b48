"""The hostile cases of the verdict, each through both doors an employer's software uses:
``microcred verify --json`` (exit 0 verified, 1 not verified, 3 unconfirmed) and the web
verifier's ``POST /api/verify``, with the same trust settings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from issuer.credential import build_microcredential
from issuer.demo import demo_award, demo_organisation, reference_credential, reference_keypair
from keys.cli import main
from keys.did_key import keypair_with_did_key
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof
from verifier.app import create_app
from verifier.http import FetchError
from verifier.trust import trusted_issuers_document

SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
EXIT = {"verified": 0, "not_verified": 1, "unconfirmed": 3}
STATUS_URL = "https://issuer.example/status/1"


class Unreachable:
    """A fetcher for which every host is down (as a status list's host may be)."""

    def fetch(self, url: str, *, accept: str = "application/json") -> Any:
        raise FetchError("fetch_timeout", f"{url} did not answer")

    def __call__(self, url: str) -> bytes:
        return self.fetch(url).content


def fresh_key() -> KeyPair:
    return keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))


def self_signed_university() -> dict:
    """A fresh did:key that calls itself the University of Copenhagen, as issuer and body."""
    impostor = fresh_key()
    body = demo_organisation(str(impostor.controller), "University of Copenhagen", "DNK", "DK")
    return add_proof(build_microcredential(demo_award(body, [body])), impostor, created=SIGNED_AT)


def joint_award_missing_a_proof() -> dict:
    """Two awarding bodies named, sealed by the first only."""
    first, second = fresh_key(), fresh_key()
    bodies = [
        demo_organisation(str(first.controller), "University A", "DNK", "DK"),
        demo_organisation(str(second.controller), "University B", "DNK", "DK"),
    ]
    return add_proof(
        build_microcredential(demo_award(bodies[0], bodies)), first, created=SIGNED_AT
    )


def with_unreachable_status() -> dict:
    """The trusted reference issuer's credential, with a status list nobody can fetch."""
    key = reference_keypair()
    credential = reference_credential(key)
    credential["@context"].insert(2, "https://www.w3.org/ns/credentials/status/v1")
    credential["credentialStatus"] = {
        "id": f"{STATUS_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": STATUS_URL,
    }
    return add_proof(credential, key, created=SIGNED_AT)


def trusted_reference() -> dict:
    key = reference_keypair()
    return add_proof(reference_credential(key), key, created=SIGNED_AT)


def tampered() -> dict:
    document = trusted_reference()
    document["credentialSubject"]["hasClaim"]["title"] = {"en": "Master of Everything"}
    return document


# (case, credential factory, verdict, the (check, code) that decides it)
CASES: list[tuple[str, Callable[[], dict], str, tuple[str, str]]] = [
    ("trusted", trusted_reference, "verified", ("accreditation", "trusted")),
    (
        "self-signed-university",
        self_signed_university,
        "unconfirmed",
        ("accreditation", "not_in_trust_source"),
    ),
    (
        "joint-award-missing-a-body-proof",
        joint_award_missing_a_proof,
        "not_verified",
        ("seal", "awarding_body_not_sealed"),
    ),
    ("status-unreachable", with_unreachable_status, "unconfirmed", ("revocation", "")),
    ("tampered", tampered, "not_verified", ("seal", "invalid_signature")),
]


@pytest.fixture(scope="module")
def trusted_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The verifier's trusted-issuers file: the reference issuer only."""
    path = tmp_path_factory.mktemp("trust") / "trusted.json"
    entries = [(str(reference_keypair().controller), "Aarhus Demo University")]
    path.write_text(json.dumps(trusted_issuers_document(entries, name="Verdict tests")))
    return path


def through_cli(document: dict, tmp_path: Path, trusted: Path) -> tuple[int, dict]:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(
        main,
        ["verify", "--json", str(path)],
        env={
            "MICROCRED_TRUSTED_ISSUERS": str(trusted),
            # Nothing on this machine answers for issuer.example: the status list is unreachable.
            "MICROCRED_FETCH_REWRITES": json.dumps({"https://issuer.example": "http://127.0.0.1:9"}),
            "MICROCRED_FETCH_ALLOW_PRIVATE": "1",
        },
    )
    return result.exit_code, json.loads(result.output)


def through_api(document: dict, trusted: Path) -> dict:
    app = create_app(
        {"TESTING": True, "FETCHER": Unreachable(), "TRUSTED_ISSUERS_PATH": str(trusted)}
    )
    response = app.test_client().post("/api/verify", data=json.dumps(document))
    assert response.status_code == 200
    return response.get_json()


def decisive(report: dict, check: str) -> str:
    return next(c["code"] for c in report["checks"] if c["check"] == check)


@pytest.mark.parametrize(("case", "make", "verdict", "reason"), CASES, ids=[c[0] for c in CASES])
def test_verdict_through_cli_and_api(case, make, verdict, reason, tmp_path, trusted_list):
    document = make()
    code, from_cli = through_cli(copy.deepcopy(document), tmp_path, trusted_list)
    from_api = through_api(copy.deepcopy(document), trusted_list)
    check, expected_code = reason
    for report in (from_cli, from_api):
        assert report["verdict"] == verdict, (case, report["checks"])
        assert report["verified"] is (verdict == "verified")
        if expected_code:
            assert decisive(report, check) == expected_code
        if verdict == "unconfirmed":
            assert check in [u["check"] for u in report["unconfirmed"]]
            assert report["summary"]["confirmed"] is False
    assert code == EXIT[verdict]
    assert [c["outcome"] for c in from_cli["checks"]] == [c["outcome"] for c in from_api["checks"]]


def test_recognition_never_decides(trusted_list, tmp_path):
    """A genuine, trusted credential missing an Annex I element stays verified; the element is
    reported in the recognition part."""
    key = reference_keypair()
    credential = reference_credential(key)
    del credential["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]
    document = add_proof(credential, key, created=SIGNED_AT)
    code, report = through_cli(document, tmp_path, trusted_list)
    assert (code, report["verdict"]) == (0, "verified")
    assert report["recognition"]["code"] == "annex1_incomplete"
