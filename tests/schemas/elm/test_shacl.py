"""schemas.elm.shacl: built credentials conform to the EU's EDC SHACL shapes (read from
``../shared/reference/elm``; the project carries no copy), and a broken one names its path.

SHACL is slow (about 0.2 s a credential): a few credentials only.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from demo.reference import ACCREDITATION_AGENCY, demo_award, demo_organisation
from keys.proof import add_proof
from schemas.elm.build import build_microcredential
from schemas.elm.shacl import Violation, shapes_paths, validate
from schemas.errors import UnknownContext

ELM = "http://data.europa.eu/snb/model/elm/"
UNIVERSITY = demo_organisation("did:web:uni.example", "Aarhus Demo University", "DNK", "Denmark")
COLLEGE = demo_organisation("did:web:college.example", "Lund Demo College", "SWE", "Sweden")


@pytest.fixture(scope="module")
def no_cv(reference: Path) -> Path:
    """The structural EDC shapes."""
    return reference / "elm" / "EDC-generic-no-cv.ttl"


@pytest.fixture(scope="module")
def full(reference: Path) -> list[Path]:
    """The whole generic profile: the structure and the controlled-vocabulary constraints."""
    folder = reference / "elm"
    return [folder / "EDC-generic-no-cv.ttl", folder / "EDC-generic-full.ttl"]


def single() -> dict[str, Any]:
    return build_microcredential(demo_award(UNIVERSITY, [UNIVERSITY], outcomes=1))


def joint() -> dict[str, Any]:
    return build_microcredential(demo_award(UNIVERSITY, [UNIVERSITY, COLLEGE], outcomes=2))


@pytest.mark.parametrize("make", [single, joint], ids=["single", "joint"])
def test_built_credentials_conform_to_the_structural_shapes(make, no_cv):
    assert validate(make(), no_cv) == []


def test_a_signed_credential_conforms_its_proof_graph_left_out(no_cv):
    from demo.reference import reference_keypair

    keypair = reference_keypair()
    university = demo_organisation(str(keypair.controller), "Uni", "DNK", "Denmark")
    document = build_microcredential(demo_award(university, [university], outcomes=1))
    assert validate(add_proof(document, keypair), no_cv) == []


def test_the_full_profile_flags_only_a_partnership_s_own_accreditation_type(full):
    found = validate(joint(), full)
    assert found, "the demo's accreditation type is not an EU concept"
    assert {v.path for v in found} <= {
        "http://purl.org/dc/terms/type",
        "http://www.w3.org/2004/02/skos/core#inScheme",
    }
    assert all("accreditation" in v.focus_node for v in found)


def test_the_full_profile_passes_with_an_eu_accreditation_type(full):
    award = demo_award(UNIVERSITY, [UNIVERSITY, COLLEGE], outcomes=1)
    qa = award.specification.quality_assurance
    eu_qa = type(qa)(
        title=qa.title,
        type_iri="http://data.europa.eu/snb/accreditation/e8a5ddd7e4",
        type_label="Accredited",
        agent=ACCREDITATION_AGENCY,
    )
    spec = type(award.specification)(
        **{**award.specification.__dict__, "quality_assurance": eu_qa}
    )
    document = build_microcredential(type(award)(**{**award.__dict__, "specification": spec}))
    assert validate(document, full) == []


def test_a_missing_individual_display_is_a_violation_naming_its_path(no_cv):
    document = single()
    del document["displayParameter"]["individualDisplay"]
    found = validate(document, no_cv)
    assert found == [
        Violation(
            focus_node=document["displayParameter"]["id"],
            path=ELM + "individualDisplay",
            shape="http://data.europa.eu/snb/model/ap/edc-generic-no-cv/"
            "DisplayParameter-elm_individualDisplay",
            component="MinCountConstraintComponent",
            message=found[0].message,
        )
    ]
    assert "individualDisplay" in found[0].describe()


def test_an_issuer_without_a_legal_identifier_is_a_violation(no_cv):
    document = joint()
    document["issuer"] = {**document["issuer"], "id": "did:web:other.example"}
    del document["issuer"]["eIDASIdentifier"]
    found = validate(document, no_cv)
    paths = {(v.focus_node, v.path) for v in found}
    assert ("did:web:other.example", ELM + "eidasLegalIdentifier") in paths
    assert any(v.shape == "[mandatory legal identifier]" for v in found)


def test_no_context_is_fetched(no_cv):
    document = copy.deepcopy(single())
    document["@context"].append("https://example.org/unpinned")
    with pytest.raises(UnknownContext):
        validate(document, no_cv)


def test_shapes_paths_reads_one_several_or_a_joined_string(tmp_path):
    a, b = tmp_path / "a.ttl", tmp_path / "b.ttl"
    assert shapes_paths(a) == (a,)
    assert shapes_paths([a, str(b)]) == (a, b)
    assert shapes_paths(f"{a}:{b}") == (a, b)
    with pytest.raises(ValueError):
        validate(single(), "")
    with pytest.raises(FileNotFoundError):
        validate(single(), a)


def test_exactly_one_published_shape_is_deactivated_and_the_files_are_untouched(no_cv):
    """The one deliberate divergence (``DEACTIVATED``, docs/decisions.md): loading adds
    ``sh:deactivated true`` to the EDC credentialStatus property shape, and nothing else."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.compare import isomorphic
    from rdflib.namespace import SH

    from schemas.elm.shacl import DEACTIVATED, _parse_shapes, load_shapes

    before = no_cv.read_bytes()
    _parse_shapes.cache_clear()  # pySHACL adds a few RDFS triples to a graph it validated with
    ours, published = load_shapes(no_cv), load_shapes(no_cv, as_published=True)
    (shape,) = DEACTIVATED
    assert shape.endswith("EuropeanDigitalCredential-cred_credentialStatus")
    added = (URIRef(shape), SH.deactivated, Literal(True))
    assert added in ours and added not in published
    assert len(ours) == len(published) + 1
    without = Graph()
    for triple in ours:
        if triple != added:
            without.add(triple)
    assert isomorphic(without, published)
    assert no_cv.read_bytes() == before
