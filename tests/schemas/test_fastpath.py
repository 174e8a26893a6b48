"""schemas.fastpath: the shape-template canonicalization agrees with the plain path byte for byte.

Every comparison runs the fast path twice (the first call compiles the shape, the second fills
the template) and the plain path once, and asks for the same N-Quads or the same error (type,
message and path).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo.reference import reference_credential, reference_keypair
from keys.proof import add_proof, proof_configuration, proofs_of, unsecured
from schemas import fastpath, rdfc, render, strict
from schemas.errors import SchemaError, UndefinedTerm
from schemas.jsonld import PreparedDocument, canonicalize, canonicalize_plain, to_nquads
from schemas.loader import StaticDocumentLoader, document_loader

EU_CONTEXT = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
]
V2_CONTEXT = ["https://www.w3.org/ns/credentials/v2"]
NOT_VECTORS = {"keyPair.json", "p256KeyPair.json", "p384KeyPair.json", "key.json", "facts.json"}


def outcome(function: Any, document: Any, loader: StaticDocumentLoader, algorithm: str) -> Any:
    try:
        return ("ok", function(document, loader=loader, hash_algorithm=algorithm))
    except SchemaError as exc:
        return ("error", type(exc).__name__, str(exc), exc.path)
    except AttributeError as exc:  # the plain path on an empty graph, see test_empty_graph
        return ("error", type(exc).__name__, str(exc))


def assert_agree(
    document: Any, loader: StaticDocumentLoader = document_loader, algorithm: str = "sha256"
) -> Any:
    """Fast (compiling, then from the template) and plain give the same bytes or error."""
    plain = outcome(canonicalize_plain, document, loader, algorithm)
    first = outcome(canonicalize, document, loader, algorithm)
    second = outcome(canonicalize, document, loader, algorithm)
    assert first == plain
    assert second == plain
    return plain


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    fastpath.clear_cache()
    fastpath.stats.reset()


class TestReferenceCredential:
    @pytest.mark.parametrize("outcomes", [1, 3, 10, 100])
    def test_identical_and_fast(self, outcomes: int) -> None:
        credential = reference_credential(reference_keypair(), outcomes=outcomes)
        assert assert_agree(credential)[0] == "ok"
        assert fastpath.stats.fallbacks == 0
        assert fastpath.stats.compiled == 1

    def test_same_shape_new_values_use_the_template(self) -> None:
        credential = reference_credential(reference_keypair())
        canonicalize(credential)
        other = copy.deepcopy(credential)
        other["id"] = "urn:uuid:11111111-1111-4111-8111-111111111111"
        other["credentialSubject"]["givenName"]["en"] = 'Zoë "Q" \\ \x00\x7f\u2028\n\t'
        other["credentialSubject"]["hasClaim"]["specifiedBy"]["creditPoint"]["point"] = "7.5"
        assert canonicalize(other) == canonicalize_plain(other)
        assert fastpath.stats.compiled == 1
        assert fastpath.stats.fallbacks == 0

    def test_signature_bytes_identical(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import keys.cryptosuites.base as base

        keypair = reference_keypair()
        credential = reference_credential(keypair)
        ours = add_proof(credential, keypair, created="2026-07-01T00:00:00Z")
        monkeypatch.setattr(base, "canonicalize", canonicalize_plain)
        plain = add_proof(credential, keypair, created="2026-07-01T00:00:00Z")
        assert ours == plain

    def test_proof_configuration_uses_the_template(self) -> None:
        keypair = reference_keypair()
        signed = add_proof(reference_credential(keypair), keypair)
        assert_agree(proof_configuration(signed, signed["proof"]))
        assert fastpath.stats.fallbacks == 0


class TestOneBlankNode:
    """With one blank node there is nothing for RDFC-1.0 to tell apart: the template writes its
    canonical label and the lines are sorted, as without blank nodes (no blank-node work)."""

    def test_proof_configurations_need_no_blank_node_work(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        keypair = reference_keypair()
        signed = add_proof(reference_credential(keypair), keypair)
        configuration = proof_configuration(signed, signed["proof"])
        assert "_:c14n0 " in assert_agree(configuration)[1]

        def refused(*_: Any, **__: Any) -> str:
            raise AssertionError("blank-node canonicalization asked for one blank node")

        monkeypatch.setattr(fastpath, "canonicalize_nquads", refused)
        for n, created in enumerate(["2026-01-02T03:04:05Z", "2027-12-31T23:59:59Z"]):
            other = {**configuration, "created": created, "verificationMethod": f"did:x:{n}#k"}
            assert_agree(other)
        assert fastpath.stats.fallbacks == 0

    def test_a_subject_without_id_agrees_and_two_blank_nodes_still_work(self) -> None:
        document = reference_credential(reference_keypair())
        del document["credentialSubject"]["id"]
        one = assert_agree(document)[1]
        assert one.count("_:c14n0 ") > 0 and "_:c14n1" not in one
        del document["credentialSubject"]["hasClaim"]["id"]
        two = assert_agree(document)[1]
        assert "_:c14n1" in two


class TestBlankNodesToldApart:
    """Templates whose blank nodes first-degree hashing tells apart whatever the values skip
    RDFC-1.0's work estimate; the others still run it."""

    def test_a_signed_credential_needs_no_estimate(self, monkeypatch: pytest.MonkeyPatch) -> None:
        keypair = reference_keypair()
        signed = add_proof(reference_credential(keypair), keypair)
        PreparedDocument(signed).check_strict()  # compiled
        templates = [entry[0] for entry in fastpath._caches[document_loader].values()]
        template = max(templates, key=lambda template: template.quads)  # the signed document's
        assert template.has_blank_nodes and fastpath.blank_nodes_told_apart(template)

        def refused(*_: Any) -> None:
            raise AssertionError("blank-node work estimated for a template that needs none")

        monkeypatch.setattr(fastpath, "check_blank_node_work", refused)
        other = add_proof(reference_credential(keypair, outcomes=3), keypair)
        PreparedDocument(other).check_strict()
        assert fastpath.stats.fallbacks == 0

    def test_look_alike_blank_nodes_are_still_estimated(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        document = {
            "@context": V2_CONTEXT,
            "type": "VerifiableCredential",
            "issuer": "did:example:issuer",
            "credentialSubject": [{"name": "one"}, {"name": "two"}],
        }
        calls: list[Any] = []
        monkeypatch.setattr(fastpath, "check_blank_node_work", calls.append)
        for _ in range(2):
            PreparedDocument(document).check_strict()
        templates = [entry[0] for entry in fastpath._caches[document_loader].values()]
        assert [fastpath.blank_nodes_told_apart(t) for t in templates] == [False]
        assert len(calls) == 2

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.lists(
                st.sampled_from(["b0", "b1", "b2"]).map(lambda label: ("blank", f"_:{label}"))
                | st.integers(0, 2).map(lambda ref: (["<", ">"], [ref]))
                | st.sampled_from(["<c>", "<d>"]).map(lambda text: ([text], [])),
                min_size=4,
                max_size=4,
            ).map(tuple),
            min_size=1,
            max_size=6,
        ),
        st.lists(st.sampled_from(["c", "x", "y"]), min_size=3, max_size=3),
    )
    def test_told_apart_means_every_signature_differs(
        self, specs: list[tuple[Any, ...]], values: list[str]
    ) -> None:
        template = SimpleNamespace(blank_quads=specs, blank_nodes_told_apart=None)
        if not fastpath.blank_nodes_told_apart(template):  # type: ignore[arg-type]
            return
        quads = fastpath._blank_quads(template, values)  # type: ignore[arg-type]
        mentions: dict[Any, list[Any]] = {}
        for quad in quads:
            for term in set(quad):
                if term[0] == "blank":
                    mentions.setdefault(term, []).append(quad)
        signatures = [rdfc._first_degree_signature(node, found) for node, found in mentions.items()]
        assert len(set(signatures)) == len(signatures)


