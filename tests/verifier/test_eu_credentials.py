"""Every kind of EU credential read right (issue 13).

- A JAdES seal signs the payload's bytes, so a value the EDC context cannot express (it types
  ``dateModified`` as an IRI, so a date-time there is dropped) is sealed all the same: a
  ``format`` warning naming each place. Under a Data Integrity proof the same value would be
  unsigned: an ``undefined_term`` error.
- Recognition (Annex I) applies to micro-credentials only: every other ELM kind is
  ``not_applicable``, never a warning or an error.
- The EU's sealed sample (``../shared/reference/elm``, read at run time) gets no ``error`` in any
  check today; its own TSA as an anchor proves when it was sealed; any one-character change to
  what it seals is a seal error.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from demo.reference import reference_credential
from keys.proof import add_proof
from tests.schemas import credential_kinds as kinds
from tests.verifier.test_jades import (
    NOW,
    Pki,
    b64url,
    b64url_decode,
    make_pki,
    sample_issuing_ca,
    sample_tsa,
    seal,
    with_sig_tst,
)
from verifier.checks.format import DROPPED_BY_CONTEXT, JADES, check_format
from verifier.checks.recognition import check_recognition
from verifier.report import Outcome, Report, Verdict
from verifier.verify import VerifierOptions, verify_credential

MODIFIED = "2024-03-01T10:00:00Z"
ISSUED_MANDATE = "http://data.europa.eu/snb/credential/c_9a31f32a"
SIG_TST_AT = "2023-09-27T11:54:20Z"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def eu_credential(reference: Path) -> dict[str, Any]:
    """The EU's unsigned Annex I sample, as the EU's newer credentials carry it: with
    ``dateModified`` on the credential and on its qualification."""
    document: dict[str, Any] = json.loads(
        (reference / "elm" / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8")
    )
    document["dateModified"] = MODIFIED
    document["credentialSubject"]["hasClaim"]["specifiedBy"]["dateModified"] = MODIFIED
    return document


def sealed(pki: Pki, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` under a test JAdES seal of ``pki``, with a signature time-stamp."""
    document = seal(pki.leaf_key, [pki.leaf], payload=payload)
    with_sig_tst(document, pki.tsa)
    return document


def verify(document: Any, pki: Pki | None = None, **options: Any) -> Report:
    if pki is not None:
        options.setdefault("trust_anchors", [pki.ca])
        options.setdefault("crls", [pki.crl])
    return verify_credential(document, VerifierOptions(now=options.pop("now", NOW), **options))


def outcomes(report: Report) -> dict[str, tuple[str, str]]:
    return {c.check: (c.outcome.value, c.code) for c in report.checks}


def errors(report: Report) -> list[tuple[str, str]]:
    return [(c.check, c.code) for c in report.checks if c.outcome is Outcome.ERROR]


# --- values the EDC context drops ---------------------------------------------------------


