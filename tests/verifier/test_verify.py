"""verifier.verify: the checklist for good, tampered and incomplete credentials."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from demo.reference import demo_award, demo_organisation, reference_credential, reference_keypair
from keys.did_key import keypair_with_did_key
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof
from schemas.elm.build import build_microcredential
from tests.verifier.status_entry import with_revocation_entry
from verifier.checks.recognition import check_recognition
from verifier.report import CHECK_NAMES, Outcome, Verdict
from verifier.trust import parse_trusted_issuers, trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
# The verifier trusts the reference issuer (a did:key): its credentials can be verified.
TRUSTED = parse_trusted_issuers(
    trusted_issuers_document(
        [(str(reference_keypair().controller), "Aarhus Demo University")], name="test list"
    )
)
OPTIONS = VerifierOptions(now=NOW, trusted=TRUSTED)


def sign(document: dict, key: KeyPair) -> dict:
    """Add a proof made at a fixed moment before ``NOW``."""
    return add_proof(document, key, created=SIGNED_AT)


def outcomes(report) -> dict[str, tuple[str, str]]:
    return {c.check: (c.outcome.value, c.code) for c in report.checks}


class TestGoodCredential:
    def test_every_check_reported_in_order(self, signed):
        report = verify_credential(signed, OPTIONS)
        assert [c.check for c in report.checks] == list(CHECK_NAMES)

    def test_verified_with_expected_outcomes(self, signed, issuer_key):
        report = verify_credential(signed, OPTIONS)
        assert report.verified
        assert report.verdict is Verdict.VERIFIED
        assert outcomes(report) == {
            "format": ("ok", "well_formed"),
            "seal": ("ok", "seal_valid"),
            "revocation": ("ok", "no_status"),
            "expiry": ("ok", "valid"),
            "accreditation": ("ok", "trusted"),
            "owner": ("unchecked", "no_presentation"),
            "recognition": ("ok", "annex1_complete"),
        }
        assert report.summary["title"] == "Green Data Analytics"
        assert report.summary["ects"] == "5"
        assert report.summary["eqfLevel"] == "6"
        assert len(report.summary["learningOutcomes"]) == 3
        assert report.summary["issuer"] == issuer_key.controller

    def test_json_form(self, signed):
        data = verify_credential(signed, OPTIONS).to_dict()
        assert data["verified"] is True
        assert {tuple(sorted(c)) for c in data["checks"]} >= {
            ("check", "code", "message", "outcome")
        }


class TestFatalSeal:
    def test_tampered_signed_value(self, signed):
        signed["credentialSubject"]["hasClaim"]["specifiedBy"]["creditPoint"]["point"] = "30"
        report = verify_credential(signed, OPTIONS)
        assert not report.verified
        assert outcomes(report)["seal"] == ("error", "invalid_signature")
        for name in ("revocation", "expiry", "accreditation", "owner", "recognition"):
            assert outcomes(report)[name] == ("unchecked", "seal_invalid")
        assert report.summary is None

    def test_added_unsigned_property(self, signed):
        signed["credentialSubject"]["hasClaim"]["honours"] = "summa cum laude"
        report = verify_credential(signed, OPTIONS)
        assert outcomes(report)["format"] == ("error", "undefined_term")
        assert report.result("format").details["path"].endswith("honours")
        assert outcomes(report)["seal"][0] == "error"

    def test_unknown_context(self, signed):
        signed["@context"].append("https://example.org/my-context")
        report = verify_credential(signed, OPTIONS)
        assert outcomes(report)["format"] == ("error", "unknown_context")
        assert not report.verified

    def test_inline_context_redefining_a_term(self, signed):
        signed["@context"].append({"issuer": "https://example.org/honours"})
        report = verify_credential(signed, OPTIONS)
        assert outcomes(report)["format"] == ("error", "context_redefines_term")
        assert not report.verified

    def test_inline_context_with_vocab(self, signed):
        signed["@context"].append({"@vocab": "https://example.org/"})
        report = verify_credential(signed, OPTIONS)
        assert outcomes(report)["format"] == ("error", "context_redefines_term")
        assert not report.verified

    def test_inline_context_adding_an_unused_term_changes_nothing_signed(self, signed):
        signed["@context"].append({"honours": "https://example.org/honours"})
        report = verify_credential(signed, OPTIONS)
        assert outcomes(report)["format"] == ("ok", "well_formed")
        assert outcomes(report)["seal"][0] == "ok"

    def test_key_not_of_the_issuer(self, signed):
        stranger = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        unsigned = {k: v for k, v in signed.items() if k != "proof"}
        report = verify_credential(sign(unsigned, stranger), OPTIONS)
        assert outcomes(report)["seal"] == ("error", "key_not_authorized")

    def test_unknown_cryptosuite(self, signed):
        signed["proof"]["cryptosuite"] = "bbs-2023"
        assert outcomes(verify_credential(signed, OPTIONS))["seal"] == (
            "error",
            "unsupported_cryptosuite",
        )

    def test_swapped_proof_from_another_credential(self, signed, issuer_key):
        other = sign(reference_credential(issuer_key, outcomes=4), issuer_key)
        signed["proof"] = other["proof"]
        assert outcomes(verify_credential(signed, OPTIONS))["seal"] == (
            "error",
            "invalid_signature",
        )

    def test_no_proof(self, signed):
        del signed["proof"]
        report = verify_credential(signed, OPTIONS)
        assert outcomes(report)["seal"] == ("error", "no_proof")

    @pytest.mark.parametrize("document", [[], "text", 3, None])
    def test_not_an_object(self, document):
        report = verify_credential(document, OPTIONS)
        assert outcomes(report)["format"] == ("error", "not_an_object")
        assert not report.verified


class TestContentChecks:
    def test_expired_is_not_verified_and_says_when(self, issuer_key):
        """Genuine but lapsed: not something an employer can rely on today."""
        credential = reference_credential(issuer_key)
        credential["expirationDate"] = "2026-09-01T00:00:00Z"
        report = verify_credential(sign(credential, issuer_key), OPTIONS)
        assert outcomes(report)["expiry"] == ("error", "expired")
        assert "2026-09-01" in report.result("expiry").message
        assert report.verdict is Verdict.NOT_VERIFIED

    def test_not_yet_valid_is_not_verified(self, issuer_key):
        credential = reference_credential(issuer_key)
        credential["validFrom"] = "2027-01-01T00:00:00Z"
        report = verify_credential(sign(credential, issuer_key), OPTIONS)
        assert outcomes(report)["expiry"] == ("error", "not_yet_valid")
        assert report.verdict is Verdict.NOT_VERIFIED

    def test_missing_annex_element_is_reported_by_name(self, issuer_key):
        credential = reference_credential(issuer_key)
        del credential["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]
        report = verify_credential(sign(credential, issuer_key), OPTIONS)
        assert outcomes(report)["recognition"] == ("warning", "annex1_incomplete")
        assert report.verified, "recognition never turns a genuine credential into not verified"
        recognition = report.result("recognition")
        assert recognition.details["missingRequired"] == ["level"]
        assert "Level of the learning experience (EQF, QF-EHEA) (8)" in recognition.message

    def test_unstated_quality_assurance_is_a_warning(self, issuer_key):
        credential = reference_credential(issuer_key)
        del credential["credentialSubject"]["hasClaim"]["specifiedBy"]["accreditation"]
        report = verify_credential(sign(credential, issuer_key), OPTIONS)
        assert outcomes(report)["recognition"] == ("warning", "annex1_incomplete")
        assert report.result("recognition").details["missingRequired"] == ["qualityAssurance"]
        assert report.verified

    def test_status_entry_is_unchecked_without_a_fetcher(self, issuer_key):
        credential = with_revocation_entry(
            reference_credential(issuer_key), "https://issuer.example/status/1", 94567
        )
        report = verify_credential(sign(credential, issuer_key), OPTIONS)
        assert outcomes(report)["revocation"] == ("unchecked", "status_not_fetched")


class TestJointAward:
    def _joint(self, signers: list[KeyPair], bodies: list[KeyPair]) -> dict:
        partners = [
            demo_organisation(str(k.controller), f"Partner {i}", "DNK", "Denmark")
            for i, k in enumerate(bodies)
        ]
        credential = build_microcredential(demo_award(partners[0], partners))
        for key in signers:
            credential = sign(credential, key)
        return credential

    def test_every_partner_signs(self):
        keys = [
            keypair_with_did_key(KeyPair.generate(a))
            for a in (Algorithm.ED25519, Algorithm.P256, Algorithm.ED25519)
        ]
        report = verify_credential(self._joint(keys, keys), OPTIONS)
        assert outcomes(report)["seal"] == ("ok", "seal_valid")
        assert len(report.result("seal").details["proofs"]) == 3

    def test_a_signer_who_is_not_an_awarding_body(self):
        keys = [keypair_with_did_key(KeyPair.generate(Algorithm.ED25519)) for _ in range(3)]
        report = verify_credential(self._joint(keys, keys[:2]), OPTIONS)
        assert outcomes(report)["seal"] == ("error", "key_not_authorized")

    def test_one_partner_proof_broken(self):
        keys = [keypair_with_did_key(KeyPair.generate(Algorithm.ED25519)) for _ in range(2)]
        credential = self._joint(keys, keys)
        broken = copy.deepcopy(credential)
        broken["proof"][1]["proofValue"] = credential["proof"][0]["proofValue"]
        assert outcomes(verify_credential(broken, OPTIONS))["seal"] == (
            "error",
            "invalid_signature",
        )


class TestKeyLifecycle:
    """A retired key (``expires``) seals only what it signed before; a compromised one
    (``revoked``) seals nothing. The codes reach the ``seal`` check and fail the verdict."""

    DID = "did:web:university.example"
    RETIRED_AT = datetime(2026, 8, 1, tzinfo=UTC)
    COMPROMISED_AT = datetime(2026, 10, 1, tzinfo=UTC)

    def _options(self, keys: dict[str, KeyPair]) -> VerifierOptions:
        import json

        from keys.did_web import PublishedKey, build_did_document, did_web_to_url
        from keys.resolver import DidResolver

        document = build_did_document(
            self.DID,
            [
                keys["current"],
                PublishedKey.retired(keys["retired"], self.RETIRED_AT),
                PublishedKey.compromised(keys["stolen"], self.COMPROMISED_AT),
            ],
        )
        served = {did_web_to_url(self.DID): json.dumps(document).encode()}
        trusted = parse_trusted_issuers(
            trusted_issuers_document([(self.DID, "University")], name="lifecycle test")
        )
        return VerifierOptions(
            now=NOW, resolver=DidResolver(fetch=lambda url: served[url]), trusted=trusted
        )

    @pytest.fixture
    def keys(self) -> dict[str, KeyPair]:
        return {
            name: KeyPair.generate(Algorithm.ED25519).with_ids(f"{self.DID}#key-{n}", self.DID)
            for n, name in enumerate(("retired", "stolen", "current"), start=1)
        }

    def _seal(self, keys: dict[str, KeyPair], signer: str, created: datetime):
        credential = add_proof(reference_credential(keys["current"]), keys[signer], created=created)
        report = verify_credential(credential, self._options(keys))
        return report, report.result("seal")

    def test_retired_key_before_its_retirement(self, keys):
        report, seal = self._seal(keys, "retired", SIGNED_AT)
        assert (seal.outcome, seal.code) == (Outcome.OK, "seal_valid")
        assert report.verified

    def test_retired_key_after_its_retirement(self, keys):
        report, seal = self._seal(keys, "retired", self.RETIRED_AT + timedelta(days=1))
        assert (seal.outcome, seal.code) == (Outcome.ERROR, "key_expired")
        assert seal.message == (
            "Proof 1 of 1: signed with a key retired on 2026-08-01 00:00:00 UTC"
        )
        assert seal.details["proofs"][0]["code"] == "key_expired"
        assert not report.verified
        assert outcomes(report)["recognition"] == ("unchecked", "seal_invalid")

    def test_compromised_key_even_backdated(self, keys):
        report, seal = self._seal(keys, "stolen", SIGNED_AT)  # before it was compromised
        assert (seal.outcome, seal.code) == (Outcome.ERROR, "key_revoked")
        assert "withdrawn as compromised on 2026-10-01 00:00:00 UTC" in seal.message
        assert not report.verified


class TestEuSample:
    """The EU's own Annex I sample: well-formed, a micro-credential without quality assurance,
    but carrying no Data Integrity proof (its seal is JAdES), so it is not verified here."""

    def test_unsigned_sample(self, reference):
        import json

        sample = json.loads(
            (reference / "elm" / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8")
        )
        report = verify_credential(sample, OPTIONS)
        assert outcomes(report)["format"] == ("ok", "well_formed")
        assert outcomes(report)["seal"] == ("error", "no_proof")
        assert not report.verified
        assert outcomes(report)["recognition"] == ("unchecked", "seal_invalid")
        recognition = check_recognition(sample)
        assert (recognition.outcome, recognition.code) == (Outcome.WARNING, "annex1_incomplete")
        assert recognition.details["missingRequired"] == ["qualityAssurance"]


class TestEuSealedSample:
    """The EU's own JAdES-sealed sample: format and seal ok once the seal's issuing CA is a
    trust anchor, on a day its seal certificate was valid (it has expired since); recognition
    warns (it states no quality assurance) without touching the verdict; accreditation
    unchecked without our registry."""

    @staticmethod
    def issuing_ca(sealed: dict):
        import base64
        import json

        from cryptography import x509

        def b64url(text: str) -> bytes:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

        signature = sealed["signatures"][0]
        leaf = x509.load_der_x509_certificate(
            base64.b64decode(json.loads(b64url(signature["protected"]))["x5c"][0])
        )
        for component in signature["header"]["etsiU"]:
            for item in json.loads(b64url(component)).get("xVals", []):
                candidate = x509.load_der_x509_certificate(
                    base64.b64decode(item["x509Cert"]["val"])
                )
                if candidate.subject == leaf.issuer:
                    return candidate
        raise AssertionError("the sample carries no issuing CA")

    @pytest.fixture
    def sealed(self, reference):
        import json

        return json.loads((reference / "elm" / "Sample-MC-Annex1-signed.jsonld").read_text("utf-8"))

    def test_verifies_with_its_issuing_ca_as_anchor(self, sealed):
        # The day after it was sealed, when its seal certificate was valid and the OCSP
        # response embedded in the seal was current (the chain is judged at "now").
        the_next_day = datetime(2023, 9, 28, tzinfo=UTC)
        options = VerifierOptions(now=the_next_day, trust_anchors=[self.issuing_ca(sealed)])
        report = verify_credential(sealed, options)
        assert outcomes(report)["format"] == ("ok", "well_formed")
        assert outcomes(report)["seal"] == ("ok", "jades_valid")
        assert outcomes(report)["recognition"] == ("warning", "annex1_incomplete")
        assert report.result("recognition").details["missingRequired"] == ["qualityAssurance"]
        # Genuine and anchored, but no trust source vouches for its issuer: unconfirmed.
        assert outcomes(report)["accreditation"] == ("unchecked", "no_trust_source")
        assert report.verdict is Verdict.UNCONFIRMED
        assert report.summary["title"] == "Digital micro-credential creation"

    def test_today_its_seal_certificate_has_expired(self, sealed):
        # Expired 2025-05-10; its signature time-stamp comes from a test TSA that no anchor
        # vouches for (and whose certificate expired in 2023): the time it gives is unproven,
        # so the genuine seal is unconfirmed, never verified.
        options = VerifierOptions(now=NOW, trust_anchors=[self.issuing_ca(sealed)])
        report = verify_credential(sealed, options)
        assert outcomes(report)["seal"] == ("unchecked", "jades_time_unproven")
        assert report.verdict is Verdict.UNCONFIRMED
        assert not report.verified

    def test_without_anchors_the_seal_is_unchecked(self, sealed):
        """The signature is genuine; whose seal it is could not be confirmed: unconfirmed,
        naming the missing anchor (on a day its certificate was valid)."""
        the_next_day = datetime(2023, 9, 28, tzinfo=UTC)
        report = verify_credential(sealed, VerifierOptions(now=the_next_day))
        assert outcomes(report)["seal"] == ("unchecked", "jades_no_trust_anchor")
        assert report.verdict is Verdict.UNCONFIRMED
        assert ("seal", "jades_no_trust_anchor") in {(c.check, c.code) for c in report.unconfirmed}
        assert report.to_dict()["summary"]["confirmed"] is False

    def test_tampered_payload(self, sealed):
        sealed["payload"] = sealed["payload"].replace("Ana", "Eve", 1)
        report = verify_credential(sealed, VerifierOptions(now=NOW))
        assert outcomes(report)["seal"] == ("error", "jades_signature_invalid")
        assert outcomes(report)["recognition"] == ("unchecked", "seal_invalid")


class TestNotACredential:
    @pytest.mark.parametrize(
        "change",
        [lambda d: d.pop("issuer"), lambda d: d.update(validFrom="yesterday")],
        ids=["no-issuer", "bad-date"],
    )
    def test_format_names_the_missing_member(self, issuer_key, change):
        credential = reference_credential(issuer_key)
        change(credential)
        report = verify_credential(credential, OPTIONS)
        assert outcomes(report)["format"] == ("error", "not_a_credential")
        assert report.result("format").details["issues"]
        assert not report.verified

    def test_without_the_vc_type_its_terms_are_undefined(self, issuer_key):
        # VC 1.1 defines issuer, credentialSubject and the dates only for that type.
        credential = reference_credential(issuer_key)
        credential["type"] = ["EuropeanDigitalCredential"]
        report = verify_credential(credential, OPTIONS)
        assert outcomes(report)["format"] == ("error", "undefined_term")


class TestProofChain:
    """A chain by two different signers: the issuer's seal, then a countersignature."""

    def _chained(self, issuer_key):
        witness = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        sealed = add_proof(
            reference_credential(issuer_key), issuer_key, created=SIGNED_AT, proof_id="urn:uuid:s1"
        )
        return add_proof(sealed, witness, created=SIGNED_AT, previous_proof="urn:uuid:s1")

    def test_chain_by_two_signers_verifies(self, issuer_key):
        report = verify_credential(self._chained(issuer_key), OPTIONS)
        seal = next(c for c in report.checks if c.check == "seal")
        assert (seal.outcome.value, seal.code) == ("ok", "seal_valid")
        assert [p["role"] for p in seal.details["proofs"]] == ["seal", "chained"]

    def test_dangling_previous_proof_is_an_error(self, issuer_key):
        document = self._chained(issuer_key)
        document["proof"][1]["previousProof"] = "urn:uuid:not-there"
        report = verify_credential(document, OPTIONS)
        assert outcomes(report)["seal"] == ("error", "previous_proof_missing")
        assert not report.verified

    def test_a_second_seal_by_a_stranger_is_still_refused(self, signed):
        stranger = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        report = verify_credential(add_proof(signed, stranger, created=SIGNED_AT), OPTIONS)
        assert outcomes(report)["seal"] == ("error", "key_not_authorized")


