"""schemas.jsonld: pinned contexts only, strict expansion, RDFC-1.0 canonical N-Quads."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.contexts_check import MAX_DEPTH, check_contexts
from schemas.errors import (
    CanonicalizationRefused,
    ContextNotPinned,
    InvalidJsonLd,
    SchemaError,
    UndefinedTerm,
    UnknownContext,
)
from schemas.jsonld import canonicalize, expand_strict, to_nquads
from schemas.loader import StaticDocumentLoader, document_loader
from schemas.rdfc import canonicalize_nquads
from tests.conftest import read_json

EU_CONTEXT = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
]


def nested(depth: int, key: str = "credentialSubject") -> dict[str, Any]:
    """A document whose objects are nested ``depth`` deep, the top-level object included."""
    inner: dict[str, Any] = {}
    for _ in range(depth - 1):
        inner = {key: inner}
    return {"@context": EU_CONTEXT, **inner}


class TestCheckContexts:
    def test_accepts_pinned_urls(self, eu_sample: dict[str, Any]) -> None:
        check_contexts(eu_sample)
        check_contexts({"@context": "https://www.w3.org/ns/credentials/v2"})

    def test_unknown_url(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["@context"].append("https://example.org/my-context")
        with pytest.raises(UnknownContext) as caught:
            check_contexts(eu_sample)
        assert caught.value.code == "unknown_context"
        assert caught.value.url == "https://example.org/my-context"
        assert caught.value.path == "@context/2"

    def test_unknown_url_as_a_string(self) -> None:
        with pytest.raises(UnknownContext):
            check_contexts({"@context": "https://w3id.org/citizenship/v4rc1"})

    def test_inline_context_object_adding_a_new_term(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["@context"].append({"fooBar": "https://example.org/fooBar"})
        check_contexts(eu_sample)

    def test_inline_context_redefining_a_term(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["@context"].append({"credentialSubject": "https://example.org/fooBar"})
        with pytest.raises(ContextNotPinned) as caught:
            check_contexts(eu_sample)
        assert caught.value.code == "context_redefines_term"
        assert caught.value.path == "@context/2/credentialSubject"

    def test_inline_context_wrapped_as_a_context_document(self, eu_sample: dict[str, Any]) -> None:
        # the W3C Data Integrity proof-chain inputs wrap theirs so; pyld and jsonld.js unwrap it
        eu_sample["@context"].append({"@context": {"fooBar": "https://example.org/fooBar"}})
        check_contexts(eu_sample)
        eu_sample["fooBar"] = "x"
        assert expand_strict(eu_sample)

    @pytest.mark.parametrize(
        "entry",
        [
            {"@context": {"credentialSubject": "https://example.org/fooBar"}},  # redefines
            {"@context": {"@vocab": "https://example.org/"}},
            {"@context": {"@context": {"fooBar": "https://example.org/fooBar"}}},  # twice
            {"@context": {"fooBar": "https://example.org/fooBar"}, "more": "x"},
        ],
    )
    def test_a_wrapped_inline_context_is_checked_like_any(
        self, eu_sample: dict[str, Any], entry: dict[str, Any]
    ) -> None:
        eu_sample["@context"].append(entry)
        with pytest.raises(ContextNotPinned) as caught:
            check_contexts(eu_sample)
        assert caught.value.code == "context_redefines_term"

    def test_inline_context_as_the_whole_context(self) -> None:
        with pytest.raises(ContextNotPinned):
            check_contexts({"@context": {"@vocab": "https://example.org/"}})

    def test_nested_context_anywhere_below_the_top(self, eu_sample: dict[str, Any]) -> None:
        outcome = eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]["learningOutcome"][1]
        outcome["@context"] = "https://www.w3.org/2018/credentials/v1"
        with pytest.raises(ContextNotPinned) as caught:
            check_contexts(eu_sample)
        assert (
            caught.value.path == "credentialSubject/hasClaim/specifiedBy/learningOutcome/1/@context"
        )

    @pytest.mark.parametrize("entry", [7, None, True, ["https://www.w3.org/ns/credentials/v2"]])
    def test_non_string_entry(self, entry: object) -> None:
        with pytest.raises(ContextNotPinned):
            check_contexts({"@context": ["https://www.w3.org/ns/credentials/v2", entry]})

    @pytest.mark.parametrize("document", [{}, {"@context": []}, {"@context": None}])
    def test_missing_context(self, document: dict[str, Any]) -> None:
        with pytest.raises(ContextNotPinned):
            check_contexts(document)

    @pytest.mark.parametrize("document", [[], "a string", None, 3, [{"@context": EU_CONTEXT}]])
    def test_not_an_object(self, document: object) -> None:
        with pytest.raises(InvalidJsonLd) as caught:
            check_contexts(document)
        assert caught.value.code == "invalid_jsonld"

    def test_nesting_up_to_max_depth(self) -> None:
        check_contexts(nested(MAX_DEPTH))
        with pytest.raises(InvalidJsonLd):
            check_contexts(nested(MAX_DEPTH + 1))

    def test_ten_thousand_levels_deep_is_a_clean_error(self) -> None:
        deep_object = nested(10_000)
        deep_array: Any = []
        for _ in range(10_000):
            deep_array = [deep_array]
        with pytest.raises(InvalidJsonLd):
            check_contexts(deep_object)
        with pytest.raises(InvalidJsonLd):
            expand_strict({"@context": EU_CONTEXT, "credentialSubject": deep_array})
        with pytest.raises(InvalidJsonLd):
            canonicalize(deep_object)

    @pytest.mark.parametrize("value", [float("nan"), float("inf"), {1, 2}, b"bytes"])
    def test_values_that_are_not_json(self, value: object) -> None:
        with pytest.raises(InvalidJsonLd):
            check_contexts({"@context": EU_CONTEXT, "credentialSubject": {"x": [value]}})

    def test_leaves_the_document_unchanged(self, eu_sample: dict[str, Any]) -> None:
        before = copy.deepcopy(eu_sample)
        check_contexts(eu_sample)
        expand_strict(eu_sample)
        canonicalize(eu_sample)
        assert eu_sample == before


class TestExpandStrict:
    def test_eu_sample_has_no_undefined_term(self, eu_sample: dict[str, Any]) -> None:
        expanded = expand_strict(eu_sample)
        assert expanded[0]["@id"] == eu_sample["id"]

    def test_eu_signed_payload_has_no_undefined_term(
        self, eu_signed_payload: dict[str, Any]
    ) -> None:
        assert expand_strict(eu_signed_payload)

    def test_undefined_property_deep_in_the_eu_sample(self, eu_sample: dict[str, Any]) -> None:
        claim = eu_sample["credentialSubject"]["hasClaim"]
        claim["specifiedBy"]["learningOutcome"][1]["fooBar"] = "not signed"
        with pytest.raises(UndefinedTerm) as caught:
            expand_strict(eu_sample)
        assert caught.value.code == "undefined_term"
        assert (
            caught.value.path == "credentialSubject/hasClaim/specifiedBy/learningOutcome/1/fooBar"
        )

    def test_undefined_property_at_the_top(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["fooBar"] = 1
        with pytest.raises(UndefinedTerm) as caught:
            expand_strict(eu_sample)
        assert caught.value.path == "fooBar"

    def test_first_undefined_property_in_key_order(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["credentialSubject"]["zzz"] = 1
        eu_sample["credentialSubject"]["aaa"] = 1
        with pytest.raises(UndefinedTerm) as caught:
            expand_strict(eu_sample)
        assert caught.value.path == "credentialSubject/aaa"

    def test_keyword_lookalike(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["credentialSubject"]["@foo"] = "x"
        with pytest.raises(UndefinedTerm) as caught:
            expand_strict(eu_sample)
        assert caught.value.path == "credentialSubject/@foo"

    def test_undefined_type(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["credentialSubject"]["hasClaim"]["type"] = ["LearningAchievement", "MicroThing"]
        with pytest.raises(UndefinedTerm) as caught:
            expand_strict(eu_sample)
        assert caught.value.path == "credentialSubject/hasClaim/type/1"

    def test_relative_id(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["credentialSubject"]["hasClaim"]["id"] = "achievements/1"
        with pytest.raises(UndefinedTerm) as caught:
            expand_strict(eu_sample)
        assert caught.value.path == "credentialSubject/hasClaim/id"

    def test_relative_iri_as_a_reference_value(self, eu_sample: dict[str, Any]) -> None:
        skills = eu_sample["credentialSubject"]["hasClaim"]["specifiedBy"]["learningOutcome"][1]
        skills["relatedSkill"][1] = "skills/42"
        with pytest.raises(UndefinedTerm) as caught:
            expand_strict(eu_sample)
        assert caught.value.path == (
            "credentialSubject/hasClaim/specifiedBy/learningOutcome/1/relatedSkill/1"
        )

    def test_relative_ids_are_not_resolved_against_a_default_base(self) -> None:
        # pyld 3.3 would otherwise make "achievements/1" into http://example.org/base/...
        document = {"@context": EU_CONTEXT, "id": "", "type": "VerifiableCredential"}
        with pytest.raises(UndefinedTerm):
            expand_strict(document)

    def test_unknown_context_reached_inside_pyld(self) -> None:
        # A served context that itself names a context the loader lacks.
        loader = StaticDocumentLoader(
            {"urn:ctx:outer": {"@context": ["https://example.org/inner"]}}, include_pinned=False
        )
        with pytest.raises(UnknownContext) as caught:
            expand_strict({"@context": "urn:ctx:outer", "urn:p": 1}, loader=loader)
        assert caught.value.url == "https://example.org/inner"

    @pytest.mark.parametrize(
        "change",
        [
            {"id": 5},
            {"credentialSubject": {"@value": "x", "@language": 5}},
            {"credentialSubject": {"@id": "urn:x", "@value": 1}},
            {"validFrom": {"@value": "2020", "@type": "notAnIri"}},
        ],
    )
    def test_invalid_json_ld(self, eu_sample: dict[str, Any], change: dict[str, Any]) -> None:
        eu_sample.update(change)
        with pytest.raises(InvalidJsonLd):
            expand_strict(eu_sample)


def _vector(reference: Path, folder: str, name: str) -> str:
    return (reference / "w3c" / folder / name).read_text(encoding="utf-8")


# (id, input, expected canonical form, its hash, RDFC hash), paths under ../shared/reference/w3c
VECTORS = [
    (
        "eddsa-basic",
        "eddsa-rdfc-2022/unsigned.json",
        "eddsa-rdfc-2022/canonDocDataInt.txt",
        "eddsa-rdfc-2022/docHashDataInt.txt",
        "sha256",
    ),
    (
        "eddsa-basic-proof",
        "eddsa-rdfc-2022/proofConfigDataInt.json",
        "eddsa-rdfc-2022/proofCanonDataInt.txt",
        "eddsa-rdfc-2022/proofHashDataInt.txt",
        "sha256",
    ),
    (
        "eddsa-employ",
        "eddsa-rdfc-2022/employmentAuth.json",
        "eddsa-rdfc-2022/employ/canonDocDataInt.txt",
        "eddsa-rdfc-2022/employ/docHashDataInt.txt",
        "sha256",
    ),
    (
        "ecdsa-p256-basic",
        "ecdsa-rdfc-2019/unsigned.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/canonDocECDSAP256.txt",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/docHashECDSAP256.txt",
        "sha256",
    ),
    (
        "ecdsa-p256-employ",
        "ecdsa-rdfc-2019/employmentAuth.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/employ/canonDocECDSAP256.txt",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/employ/docHashECDSAP256.txt",
        "sha256",
    ),
    (
        "ecdsa-p256-employ-proof",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/employ/proofConfigECDSAP256.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/employ/proofCanonECDSAP256.txt",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p256/employ/proofHashECDSAP256.txt",
        "sha256",
    ),
    (
        "ecdsa-p384-basic",
        "ecdsa-rdfc-2019/unsigned.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/canonDocECDSAP384.txt",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/docHashECDSAP384.txt",
        "sha384",
    ),
    (
        "ecdsa-p384-employ",
        "ecdsa-rdfc-2019/employmentAuth.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/employ/canonDocECDSAP384.txt",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/employ/docHashECDSAP384.txt",
        "sha384",
    ),
    (
        "ecdsa-p384-employ-proof",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/employ/proofConfigECDSAP384.json",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/employ/proofCanonECDSAP384.txt",
        "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/employ/proofHashECDSAP384.txt",
        "sha384",
    ),
]


class TestCanonicalize:
    @pytest.mark.parametrize(
        ("source", "canon", "digest", "hash_algorithm"),
        [vector[1:] for vector in VECTORS],
        ids=[vector[0] for vector in VECTORS],
    )
    def test_w3c_vector(
        self,
        reference: Path,
        vector_loader: StaticDocumentLoader,
        source: str,
        canon: str,
        digest: str,
        hash_algorithm: str,
    ) -> None:
        document = read_json(reference / "w3c" / source)
        expected = (reference / "w3c" / canon).read_text(encoding="utf-8")
        result = canonicalize(document, loader=vector_loader, hash_algorithm=hash_algorithm)
        assert result == expected
        expected_digest = (reference / "w3c" / digest).read_text(encoding="utf-8").strip()
        assert hashlib.new(hash_algorithm, result.encode("utf-8")).hexdigest() == expected_digest

    def test_p384_employ_needs_sha384_inside_rdfc(
        self, reference: Path, vector_loader: StaticDocumentLoader
    ) -> None:
        document = read_json(reference / "w3c" / "ecdsa-rdfc-2019" / "employmentAuth.json")
        expected = _vector(
            reference, "ecdsa-rdfc-2019/ecdsa-rdfc-2019-p384/employ", "canonDocECDSAP384.txt"
        )
        assert canonicalize(document, loader=vector_loader, hash_algorithm="sha256") != expected

    def test_open_badges_vector(self, reference: Path) -> None:
        # Needs only pinned contexts (OB 3.0.3 and credentials v2).
        document = read_json(reference / "w3c" / "ob3" / "credential.json")
        expected = _vector(reference, "ob3", "document-canon.txt")
        result = canonicalize(document)
        assert result == expected
        expected_hash = read_json(reference / "w3c" / "ob3" / "expected.json")["documentHashHex"]
        assert hashlib.sha256(result.encode("utf-8")).hexdigest() == expected_hash
        # Quirks of the 3.0.3 context that are part of the signed data (ob3 README).
        assert "<https://www.w3.org/2001/XMLSchema#anyURI>" in result
        assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria>" in result

    def test_open_badges_proof_config(self, reference: Path) -> None:
        document = read_json(reference / "w3c" / "ob3" / "credential.json")
        proof_config = read_json(reference / "w3c" / "ob3" / "proof-config.json")
        proof_config["@context"] = document["@context"]
        assert canonicalize(proof_config) == _vector(reference, "ob3", "proof-canon.txt")

    @pytest.mark.parametrize("hash_algorithm", ["sha512", "SHA256", "", "md5"])
    def test_unknown_hash_algorithm_before_any_work(self, hash_algorithm: str) -> None:
        with pytest.raises(ValueError):
            canonicalize([], hash_algorithm=hash_algorithm)

    def test_strict_checks_run(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["credentialSubject"]["fooBar"] = 1
        with pytest.raises(UndefinedTerm):
            canonicalize(eu_sample)
        with pytest.raises(UndefinedTerm):
            canonicalize(eu_sample, hash_algorithm="sha384")

    def test_not_strict_drops_what_json_ld_drops(self, eu_sample: dict[str, Any]) -> None:
        expected = canonicalize(eu_sample)
        eu_sample["credentialSubject"]["fooBar"] = 1
        eu_sample["credentialSubject"]["hasClaim"]["id"] = "relative"
        loose = canonicalize(eu_sample, strict=False)
        assert "fooBar" not in loose
        assert "relative" not in loose
        assert "example.org" not in loose
        assert "urn:epass:learningAchievement:1" in expected
        assert "urn:epass:learningAchievement:1" not in loose

    def test_contexts_are_checked_even_when_not_strict(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["@context"].append({"credentialSubject": "https://example.org/fooBar"})
        with pytest.raises(ContextNotPinned):
            canonicalize(eu_sample, strict=False)

    def test_sha256_and_sha384_agree_without_blank_nodes(self, eu_sample: dict[str, Any]) -> None:
        assert canonicalize(eu_sample) == canonicalize(eu_sample, hash_algorithm="sha384")

    @pytest.mark.parametrize("hash_algorithm", ["sha256", "sha384"])
    @pytest.mark.parametrize("control", ["\b", "\f", "\x01", "\x7f"])
    def test_control_characters_escaped_as_rdfc_requires(
        self, control: str, hash_algorithm: str
    ) -> None:
        document = {"@context": EU_CONTEXT, "id": "urn:x:1", "title": {"en": f"a{control}b"}}
        escaped = {"\b": "\\b", "\f": "\\f", "\x01": "\\u0001", "\x7f": "\\u007F"}[control]
        canonical = canonicalize(document, hash_algorithm=hash_algorithm)
        assert f'"a{escaped}b"@en' in canonical

    @pytest.mark.parametrize("hash_algorithm", ["sha256", "sha384"])
    def test_blank_node_clique_is_refused(self, hash_algorithm: str) -> None:
        # Ten blank nodes all linked to each other: RDFC-1.0's poison graph (rdf-canon test074).
        nodes = [f"_:e{index}" for index in range(10)]
        document = {
            "@context": EU_CONTEXT,
            "@graph": [{"id": node, "hasSubOrganization": nodes} for node in nodes],
        }
        with pytest.raises(CanonicalizationRefused) as caught:
            canonicalize(document, hash_algorithm=hash_algorithm)
        assert caught.value.code == "canonicalization_refused"


class TestToNquads:
    def test_canonicalizes_to_the_canonical_form(
        self, reference: Path, vector_loader: StaticDocumentLoader
    ) -> None:
        document = read_json(reference / "w3c" / "ecdsa-rdfc-2019" / "employmentAuth.json")
        nquads = to_nquads(document, loader=vector_loader)
        assert canonicalize_nquads(nquads) == canonicalize(document, loader=vector_loader)

    def test_strict_by_default(self, eu_sample: dict[str, Any]) -> None:
        eu_sample["credentialSubject"]["fooBar"] = 1
        with pytest.raises(UndefinedTerm):
            to_nquads(eu_sample)
        assert "fooBar" not in to_nquads(eu_sample, strict=False)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["id", "type", "title", "hasClaim", "@id", "@type", "@value", "x", "@list"]
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.dictionaries(
        st.sampled_from(["id", "type", "credentialSubject", "@graph", "validFrom"]),
        JSON_VALUES,
        max_size=4,
    )
)
def test_any_json_gives_a_result_or_a_schema_error(body: dict[str, Any]) -> None:
    document = {"@context": EU_CONTEXT, **json.loads(json.dumps(body))}
    with contextlib.suppress(SchemaError):
        assert isinstance(canonicalize(document, loader=document_loader), str)


class TestCheckStrict:
    """check_strict refuses exactly what expand_strict refuses, naming the same path."""

    @pytest.mark.parametrize(
        "change",
        [
            lambda d: d["credentialSubject"].update(fooBar=1),
            lambda d: d["credentialSubject"]["hasClaim"].update(honours="x"),
            lambda d: d["@context"].append("https://example.org/unknown"),
            lambda d: d["@context"].append({"credentialSubject": "https://example.org/x"}),
            lambda d: d.update(type=["VerifiableCredential", "NoSuchType"]),
        ],
        ids=["subject-term", "deep-term", "unknown-context", "inline-context", "unknown-type"],
    )
    def test_same_refusal(self, eu_sample: dict[str, Any], change) -> None:
        from schemas.jsonld import check_strict

        change(eu_sample)
        with pytest.raises(SchemaError) as plain:
            expand_strict(copy.deepcopy(eu_sample))
        for _ in range(2):  # compiled shape, then cached shape
            with pytest.raises(type(plain.value)) as fast:
                check_strict(copy.deepcopy(eu_sample))
            assert fast.value.code == plain.value.code
            assert getattr(fast.value, "path", None) == getattr(plain.value, "path", None)

    def test_accepts_what_expand_strict_accepts(self, eu_sample: dict[str, Any]) -> None:
        from schemas.jsonld import check_strict

        expand_strict(eu_sample)
        assert check_strict(eu_sample) is None
