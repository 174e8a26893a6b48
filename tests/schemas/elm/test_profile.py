"""schemas.elm.profile: the Annex I elements of a micro-credential, each named when it is short."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from schemas.elm.profile import (
    ANNEX_I_ELEMENTS,
    STATED_ELEMENTS,
    _validator,
    microcredential_schema,
    schema_issues,
    unstated_elements,
    validate_microcredential,
)
from schemas.errors import SchemaViolation
from schemas.jsonld import expand_strict

CLAIM = "credentialSubject/hasClaim"
SPEC = f"{CLAIM}/specifiedBy"


def _get(document: Any, path: str) -> Any:
    for part in filter(None, path.split("/")):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def _remove(document: dict[str, Any], *paths: str) -> None:
    for path in paths:
        parent, _, key = path.rpartition("/")
        del _get(document, parent)[key]


def _elements(issues: Any) -> set[str | None]:
    return {issue.element for issue in issues}


def _walk(schema: Any) -> Iterator[dict[str, Any]]:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


class TestSchema:
    def test_is_a_valid_draft_2020_12_schema(self) -> None:
        schema = microcredential_schema()
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)

    def test_names_exactly_the_annex_i_elements(self) -> None:
        named = {
            node["x-element"] for node in _walk(microcredential_schema()) if "x-element" in node
        }
        assert named == set(ANNEX_I_ELEMENTS) | set(STATED_ELEMENTS)
        assert len(ANNEX_I_ELEMENTS) + len(STATED_ELEMENTS) == 11

    def test_refs_are_local(self) -> None:
        refs = [node["$ref"] for node in _walk(microcredential_schema()) if "$ref" in node]
        assert refs
        assert all(ref.startswith("#/$defs/") for ref in refs)

    def test_validator_is_compiled_once(self) -> None:
        assert _validator() is _validator()


class TestEuSamples:
    """The EU's Annex I sample carries every element but quality assurance (no accreditation):
    it meets the profile, and the missing statement is reported, not refused."""

    def test_unsigned_sample_meets_the_profile(self, eu_sample: dict[str, Any]) -> None:
        assert schema_issues(eu_sample) == []
        assert unstated_elements(eu_sample) == ["qualityAssurance"]

    def test_signed_payload_meets_the_profile(self, eu_signed_payload: dict[str, Any]) -> None:
        assert schema_issues(eu_signed_payload) == []
        assert unstated_elements(eu_signed_payload) == ["qualityAssurance"]

    def test_unsigned_sample_with_an_accreditation_validates(
        self, micro_credential: dict[str, Any]
    ) -> None:
        validate_microcredential(micro_credential)
        assert schema_issues(micro_credential) == []
        assert unstated_elements(micro_credential) == []
        expand_strict(micro_credential)  # the added accreditation uses defined terms only

    def test_signed_payload_with_an_accreditation_validates(
        self, eu_signed_payload: dict[str, Any], accreditation: dict[str, Any]
    ) -> None:
        eu_signed_payload["evidence"]["accreditation"] = accreditation
        validate_microcredential(eu_signed_payload)
        expand_strict(eu_signed_payload)


# Element -> what to remove from the sample (with an accreditation) so that it is missing.
REMOVALS = {
    "learner": [
        "credentialSubject/fullName",
        "credentialSubject/givenName",
        "credentialSubject/familyName",
        "credentialSubject/nationalID",
    ],
    "title": [f"{CLAIM}/title", f"{SPEC}/title"],
    "country": ["issuer/location/address/countryCode"],
    "awardingBody": [f"{CLAIM}/awardedBy/awardingBody"],
    "dateOfIssuing": ["validFrom"],
    "learningOutcomes": [f"{SPEC}/learningOutcome"],
    "workload": [f"{SPEC}/creditPoint", f"{SPEC}/volumeOfLearning"],
    "level": [f"{SPEC}/eqfLevel"],
    "assessment": [f"{CLAIM}/provenBy"],
    "participation": [f"{SPEC}/mode", f"{SPEC}/learningSetting"],
    "qualityAssurance": [f"{SPEC}/accreditation"],
}


def test_every_element_has_a_removal_test() -> None:
    assert list(REMOVALS) == list(ANNEX_I_ELEMENTS) + list(STATED_ELEMENTS)


def test_removing_quality_assurance_is_reported_not_refused(
    micro_credential: dict[str, Any],
) -> None:
    _remove(micro_credential, *REMOVALS["qualityAssurance"])
    assert schema_issues(micro_credential) == []
    assert unstated_elements(micro_credential) == ["qualityAssurance"]


@pytest.mark.parametrize(
    ("element", "paths"),
    [(e, p) for e, p in REMOVALS.items() if e in ANNEX_I_ELEMENTS],
    ids=list(ANNEX_I_ELEMENTS),
)
def test_removing_an_element_names_it(
    micro_credential: dict[str, Any], element: str, paths: list[str]
) -> None:
    _remove(micro_credential, *paths)
    assert unstated_elements(micro_credential) == []
    issues = schema_issues(micro_credential)
    assert _elements(issues) == {element}
    with pytest.raises(SchemaViolation) as caught:
        validate_microcredential(micro_credential)
    assert caught.value.code == "schema_violation"
    assert caught.value.issues == issues


@pytest.mark.parametrize(
    ("path", "value", "element", "issue_path"),
    [
        (
            f"{SPEC}/eqfLevel",
            {"id": "http://data.europa.eu/snb/eqf/9"},
            "level",
            f"{SPEC}/eqfLevel/id",
        ),
        (
            f"{SPEC}/eqfLevel",
            "http://data.europa.eu/snb/isced-f/0688",
            "level",
            f"{SPEC}/eqfLevel",
        ),
        (f"{SPEC}/volumeOfLearning", "60 hours", "workload", f"{SPEC}/volumeOfLearning"),
        (f"{SPEC}/creditPoint/point", "two", "workload", f"{SPEC}/creditPoint/point"),
        (
            f"{SPEC}/learningOutcome/1/title",
            {"en": ""},
            "learningOutcomes",
            f"{SPEC}/learningOutcome/1/title/en",
        ),
        (f"{SPEC}/learningOutcome", [], "learningOutcomes", f"{SPEC}/learningOutcome"),
        (f"{SPEC}/mode", {"prefLabel": {"en": "Online"}}, "participation", f"{SPEC}/mode"),
        ("validFrom", "yesterday", "dateOfIssuing", "validFrom"),
        (
            "issuer/location/address/countryCode",
            {"id": "urn:country:IE"},
            "country",
            "issuer/location/address/countryCode/id",
        ),
        (
            f"{CLAIM}/awardedBy/awardingBody/legalName",
            "University of Zed",
            "awardingBody",
            f"{CLAIM}/awardedBy/awardingBody/legalName",
        ),
        (
            f"{CLAIM}/provenBy/specifiedBy/dcType",
            "not an IRI",
            "assessment",
            f"{CLAIM}/provenBy/specifiedBy/dcType",
        ),
        (
            f"{SPEC}/accreditation/accreditingAgent",
            "not an IRI",
            "qualityAssurance",
            f"{SPEC}/accreditation/accreditingAgent",
        ),
        (
            "credentialSubject/fullName",
            {"en": ["Ana Andromeda", " "]},
            "learner",
            "credentialSubject/fullName/en/1",
        ),
    ],
)
def test_malformed_element(
    micro_credential: dict[str, Any], path: str, value: Any, element: str, issue_path: str
) -> None:
    parent, _, key = path.rpartition("/")
    _get(micro_credential, parent)[key] = value
    issues = schema_issues(micro_credential)
    assert [(issue.element, issue.path) for issue in issues] == [(element, issue_path)]


class TestOneOrMany:
    """ELM values may be one object or an array; language maps hold strings or arrays."""

    def test_arrays_of_objects(self, micro_credential: dict[str, Any]) -> None:
        claim = micro_credential["credentialSubject"]["hasClaim"]
        claim["specifiedBy"]["eqfLevel"] = "http://data.europa.eu/snb/eqf/6"
        claim["specifiedBy"]["learningOutcome"] = claim["specifiedBy"]["learningOutcome"][0]
        claim["awardedBy"] = [claim["awardedBy"]]
        claim["specifiedBy"]["creditPoint"] = [claim["specifiedBy"]["creditPoint"]]
        micro_credential["issuer"]["location"] = [
            {"id": "urn:x:loc"},
            micro_credential["issuer"]["location"],
        ]
        micro_credential["credentialSubject"]["hasClaim"] = [claim]
        micro_credential["credentialSubject"]["fullName"] = {"en": ["Ana Andromeda", "Ana A."]}
        assert schema_issues(micro_credential) == []

    def test_every_item_of_an_array_is_checked(self, micro_credential: dict[str, Any]) -> None:
        claim = micro_credential["credentialSubject"]["hasClaim"]
        body = claim["awardedBy"]["awardingBody"]
        claim["awardedBy"]["awardingBody"] = [body, {"id": "urn:epass:org:9"}]  # a joint award
        issues = schema_issues(micro_credential)
        assert [(issue.element, issue.path) for issue in issues] == [
            ("awardingBody", f"{CLAIM}/awardedBy/awardingBody/1")
        ]

    def test_a_location_without_a_country_is_fine_beside_one_with_it(
        self, micro_credential: dict[str, Any]
    ) -> None:
        location = micro_credential["issuer"]["location"]
        micro_credential["issuer"]["location"] = [{"id": "urn:x:loc"}]
        assert _elements(schema_issues(micro_credential)) == {"country"}
        micro_credential["issuer"]["location"].append(location)
        assert schema_issues(micro_credential) == []

    def test_quality_assurance_in_evidence_or_on_the_awarding_body(
        self, micro_credential: dict[str, Any], accreditation: dict[str, Any]
    ) -> None:
        claim = micro_credential["credentialSubject"]["hasClaim"]
        del claim["specifiedBy"]["accreditation"]
        micro_credential["evidence"] = [
            {"id": "urn:x:evidence", "type": "Evidence", "accreditation": accreditation}
        ]
        assert schema_issues(micro_credential) == []
        del micro_credential["evidence"]
        claim["awardedBy"]["awardingBody"]["accreditation"] = accreditation
        assert schema_issues(micro_credential) == []


class TestSchemaIssues:
    def test_reports_every_missing_element(self, micro_credential: dict[str, Any]) -> None:
        _remove(micro_credential, f"{CLAIM}/specifiedBy")
        assert _elements(schema_issues(micro_credential)) == {
            "learningOutcomes",
            "workload",
            "level",
            "participation",
        }
        assert unstated_elements(micro_credential) == ["qualityAssurance"]

    @pytest.mark.parametrize("document", [[], "credential", None, 7, {}])
    def test_never_raises(self, document: Any) -> None:
        issues = schema_issues(document)
        assert issues

    def test_not_an_object_names_no_element(self) -> None:
        issues = schema_issues(["not", "a", "credential"])
        assert [(issue.element, issue.path) for issue in issues] == [(None, "")]

    def test_messages_do_not_quote_the_document(self, micro_credential: dict[str, Any]) -> None:
        _remove(micro_credential, "validFrom", f"{SPEC}/accreditation")
        for issue in schema_issues(micro_credential):
            assert len(issue.message) <= 200
            assert "urn:credential" not in issue.message


class TestCredentialSchema:
    """The Verifiable Credential shape the ``format`` check asks of every credential."""

    def test_the_schema_is_valid_draft_2020_12(self) -> None:
        from jsonschema import Draft202012Validator

        from schemas.elm.profile import credential_schema

        Draft202012Validator.check_schema(credential_schema())

    def test_published_credentials_have_it(self, reference: Path, eu_sample: dict[str, Any]):
        from schemas.elm.profile import credential_issues

        assert credential_issues(eu_sample) == []
        for name in ("eddsa-rdfc-2022/signedDataInt.json", "ob3/signed-credential.json"):
            document = json.loads((reference / "w3c" / name).read_text("utf-8"))
            assert credential_issues(document) == [], name

    @pytest.mark.parametrize(
        ("change", "path"),
        [
            (lambda d: d.pop("issuer"), ""),
            (lambda d: d.update(type=["EuropeanDigitalCredential"]), "type"),
            (
                lambda d: d.update(
                    {"@context": ["http://data.europa.eu/snb/model/context/edc-ap"]}
                ),
                "@context/0",
            ),
            (lambda d: d.update(validFrom="31/12/2022"), "validFrom"),
            (lambda d: d.update(issuer={"name": "nobody"}), "issuer"),
            (lambda d: d.update(credentialSubject=[]), "credentialSubject"),
        ],
    )
    def test_each_missing_member_is_named(self, eu_sample, change, path):
        from schemas.elm.profile import credential_issues

        change(eu_sample)
        issues = credential_issues(eu_sample)
        assert issues
        assert path in {issue.path for issue in issues}
