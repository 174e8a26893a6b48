"""schemas.elm.annex1: which credentials are micro-credentials; their Annex I element by element."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from schemas.elm.annex1 import Reason, Status, annex1_report, is_micro_credential
from schemas.elm.profile import (
    ANNEX_I_ELEMENTS,
    ELEMENTS,
    OPTIONAL_ELEMENTS,
    STATED_ELEMENTS,
    definition_issues,
    element,
    microcredential_schema,
    schema_issues,
)
from schemas.jsonld import expand_strict
from tests.conftest import read_json
from tests.schemas import credential_kinds as kinds

ROOTS = {"credential", "subject", "claim", "specification", "assessment"}

# What the EU's Annex I sample shows for each element (None: not stated).
EU_SAMPLE_VALUES = {
    "learner": "Ana Andromeda",
    "title": "Digital micro-credential creation",
    "country": "Ireland (IRL)",
    "awardingBody": "University of Zed",
    "dateOfIssuing": "2022-12-31T23:00:00Z",
    "learningOutcomes": "2 learning outcomes: Communication, collaboration and creativity; "
    "Developing digital content",
    "workload": "2 ECTS (PT60H)",
    "level": "EQF 6",
    "assessment": "artefact assessment (Online)",
    "participation": "Blended, non-formal learning",
    "qualityAssurance": None,
    "prerequisites": "The learner needs to have an EDC Online Credential Builder account, that "
    "requires an EU Login ID.",
    "supervision": "Unsupervised without ID Verification",
    "grade": "Pass",
    "integration": "not a partial qualification",
    "furtherInformation": None,
}
SEALED_ISSUED = "2023-09-27T13:54:17+02:00"


def _walk_schema(node: Any) -> list[dict[str, Any]]:
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


class TestTable:
    """One table of the 16 elements, in the schema, read by everyone."""

    def test_eleven_mandatory_then_five_optional_in_annex_i_order(self) -> None:
        assert [e.number for e in ELEMENTS] == [str(n) for n in range(1, 12)] + [
            f"o{n}" for n in range(1, 6)
        ]
        assert [e.required for e in ELEMENTS] == [True] * 11 + [False] * 5
        assert len({e.key for e in ELEMENTS}) == 16
        assert all(e.label and e.where for e in ELEMENTS)

    def test_the_schema_annotations_name_the_mandatory_elements_by_key(self) -> None:
        named = {n["x-element"] for n in _walk_schema(microcredential_schema()) if "x-element" in n}
        assert named == {e.key for e in ELEMENTS if e.required}
        assert list(ANNEX_I_ELEMENTS) + list(STATED_ELEMENTS) == [
            e.key for e in ELEMENTS if e.required
        ]
        assert STATED_ELEMENTS == ("qualityAssurance",)
        assert OPTIONAL_ELEMENTS == (
            "prerequisites",
            "supervision",
            "grade",
            "integration",
            "furtherInformation",
        )

    def test_places_start_at_a_root_and_shapes_are_defined(self) -> None:
        defs = microcredential_schema()["$defs"]
        for row in ELEMENTS:
            assert {place.split(".")[0] for place in row.where} <= ROOTS, row.key
            assert set(row.shapes) <= set(row.where), row.key
            assert set(row.shapes.values()) <= set(defs), row.key
            assert bool(row.shapes) is not row.required, row.key

    def test_lookup_by_key(self) -> None:
        assert element("level").number == "8"
        assert element("qualityAssurance").label.startswith("Type of quality assurance")
        with pytest.raises(KeyError):
            element("EQF level")

    def test_definition_issues(self) -> None:
        assert definition_issues("note", {"noteLiteral": {"en": "Pass"}}) == []
        [issue] = definition_issues("note", {"noteLiteral": {"en": " "}}, path="a", element="grade")
        assert (issue.path, issue.element) == ("a/noteLiteral/en", "grade")
        assert definition_issues("flag", "no")[0].message == "must be of type boolean"


class TestEuSample:
    """The EU's own sample is a micro-credential stating every element but quality assurance."""

    @pytest.mark.parametrize("payload", [False, True], ids=["unsigned", "sealed-payload"])
    def test_element_by_element(
        self, eu_sample: dict[str, Any], eu_signed_payload: dict[str, Any], payload: bool
    ) -> None:
        report = annex1_report(eu_signed_payload if payload else eu_sample)
        assert report.applicability.applicable
        assert report.applicability.reason is Reason.MICRO_CREDENTIAL
        expected = dict(EU_SAMPLE_VALUES)
        if payload:  # sealed later, with a second location (Spain) for the certificate
            expected |= {"country": "Ireland (IRL); Spain (ESP)", "dateOfIssuing": SEALED_ISSUED}
        assert {r.element.key: r.value for r in report.elements} == expected
        missing = {r.element.key for r in report.elements if r.status is Status.MISSING}
        assert missing == {"qualityAssurance", "furtherInformation"}
        assert report.missing_required == ["qualityAssurance"]
        assert report.malformed == []
        assert not report.complete

    def test_paths_and_messages(self, eu_sample: dict[str, Any]) -> None:
        report = annex1_report(eu_sample)
        assert report.result("level").path == "credentialSubject/hasClaim/specifiedBy/eqfLevel"
        assert report.result("learningOutcomes").path.endswith("specifiedBy/learningOutcome")
        assert report.result("dateOfIssuing").path == "validFrom"
        quality = report.result("qualityAssurance")
        assert quality.path == "evidence/accreditation"
        assert quality.message == (
            "Type of quality assurance used to underpin the micro-credential: not stated."
        )
        assert report.result("level").to_dict() == {
            "number": "8",
            "key": "level",
            "element": "Level of the learning experience (EQF, QF-EHEA)",
            "required": True,
            "status": "present",
            "value": "EQF 6",
            "path": "credentialSubject/hasClaim/specifiedBy/eqfLevel",
            "message": "Level of the learning experience (EQF, QF-EHEA): EQF 6",
        }

    def test_with_an_accreditation_it_is_complete(self, micro_credential: dict[str, Any]) -> None:
        report = annex1_report(micro_credential)
        assert report.complete
        assert report.result("qualityAssurance").value == (
            "Programme accreditation (Quality and Qualifications Ireland)"
        )
        assert report.result("qualityAssurance").path == (
            "credentialSubject/hasClaim/specifiedBy/accreditation"
        )


