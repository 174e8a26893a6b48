"""verifier.registry and the ``accreditation`` check: the chain authority → agency →
record, and the matching of awarding bodies, dates and limits."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from demo.reference import demo_award, demo_organisation, reference_keypair
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof
from keys.resolver import DidResolver
from schemas.elm.build import build_microcredential
from verifier.checks.accreditation import check_accreditation
from verifier.registry.assess import assess
from verifier.registry.author import agencies_credential, bundle, record_credential, sign
from verifier.registry.load import load_registry, load_registry_file
from verifier.registry.model import AccreditationRegistry
from verifier.registry.vocabulary import (
    RegistryFormatError,
    eqf_level,
    field_covers,
    jurisdiction_iri,
)
from verifier.report import Outcome
from verifier.verify import VerifierOptions, verify_credential

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
REGISTRY_SIGNED_AT = datetime(2026, 1, 15, tzinfo=UTC)
SPEC = "urn:microcred:spec:green-data-analytics"  # the demo specification's id

AUTHORITY = reference_keypair(41)
AGENCY = reference_keypair(42)  # recognised: DNK, SWE, EQF up to 7, fields 06 and 07
ROGUE_AGENCY = reference_keypair(43)  # not in the authority's list
OTHER_KEY = reference_keypair(44)
UNI_A = reference_keypair(51)
UNI_B = reference_keypair(52)
UNI_C = reference_keypair(53)

AGENCIES = [
    {
        "id": AGENCY.controller,
        "name": "Nordic Accreditation Agency",
        "jurisdictions": ["DNK", "SWE"],
        "maxEQFLevel": 7,
        "fields": ["06", "07"],
    }
]


# --- building blocks ------------------------------------------------------------------------


def signed_agencies(
    entries: list[dict[str, Any]] | None = None,
    *,
    key: KeyPair = AUTHORITY,
    authority: str | None = None,
    valid_until: datetime | None = None,
) -> dict:
    document = agencies_credential(
        entries or AGENCIES,
        authority=authority or str(AUTHORITY.controller),
        issued=REGISTRY_SIGNED_AT,
        valid_until=valid_until,
    )
    return add_proof(document, key, created=REGISTRY_SIGNED_AT)


def record(organisation: KeyPair | str | dict, agency: KeyPair = AGENCY, **fields: Any) -> dict:
    """A signed record for ``organisation``, valid 2024-01-01..2030-12-31 unless overridden."""
    description = {
        "organisation": (
            organisation.controller if isinstance(organisation, KeyPair) else organisation
        ),
        "title": "Institutional accreditation",
        "issued": "2024-01-01",
        "expiryDate": "2030-12-31",
        **fields,
    }
    document = record_credential(
        description, agency=str(agency.controller), issued=REGISTRY_SIGNED_AT
    )
    return sign(document, agency, created=REGISTRY_SIGNED_AT)


def load(records: list[dict], agencies: dict | None = None) -> AccreditationRegistry:
    return load_registry(
        bundle(agencies or signed_agencies(), records),
        authority=str(AUTHORITY.controller),
        resolver=DidResolver(),
        now=NOW,
    )


def credential(
    *bodies: KeyPair,
    country: str = "DNK",
    eqf: int = 6,
    field: str = "0688",
    signers: tuple[KeyPair, ...] | None = None,
    issuer: KeyPair | None = None,
) -> dict:
    """The demo micro-credential awarded by ``bodies``, signed by each (or by ``signers``)."""
    partners = [
        demo_organisation(str(k.controller), f"University {i + 1}", country, country)
        for i, k in enumerate(bodies)
    ]
    issuing = (
        demo_organisation(str(issuer.controller), "Issuing office", country, country)
        if issuer
        else partners[0]
    )
    award = demo_award(issuing, partners)
    award = dataclasses.replace(
        award,
        specification=dataclasses.replace(award.specification, eqf_level=eqf, isced_field=field),
    )
    document = build_microcredential(award)
    for key in signers if signers is not None else bodies:
        document = add_proof(document, key, created=SIGNED_AT)
    return document


def check(document: dict, registry: AccreditationRegistry | None):
    return check_accreditation(document, registry=registry, now=NOW)


def codes(registry: AccreditationRegistry, document: dict) -> list[str]:
    return [a.code for a in assess(registry, document, NOW)]


# --- the good path ----------------------------------------------------------------------------


class TestAccredited:
    def test_verify_reports_accredited(self):
        registry = load([record(UNI_A, limitEQFLevel=[6], limitField=["06"])])
        report = verify_credential(credential(UNI_A), VerifierOptions(now=NOW, registry=registry))
        result = report.result("accreditation")
        assert (result.outcome, result.code) == (Outcome.OK, "accredited")
        assert report.verified
        (party,) = result.details["parties"]
        assert party["vouched"] is True
        assert party["role"] == "issuer and awarding body"
        (finding,) = party["findings"]
        assessment = finding["assessment"]
        assert assessment["covered"] is True
        assert assessment["agency"]["id"] == AGENCY.controller
        assert assessment["record"]["organisation"] == UNI_A.controller
        assert assessment["limits"] == {"eqfLevels": [6], "fields": ["06"]}
        # Who vouched, in words: agency, registry, record and limits.
        assert party["vouchedBy"].startswith(
            f"accredited by Nordic Accreditation Agency in the registry of {AUTHORITY.controller}"
        )
        assert assessment["record"]["id"] in party["vouchedBy"]
        assert party["vouchedBy"].endswith("for EQF 6, ISCED-F 06")

    def test_record_without_limits(self):
        registry = load([record(UNI_A)])
        assert codes(registry, credential(UNI_A)) == ["accredited"]

    def test_registry_counts(self):
        registry = load([record(UNI_A), record(UNI_B)])
        assert registry.problem is None
        assert set(registry.agencies) == {AGENCY.controller}
        assert [r.organisation for r in registry.records] == [UNI_A.controller, UNI_B.controller]
        assert registry.refused == []

    def test_joint_award_all_accredited(self):
        registry = load([record(UNI_A), record(UNI_B), record(UNI_C)])
        result = check(credential(UNI_A, UNI_B, UNI_C), registry)
        assert (result.outcome, result.code) == (Outcome.OK, "accredited")
        assert [p["vouched"] for p in result.details["parties"]] == [True, True, True]

    def test_one_covering_record_is_enough(self):
        registry = load([record(UNI_A, limitEQFLevel=[7]), record(UNI_A, limitEQFLevel=[6])])
        assert codes(registry, credential(UNI_A)) == ["accredited"]

    def test_identifier_listed_by_the_agency(self):
        """The agency may list other identifiers of the organisation (say, its old DID)."""
        registry = load(
            [record({"id": "did:web:uni-a.example", "identifiers": [UNI_A.controller]})]
        )
        assert codes(registry, credential(UNI_A)) == ["accredited"]


# --- bodies, dates and limits -----------------------------------------------------------------


class TestNotCovered:
    def test_body_without_record(self):
        """A registry that does not know the body does not vouch for it: not confirmed (the
        verdict is unconfirmed), not a failure."""
        registry = load([record(UNI_A)])
        result = check(credential(UNI_B), registry)
        assert (result.outcome, result.code) == (Outcome.UNCHECKED, "not_in_trust_source")
        assert result.details["parties"][0]["findings"][0]["code"] == "not_accredited"

    def test_joint_award_with_one_body_unaccredited(self):
        registry = load([record(UNI_A), record(UNI_C)])
        result = check(credential(UNI_A, UNI_B, UNI_C), registry)
        assert (result.outcome, result.code) == (Outcome.UNCHECKED, "not_in_trust_source")
        assert "University 2" in result.message
        assert [(p["id"], p["code"]) for p in result.details["parties"]] == [
            (UNI_A.controller, "accredited"),
            (UNI_B.controller, "not_accredited"),
            (UNI_C.controller, "accredited"),
        ]

    def test_identifier_claimed_by_the_credential_is_not_enough(self):
        """A body cannot borrow an accredited organisation's registration number."""
        registry = load([record({"id": UNI_A.controller, "identifiers": ["DK-CVR-12345678"]})])
        document = credential(UNI_B, signers=())
        body = document["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"][0]
        body["identifier"] = {"type": "Identifier", "notation": "DK-CVR-12345678"}
        assert codes(registry, document) == ["not_accredited"]

    def test_covered_body_that_did_not_sign(self):
        """The issuer signs alone, naming an accredited organisation as the awarding body: the
        seal fails, naming the body (every awarding body must seal with its own key)."""
        registry = load([record(UNI_A), record(OTHER_KEY)])
        document = credential(UNI_A, issuer=OTHER_KEY, signers=(OTHER_KEY,))
        report = verify_credential(document, VerifierOptions(now=NOW, registry=registry))
        seal = report.result("seal")
        assert (seal.outcome, seal.code) == (Outcome.ERROR, "awarding_body_not_sealed")
        assert "University 1" in seal.message
        assert not report.verified

    def test_issuer_that_awards_nothing_is_judged_too(self):
        """The issuing office (not an awarding body) must be vouched for as well."""
        registry = load([record(UNI_A)])
        document = credential(UNI_A, issuer=OTHER_KEY, signers=(OTHER_KEY, UNI_A))
        result = check(document, registry)
        assert (result.outcome, result.code) == (Outcome.UNCHECKED, "not_in_trust_source")
        assert [(p["id"], p["role"], p["vouched"]) for p in result.details["parties"]] == [
            (OTHER_KEY.controller, "issuer", False),
            (UNI_A.controller, "awarding body", True),
        ]
        registry = load([record(UNI_A), record(OTHER_KEY)])
        assert check(document, registry).code == "accredited"

    def test_payload_without_proofs_is_judged_by_its_parties(self):
        """A JAdES-sealed payload carries no Data Integrity proof: its seal is a certificate's;
        the trust check still judges its issuer and awarding bodies."""
        registry = load([record(UNI_A)])
        result = check(credential(UNI_A, signers=()), registry)
        assert (result.outcome, result.code) == (Outcome.OK, "accredited")


