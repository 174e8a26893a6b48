"""The Annex I report, made faster (each place walked once, the readers compiled), says exactly
what the report said before (:mod:`tests.schemas.elm.annex1_reference`, frozen): on the EU's
samples, on the other kinds of credential, and on credentials edited at random where Annex I
reads them (hostile values included). The compiled twins are held to their own Python too."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import compiled
from schemas.elm import annex1, annex1_places, annex1_values
from schemas.elm.profile import ELEMENTS
from schemas.elm.vocab import ECTS
from tests.conftest import SHARED_REFERENCE, read_json
from tests.schemas import credential_kinds as kinds
from tests.schemas.elm import annex1_reference as reference

ANNEX1_REPORT_PYTHON, IS_MICRO_CREDENTIAL_PYTHON = annex1.python_functions

#: Member names Annex I reads (and a few it does not), for edits that add a member.
KEYS = [
    "en", "fr", "@value", "id", "type", "title", "prefLabel", "legalName", "notation",
    "noteLiteral", "contentURL", "point", "framework", "hasClaim", "specifiedBy", "provenBy",
    "creditPoint", "volumeOfLearning", "eqfLevel", "dcType", "mode", "learningSetting", "grade",
    "awardedBy", "awardingBody", "accreditation", "accreditingAgent", "hasPart", "isPartOf",
    "isPartialQualification", "learningOutcome", "entryRequirement", "idVerification",
    "additionalNote", "supplementaryDocument", "homepage", "location", "address", "countryCode",
    "credentialProfiles", "fullName", "givenName", "familyName", "nationalID", "identifier",
    "issued", "validFrom", "issuanceDate", "evidence", "credentialSubject",
]  # fmt: skip
WORDS = [
    "", " ", "x", " Pass ", "5", "59.5", "60", "180", "1e2", "NaN", "PT60H", "PT1500H",
    "PT90000M", "P1Y", "60 hours", ECTS, "http://data.europa.eu/snb/eqf/6",
    "http://data.europa.eu/snb/eqf/9", "European Credit Transfer System", "LearningAchievement",
    "LearningActivity", "Qualification", "LearningAchievementSpecification",
    "LearningActivitySpecification", "EuropeanDigitalCredential", "Note", "Concept",
    "http://data.europa.eu/snb/credential/6dff8a0f87", "2024-01-01T00:00:00Z", "urn:x:a/b~c",
]  # fmt: skip
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-2, 2000)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.sampled_from(WORDS)
    | st.text(max_size=4)
)
JUNK = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=8,
)
EDITS = st.lists(
    st.tuples(
        st.integers(0, 10**6),  # which place (modulo the places the document has)
        st.sampled_from(["replace", "delete", "wrap", "append", "add"]),
        JUNK,
        st.sampled_from(KEYS),
    ),
    min_size=1,
    max_size=4,
)


def outcome(report_of: Any, document: Any, **options: Any) -> Any:
    """What a report function makes of ``document``, classes left aside."""
    try:
        report = report_of(document, **options)
    except RecursionError:
        return "RecursionError"
    applicability = report.applicability
    return (
        (applicability.applicable, str(applicability.reason), applicability.explanation),
        [
            (
                r.to_dict(),
                {type(value).__name__ for value in r.to_dict().values()},  # JSON's own types
                [(i.path, i.message, i.element) for i in r.issues],
            )
            for r in report.elements
        ],
        report.missing_required,
        report.malformed,
        report.complete,
    )


def assert_same_report(document: Any) -> None:
    """The report in use, its Python, and the frozen reference agree on ``document``."""
    expected = outcome(reference.annex1_report, document)
    assert outcome(annex1.annex1_report, document) == expected
    assert outcome(ANNEX1_REPORT_PYTHON, document) == expected
    assert outcome(annex1.annex1_report, document, plain=True) == expected
    expected_applicability = reference.is_micro_credential(document)
    for judge in (annex1.is_micro_credential, IS_MICRO_CREDENTIAL_PYTHON):
        applicability = judge(document)
        assert (applicability.applicable, applicability.reason, applicability.explanation) == (
            expected_applicability.applicable,
            expected_applicability.reason.value,
            expected_applicability.explanation,
        )


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``value`` (keys and indices from the top), the top itself first."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


#: Where Annex I reads (most edits are made there).
READ_HERE = ("credentialSubject", "issuer", "evidence", "credentialProfiles", "validFrom")


def edited(
    document: dict[str, Any], edits: list[tuple[int, str, Any, str]], focused: bool = False
) -> dict[str, Any]:
    """``document`` with each edit made in turn at one of its places (``focused``: one where
    Annex I reads, :data:`READ_HERE`): the value replaced by junk, deleted, wrapped in a list,
    made a list with junk after it, or given a new member."""
    document = copy.deepcopy(document)
    for which, operation, junk, key in edits:
        places = [p for p in _places(document)[1:] if not focused or p[0] in READ_HERE]
        if not places:
            break
        *parents, last = places[which % len(places)]
        parent: Any = document
        for step in parents:
            parent = parent[step]
        value = parent[last]
        if operation == "replace":
            parent[last] = copy.deepcopy(junk)
        elif operation == "delete":
            del parent[last]
        elif operation == "wrap":
            parent[last] = [value]
        elif operation == "append":
            parent[last] = [value, copy.deepcopy(junk)]
        elif isinstance(value, dict):
            value[key] = copy.deepcopy(junk)
    return document


def _bases(eu_sample: dict[str, Any], eu_signed_payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The EU's two samples (without their images: Annex I reads none) and every kind of
    credential made from them."""
    for document in (eu_sample, eu_signed_payload):
        document.pop("displayParameter", None)
    with_accreditation = copy.deepcopy(eu_sample)
    with_accreditation["credentialSubject"]["hasClaim"]["specifiedBy"]["accreditation"] = {
        "id": "urn:x:accreditation",
        "type": "Accreditation",
        "dcType": {"id": "urn:x:type", "prefLabel": {"en": "Programme accreditation"}},
        "accreditingAgent": {"id": "urn:x:agency", "legalName": {"en": "Agency"}},
    }
    return [
        eu_sample,
        eu_signed_payload,
        with_accreditation,
        _many_of_each(eu_sample),
        kinds.degree(eu_sample),
        kinds.transcript(eu_sample),
        kinds.degree_with_courses(eu_sample),
        kinds.certificate_of_participation(eu_sample),
        kinds.diploma_supplement(eu_sample),
    ]


