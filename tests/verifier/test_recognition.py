"""The ``recognition`` check: Annex I element by element, never a reason to doubt a credential."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from demo.reference import demo_award, demo_organisation, reference_credential, reference_keypair
from keys.proof import add_proof
from schemas.elm.build import build_microcredential
from tests.conftest import read_json
from tests.schemas import credential_kinds as kinds
from verifier.checks.recognition import check_recognition
from verifier.report import Outcome, Verdict
from verifier.trust import parse_trusted_issuers, trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
# The verifier trusts the reference issuer: its genuine credentials are verified.
OPTIONS = VerifierOptions(
    now=NOW,
    trusted=parse_trusted_issuers(
        trusted_issuers_document(
            [(str(reference_keypair().controller), "Aarhus Demo University")], name="test list"
        )
    ),
)
ELEMENT_KEYS = {"number", "key", "element", "required", "status", "value", "path", "message"}

# What our reference micro-credential (demo.reference) shows for each element.
OURS = {
    "learner": ("present", "Ana Andersen 1"),
    "title": ("present", "Green Data Analytics"),
    "country": ("present", "Denmark (DNK)"),
    "awardingBody": ("present", "Aarhus Demo University"),
    "dateOfIssuing": ("present", "2026-06-30T12:00:00Z"),
    "learningOutcomes": (
        "present",
        "3 learning outcomes: Outcome 1: apply data analysis to sustainability question 1; "
        "Outcome 2: apply data analysis to sustainability question 2; Outcome 3: apply…",
    ),
    "workload": ("present", "5 ECTS (PT125H)"),
    "level": ("present", "EQF 6"),
    "assessment": ("present", "Written project report with oral defence (Blended)"),
    "participation": ("present", "Blended, non-formal learning"),
    "qualityAssurance": (
        "present",
        "Institutional accreditation (Danish Accreditation Institution)",
    ),
    "prerequisites": ("present", "Basic statistics (EQF 5 or equivalent)."),
    "supervision": ("missing", None),
    "grade": ("present", "Pass with distinction"),
    "integration": ("missing", None),
    "furtherInformation": ("missing", None),
}


def shown(result: Any) -> dict[str, tuple[str, str | None]]:
    return {e["key"]: (e["status"], e["value"]) for e in result.details["elements"]}


@pytest.fixture
def eu_sample(reference: Path) -> dict[str, Any]:
    document: dict[str, Any] = read_json(reference / "elm" / "Sample-MC-Annex1-unsigned.jsonld")
    return document


class TestOurCredentials:
    def test_an_issued_micro_credential_is_complete(self, issuer_key: Any) -> None:
        result = check_recognition(reference_credential(issuer_key))
        assert (result.outcome, result.code) == (Outcome.OK, "annex1_complete")
        assert result.message == (
            "Every required element of a micro-credential (Annex I) is present and well-formed."
        )
        assert set(result.details) == {
            "applicable",
            "reason",
            "explanation",
            "elements",
            "missingRequired",
            "malformed",
        }
        assert result.details["applicable"] is True
        assert result.details["reason"] == "micro_credential"
        assert result.details["missingRequired"] == []
        assert result.details["malformed"] == []
        assert [e["number"] for e in result.details["elements"]][::5] == ["1", "6", "11", "o5"]
        assert all(set(e) == ELEMENT_KEYS for e in result.details["elements"])
        assert shown(result) == OURS

    def test_a_joint_award_shows_every_awarding_body(self) -> None:
        partners = [
            demo_organisation(f"did:web:partner{n}.example", f"Partner {n}", "DNK", "Denmark")
            for n in range(3)
        ]
        result = check_recognition(build_microcredential(demo_award(partners[0], partners)))
        assert result.outcome is Outcome.OK
        assert shown(result)["awardingBody"] == ("present", "Partner 0; Partner 1; Partner 2")

    def test_one_missing_and_one_malformed_element(self, issuer_key: Any) -> None:
        credential = reference_credential(issuer_key)
        specification = credential["credentialSubject"]["hasClaim"]["specifiedBy"]
        del specification["eqfLevel"]
        specification["volumeOfLearning"] = "125 hours"
        result = check_recognition(credential)
        assert (result.outcome, result.code) == (Outcome.WARNING, "annex1_incomplete")
        assert result.details["missingRequired"] == ["level"]
        assert result.details["malformed"] == ["workload"]
        assert result.message == (
            "Some required elements of a micro-credential (Annex I) are missing or malformed. "
            "Missing: Level of the learning experience (EQF, QF-EHEA) (8). Malformed: Notional "
            "workload needed to achieve the learning outcomes (in ECTS credits, wherever "
            "possible) (7): credentialSubject/hasClaim/specifiedBy/volumeOfLearning: must be an "
            "ISO 8601 duration such as PT60H or P3M."
        )
        elements = shown(result)
        assert elements["level"] == ("missing", None)
        assert elements["workload"] == (
            "malformed",
            "5 ECTS (125 hours): must be an ISO 8601 duration such as PT60H or P3M",
        )
        assert {k: v for k, v in elements.items() if k not in ("level", "workload")} == {
            k: v for k, v in OURS.items() if k not in ("level", "workload")
        }

    def test_a_malformed_optional_element_is_shown_not_warned(self, issuer_key: Any) -> None:
        credential = reference_credential(issuer_key)
        credential["credentialSubject"]["hasClaim"]["provenBy"]["idVerification"] = "unsupervised"
        result = check_recognition(credential)
        assert (result.outcome, result.code) == (Outcome.OK, "annex1_complete")
        assert shown(result)["supervision"] == (
            "malformed",
            "unsupervised: must be an absolute IRI",
        )
        assert result.details["malformed"] == ["supervision"]

    def test_a_signed_incomplete_credential_is_still_verified(self, issuer_key: Any) -> None:
        credential = reference_credential(issuer_key)
        del credential["credentialSubject"]["hasClaim"]["specifiedBy"]["accreditation"]
        signed = add_proof(credential, issuer_key, created=SIGNED_AT)
        report = verify_credential(signed, OPTIONS)
        recognition = report.result("recognition")
        assert (recognition.outcome, recognition.code) == (Outcome.WARNING, "annex1_incomplete")
        assert recognition.details["missingRequired"] == ["qualityAssurance"]
        assert "Type of quality assurance" in recognition.message
        assert report.verdict is Verdict.VERIFIED


class TestEuSample:
    def test_quality_assurance_missing_is_a_warning(self, eu_sample: dict[str, Any]) -> None:
        result = check_recognition(eu_sample)
        assert (result.outcome, result.code) == (Outcome.WARNING, "annex1_incomplete")
        assert result.message == (
            "Some required elements of a micro-credential (Annex I) are missing or malformed. "
            "Missing: Type of quality assurance used to underpin the micro-credential (11)."
        )
        assert result.details["missingRequired"] == ["qualityAssurance"]
        elements = shown(result)
        assert elements["level"] == ("present", "EQF 6")
        assert elements["workload"] == ("present", "2 ECTS (PT60H)")
        required = [e for e in result.details["elements"] if e["required"]]
        assert [e["key"] for e in required if e["status"] == "present"] == [
            "learner",
            "title",
            "country",
            "awardingBody",
            "dateOfIssuing",
            "learningOutcomes",
            "workload",
            "level",
            "assessment",
            "participation",
        ]
        assert all(e["value"] for e in required if e["status"] == "present")


NOT_MICRO = "so the EU standard elements of micro-credentials do not apply."


class TestNotMicroCredentials:
    @pytest.mark.parametrize(
        ("make", "reason", "explanation"),
        [
            (
                kinds.degree,
                "full_qualification",
                "it records a full qualification of 180 ECTS credits",
            ),
            (
                kinds.transcript,
                "several_achievements",
                "it records 2 learning achievements, as a transcript does",
            ),
            (
                kinds.certificate_of_participation,
                "participation",
                "it records participation in a learning activity",
            ),
            (
                kinds.diploma_supplement,
                "diploma_supplement",
                "it is a Diploma Supplement, which describes a full degree",
            ),
        ],
        ids=["degree", "transcript", "participation", "diploma-supplement"],
    )
    def test_signed_and_verified_without_annex_i(
        self, issuer_key: Any, make: Any, reason: str, explanation: str
    ) -> None:
        signed = add_proof(make(reference_credential(issuer_key)), issuer_key, created=SIGNED_AT)
        report = verify_credential(signed, OPTIONS)
        assert report.result("format").outcome is Outcome.OK
        assert report.result("seal").outcome is Outcome.OK
        result = report.result("recognition")
        assert (result.outcome, result.code) == (Outcome.OK, "not_applicable")
        assert result.message == (
            f"This credential is not a micro-credential ({explanation}), {NOT_MICRO}"
        )
        assert result.details == {"applicable": False, "reason": reason, "explanation": explanation}
        assert report.verdict is Verdict.VERIFIED

    @pytest.mark.parametrize(
        "make", [kinds.degree, kinds.transcript, kinds.certificate_of_participation]
    )
    def test_the_eu_sample_made_into_another_kind(
        self, eu_sample: dict[str, Any], make: Any
    ) -> None:
        result = check_recognition(make(eu_sample))
        assert (result.outcome, result.code) == (Outcome.OK, "not_applicable")
        assert result.details["applicable"] is False

    def test_a_plain_vc_2_0_credential(self, reference: Path) -> None:
        published = read_json(reference / "w3c" / "eddsa-rdfc-2022" / "signedDataInt.json")
        for credential in (kinds.plain_vc2(), published):
            result = check_recognition(credential)
            assert (result.outcome, result.code) == (Outcome.OK, "not_applicable")
            assert result.details["reason"] == "not_elm_credential"
            assert result.message == (
                "This credential is not a micro-credential (it is not a European Digital "
                f"Credential of the European Learning Model), {NOT_MICRO}"
            )


def test_never_an_error(issuer_key: Any, eu_sample: dict[str, Any]) -> None:
    """Whatever is missing, malformed or not applicable, recognition is ok or a warning."""
    ours = reference_credential(issuer_key)
    variants = [ours, eu_sample, kinds.plain_vc2(), {}, kinds.degree(ours)]
    for top in ("credentialSubject", "issuer", "validFrom", "issued", "issuanceDate"):
        variant = copy.deepcopy(ours)
        variant.pop(top)
        variants.append(variant)
    for key in list(ours["credentialSubject"]["hasClaim"]):
        variant = copy.deepcopy(ours)
        variant["credentialSubject"]["hasClaim"][key] = "urn:x:reference"
        variants.append(variant)
    for variant in variants:
        assert check_recognition(variant).outcome in (Outcome.OK, Outcome.WARNING)


def test_known_plain_json_changes_nothing(issuer_key: Any, eu_sample: dict[str, Any]) -> None:
    """Told that the credential is plain JSON (as the verifier knows once it has read its
    shape), the check skips that walk and says exactly what it says without being told —
    for complete, incomplete, malformed and non-micro-credentials alike."""
    ours = reference_credential(issuer_key)
    malformed = copy.deepcopy(ours)
    malformed["credentialSubject"]["hasClaim"]["specifiedBy"]["volumeOfLearning"] = "125 hours"
    malformed["credentialSubject"]["hasClaim"]["provenBy"]["idVerification"] = "unsupervised"
    variants = [ours, eu_sample, malformed, kinds.plain_vc2(), kinds.degree(ours)]
    for variant in variants:
        assert check_recognition(variant, plain=True) == check_recognition(variant)
    incomplete = copy.deepcopy(ours)
    del incomplete["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]
    incomplete["credentialSubject"]["hasClaim"]["specifiedBy"]["volumeOfLearning"] = "125 hours"
    signed = add_proof(incomplete, issuer_key, created=SIGNED_AT)
    in_report = verify_credential(signed, OPTIONS).result("recognition")
    assert in_report == check_recognition(signed)
    assert (in_report.details["missingRequired"], in_report.details["malformed"]) == (
        ["level"],
        ["workload"],
    )