class TestValuesTheContextDrops:
    def test_under_a_jades_seal_they_are_a_warning_naming_each_place(self, pki, eu_credential):
        report = verify(sealed(pki, eu_credential), pki)
        assert errors(report) == []
        assert outcomes(report)["seal"] == ("ok", "jades_valid")
        result = report.result("format")
        assert (result.outcome, result.code) == (Outcome.WARNING, DROPPED_BY_CONTEXT)
        dropped = result.details["dropped"]
        assert [d["path"] for d in dropped] == [
            "credentialSubject/hasClaim/specifiedBy/dateModified",
            "dateModified",
        ]
        expected = f"'{MODIFIED}' does not expand to an absolute IRI"
        assert all(expected in d["message"] for d in dropped)
        assert "dateModified" in result.message
        assert "sealed all the same" in result.message
        # A warning never decides: only the missing trust source keeps it from verified.
        assert report.verdict is Verdict.UNCONFIRMED
        assert [(c.check, c.code) for c in report.unconfirmed] == [
            ("accreditation", "no_trust_source")
        ]

    def test_under_data_integrity_they_stay_an_error(self, issuer_key):
        document = add_proof(reference_credential(issuer_key), issuer_key)
        document["dateModified"] = MODIFIED  # outside what the proof signed
        result = check_format(document)
        assert (result.outcome, result.code) == (Outcome.ERROR, "undefined_term")
        assert result.details["path"] == "dateModified"
        report = verify(document)
        assert outcomes(report)["format"] == ("error", "undefined_term")
        assert report.verdict is Verdict.NOT_VERIFIED

    def test_any_place_the_context_cannot_express_not_only_date_modified(self, eu_credential):
        subject = eu_credential["credentialSubject"]
        subject["favouriteColour"] = "green"  # a property no context defines
        subject["hasClaim"]["type"] = ["LearningAchievement", "HonoursAward"]  # an unknown type
        result = check_format(eu_credential, securing=JADES)
        assert (result.outcome, result.code) == (Outcome.WARNING, DROPPED_BY_CONTEXT)
        assert {d["path"] for d in result.details["dropped"]} == {
            "credentialSubject/favouriteColour",
            "credentialSubject/hasClaim/type/1",
            "credentialSubject/hasClaim/specifiedBy/dateModified",
            "dateModified",
        }
        assert "and 4 values" not in result.message  # all four are named
        assert "favouriteColour" in result.message

    def test_other_format_problems_stay_errors_under_jades(self, pki, eu_credential):
        unknown = copy.deepcopy(eu_credential)
        unknown["@context"] = [*unknown["@context"], "https://example.org/not-pinned"]
        assert check_format(unknown, securing=JADES).code == "unknown_context"
        bad_language = copy.deepcopy(eu_credential)
        bad_language["credentialSubject"]["hasClaim"]["title"] = {"not a tag!": "x"}
        assert check_format(bad_language, securing=JADES).outcome is Outcome.ERROR
        no_issuer = copy.deepcopy(eu_credential)
        del no_issuer["issuer"]
        result = check_format(no_issuer, securing=JADES)
        assert result.outcome is Outcome.ERROR
        report = verify(sealed(pki, no_issuer), pki)
        assert report.verdict is Verdict.NOT_VERIFIED

    def test_nothing_dropped_is_well_formed_either_way(self, eu_credential):
        del eu_credential["dateModified"]
        del eu_credential["credentialSubject"]["hasClaim"]["specifiedBy"]["dateModified"]
        for securing in ("data_integrity", "jades"):
            assert check_format(eu_credential, securing=securing).code == "well_formed"


# --- recognition only for micro-credentials -------------------------------------------------

KINDS = {
    "degree": (kinds.degree, "full_qualification"),
    "transcript": (kinds.transcript, "several_achievements"),
    "degree-with-courses": (kinds.degree_with_courses, "several_achievements"),
    "participation": (kinds.certificate_of_participation, "participation"),
    "diploma-supplement": (kinds.diploma_supplement, "diploma_supplement"),
    "accreditation": (
        lambda c: kinds.with_profile(c, kinds.ACCREDITATION_PROFILE, "Accreditation"),
        "not_learning_credential",
    ),
    "issued-mandate": (
        lambda c: kinds.with_profile(c, ISSUED_MANDATE, "Issued mandate"),
        "not_learning_credential",
    ),
    "assessment": (
        lambda c: _claim_as(c, "LearningAssessment"),
        "no_learning_achievement",
    ),
    "entitlement": (
        lambda c: _claim_as(c, "LearningEntitlement"),
        "no_learning_achievement",
    ),
}


def _claim_as(credential: dict[str, Any], kind: str) -> dict[str, Any]:
    """The credential claiming a ``kind`` (an assessment, an entitlement) in place of its
    achievement."""
    document = copy.deepcopy(credential)
    claim = document["credentialSubject"]["hasClaim"]
    document["credentialSubject"]["hasClaim"] = {
        "id": f"urn:epass:{kind}:1",
        "type": kind,
        "title": {"en": f"A {kind}"},
        "awardedBy": claim["awardedBy"],
    }
    return document


class TestRecognitionOnlyForMicroCredentials:
    @pytest.mark.parametrize("kind", sorted(KINDS))
    def test_every_other_elm_kind_is_not_applicable(self, pki, eu_credential, kind):
        make, reason = KINDS[kind]
        document = make(eu_credential)
        result = check_recognition(document)
        assert (result.outcome, result.code) == (Outcome.OK, "not_applicable")
        assert result.details["reason"] == reason
        # Sealed the EU's way, it is read right end to end: no error anywhere.
        report = verify(sealed(pki, document), pki)
        assert errors(report) == []
        assert outcomes(report)["recognition"] == ("ok", "not_applicable")
        assert outcomes(report)["format"] == ("warning", DROPPED_BY_CONTEXT)
        assert report.to_dict()["recognition"]["code"] == "not_applicable"

    def test_the_micro_credential_itself_is_judged(self, pki, eu_credential):
        report = verify(sealed(pki, eu_credential), pki)
        assert report.result("recognition").details["applicable"] is True
        assert outcomes(report)["recognition"] == ("warning", "annex1_incomplete")


# --- the EU's sealed sample -----------------------------------------------------------------