def _many_of_each(credential: dict[str, Any]) -> dict[str, Any]:
    """Several values at each place Annex I reads: two subjects (the learner known by
    identifiers), two assessments and two specifications, four outcomes, three awarding bodies,
    credit points in ECTS and in another framework, texts as value objects and lists."""
    document = copy.deepcopy(credential)
    subject = document["credentialSubject"]
    claim = subject["hasClaim"]
    for name in ("fullName", "givenName", "familyName"):
        subject.pop(name, None)
    subject["identifier"] = [{"notation": "S-1"}, "urn:x:learner", {"id": "urn:x:other"}]
    document["credentialSubject"] = [subject, {"id": "urn:x:second", "hasClaim": []}]
    claim["title"] = [" ", {"@value": "Value title", "en": "English title"}]
    assessment = claim["provenBy"]
    other = copy.deepcopy(assessment)
    other["title"] = {"fr": "Examen"}
    other["specifiedBy"] = [{"dcType": ["urn:x:oral", {"prefLabel": {"de": "Mündlich"}}]}, "x"]
    claim["provenBy"] = [assessment, other]
    specification = claim["specifiedBy"]
    outcomes = specification["learningOutcome"]
    specification["learningOutcome"] = [*outcomes, {"title": " "}, "urn:x:outcome"]
    credit = specification["creditPoint"]
    specification["creditPoint"] = [
        credit,
        {"point": 3, "framework": [{"prefLabel": {"en": "Local"}}, "urn:x:local"]},
        {"point": "many"},
    ]
    specification["hasPart"] = ["urn:x:part", {"title": {"en": "A part"}}]
    specification["additionalNote"] = [{"noteLiteral": {"en": "First"}}, {"contentURL": "u"}]
    second = copy.deepcopy(specification)
    second["title"] = {"en": "Second specification"}
    second["volumeOfLearning"] = "PT2H"
    claim["specifiedBy"] = [specification, second]
    body = claim["awardedBy"]["awardingBody"]
    claim["awardedBy"]["awardingBody"] = [body, "urn:x:body", {"legalName": {"da": "Anden"}}]
    return document