def _place_paths(document: dict[str, Any], place: str) -> tuple[Any, str]:
    """The parent object and key of a table place in the (single-claim) sample."""
    claim = document["credentialSubject"]["hasClaim"]
    roots = {
        "credential": document,
        "subject": document["credentialSubject"],
        "claim": claim,
        "specification": claim["specifiedBy"],
        "assessment": claim["provenBy"],
    }
    root, *steps = place.split(".")
    node: Any = roots[root]
    for step in steps[:-1]:
        node = node.get(step, {}) if isinstance(node, dict) else {}
    return node, steps[-1]


class TestMissingAndMalformed:
    @pytest.mark.parametrize("key", [e.key for e in ELEMENTS], ids=[e.key for e in ELEMENTS])
    def test_removing_every_place_of_an_element_makes_it_missing(
        self, micro_credential: dict[str, Any], key: str
    ) -> None:
        for place in element(key).where:
            parent, name = _place_paths(micro_credential, place)
            if isinstance(parent, dict):
                parent.pop(name, None)
        if key in ANNEX_I_ELEMENTS:  # the table knows every place the schema accepts
            assert {i.element for i in schema_issues(micro_credential)} == {key}
        report = annex1_report(micro_credential)
        assert report.result(key).status is Status.MISSING
        assert report.result(key).value is None
        others = [r for r in report.elements if r.element.key != key]
        assert {r.status for r in others if r.element.required} == {Status.PRESENT}
        assert report.complete is not element(key).required
        assert report.missing_required == ([key] if element(key).required else [])

    def test_one_missing_and_one_malformed(self, micro_credential: dict[str, Any]) -> None:
        specification = micro_credential["credentialSubject"]["hasClaim"]["specifiedBy"]
        del specification["eqfLevel"]
        specification["volumeOfLearning"] = "60 hours"
        report = annex1_report(micro_credential)
        assert report.missing_required == ["level"]
        assert report.malformed == ["workload"]
        assert not report.complete
        level, workload = report.result("level"), report.result("workload")
        assert level.path == "credentialSubject/hasClaim/specifiedBy"
        assert "'eqfLevel' is a required property" in level.message
        assert workload.status is Status.MALFORMED
        assert workload.value == (
            "2 ECTS (60 hours): must be an ISO 8601 duration such as PT60H or P3M"
        )
        assert workload.path == "credentialSubject/hasClaim/specifiedBy/volumeOfLearning"
        assert "must be an ISO 8601 duration" in workload.message
        present = {r.element.key for r in report.elements if r.status is Status.PRESENT}
        assert present >= set(ANNEX_I_ELEMENTS) - {"level", "workload"}

    def test_a_malformed_value_is_shown_with_what_is_wrong(
        self, micro_credential: dict[str, Any]
    ) -> None:
        specification = micro_credential["credentialSubject"]["hasClaim"]["specifiedBy"]
        specification["eqfLevel"] = {"id": "http://data.europa.eu/snb/eqf/9"}
        result = annex1_report(micro_credential).result("level")
        assert result.status is Status.MALFORMED
        assert result.value.startswith("http://data.europa.eu/snb/eqf/9: must be an EQF level, ")
        assert result.path == "credentialSubject/hasClaim/specifiedBy/eqfLevel/id"
        assert "must be an EQF level" in result.message

    def test_a_malformed_optional_element_is_shown_but_never_counts(
        self, micro_credential: dict[str, Any]
    ) -> None:
        claim = micro_credential["credentialSubject"]["hasClaim"]
        claim["provenBy"]["grade"] = {"id": "urn:x:grade", "type": "Note", "noteLiteral": {}}
        claim["specifiedBy"]["isPartialQualification"] = "no"
        report = annex1_report(micro_credential)
        assert report.result("grade").status is Status.MALFORMED
        assert "must not be empty" in report.result("grade").message
        assert report.result("integration").status is Status.MALFORMED
        assert report.malformed == ["grade", "integration"]
        assert report.missing_required == []
        assert report.complete

    def test_an_activity_beside_the_achievement_is_no_annex_i_matter(
        self, micro_credential: dict[str, Any]
    ) -> None:
        achievement = micro_credential["credentialSubject"]["hasClaim"]
        activity = kinds.certificate_of_participation(micro_credential)["credentialSubject"][
            "hasClaim"
        ]
        micro_credential["credentialSubject"]["hasClaim"] = [activity, achievement]
        expand_strict(micro_credential)
        assert schema_issues(micro_credential)  # the profile reads every claim as one
        report = annex1_report(micro_credential)
        assert report.applicability.applicable
        assert report.complete
        assert report.result("title").path == "credentialSubject/hasClaim/1/title"