class TestDates:
    def test_expired_before_issue(self):
        """The demo credential is issued on 2026-06-30."""
        registry = load([record(UNI_A, issued="2020-01-01", expiryDate="2026-06-29")])
        result = check(credential(UNI_A), registry)
        assert (result.outcome, result.code) == (Outcome.ERROR, "accreditation_expired")
        assert result.details["parties"][0]["findings"][0]["assessment"]["when"] == "expired"

    def test_not_yet_valid_at_issue(self):
        registry = load([record(UNI_A, issued="2026-07-01", expiryDate="2031-01-01")])
        result = check(credential(UNI_A), registry)
        assert (result.outcome, result.code) == (Outcome.ERROR, "accreditation_expired")
        assert result.details["parties"][0]["findings"][0]["assessment"]["when"] == (
            "not_yet_valid"
        )

    def test_expired_after_issue_still_covers(self):
        """What counts is the accreditation on the issue date, not today."""
        registry = load([record(UNI_A, issued="2020-01-01", expiryDate="2026-08-01")])
        assert codes(registry, credential(UNI_A)) == ["accredited"]

    def test_open_ended_record(self):
        registry = load([record(UNI_A, expiryDate=None)])
        assert codes(registry, credential(UNI_A)) == ["accredited"]

    def test_issue_date_later_than_now_is_judged_now(self):
        """A credential dated into a future accreditation window is not covered today."""
        registry = load([record(UNI_A, issued="2026-12-01", expiryDate="2031-01-01")])
        document = credential(UNI_A, signers=())
        for member in ("issued", "validFrom", "issuanceDate"):
            document[member] = "2027-01-01T00:00:00Z"
        assert codes(registry, document) == ["accreditation_expired"]

    def test_issue_date_missing(self):
        registry = load([record(UNI_A)])
        document = credential(UNI_A, signers=())
        for member in ("issued", "validFrom", "issuanceDate"):
            del document[member]
        assert codes(registry, document) == ["issue_date_missing"]