#: Every place of the table, and the places below them the readers read.
PLACES = sorted(
    {place for row in ELEMENTS for place in row.where}
    | {
        "assessment.specifiedBy", "assessment.title", "specification.creditPoint.point",
        "specification.creditPoint.framework", "claim.awardedBy", "claim.specifiedBy",
        "claim.provenBy", "subject.hasClaim", "credential.credentialSubject",
        "credential.credentialProfiles", "credential.type", "claim.type", "specification.type",
        "specification.learningOutcome.title", "credential.issuer.location",
    }
)  # fmt: skip
PLACE_VALUES = [
    None, True, False, 0, 0.0, 1, 2.5, 59, "", " ", "x", "PT60H", "60", [], {}, [" ", "y"],
    {"en": " "}, {"@value": "v"}, {"id": "urn:x"}, [[{"id": "urn:nested"}]],
    ["urn:a", {"id": "urn:b", "prefLabel": {"en": "B"}, "title": {"fr": "T"}}],
    {"noteLiteral": {"en": "N"}, "contentURL": "u", "point": "3", "framework": ECTS},
]  # fmt: skip
_ROOT_PATHS = {
    "credential": (),
    "subject": ("credentialSubject",),
    "claim": ("credentialSubject", "hasClaim"),
    "specification": ("credentialSubject", "hasClaim", "specifiedBy"),
    "assessment": ("credentialSubject", "hasClaim", "provenBy"),
}


def _set(document: dict[str, Any], place: str, value: Any) -> None:
    """Set the value at ``place`` (below the first item of each list on the way; objects made
    where there are none)."""
    root, *steps = place.split(".")
    node: Any = document
    for step in [*_ROOT_PATHS[root], *steps[:-1]]:
        if isinstance(node, list):
            node = node[0]
        if not isinstance(node.get(step), dict | list) or node.get(step) == []:
            node[step] = {}
        node = node[step]
    if isinstance(node, list):
        node = node[0]
    node[steps[-1]] = value