def _eu_reason(document: Any) -> tuple[bool, Reason]:
    applicability = is_micro_credential(document)
    return applicability.applicable, applicability.reason


class TestWhichCredentialsAreMicroCredentials:
    def test_the_eu_sample_is_one(self, eu_sample: dict[str, Any]) -> None:
        applicability = is_micro_credential(eu_sample)
        assert applicability
        assert applicability.reason is Reason.MICRO_CREDENTIAL

    @pytest.mark.parametrize(
        ("make", "reason", "explanation"),
        [
            (kinds.degree, "full_qualification", "it records a full qualification of 180 ECTS"),
            (kinds.transcript, "several_achievements", "it records 2 learning achievements"),
            (kinds.degree_with_courses, "several_achievements", "is made of 2 learning achiev"),
            (kinds.certificate_of_participation, "participation", "participation in a learning"),
            (kinds.diploma_supplement, "diploma_supplement", "it is a Diploma Supplement"),
            (
                lambda d: kinds.with_profile(d, kinds.ACCREDITATION_PROFILE, "Accreditation"),
                "not_learning_credential",
                "it records an accreditation",
            ),
        ],
        ids=["degree", "transcript", "parts", "participation", "diploma-supplement", "accred"],
    )
    def test_what_is_not_one_and_why(
        self, eu_sample: dict[str, Any], make: Any, reason: str, explanation: str
    ) -> None:
        document = make(eu_sample)
        expand_strict(document)  # a well-formed European Digital Credential all the same
        applicability = is_micro_credential(document)
        assert not applicability
        assert applicability.reason == reason
        assert applicability.explanation.startswith(explanation) or explanation in (
            applicability.explanation
        )
        report = annex1_report(document)
        assert report.elements == ()
        assert not report.complete

    def test_a_plain_vc_2_0_credential(self, reference: Path) -> None:
        assert _eu_reason(kinds.plain_vc2()) == (False, Reason.NOT_ELM_CREDENTIAL)
        published = read_json(reference / "w3c" / "eddsa-rdfc-2022" / "signedDataInt.json")
        assert _eu_reason(published) == (False, Reason.NOT_ELM_CREDENTIAL)

    @pytest.mark.parametrize(
        ("ects", "volume", "applicable"),
        [
            ("59.5", "PT1800H", True),  # ECTS credits decide when stated
            ("60", "PT60H", False),
            (None, "PT1499H", True),
            (None, "PT1500H", False),
            (None, "PT89999M", True),  # 1,499.98 hours
            (None, "PT90000M", False),  # 1,500 hours
            (None, "P1Y", True),  # a calendar year is no number of learning hours
        ],
    )
    def test_a_full_qualification_by_its_workload(
        self, eu_sample: dict[str, Any], ects: str | None, volume: str, applicable: bool
    ) -> None:
        specification = eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]
        specification["volumeOfLearning"] = volume
        if ects is None:
            del specification["creditPoint"]
        else:
            specification["creditPoint"]["point"] = ects
        assert bool(is_micro_credential(eu_sample)) is applicable

    def test_is_partial_qualification_alone_decides_nothing(
        self, eu_sample: dict[str, Any]
    ) -> None:
        specification = eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]
        assert specification["isPartialQualification"] is False  # 2 ECTS: the EU says so
        assert is_micro_credential(eu_sample)

    def test_credits_of_another_framework_are_not_ects(self, eu_sample: dict[str, Any]) -> None:
        credit = eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]["creditPoint"]
        credit["framework"] = {"id": "urn:x:framework", "prefLabel": {"en": "Local credits"}}
        credit["point"] = "200"
        assert is_micro_credential(eu_sample)
        value = annex1_report(eu_sample).result("workload").value
        assert value == "200 credits (Local credits) (PT60H)"

    def test_one_part_is_stacking_not_a_transcript(self, eu_sample: dict[str, Any]) -> None:
        document = kinds.degree_with_courses(eu_sample)
        document["credentialSubject"]["hasClaim"]["hasPart"].pop()
        assert is_micro_credential(document)
        assert annex1_report(document).result("integration").value == (
            "not a partial qualification; made of 1 part"
        )

    def test_an_achievement_specified_as_an_activity(self, eu_sample: dict[str, Any]) -> None:
        specification = eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]
        specification["type"] = "LearningActivitySpecification"
        assert _eu_reason(eu_sample) == (False, Reason.NOT_ACHIEVEMENT_SPECIFICATION)

    def test_an_achievement_without_specification_is_judged(
        self, eu_sample: dict[str, Any]
    ) -> None:
        del eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]
        report = annex1_report(eu_sample)
        assert report.applicability
        assert report.missing_required == [
            "learningOutcomes",
            "workload",
            "level",
            "participation",
            "qualityAssurance",
        ]

    @pytest.mark.parametrize(
        "subject",
        [
            {"id": "urn:x:learner", "type": "Person"},
            {"hasClaim": {"id": "urn:x:a", "type": "LearningAssessment"}},
            "urn:x:learner",
        ],
        ids=["no-claim", "assessment-only", "subject-iri"],
    )
    def test_no_learning_achievement(self, eu_sample: dict[str, Any], subject: Any) -> None:
        eu_sample["credentialSubject"] = subject
        assert _eu_reason(eu_sample) == (False, Reason.NO_LEARNING_ACHIEVEMENT)

    @pytest.mark.parametrize("document", [None, [], "credential", 7, {}, {"type": 3}])
    def test_anything_else_is_not_one(self, document: Any) -> None:
        assert _eu_reason(document) == (False, Reason.NOT_ELM_CREDENTIAL)
        assert annex1_report(document).elements == ()


def test_never_raises_whatever_the_claim_holds(eu_sample: dict[str, Any]) -> None:
    """Every value of the claim, two levels deep, replaced by a value of each JSON kind."""
    del eu_sample["displayParameter"]  # its images make every copy slow; Annex I is elsewhere
    claim = eu_sample["credentialSubject"]["hasClaim"]
    places: list[tuple[str | int, ...]] = []
    for key, value in claim.items():
        places.append((key,))
        if isinstance(value, dict):
            places += [(key, inner) for inner in value]
    assert len(places) > 30
    for place in places:
        for junk in (None, "x", [], {}, [7.5]):
            document = copy.deepcopy(eu_sample)
            node: Any = document["credentialSubject"]["hasClaim"]
            for step in place[:-1]:
                node = node[step]
            node[place[-1]] = junk
            report = annex1_report(document)
            assert len(report.elements) == (16 if report.applicability else 0), place
            assert all(r.status in set(Status) for r in report.elements)