class TestLimits:
    @pytest.mark.parametrize(
        ("levels", "code"),
        [([6], "accredited"), ([5, 6, 7], "accredited"), ([5, 7], "eqf_out_of_scope")],
    )
    def test_eqf_level(self, levels, code):
        registry = load([record(UNI_A, limitEQFLevel=levels)])
        assert codes(registry, credential(UNI_A, eqf=6)) == [code]

    def test_eqf_level_given_as_iri(self):
        registry = load([record(UNI_A, limitEQFLevel=["http://data.europa.eu/snb/eqf/6"])])
        assert codes(registry, credential(UNI_A, eqf=6)) == ["accredited"]

    @pytest.mark.parametrize(
        ("limit", "code"),
        [
            ("06", "accredited"),
            ("068", "accredited"),
            ("0688", "accredited"),
            ("061", "field_out_of_scope"),
            ("0611", "field_out_of_scope"),
            ("07", "field_out_of_scope"),
        ],
    )
    def test_isced_field_tree(self, limit, code):
        """The credential's field is 0688: 06 and 068 cover it, 061 does not."""
        registry = load([record(UNI_A, limitField=[limit])])
        assert codes(registry, credential(UNI_A, field="0688")) == [code]

    @pytest.mark.parametrize(
        ("limit", "country", "code"),
        [
            (["DNK"], "DNK", "accredited"),
            (["SWE"], "DNK", "jurisdiction_out_of_scope"),
            (["SWE", "DNK"], "SWE", "accredited"),
            (["DK01"], "DNK", "jurisdiction_out_of_scope"),  # a region the body does not name
        ],
    )
    def test_jurisdiction(self, limit, country, code):
        registry = load([record(UNI_A, limitJurisdiction=limit)])
        assert codes(registry, credential(UNI_A, country=country)) == [code]

    @pytest.mark.parametrize(
        ("region", "code"),
        [("DK011", "accredited"), ("DK01", "accredited"), ("DK02", "jurisdiction_out_of_scope")],
    )
    def test_region_tree(self, region, code):
        """A NUTS region limit covers the regions below it (DK01 covers DK011)."""
        registry = load([record(UNI_A, limitJurisdiction=["DK01"])])
        document = credential(UNI_A, signers=())
        body = document["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"][0]
        body["location"]["spatialCode"] = {"id": f"http://data.europa.eu/nuts/code/{region}"}
        assert codes(registry, document) == [code]

    def test_qualification(self):
        inside = load([record(UNI_A, limitQualification=[SPEC, "urn:microcred:spec:other"])])
        outside = load([record(UNI_A, limitQualification=["urn:microcred:spec:other"])])
        assert codes(inside, credential(UNI_A)) == ["accredited"]
        assert codes(outside, credential(UNI_A)) == ["qualification_out_of_scope"]

    def test_unknown_fact_fails_the_limit(self):
        """A limit the credential gives nothing to check against is not satisfied."""
        registry = load([record(UNI_A, limitEQFLevel=[6])])
        document = credential(UNI_A, signers=())
        del document["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]
        assert codes(registry, document) == ["eqf_out_of_scope"]

    def test_reason_of_the_nearest_record(self):
        registry = load(
            [
                record(UNI_A, limitEQFLevel=[7], limitField=["07"]),
                record(UNI_A, limitField=["061"]),
            ]
        )
        (assessment,) = assess(registry, credential(UNI_A), NOW)
        assert assessment.code == "field_out_of_scope"
        assert [c["codes"] for c in assessment.candidates] == [
            ["eqf_out_of_scope", "field_out_of_scope"],
            ["field_out_of_scope"],
        ]

    def test_empty_limit_list_is_no_limit(self):
        """``[]`` and an absent limit sign the same RDF, so they must mean the same."""
        document = record(UNI_A)
        document["credentialSubject"]["accreditation"]["limitEQFLevel"] = []
        registry = load([document])
        assert registry.refused == []
        assert codes(registry, credential(UNI_A, eqf=8)) == ["agency_out_of_scope"]
        assert codes(registry, credential(UNI_A, eqf=7)) == ["accredited"]


# --- the chain ----------------------------------------------------------------------------------


class TestChain:
    def test_unrecognised_agency(self):
        registry = load([record(UNI_A, agency=ROGUE_AGENCY)])
        assert registry.records == []
        (refused,) = registry.refused
        assert refused.code == "agency_not_recognised"
        result = check(credential(UNI_A), registry)
        assert (result.outcome, result.code) == (Outcome.ERROR, "agency_not_recognised")

    def test_recognised_record_wins_over_a_rogue_one(self):
        registry = load([record(UNI_A, agency=ROGUE_AGENCY), record(UNI_A)])
        assert codes(registry, credential(UNI_A)) == ["accredited"]

    @pytest.mark.parametrize(
        "limits",
        [{"limitEQFLevel": [8]}, {"limitField": ["0611", "08"]}, {"limitJurisdiction": ["FRA"]}],
    )
    def test_record_beyond_the_agency_scope_is_refused(self, limits):
        registry = load([record(UNI_A, **limits)])
        assert [r.code for r in registry.refused] == ["agency_out_of_scope"]
        assert codes(registry, credential(UNI_A)) == ["agency_out_of_scope"]

    def test_record_within_the_agency_scope(self):
        registry = load(
            [
                record(
                    UNI_A,
                    limitEQFLevel=[6, 7],
                    limitField=["068", "07"],
                    limitJurisdiction=["DK01"],
                )
            ]
        )
        assert registry.refused == []

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"eqf": 8}, "agency_out_of_scope"),
            ({"field": "0311"}, "agency_out_of_scope"),
            ({"country": "FRA"}, "agency_out_of_scope"),
        ],
    )
    def test_credential_beyond_the_agency_scope(self, kwargs, code):
        """A record without limits is still bounded by its agency's scope."""
        registry = load([record(UNI_A)])
        assert codes(registry, credential(UNI_A, **kwargs)) == [code]

    def test_agency_without_scope(self):
        agencies = signed_agencies([{"id": AGENCY.controller, "name": "Anything goes"}])
        registry = load([record(UNI_A)], agencies)
        assert codes(registry, credential(UNI_A, eqf=8, field="0311", country="FRA")) == [
            "accredited"
        ]

    def test_tampered_record(self):
        document = record(UNI_A, limitEQFLevel=[5])
        document["credentialSubject"]["accreditation"]["limitEQFLevel"] = [
            "http://data.europa.eu/snb/eqf/6"
        ]
        registry = load([document])
        assert [r.code for r in registry.refused] == ["signature_invalid"]
        assert registry.records == []
        assert codes(registry, credential(UNI_A)) == ["not_accredited"]

    def test_record_signed_by_another_key_than_its_issuer(self):
        document = record_credential(
            {"organisation": UNI_A.controller, "issued": "2024-01-01"},
            agency=str(AGENCY.controller),
        )
        forged = add_proof(document, ROGUE_AGENCY, created=REGISTRY_SIGNED_AT)
        registry = load([forged])
        assert [r.code for r in registry.refused] == ["signature_invalid"]

    def test_record_naming_another_agent_than_its_issuer(self):
        document = record(UNI_A)
        document["credentialSubject"]["accreditation"]["accreditingAgent"] = OTHER_KEY.controller
        document = add_proof(
            {k: v for k, v in document.items() if k != "proof"}, AGENCY, created=REGISTRY_SIGNED_AT
        )
        registry = load([document])
        assert [r.code for r in registry.refused] == ["record_invalid"]

    def test_record_with_foreign_context_is_invalid(self):
        document = record(UNI_A)
        document["@context"] = document["@context"][:2]
        envelope = bundle(signed_agencies(), [document])
        envelope["records"].append("not a record")
        registry = load_registry(
            envelope, authority=str(AUTHORITY.controller), resolver=DidResolver(), now=NOW
        )
        assert [r.code for r in registry.refused] == ["record_invalid", "record_invalid"]

    def test_unresolvable_agency_key(self):
        """A record whose key cannot be fetched is refused, and the body is unchecked."""
        web_agency = KeyPair.generate(Algorithm.ED25519).with_ids(
            "did:web:agency.example#key-1", "did:web:agency.example"
        )
        agencies = signed_agencies(
            [*AGENCIES, {"id": "did:web:agency.example", "name": "Web agency"}]
        )
        registry = load([record(UNI_A, agency=web_agency)], agencies)
        assert [r.code for r in registry.refused] == ["did_unresolved"]
        result = check(credential(UNI_A), registry)
        assert (result.outcome, result.code) == (Outcome.UNCHECKED, "record_unverified")


