"""schemas.elm.read: the one reader of the ELM graph (one or many, language maps, the facts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.elm import read
from schemas.elm.build import (
    Award,
    Learner,
    LearningOutcome,
    Organisation,
    QualityAssurance,
    Specification,
    build_microcredential,
)
from schemas.elm.read import Text
from schemas.elm.vocab import ECTS

UNIVERSITY = Organisation(
    id="did:web:university.example",
    legal_name={"en": "Aarhus Demo University", "da": "Aarhus Demo Universitet"},
    country="DNK",
    country_label="Denmark",
)
PARTNER = Organisation(
    id="did:web:partner.example",
    legal_name="Université de Lyon",
    country="FRA",
    country_label="France",
)
SPECIFICATION = Specification(
    id="https://university.example/specifications/green-data",
    title={"en": "Green Data Analytics", "da": "Grøn dataanalyse"},
    learning_outcomes=[LearningOutcome("Apply data analysis"), LearningOutcome("Report findings")],
    ects=Decimal("5"),
    volume_of_learning="PT125H",
    eqf_level=6,
    isced_field="0688",
    isced_label="ICT",
    assessment_type="Written exam",
    participation_mode="online",
    quality_assurance=QualityAssurance(
        "Accredited", "http://data.europa.eu/snb/accreditation/e8a5ddd7e4", "Accredited", PARTNER
    ),
    description="Data analysis for sustainability",
)
ISSUED = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def credential() -> dict[str, Any]:
    """A micro-credential as the issuer builds it: two awarding bodies, a grade, an expiry."""
    return build_microcredential(
        Award(
            credential_id="urn:uuid:7f0c1c1e-0000-4000-8000-000000000001",
            specification=SPECIFICATION,
            learner=Learner("Ana", "Andersen", "did:key:z6MkLearner"),
            issuer=UNIVERSITY,
            awarding_bodies=[UNIVERSITY, PARTNER],
            issued=ISSUED,
            grade="Pass",
            valid_until=ISSUED + timedelta(days=365),
        )
    )


#: Any JSON value: what a hostile credential may hold anywhere.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "en", "da", "@value", "title", "hasClaim", "type", "point"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=12,
)


def _walk_slowly(root: read.Located, steps: tuple[str, ...]) -> list[read.Located]:
    """walk's rule written out: through lists at every level, into objects that have the step."""

    def each(value: Any, path: tuple[str | int, ...]) -> list[read.Located]:
        if isinstance(value, list):
            return [(item, (*path, index)) for index, item in enumerate(value)]
        return [(value, path)]

    level = [root]
    for step in steps:
        level = [
            (node[step], (*node_path, step))
            for value, path in level
            for node, node_path in each(value, path)
            if isinstance(node, dict) and step in node
        ]
    return [found for value, path in level for found in each(value, path)]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.lists(st.sampled_from(["id", "title", "hasClaim", "en"]), max_size=3))
def test_walk_and_walk_values_follow_the_rule(value: Any, steps: list[str]) -> None:
    expected = _walk_slowly((value, ("root",)), tuple(steps))
    assert read.walk((value, ("root",)), tuple(steps)) == expected
    assert read.walk_values(value, tuple(steps)) == [found for found, _ in expected]


class TestOneOrMany:
    def test_as_list(self):
        assert read.as_list(None) == []
        assert read.as_list("a") == ["a"]
        assert read.as_list({"id": "x"}) == [{"id": "x"}]
        assert read.as_list(["a", None]) == ["a", None]

    def test_objects_keeps_only_objects(self):
        assert read.objects([{"id": "a"}, "b", 3, {"id": "c"}]) == [{"id": "a"}, {"id": "c"}]
        assert read.objects({"id": "a"}) == [{"id": "a"}]
        assert read.objects(None) == []

    def test_first_is_the_first_value_when_it_is_an_object(self):
        assert read.first([{"id": "a"}, {"id": "b"}]) == {"id": "a"}
        assert read.first({"id": "a"}) == {"id": "a"}
        for nothing in (None, [], "did:web:x", ["did:web:x", {"id": "b"}], 5, True):
            assert read.first(nothing) == {}

    def test_items_and_walk_keep_places(self):
        document = {"a": [{"b": 1}, {"b": [2, 3]}, "x"]}
        assert list(read.walk((document, ()), ("a", "b"))) == [
            (1, ("a", 0, "b")),
            (2, ("a", 1, "b", 0)),
            (3, ("a", 1, "b", 1)),
        ]
        assert list(read.items("v", ("p",))) == [("v", ("p",))]

    def test_node_id_of_a_string_or_an_object(self):
        assert read.node_id("did:web:x") == "did:web:x"
        assert read.node_id({"id": "did:web:x"}) == "did:web:x"
        for nothing in ({"id": 5}, {}, None, 5, ["did:web:x"]):
            assert read.node_id(nothing) is None

    def test_types(self):
        assert read.types({"type": ["A", 5, "B"]}) == {"A", "B"}
        assert read.types({"type": "A"}) == {"A"}
        assert read.types("A") == set()