@functools.cache
def _all_bases() -> list[dict[str, Any]]:
    """:func:`_bases` of the EU's samples, read once (a test edits copies)."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"published reference data not found at {SHARED_REFERENCE}")
    folder = SHARED_REFERENCE / "elm"
    sample = read_json(folder / "Sample-MC-Annex1-unsigned.jsonld")
    payload = json.loads(read_json(folder / "Sample-MC-Annex1-signed.jsonld")["payload"])
    return _bases(sample, payload)


class TestAsBefore:
    def test_the_eu_samples_and_every_kind_of_credential(
        self, eu_sample: dict[str, Any], eu_signed_payload: dict[str, Any]
    ) -> None:
        for document in _bases(eu_sample, eu_signed_payload):
            assert_same_report(document)

    @pytest.mark.parametrize(
        "document", [None, [], "credential", 7, {}, {"type": 3}, {"type": ["X"]}], ids=repr
    )
    def test_anything_else(self, document: Any) -> None:
        assert_same_report(document)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(base=st.integers(0, 8), edits=EDITS, focused=st.integers(0, 3))
    def test_credentials_edited_where_annex_i_reads_them(
        self, base: int, edits: list[tuple[int, str, Any, str]], focused: int
    ) -> None:
        assert_same_report(edited(_all_bases()[base], edits, focused=focused > 0))

    @pytest.mark.parametrize("place", PLACES)
    def test_every_place_holding_each_kind_of_value(self, place: str) -> None:
        """Each place the table and the readers read set to each kind of JSON value, in turn in
        the sample with an accreditation and in the one with several values everywhere."""
        for index, junk in enumerate(PLACE_VALUES):
            document = copy.deepcopy(_all_bases()[2 + index % 2])
            _set(document, place, copy.deepcopy(junk))
            assert_same_report(document)

    def test_values_nested_deeply(self, eu_sample: dict[str, Any]) -> None:
        """Nested as deep as a JSON text the verifier reads may be (256), and deeper than the
        readers recurse: the same report, or (Python's recursion limit) RecursionError."""
        for depth in (3, 250):
            document = copy.deepcopy(eu_sample)
            title: Any = " "
            for level in range(depth):
                title = [title, {"en": "x"}] if level == depth - 1 else [title]
            document["credentialSubject"]["hasClaim"]["title"] = title
            assert_same_report(document)
        title = "deep"
        for _ in range(20_000):
            title = [title]
        document = copy.deepcopy(eu_sample)
        document["credentialSubject"]["hasClaim"]["title"] = title
        assert outcome(annex1.annex1_report, document) == "RecursionError"  # not a crash


needs_twins = pytest.mark.skipif(
    not {"schemas.elm.annex1", "schemas.elm.annex1_places", "schemas.elm.annex1_values"}
    <= compiled.in_use,
    reason=f"!! the compiled twins of the Annex I report are not in use: "
    f"{ {m: compiled.not_used.get(m) for m in ('schemas.elm.annex1', 'schemas.elm.read')} }",
)


@needs_twins
def test_the_twins_make_the_classes_callers_compare() -> None:
    report = annex1.annex1_report({})
    assert type(report) is annex1.Annex1Report
    assert report.applicability.reason is annex1.Reason.NOT_ELM_CREDENTIAL
    assert annex1.Status.PRESENT.value == "present"
    assert annex1_values.element_value is not annex1_values.python_functions[0]
    assert type(annex1_places.Places({})) is annex1_places.Places


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab.c", max_size=8))
def test_a_place_splits_as_the_python_does(place: str) -> None:
    (split_place_python,) = annex1_places.python_functions
    assert annex1_places.split_place(place) == split_place_python(place)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.sampled_from(["", " a \n b ", "x" * 170, "é" * 161]))
def test_short_as_the_python_does(value: str) -> None:
    assert annex1_values.short(value) == annex1_values.python_functions[1](value)
    assert annex1_values.short(value) == reference.short(value)


_STEP_NAMES = st.sampled_from(["a", "b", "title"])
_TREES = st.recursive(
    st.none() | st.integers(0, 3) | st.sampled_from(["x", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_STEP_NAMES, inner, max_size=3),
    max_leaves=14,
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.none() | _TREES, min_size=1, max_size=3),
    st.lists(st.lists(_STEP_NAMES, max_size=4), min_size=1, max_size=5),
)
def test_places_find_what_walk_finds_from_every_root(
    roots: list[Any], asked: list[list[str]]
) -> None:
    """Each place (asked in any order, prefixes shared) holds what walk finds from each present
    root, in the roots' order."""
    located_roots = [(value, ("root", index)) for index, value in enumerate(roots)]
    places = annex1_places.Places({"claim": located_roots})
    for steps in asked:
        place = ".".join(["claim", *steps])
        expected = [
            found
            for start in located_roots
            if start[0] is not None
            for found in reference.walk(start, tuple(steps))
        ]
        assert places.located(place) == expected
        assert places.values(place) == [value for value, _ in expected]