class TestRegistryInvalid:
    def assert_invalid(self, registry: AccreditationRegistry, reason: str) -> None:
        assert registry.problem is not None
        assert registry.problem.code == reason
        result = check(credential(UNI_A), registry)
        assert (result.outcome, result.code) == (Outcome.UNCHECKED, "registry_invalid")
        assert result.details["reason"] == reason
        report = verify_credential(credential(UNI_A), VerifierOptions(now=NOW, registry=registry))
        assert report.result("accreditation").code == "registry_invalid"

    def test_agencies_signed_by_another_key(self):
        agencies = signed_agencies(key=OTHER_KEY)  # issuer still names the authority
        self.assert_invalid(load([record(UNI_A)], agencies), "signature_invalid")

    def test_agencies_issued_by_another_authority(self):
        agencies = signed_agencies(key=OTHER_KEY, authority=str(OTHER_KEY.controller))
        self.assert_invalid(load([record(UNI_A)], agencies), "authority_mismatch")

    def test_agency_added_after_signing(self):
        agencies = signed_agencies()
        rogue = copy.deepcopy(agencies["credentialSubject"][0])
        rogue["id"] = rogue["accreditation"]["organisation"] = ROGUE_AGENCY.controller
        agencies["credentialSubject"].append(rogue)
        self.assert_invalid(
            load([record(UNI_A, agency=ROGUE_AGENCY)], agencies), "signature_invalid"
        )

    def test_unsigned_agencies(self):
        agencies = {k: v for k, v in signed_agencies().items() if k != "proof"}
        self.assert_invalid(load([record(UNI_A)], agencies), "signature_invalid")

    def test_agencies_list_expired(self):
        agencies = signed_agencies(valid_until=datetime(2026, 10, 1, tzinfo=UTC))
        registry = load([record(UNI_A)], agencies)
        assert registry.problem is None
        assert registry.problem_at(NOW).code == "registry_expired"
        result = check(credential(UNI_A), registry)
        assert (result.outcome, result.code) == (Outcome.UNCHECKED, "registry_invalid")
        assert result.details["reason"] == "registry_expired"

    @pytest.mark.parametrize(
        "document",
        [
            None,
            [],
            {"type": "Something"},
            {"type": "AccreditationRegistry", "version": 2, "agencies": {}, "records": []},
            {"type": "AccreditationRegistry", "version": 1, "agencies": {}, "records": {}},
            {"type": "AccreditationRegistry", "version": 1, "agencies": {}, "records": []},
        ],
    )
    def test_malformed(self, document):
        registry = load_registry(
            document, authority=str(AUTHORITY.controller), resolver=DidResolver(), now=NOW
        )
        self.assert_invalid(registry, "registry_malformed")

    def test_unreadable_file(self, tmp_path):
        registry = load_registry_file(
            tmp_path / "missing.json",
            authority=str(AUTHORITY.controller),
            resolver=DidResolver(),
            now=NOW,
        )
        self.assert_invalid(registry, "registry_malformed")

    def test_registry_file(self, tmp_path):
        import json

        path = tmp_path / "registry.json"
        path.write_text(json.dumps(bundle(signed_agencies(), [record(UNI_A)])))
        registry = load_registry_file(
            path, authority=str(AUTHORITY.controller), resolver=DidResolver(), now=NOW
        )
        assert codes(registry, credential(UNI_A)) == ["accredited"]


