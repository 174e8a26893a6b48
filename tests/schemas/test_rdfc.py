"""schemas.rdfc: the W3C RDFC-1.0 test suite through canonicalize_nquads, and the work bound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyld.jsonld import JsonLdProcessor

from schemas.errors import CanonicalizationRefused
from schemas.rdfc import (
    canonicalize_nquads,
    check_blank_node_work,
    pyld_dataset_quads,
)
from tests.conftest import SHARED_REFERENCE

SUITE = SHARED_REFERENCE / "w3c" / "rdf-canon"


def _entries(kind: str) -> list[Any]:
    # Read at collection time to make one test per suite entry; with no suite, one skipped test.
    manifest = SUITE / "manifest.jsonld"
    if not manifest.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no RDFC-1.0 suite at {SUITE}"))]
    entries = json.loads(manifest.read_text(encoding="utf-8"))["entries"]
    return [
        pytest.param(entry, id=entry["id"].lstrip("#"))
        for entry in entries
        if entry["type"] == kind
    ]


def _read(name: str) -> str:
    # Never str.splitlines(): the suite's literals hold U+0085 and U+2028 (README, test060).
    return (SUITE / name).read_text(encoding="utf-8")


def _hash_algorithm(entry: dict[str, Any]) -> str:
    return "sha384" if entry.get("hashAlgorithm") == "SHA384" else "sha256"


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("entry", _entries("rdfc:RDFC10EvalTest"))
def test_eval(entry: dict[str, Any]) -> None:
    result = canonicalize_nquads(_read(entry["action"]), _hash_algorithm(entry))
    assert result == _read(entry["result"])


@pytest.mark.usefixtures("reference")
def test_the_suite_has_every_eval_test() -> None:
    assert len(_entries("rdfc:RDFC10EvalTest")) == 64


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("entry", _entries("rdfc:RDFC10NegativeEvalTest"))
def test_negative_eval_is_refused(entry: dict[str, Any]) -> None:
    # test074, a 10-node blank-node clique: pyoxigraph alone runs for minutes on it.
    with pytest.raises(CanonicalizationRefused):
        canonicalize_nquads(_read(entry["action"]), _hash_algorithm(entry))


class TestCanonicalizeNquads:
    def test_output_is_sorted_lines_each_ending_in_newline(self) -> None:
        nquads = '<urn:s> <urn:p> "b" .\n_:x <urn:p> "a" <urn:g> .\n'
        assert canonicalize_nquads(nquads) == (
            '<urn:s> <urn:p> "b" .\n_:c14n0 <urn:p> "a" <urn:g> .\n'
        )

    def test_empty_input(self) -> None:
        assert canonicalize_nquads("") == ""

    @pytest.mark.parametrize("hash_algorithm", ["sha512", "SHA-256", "sha1"])
    def test_unknown_hash_algorithm(self, hash_algorithm: str) -> None:
        with pytest.raises(ValueError):
            canonicalize_nquads("", hash_algorithm)

    @pytest.mark.parametrize(
        "nquads", ["<urn:s> <urn:p> .\n", "<rel> <urn:p> <urn:o> .\n", '<urn:s> <urn:p> "x"@1 .\n']
    )
    def test_malformed_nquads(self, nquads: str) -> None:
        with pytest.raises(ValueError):
            canonicalize_nquads(nquads)


def _clique(size: int) -> str:
    return "".join(f"_:n{a} <urn:p> _:n{b} .\n" for a in range(size) for b in range(size))


class TestCheckBlankNodeWork:
    def test_distinguishable_blank_nodes_cost_nothing(self) -> None:
        quads = [
            (("blank", "_:a"), ("iri", "urn:p"), ("literal", "1", None, None), ("default",)),
            (("blank", "_:b"), ("iri", "urn:p"), ("literal", "2", None, None), ("default",)),
        ]
        check_blank_node_work(quads)

    def test_small_symmetric_graph_passes(self) -> None:
        canonicalize_nquads(_clique(5))

    def test_larger_clique_is_refused(self) -> None:
        with pytest.raises(CanonicalizationRefused):
            canonicalize_nquads(_clique(7))

    def test_pyld_datasets_are_bounded_too(self) -> None:
        # The sha256 path of schemas.jsonld.canonicalize checks pyld's dataset this way.
        dataset = JsonLdProcessor.parse_nquads(_clique(10))
        with pytest.raises(CanonicalizationRefused):
            check_blank_node_work(pyld_dataset_quads(dataset))
        check_blank_node_work(pyld_dataset_quads(JsonLdProcessor.parse_nquads(_clique(3))))