class TestLanguageMaps:
    def test_a_plain_string_as_stated_and_untagged(self):
        assert read.tagged(" Green ") == Text(" Green ")
        assert read.text(" Green ") == " Green "
        assert read.trimmed(" Green ") == "Green"

    def test_english_first_then_any_language(self):
        assert read.tagged({"da": "Grøn", "en": "Green"}) == Text("Green", "en")
        assert read.tagged({"da": "Grøn", "fr": "Vert"}) == Text("Grøn", "da")

    def test_the_readers_languages_first(self):
        languages = ("da", "en")
        assert read.tagged({"en": "Green", "da": "Grøn"}, languages) == Text("Grøn", "da")
        assert read.tagged({"fr": "Vert", "en": "Green"}, languages) == Text("Green", "en")
        assert read.tagged({"fr": "Vert"}, languages) == Text("Vert", "fr")

    def test_a_list_per_language_and_lists_of_maps(self):
        assert read.tagged({"en": ["", "Green", "Other"]}) == Text("Green", "en")
        assert read.text([None, {"da": "Grøn"}, "x"]) == "Grøn"

    def test_blank_text_is_no_text_and_the_next_language_is_read(self):
        assert read.text("  ") is None
        assert read.text({"en": " ", "da": "Grøn"}) == "Grøn"
        assert read.text([" ", ""]) is None

    def test_a_value_object_is_untagged(self):
        assert read.tagged({"@value": "Green", "@language": "en"}) == Text("Green")
        assert read.tagged({"@value": 5, "en": "Green"}) == Text("Green", "en")

    @pytest.mark.parametrize("value", [None, 5, 1.5, True, {}, [], {"en": 5}, {"en": None}])
    def test_no_text(self, value):
        assert read.tagged(value) is None
        assert read.text(value) is None
        assert read.trimmed(value) is None

    def test_label_and_note(self):
        assert read.label({"prefLabel": {"en": " Online "}}) == "Online"
        assert read.label({"legalName": "Uni", "id": "did:web:x"}) == "Uni"
        assert read.label({"id": "did:web:x"}) == "did:web:x"
        assert read.note({"noteLiteral": {"en": "Pass"}}) == "Pass"
        assert read.note({"contentURL": "https://x.example"}) == "https://x.example"
        assert read.note(" plain ") == "plain"


class TestNumbersAndDates:
    def test_decimal(self):
        assert read.decimal("5") == Decimal(5)
        assert read.decimal(1.5) == Decimal("1.5")
        for nothing in (True, None, "five", "NaN", "Infinity", [5]):
            assert read.decimal(nothing) is None
        assert read.plain(Decimal("5.0")) == "5"

    def test_hours(self):
        assert read.hours("PT125H") == Decimal(125)
        assert read.hours("PT90M") == Decimal("1.5")
        assert read.hours("P1Y") is None
        assert read.hours(125) is None

    def test_is_ects(self):
        assert read.is_ects({"framework": {"id": ECTS}})
        assert read.is_ects({"framework": [ECTS]})
        assert read.is_ects({"framework": {"prefLabel": "European Credit Transfer System"}})
        assert not read.is_ects({"framework": {"id": "http://example.org/credits"}})
        assert not read.is_ects("ECTS")

    def test_parse_date(self):
        assert read.parse_date("2026-07-01") == datetime(2026, 7, 1, tzinfo=UTC)
        assert read.parse_date("2026-07-01T09:30:00Z") == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
        assert read.parse_date("2026-07-01T09:30:00") == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
        moment = read.parse_date("2026-07-01T01:00:00+02:00")
        assert moment is not None and moment.utcoffset() == timezone(timedelta(hours=2)).utcoffset(
            None
        )
        for nothing in ("1 July 2026", "", None, 20260701, ["2026-07-01"]):
            assert read.parse_date(nothing) is None