class TestNoRegistry:
    def test_unchecked(self):
        result = check(credential(UNI_A), None)
        assert (result.outcome, result.code) == (Outcome.UNCHECKED, "no_trust_source")
        report = verify_credential(credential(UNI_A), VerifierOptions(now=NOW))
        assert report.result("accreditation").code == "no_trust_source"
        assert report.verdict.value == "unconfirmed"

    def test_no_awarding_body(self):
        registry = load([record(UNI_A)])
        document = credential(UNI_A, signers=())
        del document["credentialSubject"]["hasClaim"]["awardedBy"]
        result = check(document, registry)
        assert (result.outcome, result.code) == (Outcome.ERROR, "no_awarding_body")


# --- values and building -----------------------------------------------------------------------


class TestValues:
    @pytest.mark.parametrize(
        ("limits", "code", "covered"),
        [(["06"], "0688", True), (["061"], "0688", False), (["0688"], "068", False)],
    )
    def test_field_covers(self, limits, code, covered):
        assert field_covers(limits, code) is covered

    @pytest.mark.parametrize(
        ("value", "level"),
        [(6, 6), ("6", 6), ("http://data.europa.eu/snb/eqf/8", 8), (9, None), (True, None)],
    )
    def test_eqf_level(self, value, level):
        assert eqf_level(value) == level

    @pytest.mark.parametrize(
        ("value", "iri"),
        [
            ("DNK", "http://publications.europa.eu/resource/authority/country/DNK"),
            ("DK01", "http://data.europa.eu/nuts/code/DK01"),
            ("EL30", "http://data.europa.eu/nuts/code/EL30"),
            ("http://data.europa.eu/nuts/code/DEA", "http://data.europa.eu/nuts/code/DEA"),
        ],
    )
    def test_jurisdiction_iri(self, value, iri):
        assert jurisdiction_iri(value) == iri

    @pytest.mark.parametrize("value", ["dk", "XX01", "", 7])
    def test_bad_jurisdiction(self, value):
        with pytest.raises(RegistryFormatError):
            jurisdiction_iri(value)

    @pytest.mark.parametrize(
        "description",
        [
            {"issued": "2024-01-01"},
            {"organisation": "did:key:z6Mkx"},
            {"organisation": "did:key:z6Mkx", "issued": "soon"},
            {"organisation": "did:key:z6Mkx", "issued": "2024-01-01", "limitEQFLevel": [9]},
            {"organisation": "did:key:z6Mkx", "issued": "2024-01-01", "limitField": ["6"]},
            {"organisation": "did:key:z6Mkx", "issued": "2024-01-01", "accreditingAgent": "x"},
        ],
    )
    def test_bad_record_description(self, description):
        with pytest.raises(RegistryFormatError):
            record_credential(description, agency=str(AGENCY.controller))

    @pytest.mark.parametrize(
        "entries",
        [[], [{"name": "no id"}], [{"id": "did:key:z6Mkx", "maxEQFLevel": 9}], "DNK"],
    )
    def test_bad_agencies(self, entries):
        with pytest.raises(RegistryFormatError):
            agencies_credential(entries, authority=str(AUTHORITY.controller))

    def test_sign_refuses_a_key_of_another_party(self):
        document = record_credential(
            {"organisation": UNI_A.controller, "issued": "2024-01-01"},
            agency=str(AGENCY.controller),
        )
        with pytest.raises(RegistryFormatError):
            sign(document, ROGUE_AGENCY)

    def test_documents_pass_strict_expansion(self):
        from schemas.jsonld import expand_strict

        for document in (signed_agencies(), record(UNI_A, limitEQFLevel=[6], limitField=["06"])):
            assert expand_strict(document)