class TestVc2Rules:
    """The data-model rules at verification: an invalid shape is a format error naming its path."""

    def _signed(self, **more):
        key = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
        document = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": key.controller,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:subject", "name": "Ada"},
            **more,
        }
        return add_proof(document, key, created=SIGNED_AT)

    def test_a_conforming_credential_passes_format(self):
        report = verify_credential(self._signed(), OPTIONS)
        assert outcomes(report)["format"] == ("ok", "well_formed")
        assert outcomes(report)["seal"][0] == "ok"

    @pytest.mark.parametrize(
        ("more", "code", "path"),
        [
            ({"validUntil": "2025-01-01T00:00:00Z"}, "invalid_validity_period", "validUntil"),
            (
                {"credentialStatus": {"id": "did:example:s"}},
                "invalid_typed_object",
                "credentialStatus/type",
            ),
            (
                {"relatedResource": [{"id": "https://example.org/r"}]},
                "invalid_related_resource",
                "relatedResource/0",
            ),
            ({"issuer": {"id": None}}, "invalid_issuer", "issuer/id"),
        ],
    )
    def test_invalid_shapes_are_refused(self, more, code, path):
        document = self._signed()
        document.update(more)  # as an issuer that does not check would have signed it
        report = verify_credential(document, OPTIONS)
        check = next(c for c in report.checks if c.check == "format")
        assert (check.outcome.value, check.code) == ("error", code)
        assert check.details["path"] == path
        assert not report.verified

    def test_expiry_refuses_an_end_before_the_start(self):
        from verifier.checks.expiry import check_expiry

        result = check_expiry(
            {"validFrom": "2026-01-01T00:00:00Z", "validUntil": "2025-01-01T00:00:00Z"}, now=NOW
        )
        assert (result.outcome.value, result.code) == ("error", "invalid_validity_period")
