"""schemas.jsonld.PreparedDocument: read once, and every answer is the plain path's — the
strict verdict on the whole (signed) document and the canonical form of the document without
its proof — on the reference credential, proof sets, the EU sample and hostile variations;
``add_proofs`` signs the same bytes as one ``add_proof`` per key; escaping agrees with the
reference translation."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.reference import reference_credential, reference_keypair
from keys.proof import add_proof, add_proofs, unsecured
from schemas import fastpath
from schemas.errors import SchemaError
from schemas.jsonld import PreparedDocument, canonicalize_plain
from schemas.template import _ESCAPES, escape, escape_all

CREATED = "2026-07-01T00:00:00Z"
DI_V2 = "https://w3id.org/security/data-integrity/v2"


def verdict(run: Any) -> Any:
    try:
        return ("ok", run())
    except SchemaError as error:
        return ("error", type(error).__name__, str(error), error.path)


def assert_prepared_agrees(document: dict[str, Any]) -> None:
    """Twice (compiling, then from the templates): the verdict and the unsecured form are the
    plain path's."""
    for _ in range(2):
        prepared = PreparedDocument(document)
        plain = verdict(lambda: canonicalize_plain(document) and None)
        assert verdict(prepared.check_strict) == plain
        bare = unsecured(document)
        expected = verdict(lambda bare=bare: canonicalize_plain(bare))
        assert verdict(prepared.canonical_unsecured) == expected
        if expected[0] == "ok":  # its digest is the hash of that text in UTF-8, per hash
            for name in ("sha256", "sha384"):
                text = canonicalize_plain(bare, hash_algorithm=name)
                digest = hashlib.new(name, text.encode("utf-8")).digest()
                assert prepared.unsecured_digest(name) == digest


def signed(proofs: int = 1) -> dict[str, Any]:
    keypairs = [reference_keypair(seed) for seed in range(1, proofs + 1)]
    return add_proofs(reference_credential(keypairs[0]), keypairs, created=CREATED)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    fastpath.clear_cache()
    fastpath.stats.reset()


@pytest.mark.parametrize("proofs", [0, 1, 3])
def test_reference_credential_and_proof_sets(proofs: int) -> None:
    document = signed(proofs) if proofs else reference_credential(reference_keypair())
    assert_prepared_agrees(document)
    assert fastpath.stats.fallbacks == 0


def test_eu_sample_signed(eu_sample: dict[str, Any]) -> None:
    keypair = reference_keypair()
    eu_sample["@context"] = [*eu_sample["@context"], DI_V2]
    document = add_proof(eu_sample, keypair, created=CREATED)
    assert_prepared_agrees(document)
    assert fastpath.stats.fallbacks == 0


HOSTILE: list[tuple[str, Any]] = [
    ("proof/favouriteColour", "green"),  # an undefined term inside the proof
    ("proof/verificationMethod", "relative/key"),  # a relative IRI inside the proof
    ("proof/created", "\ud800"),  # a lone surrogate inside the proof
    ("proof/proofValue", 'z"\\\n\x00'),  # text needing every escape
    ("credentialSubject/id", "_:b0"),  # a blank node where an IRI was
    ("credentialSubject/id", "urn:a%zz"),  # an IRI pyoxigraph refuses
    ("id", "http://a b"),
    ("proof", [{"type": "DataIntegrityProof"}, {"type": "DataIntegrityProof"}]),
    ("proof", "not a proof"),
    ("issuer", {"id": "did:example:1", "@context": {"x": "urn:x"}}),  # a nested context
]


@pytest.mark.parametrize(("path", "value"), HOSTILE)
def test_hostile_variations_agree(path: str, value: Any) -> None:
    document = signed(1)
    PreparedDocument(copy.deepcopy(document)).check_strict()  # the shape is compiled
    target: Any = document
    *parents, last = path.split("/")
    for step in parents:
        target = target[step]
    target[last] = value
    assert_prepared_agrees(document)


def test_identical_proof_nodes_are_refused_or_accepted_as_plain() -> None:
    document = signed(1)
    document["proof"] = [copy.deepcopy(document["proof"]) for _ in range(7)]
    for proof in document["proof"]:
        proof.pop("proofValue")
    assert_prepared_agrees(document)


def test_add_proofs_signs_what_add_proof_signs() -> None:
    keypairs = [reference_keypair(seed) for seed in (1, 2, 3)]
    credential = reference_credential(keypairs[0])
    one_by_one = credential
    for keypair in keypairs:
        one_by_one = add_proof(one_by_one, keypair, created=CREATED)
    prepared = PreparedDocument(credential)
    prepared.check_strict()
    assert add_proofs(credential, keypairs, created=CREATED, prepared=prepared) == one_by_one
    assert add_proofs(credential, keypairs, created=CREATED) == one_by_one
    assert add_proofs(credential, keypairs[:1], created=CREATED) == add_proof(
        credential, keypairs[0], created=CREATED
    )


@settings(max_examples=200, deadline=None)
@given(st.text() | st.text(alphabet='ab"\\\n\x00\x7fé漢\u2028', max_size=50))
def test_escape_is_the_reference_translation(text: str) -> None:
    try:
        expected = text.translate(_ESCAPES)
        text.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            escape(text)
        return
    assert escape(text) == expected
    long = text * 2000
    assert escape(long) == long.translate(_ESCAPES)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20) | st.text(alphabet='ab"\\\n\x00é漢', max_size=20)))
def test_escape_all_is_escape_of_each(texts: list[str]) -> None:
    """One pass over all the texts says what escaping each would: the same texts back (the
    very list) when none has anything to escape."""
    try:
        expected = [escape(text) for text in texts]
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            escape_all(texts)
        return
    result = escape_all(texts)
    assert result == expected
    assert (result is texts) == (expected == texts)