class TestStrictRule:
    def test_undefined_term_refused_every_time(self) -> None:
        document = reference_credential(reference_keypair())
        document["credentialSubject"]["favouriteColour"] = "green"
        for _ in range(3):
            with pytest.raises(UndefinedTerm) as caught:
                canonicalize(document)
            assert caught.value.path == "credentialSubject/favouriteColour"

    @pytest.mark.parametrize(
        "bad_id",
        ["relative/id", "_:b7", "urn:a%zz", "http://a b", "urn:x>y", "", "cred:ential"],
    )
    def test_unusual_ids_agree(self, bad_id: str) -> None:
        document = reference_credential(reference_keypair())
        canonicalize(document)  # the shape is compiled
        document["credentialSubject"]["id"] = bad_id
        assert_agree(document)

    def test_term_as_vocab_value_expands(self) -> None:
        document = {
            "@context": ["https://w3id.org/security/data-integrity/v2"],
            "type": "DataIntegrityProof",
            "proofPurpose": "assertionMethod",
            "created": "2026-01-01T00:00:00Z",
        }
        assert_agree(document)
        document["proofPurpose"] = "authentication"
        assert_agree(document)
        document["proofPurpose"] = "https://example.org/purpose"
        assert_agree(document)

    def test_an_iri_remembered_at_a_leaf_does_not_decide_another_value(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Values found to expand to themselves are remembered per (leaf, value): a term, a
        compact IRI, a relative or a bad IRI at the same leaf is still decided on its own, and
        the memory stays within its bound."""
        monkeypatch.setattr(render, "MAX_SAME_IRIS", 3)
        document = {
            "@context": ["https://w3id.org/security/data-integrity/v2"],
            "type": "DataIntegrityProof",
            "proofPurpose": "assertionMethod",
            "verificationMethod": "did:example:issuer#key-1",
            "created": "2026-01-01T00:00:00Z",
        }
        for value in (
            "did:example:issuer#key-1",
            "did:example:issuer#key-2",
            "sec:publicKeyMultibase",  # a compact IRI: a prefix of the context
            "relative#key",
            "did:example:issuer#key-1",
            "https://example.org/a b",  # not an IRI pyoxigraph accepts
            "did:example:issuer#key-3",
            "did:example:issuer#key-1",
        ):
            document["verificationMethod"] = value
            assert_agree(document)
        templates = [entry[0] for entry in fastpath._caches[document_loader].values()]
        for template in templates:
            remembered = sum(map(len, template.same_iris.values()))
            assert remembered == template.same_iris_count <= 3
        assert any(template.same_iris for template in templates)


class TestFallback:
    def test_unhandled_documents_agree(self) -> None:
        for document in (
            [],
            {"@context": {"@vocab": "https://example.org/"}, "a": 1},
            {"@context": EU_CONTEXT, "credentialSubject": {"@context": EU_CONTEXT}},
            {"@context": V2_CONTEXT, "type": "VerifiableCredential", "n": 10**22},
            {"@context": V2_CONTEXT, "type": "VerifiableCredential", "x": float("nan")},
            {"@context": V2_CONTEXT, "type": "VerifiableCredential", "x": {1, 2}},
            {"@context": V2_CONTEXT, "type": "VerifiableCredential", "n": "\ud800"},
        ):
            assert_agree(document)

    def test_inline_contexts_take_the_plain_path_and_agree(self) -> None:
        term = {"Honours": "https://example.org/#Honours", "grade": "https://example.org/#grade"}
        base = {"type": ["VerifiableCredential", "Honours"], "issuer": "did:example:issuer"}
        for inline in (term, {"grade": "https://example.org/#other"}, {"@vocab": "urn:x:"}):
            for _ in range(2):  # a second time would hit a cached shape, if there were one
                document = {
                    "@context": [*V2_CONTEXT, inline],
                    **base,
                    "credentialSubject": {"id": "did:example:1", "grade": "A"},
                }
                assert_agree(document)
        assert canonicalize({**document, "@context": [*V2_CONTEXT, term]})  # accepted
        before = len(fastpath._caches.get(document_loader, {}))
        assert_agree({"@context": [*V2_CONTEXT, term], **base, "credentialSubject": {"grade": "B"}})
        assert len(fastpath._caches.get(document_loader, {})) == before

    def test_an_inline_redefinition_is_refused_on_both_paths(self) -> None:
        document = {
            "@context": [*V2_CONTEXT, {"issuer": "https://example.org/#notTheIssuer"}],
            "type": "VerifiableCredential",
            "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:1"},
        }
        for function in (canonicalize, canonicalize_plain):
            with pytest.raises(SchemaError) as caught:
                function(copy.deepcopy(document))
            assert caught.value.code == "context_redefines_term"

    def test_strict_false_is_plain(self) -> None:
        document = {"@context": V2_CONTEXT, "id": "relative", "type": "VerifiableCredential"}
        assert canonicalize(document, strict=False) == canonicalize_plain(document, strict=False)

    @pytest.mark.parametrize("text", ["Soren Aero Lodz " * 40, "Søren Ærø Łódź " * 40])
    def test_the_size_bound_is_the_plain_paths(
        self, monkeypatch: pytest.MonkeyPatch, text: str
    ) -> None:
        """Around the plain path's size bound (in ASCII its estimates count more than the
        N-Quads hold; in other text the bytes count more than the characters), a compiled
        template accepts nothing the plain path refuses; further from it, the template
        decides."""
        document = {  # no node twice: its N-Quads have no line twice
            "@context": ["https://w3id.org/security/data-integrity/v2"],
            "type": "DataIntegrityProof",
            "proofPurpose": "assertionMethod",
            "verificationMethod": "did:example:issuer#key-1",
            "created": "2026-01-01T00:00:00Z",
            "challenge": text,  # plain literals: an xsd:string datatype, not written
            "domain": "example.org",
            "nonce": "1",
        }
        size = len(to_nquads(document).encode("utf-8"))

        def bound(value: int) -> None:
            for module in (fastpath, rdfc, strict):
                monkeypatch.setattr(module, "MAX_NQUADS_BYTES", value)

        def plain_accepts(value: int) -> bool:
            bound(value)
            return outcome(canonicalize_plain, document, document_loader, "sha256")[0] == "ok"

        low, high = size // 2, size * 4  # the least bound the plain path accepts
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if plain_accepts(middle) else (middle + 1, high)
        assert low > size if text.isascii() else low == size
        monkeypatch.undo()
        canonicalize(document)  # compiled with the real bound
        quads = next(iter(fastpath._caches[document_loader].values()))[0].quads
        for value in {size - 1, size, low - 1, low, *range(size, 2 * low, low // 10)}:
            bound(value)
            assert (assert_agree(document)[0] == "ok") is (value >= low)
        fastpath.stats.reset()
        bound(2 * (size + fastpath.SIZE_SLACK * quads))  # the template decides
        assert assert_agree(document)[0] == "ok"
        assert fastpath.stats.hits == 2 and fastpath.stats.fallbacks == 0

    def test_cache_is_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(fastpath, "MAX_SHAPES", 4)
        for number in range(10):
            assert_agree({"@context": V2_CONTEXT, "type": "VerifiableCredential", f"k{number}": 1})
        assert len(fastpath._caches[document_loader]) <= 4


class TestShapeCache:
    """The shape last seen with as many tokens is compared as it is, without hashing its key;
    it never answers for another shape, nor outlives its entry in the cache."""

    def test_shapes_of_as_many_tokens_keep_their_own_templates(self) -> None:
        first = {"@context": V2_CONTEXT, "type": "VerifiableCredential", "name": "one"}
        second = {"@context": V2_CONTEXT, "type": "VerifiableCredential", "description": "two"}
        assert len(fastpath.shape_of(first)[0].tokens) == len(fastpath.shape_of(second)[0].tokens)
        for document in (first, second, first, second, first):
            assert_agree(document)
        assert fastpath.stats.compiled == 2
        assert fastpath.stats.fallbacks == 0

    def test_a_recent_shape_leaves_with_its_entry(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(fastpath, "MAX_SHAPES", 3)
        for number in range(12):
            term = ("name", "description")[number % 2]
            names = [f"n{index}" for index in range(number % 5 + 1)]
            assert_agree({"@context": V2_CONTEXT, "type": "VerifiableCredential", term: names})
            cache = fastpath._caches[document_loader]
            assert len(cache) <= 3
            assert cache.recent
            for _, template, key in cache.recent.values():
                assert cache[key][0] is template
        assert fastpath.stats.fallbacks == 0
        fastpath.stats.reset()
        names = ["n0", "n1", "n2"]  # last seen at number 7, dropped since
        again = {"@context": V2_CONTEXT, "type": "VerifiableCredential", "description": names}
        assert_agree(again)  # evicted long ago: compiled again, not taken from a stale recent
        assert fastpath.stats.compiled == 1


def vector_documents(reference: Path) -> list[Path]:
    w3c = reference / "w3c"
    paths = [
        *sorted((w3c / "eddsa-rdfc-2022").rglob("*.json")),
        *sorted((w3c / "ecdsa-rdfc-2019").rglob("*.json")),
        *sorted((w3c / "ob3").glob("*.json")),
        *sorted((w3c / "status-list").glob("rec-*.json")),
        *sorted((reference / "elm").glob("*.jsonld")),
    ]
    return [path for path in paths if path.name not in NOT_VECTORS]


class TestPublishedVectors:
    def test_every_vector_and_sample_agrees(
        self, reference: Path, vector_loader: StaticDocumentLoader
    ) -> None:
        compared = 0
        for path in vector_documents(reference):
            document = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(document, dict) and isinstance(document.get("payload"), str):
                document = json.loads(document["payload"])
            if not isinstance(document, dict) or "@context" not in document:
                continue
            for algorithm in ("sha256", "sha384"):
                assert_agree(unsecured(document), vector_loader, algorithm)
                for proof in proofs_of(document):
                    config = proof_configuration(document, proof)
                    assert_agree(config, vector_loader, algorithm)
            compared += 1
        assert compared >= 15
        assert fastpath.stats.hits > 0


# --- differential testing on generated credentials -------------------------------------------

ODD = list('\x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f"\\\u0085\u2028\u00e9\U0001f600{}<>@^')
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(ODD), max_size=12
)
IRIS = st.sampled_from(
    [
        "urn:x:1",
        "http://example.org/a",
        "https://example.org/b#c",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "mailto:a@example.org",
        "urn:uuid:00000000-0000-4000-8000-000000000009",
        "relative",
        "_:b1",
        "urn:a%zz",
        "http://a b",
        "ex:{x}",
        "xsd:string",
    ]
) | st.builds(lambda t: "urn:t:" + t, st.text(st.characters(min_codepoint=33), max_size=6))
NUMBERS = (
    st.integers(min_value=-(10**22), max_value=10**22)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
)
LANGUAGES = st.sampled_from(["en", "da", "en-US", "de-CH-1996"])
LANGUAGE_MAP = st.dictionaries(LANGUAGES, TEXT | st.lists(TEXT, max_size=2), min_size=1)

EU_TYPES = st.sampled_from(["Concept", "Organisation", "LearningOutcome", "Note", "Location"])
EU_LITERALS = st.sampled_from(["point", "volumeOfLearning", "awardingDate", "notation"])
EU_MAPS = st.sampled_from(["title", "description", "prefLabel", "legalName", "noteLiteral"])
EU_LINKS = st.sampled_from(["learningOutcome", "relatedESCOSkill", "location", "awardedBy"])


def eu_node(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda id_, type_, literals, maps, links: {
            **({"id": id_} if id_ is not None else {}),
            "type": type_,
            **literals,
            **maps,
            **links,
        },
        st.none() | IRIS,
        EU_TYPES | st.lists(EU_TYPES, min_size=1, max_size=2, unique=True),
        st.dictionaries(EU_LITERALS, TEXT | NUMBERS | st.lists(TEXT, max_size=2), max_size=2),
        st.dictionaries(EU_MAPS, LANGUAGE_MAP, max_size=2),
        st.dictionaries(EU_LINKS, children | st.lists(children, max_size=3) | IRIS, max_size=2),
    )


EU_LEAF = st.fixed_dictionaries({"id": IRIS, "type": EU_TYPES, "prefLabel": LANGUAGE_MAP})
EU_NODES = st.recursive(EU_LEAF, eu_node, max_leaves=6)
V2_VALUES = st.recursive(
    TEXT | NUMBERS | st.none(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["score", "name", "description", "id", "note"]), inner)
        | st.builds(lambda t, lang: {"@value": t, "@language": lang}, TEXT, LANGUAGES)
        | st.builds(lambda items: {"@list": items}, st.lists(TEXT | NUMBERS, max_size=3))
    ),
    max_leaves=8,
)


@st.composite
def credentials(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {
            "@context": EU_CONTEXT,
            "id": draw(IRIS),
            "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
            "issuanceDate": draw(TEXT),
            "credentialSubject": draw(EU_NODES),
        }
    return {
        "@context": V2_CONTEXT,
        "id": draw(IRIS),
        "type": ["VerifiableCredential"],
        "name": draw(TEXT | st.builds(lambda t: {"@value": t, "@language": "en"}, TEXT)),
        "credentialSubject": draw(
            st.dictionaries(st.sampled_from(["id", "score", "passed", "items", "name"]), V2_VALUES)
        ),
    }


CONSTANT = {"type", "@language"}


def new_values(document: Any, data: st.DataObject, constant: bool = False) -> Any:
    """The same shape with other leaf values (strings stay strings, numbers numbers)."""
    if isinstance(document, dict):
        return {
            key: value
            if key == "@context"
            else new_values(value, data, key in {"type", "@language"})
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [new_values(item, data, constant) for item in document]
    if isinstance(document, str) and not constant:
        return data.draw(TEXT | IRIS)
    if isinstance(document, int) and not isinstance(document, bool):
        return data.draw(st.integers(min_value=-(10**20), max_value=10**20))
    if isinstance(document, float):
        return data.draw(st.floats(allow_nan=False, allow_infinity=False))
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=credentials(), data=st.data(), algorithm=st.sampled_from(["sha256", "sha384"]))
def test_generated_credentials_agree(document: dict[str, Any], data: Any, algorithm: str) -> None:
    assert_agree(document, algorithm=algorithm)
    for _ in range(2):
        assert_agree(new_values(document, data), algorithm=algorithm)