@pytest.fixture
def eu_sealed(reference: Path) -> dict[str, Any]:
    path = reference / "elm" / "Sample-MC-Annex1-signed.jsonld"
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return document


class TestTheEuSealedSample:
    def test_today_no_check_is_an_error_and_each_open_point_is_named(self, eu_sealed):
        report = verify(eu_sealed)
        assert errors(report) == []
        assert outcomes(report) == {
            "format": ("ok", "well_formed"),
            "seal": ("unchecked", "jades_time_unproven"),
            "revocation": ("ok", "no_status"),
            "expiry": ("ok", "valid"),
            "accreditation": ("unchecked", "no_trust_source"),
            "owner": ("unchecked", "no_presentation"),
            "recognition": ("warning", "annex1_incomplete"),  # it states no quality assurance
        }
        assert report.verdict is Verdict.UNCONFIRMED
        data = report.to_dict()
        assert [(u["check"], u["code"]) for u in data["unconfirmed"]] == [
            ("seal", "jades_time_unproven"),
            ("accreditation", "no_trust_source"),
        ]
        message = data["unconfirmed"][0]["message"]
        for words in (
            "expired on 2025-05-10",
            f"made at {SIG_TST_AT}",
            "CN=good-tsa",
            "no trust anchors are configured",
            "as a trust anchor",
        ):
            assert words in message
        assert data["checks"][1]["details"]["genuine"] is True
        assert data["summary"]["confirmed"] is False

    def test_with_its_tsa_as_an_anchor_the_time_is_proven(self, eu_sealed):
        anchors = [sample_issuing_ca(eu_sealed), sample_tsa(eu_sealed)]
        report = verify(eu_sealed, trust_anchors=anchors)
        assert errors(report) == []
        seal = report.result("seal")
        assert (seal.outcome, seal.code) == (Outcome.OK, "jades_valid")
        (signature,) = seal.details["signatures"]
        assert signature["time_proven"] is True
        assert signature["validation_time"] == SIG_TST_AT
        assert [(c.check, c.code) for c in report.unconfirmed] == [
            ("accreditation", "no_trust_source")
        ]

    @pytest.mark.parametrize("where", [0.05, 0.3, 0.5, 0.8, 0.99])
    def test_a_one_character_change_to_the_payload_is_a_seal_error(self, eu_sealed, where):
        payload = eu_sealed["payload"]
        at = _letter_at(payload, int(len(payload) * where))
        eu_sealed["payload"] = payload[:at] + _other(payload[at]) + payload[at + 1 :]
        report = verify(eu_sealed)
        assert outcomes(report)["seal"] == ("error", "jades_signature_invalid")
        assert report.verdict is Verdict.NOT_VERIFIED
        assert report.summary is None

    @pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
    def test_a_one_character_change_to_the_protected_header_is_a_seal_error(
        self, eu_sealed, where
    ):
        signature = eu_sealed["signatures"][0]
        header = b64url_decode(signature["protected"]).decode("utf-8")
        at = _letter_at(header, int(len(header) * where))
        changed = header[:at] + _other(header[at]) + header[at + 1 :]
        signature["protected"] = b64url(changed.encode("utf-8"))
        report = verify(eu_sealed)
        seal = report.result("seal")
        assert seal.outcome is Outcome.ERROR
        assert seal.code.startswith("jades_")
        assert report.verdict is Verdict.NOT_VERIFIED

    def test_a_one_character_change_to_the_signature_is_a_seal_error(self, eu_sealed):
        signature = eu_sealed["signatures"][0]
        value = bytearray(base64.urlsafe_b64decode(signature["signature"] + "=="))
        value[len(value) // 2] ^= 0x01
        signature["signature"] = b64url(bytes(value))
        report = verify(eu_sealed)
        assert outcomes(report)["seal"] == ("error", "jades_signature_invalid")


def _letter_at(text: str, start: int) -> int:
    """The first ASCII letter or digit at or after ``start`` (changing it keeps JSON valid,
    so what is tested is the signature, not the parser)."""
    return next(i for i in range(start, len(text)) if text[i].isascii() and text[i].isalnum())


def _other(char: str) -> str:
    return "b" if char == "a" else "1" if char == "0" else "a" if char.isalpha() else "0"


def test_the_sample_s_tsa_is_the_one_its_time_stamps_name(eu_sealed):
    tsa = sample_tsa(eu_sealed)
    assert isinstance(tsa, x509.Certificate)
    assert tsa.not_valid_after_utc == datetime(2023, 12, 13, 16, 3, 43, tzinfo=UTC)
