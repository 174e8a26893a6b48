"""Recognition rules (verifier.recognition): the rule's schema, and the evaluation of the
VET-to-bachelor rule of docs/recognition/ on real signed micro-credentials — one credential, a
set of three, a set with a revoked and with an unconfirmed member, two providers in two
countries, another learner's credential — verified against a signed accreditation registry."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest

from keys.proof import add_proof
from schemas.bitstring import encode_list
from tests.verifier.recognition_set import (
    ANALYSIS,
    DATABASES,
    ISSUED,
    MSC_RULE,
    NOW,
    PROGRAMMING,
    SCHOOL,
    STRANGER,
    UNI,
    VET,
    VET_RULE,
    micro_credential,
    registry,
    vet_rule,
    vet_set,
)
from verifier.fetch.client import FetchError
from verifier.recognition.evaluate import Candidate, Decision, evaluate
from verifier.recognition.rules import (
    RuleError,
    load_rule_file,
    load_rules_directory,
    parse_rule,
    read_rule_data,
)
from verifier.trust import TrustedIssuer, TrustedIssuers
from verifier.verify import VerifierOptions, verify_credential

LIST = "https://vet.example/status/1"


def decide(documents, *, fetch=None, rule=None, trusted=None, now: datetime = NOW) -> Decision:
    options = VerifierOptions(now=now, registry=registry(), fetch=fetch, trusted=trusted)
    candidates = [
        Candidate(f"credential-{n}.json", d, verify_credential(d, options))
        for n, d in enumerate(documents, start=1)
    ]
    return evaluate(rule or vet_rule(), candidates, now)


def criteria(decision: Decision) -> dict[str, str]:
    return {c.criterion: c.status for c in decision.criteria}


def messages(decision: Decision, criterion: str) -> list[str]:
    found = next(c for c in decision.to_dict()["criteria"] if c["criterion"] == criterion)
    return [found["outcome"]["message"], *(f["message"] for f in found["findings"])]


# --- the rule -----------------------------------------------------------------------------------


class TestRuleSchema:
    def test_the_documented_rules_are_valid(self):
        vet = load_rule_file(VET_RULE)
        assert (vet.eqf_min, vet.fields, vet.ects_min, vet.skills_at_least) == (5, ("06",), 10, 2)
        assert vet.provider is not None and "DNK" in vet.provider.countries
        msc = load_rule_file(MSC_RULE)
        assert msc.fields == ("0613", "0688") and msc.hours_per_credit == 25

    @pytest.mark.parametrize(
        ("change", "path", "words"),
        [
            (lambda r: r["criteria"]["eqfLevel"].update(min=9), "criteria.eqfLevel.min", "8"),
            (lambda r: r["criteria"].update(iscedFields=["6a"]), "criteria.iscedFields.0", "6a"),
            (lambda r: r["criteria"].update(colour="blue"), "criteria", "colour"),
            (lambda r: r.pop("institution"), "(the rule)", "institution"),
            (
                lambda r: r["criteria"]["escoSkills"].update(atLeast=4),
                "criteria.escoSkills.atLeast",
                "lists 3",
            ),
            (lambda r: r["criteria"]["eqfLevel"].update(max=4), "criteria.eqfLevel", "above max"),
            (
                lambda r: r["criteria"]["provider"].update(vouchedBy=["gossip"]),
                "criteria.provider.vouchedBy.0",
                "gossip",
            ),
            (
                lambda r: r["criteria"]["escoSkills"]["skills"][0].update(id="https://x.example"),
                "criteria.escoSkills.skills.0.id",
                "x.example",
            ),
        ],
    )  # fmt: skip
    def test_a_malformed_rule_is_refused_naming_the_path(self, change, path, words):
        document = json.loads(MSC_RULE.read_text())
        change(document)
        with pytest.raises(RuleError) as caught:
            parse_rule(json.dumps(document), "msc.json")
        error = caught.value
        assert error.code == "rule_invalid"
        assert error.details["path"] == path
        assert error.message.startswith(f"msc.json: {path}: ")
        assert words in error.message
        assert error.to_dict()["error"]["details"]["path"] == path

    def test_yaml_errors_say_where(self):
        with pytest.raises(RuleError) as caught:
            read_rule_data("type: RecognitionRule\ncriteria: [unclosed\n", "bad.yaml")
        assert caught.value.code == "rule_unreadable"
        assert "line" in caught.value.message

    def test_yaml_aliases_are_refused(self):
        with pytest.raises(RuleError, match="aliases"):
            read_rule_data("a: &x [1, 2]\nb: *x\n", "alias.yaml")

    def test_a_rules_directory(self, tmp_path):
        (tmp_path / "vet.yaml").write_bytes(VET_RULE.read_bytes())
        (tmp_path / "broken.json").write_text('{"type": "RecognitionRule"}')
        (tmp_path / "notes.txt").write_text("not a rule")
        book = load_rules_directory(tmp_path)
        assert book.find("vet").id == vet_rule().id
        assert book.find(vet_rule().id).id == vet_rule().id
        with pytest.raises(RuleError) as caught:
            book.find("broken")
        assert caught.value.code == "rule_invalid"
        with pytest.raises(RuleError) as caught:
            book.find("nothing")
        assert caught.value.code == "rule_not_found"


# --- evaluation ---------------------------------------------------------------------------------


class TestPermeability:
    """A VET college's EQF 5 micro-credentials towards a bachelor's module (10 ECTS)."""

    def test_one_credential_is_partly_recognised(self):
        decision = decide(vet_set()[:1])
        assert decision.decision == "partly_recognised"
        assert criteria(decision) == {
            "eqfLevel": "met",
            "iscedFields": "met",
            "provider": "met",
            "issuedWithinYears": "met",
            "assessed": "met",
            "ects": "partly_met",
            "escoSkills": "partly_met",
        }
        assert messages(decision, "ects") == ["5 of 10 ECTS"]
        assert "no assessed outcome covering ESCO skill use databases" in messages(
            decision, "escoSkills"
        )
        answer = decision.to_dict()
        assert answer["message"].startswith(
            "Partly recognised as Module DF-1 Data Foundations (10 ECTS): 5 of 10 ECTS; "
        )
        (entry,) = answer["credentials"]
        assert (entry["verdict"], entry["counted"]) == ("verified", True)
        assert entry["facts"]["awardingBodies"][0]["accreditationType"].endswith("vet-provider")
        assert (
            "Nordic Demo Accreditation Agency" in entry["facts"]["awardingBodies"][0]["vouchedBy"]
        )
        assert entry["credential"] == vet_set()[0]  # the credential itself, as given

    def test_a_set_of_three_is_recognised(self):
        decision = decide(vet_set())
        assert decision.decision == "recognised"
        assert set(criteria(decision).values()) == {"met"}
        assert messages(decision, "ects") == ["14 ECTS (10 needed)"]
        assert decision.learner == {"id": "urn:microcred:learner:7", "name": "Ana Andersen 7"}
        assert [e["counted"] for e in decision.to_dict()["credentials"]] == [True, True, True]

    def test_a_revoked_member_does_not_count(self, issuer_list):
        revoked = micro_credential(
            VET, "Relational databases", number=2, skills=(DATABASES,), status=_entry(2)
        )
        documents = [vet_set()[0], revoked, vet_set()[2]]
        decision = decide(documents, fetch=issuer_list(revoked=[2]))
        assert decision.decision == "partly_recognised"
        assert messages(decision, "ects")[0] == "9 of 10 ECTS"
        entries = decision.to_dict()["credentials"]
        assert [(e["verdict"], e["counted"]) for e in entries] == [
            ("verified", True),
            ("not_verified", False),
            ("verified", True),
        ]
        (reason,) = entries[1]["reasons"]
        assert reason["code"] == "left_out_not_verified"
        assert "revoked" in reason["message"]
        assert "facts" not in entries[1]  # nothing of it was read

    def test_the_same_set_unrevoked_is_recognised(self, issuer_list):
        listed = micro_credential(
            VET, "Relational databases", number=2, skills=(DATABASES,), status=_entry(2)
        )
        decision = decide([vet_set()[0], listed, vet_set()[2]], fetch=issuer_list(revoked=[5]))
        assert decision.decision == "recognised"

    def test_an_unconfirmed_member_does_not_count(self):
        unknown = micro_credential(
            STRANGER, "Data wrangling", number=9, ects="10", skills=(ANALYSIS,)
        )
        decision = decide([vet_set()[0], unknown])
        assert decision.decision == "partly_recognised"
        assert messages(decision, "ects")[0] == "5 of 10 ECTS"
        entry = decision.to_dict()["credentials"][1]
        assert (entry["verdict"], entry["counted"]) == ("unconfirmed", False)
        assert entry["reasons"][0]["code"] == "left_out_unconfirmed"
        assert "unconfirmed" in entry["reasons"][0]["message"]

    def test_nothing_verified_is_not_recognised(self):
        forged = copy.deepcopy(vet_set()[0])
        forged["credentialSubject"]["hasClaim"]["specifiedBy"]["creditPoint"]["point"] = "50"
        decision = decide([forged])
        assert decision.decision == "not_recognised"
        assert decision.to_dict()["message"].endswith("no credential counts.")
        assert decision.to_dict()["credentials"][0]["verdict"] == "not_verified"

    def test_two_providers_in_two_countries(self):
        """The VET college (Denmark) and a university (Sweden): both count."""
        university = micro_credential(
            UNI, "Machine learning basics", number=4, eqf=6, field="0688", skills=(ANALYSIS,)
        )
        decision = decide([vet_set()[0], university])
        assert decision.decision == "recognised"
        bodies = [e["facts"]["awardingBodies"][0] for e in decision.to_dict()["credentials"]]
        assert [b["countries"] for b in bodies] == [["DNK"], ["SWE"]]
        assert [b["accreditationType"].rsplit(":", 1)[-1] for b in bodies] == [
            "vet-provider",
            "higher-education-institution",
        ]

    def test_a_provider_of_another_kind_does_not_count(self):
        school = micro_credential(
            SCHOOL, "Technical English", number=5, ects="5", skills=(DATABASES,)
        )
        decision = decide([vet_set()[0], school])
        assert decision.decision == "partly_recognised"
        assert criteria(decision)["provider"] == "partly_met"
        assert messages(decision, "provider")[1] == (
            "Demo Language School is not accredited as VET provider or higher-education institution"
        )
        assert decision.to_dict()["credentials"][1]["reasons"][0]["code"] == "left_out_criteria"

    def test_a_trusted_list_is_not_an_accreditation_when_the_rule_says_registry(self):
        listed = TrustedIssuers(
            "Friends",
            "friends.json",
            {STRANGER.controller: TrustedIssuer(STRANGER.controller, "Unknown Academy", None)},
        )
        unknown = micro_credential(
            STRANGER, "Data wrangling", number=9, ects="10", skills=(ANALYSIS,)
        )
        decision = decide([unknown], trusted=listed)
        assert decision.entries[0].verdict.value == "verified"
        assert decision.decision == "not_recognised"
        assert messages(decision, "provider")[1] == (
            "Unknown Academy is not vouched for by the accreditation registry"
        )

    def test_below_the_level_and_too_old(self):
        low = micro_credential(VET, "Spreadsheets", number=6, eqf=4, skills=(PROGRAMMING,))
        old = micro_credential(
            VET, "Old databases", number=7, skills=(DATABASES,), issued=ISSUED.replace(year=2021)
        )
        decision = decide([vet_set()[0], low, old], now=NOW)
        assert criteria(decision)["eqfLevel"] == "partly_met"
        assert criteria(decision)["issuedWithinYears"] == "partly_met"
        assert "Spreadsheets (credential-2.json) is at EQF level 4, below 5" in messages(
            decision, "eqfLevel"
        )
        assert any(
            "was issued on 2021-06-30, more than 5 years ago" in m
            for m in messages(decision, "issuedWithinYears")
        )
        assert decision.decision == "partly_recognised"

    def test_another_learners_credential_is_left_out(self):
        someone_else = micro_credential(
            VET, "Relational databases", number=8, skills=(DATABASES,), learner=99
        )
        decision = decide([vet_set()[0], someone_else])
        entry = decision.to_dict()["credentials"][1]
        assert entry["counted"] is False
        assert entry["reasons"][0]["code"] == "left_out_other_learner"
        assert "Ana Andersen 99" in entry["reasons"][0]["message"]


def _entry(index: int) -> dict:
    return {
        "id": f"{LIST}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": LIST,
    }


@pytest.fixture
def issuer_list():
    """A fetch serving the VET college's signed revocation list with the given bits set."""

    def make(revoked: list[int]):
        document = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": LIST,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": VET.controller,
            "validFrom": "2026-07-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{LIST}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encode_list(revoked),
            },
        }
        body = json.dumps(add_proof(document, VET, created=ISSUED)).encode()

        def fetch(url: str) -> bytes:
            if url != LIST:
                raise FetchError("fetch_failed", f"{url} did not answer")
            return body

        return fetch

    return make