class TestFacts:
    def test_a_built_credential(self, credential):
        claim = read.claim(credential)
        specification = read.specification(claim)
        assert read.issuer_id(credential) == UNIVERSITY.id
        assert read.title(credential) == Text("Green Data Analytics", "en")
        assert read.title(credential, ("da", "en")) == Text("Grøn dataanalyse", "da")
        assert read.learner(credential) == Text("Ana Andersen", "en")
        assert [read.node_id(b) for b in read.awarding_bodies(credential)] == [
            UNIVERSITY.id,
            PARTNER.id,
        ]
        assert read.ects(specification) == "5"
        assert read.eqf_level(specification) == "6"
        assert read.outcomes(specification) == [
            Text("Apply data analysis", "en"),
            Text("Report findings", "en"),
        ]
        assert read.assessment(claim) == Text("Written exam", "en")
        assert read.grade(claim) == Text("Pass", "en")
        assert read.issued(credential) == "2026-07-01T09:30:00Z"
        assert read.valid_until(credential) == "2027-07-01T09:30:00Z"

    def test_missing_parts_give_none_or_nothing(self):
        empty: dict[str, Any] = {}
        claim = read.claim(empty)
        specification = read.specification(claim)
        assert claim == {} and specification == {} and read.subject(empty) == {}
        assert read.claims(empty) == [] and read.awarding_bodies(empty) == []
        assert read.title(empty) is None and read.learner(empty) is None
        assert read.ects(specification) is None and read.eqf_level(specification) is None
        assert read.outcomes(specification) == []
        assert read.assessment(claim) is None and read.grade(claim) is None
        assert read.issued(empty) is None and read.valid_until(empty) is None
        assert read.issuer_id(empty) is None

    def test_the_learner_from_given_and_family_names(self):
        credential = {"credentialSubject": {"givenName": {"en": "Ana"}, "familyName": "Andersen"}}
        assert read.learner(credential) == Text("Ana Andersen")

    def test_the_title_falls_back_to_the_specification(self):
        credential = {"credentialSubject": {"hasClaim": {"specifiedBy": {"title": "Spec"}}}}
        assert read.title(credential) == Text("Spec")

    def test_claims_of_every_subject_objects_only(self):
        credential = {
            "credentialSubject": [
                {"hasClaim": ["urn:x", {"id": "a"}]},
                "did:key:z",
                {"hasClaim": {"id": "b"}},
            ]
        }
        assert read.claims(credential) == [{"id": "a"}, {"id": "b"}]
        assert read.claim(credential) == {"id": "a"}

    def test_awarding_bodies_once_each_and_by_id(self):
        process = {"awardingBody": ["did:web:a", {"id": "did:web:a"}, {"legalName": "No id"}]}
        credential = {
            "credentialSubject": {
                "hasClaim": [
                    {"awardedBy": process},
                    {"awardedBy": [{"awardingBody": {"id": "did:web:b", "legalName": "B"}}]},
                ]
            }
        }
        assert read.awarding_bodies(credential) == [
            {"id": "did:web:a"},
            {"id": "did:web:b", "legalName": "B"},
        ]

    def test_ects_counts_only_ects_credits(self):
        other = {"framework": {"id": "http://example.org/credits"}, "point": "7"}
        ects = {"framework": {"id": ECTS}, "point": 5}
        assert read.ects({"creditPoint": [other, ects]}) == "5"
        assert read.ects({"creditPoint": other}) is None
        assert read.ects({"creditPoint": {"framework": ECTS, "point": ["5"]}}) is None

    def test_eqf_level_of_a_concept_or_its_iri(self):
        assert read.eqf_level({"eqfLevel": "http://data.europa.eu/snb/eqf/4"}) == "4"
        assert read.eqf_level({"eqfLevel": [{"id": "http://data.europa.eu/snb/eqf/8"}]}) == "8"
        assert read.eqf_level({"eqfLevel": {"id": "http://data.europa.eu/snb/eqf/9"}}) is None
        assert read.eqf_level({"eqfLevel": {"id": "http://example.org/level/6"}}) is None

    def test_issued_prefers_issued_then_valid_from_then_issuance_date(self):
        assert read.issued({"validFrom": "b", "issuanceDate": "c"}) == "b"
        assert read.issued({"issuanceDate": "c"}) == "c"
        assert read.valid_until({"expirationDate": "e"}) == "e"

    @settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
    @given(JSON)
    def test_hostile_values_never_raise(self, value):
        credential = {"credentialSubject": {"hasClaim": value, "fullName": value}, "issuer": value}
        for document in (value, credential, {"credentialSubject": value}):
            claim = read.claim(document)
            specification = read.specification(claim)
            read.title(document)
            read.learner(document, ("da", "en"))
            read.awarding_bodies(document)
            read.ects(specification)
            read.eqf_level(specification)
            read.outcomes(specification)
            read.assessment(claim)
            read.grade(claim)
            read.issued(document)
            read.valid_until(document)
            read.issuer_id(document)
        for reader in (read.text, read.trimmed, read.label, read.note, read.node_id, read.types):
            reader(value)
        for reader in (read.decimal, read.hours, read.is_ects, read.parse_date, read.first):
            reader(value)
