"""RDF Dataset Canonicalization (RDFC-1.0) of N-Quads, with a bound on the work it may take.

pyoxigraph does the canonicalization (SHA-256 or SHA-384 inside the algorithm). RDFC-1.0 is
exponential in the worst case (blank nodes that first-degree hashing cannot tell apart, such as a
clique: the W3C suite's poison test074), and pyoxigraph has no limit of its own: test074 runs for
minutes. So before canonicalizing, :func:`check_blank_node_work` estimates the work of the
algorithm's "Hash N-Degree Quads" step from the shape of the graph and refuses inputs above
:data:`MAX_NDEGREE_WORK`.

The estimate walks the same recursion as the specification (related blank nodes grouped as
"Hash Related Blank Node" would group them, every permutation of each group, recursion into
blank nodes not yet issued) without hashing and without the specification's pruning, so it counts
at least the work of the specification's algorithm. Graphs without indistinguishable blank nodes,
which is every credential we have seen, cost one pass over the quads.

The size of the input is bounded too: more than :data:`MAX_QUADS` quads or
:data:`MAX_NQUADS_BYTES` bytes of N-Quads is refused with :class:`~schemas.errors.TooLarge`
(code ``too_large``) — pyoxigraph's own buffer stops at 16 MiB with a ``MemoryError``, which is
turned into the same refusal. :func:`check_dataset_size` applies the bounds to a pyld dataset
*before* its N-Quads are written (a long ``@id`` repeated on every quad of its node would
otherwise be written out thousands of times). Text that UTF-8 cannot encode (a lone
surrogate) is :class:`~schemas.errors.InvalidJsonLd`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import pyoxigraph

from schemas.errors import CanonicalizationRefused, InvalidJsonLd, TooLarge

#: Work units (permutation steps plus recursive calls) the N-degree estimate may reach. The W3C
#: suite's hardest accepted tests (test044-046) need 7,380. On every graph tried that the bound
#: lets through (cliques of up to 6 nodes, hypercubes, circulant and bipartite graphs)
#: pyoxigraph took under 0.05 s; refusing costs about 0.05 s.
MAX_NDEGREE_WORK = 100_000
#: Deepest recursion of Hash N-Degree Quads the estimate follows.
MAX_NDEGREE_DEPTH = 256
#: Quads one canonicalization accepts: 50,000 take pyoxigraph about 0.5 s to read and 0.15 s
#: to canonicalize; the largest document the verifier accepts (20,000 JSON values) makes fewer.
MAX_QUADS = 50_000
#: Bytes of N-Quads one canonicalization accepts (half of pyoxigraph's 16 MiB buffer).
MAX_NQUADS_BYTES = 8 * 1024 * 1024
# Characters a quad takes beyond its terms' values (<>, quotes, spaces, " .\n", datatype marks).
_QUAD_OVERHEAD = 16

_ALGORITHMS = {
    "sha256": pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0_SHA_256,
    "sha384": pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0_SHA_384,
}

Term = tuple[Hashable, ...]
Quad = tuple[Term, Term, Term, Term]
_BLANK = "blank"


def canonicalize_nquads(nquads: str, hash_algorithm: str = "sha256") -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``nquads``, hashing with ``hash_algorithm``.

    The output has one quad per line, each ending in ``"\\n"``, sorted by code point.
    ``hash_algorithm`` is ``"sha256"`` or ``"sha384"`` (else :class:`ValueError`); malformed
    N-Quads raise :class:`ValueError`; a graph whose canonicalization could run without limit
    raises :class:`~schemas.errors.CanonicalizationRefused` instead of hanging; input beyond
    :data:`MAX_QUADS` or :data:`MAX_NQUADS_BYTES` raises :class:`~schemas.errors.TooLarge`,
    text with a lone surrogate :class:`~schemas.errors.InvalidJsonLd`.
    """
    algorithm = algorithm_for(hash_algorithm)
    dataset = parse_nquads(nquads)
    check_blank_node_work(_oxigraph_quads(dataset))
    dataset.canonicalize(algorithm)
    return "".join(sorted(f"{quad} .\n" for quad in dataset))


def parse_nquads(nquads: str) -> pyoxigraph.Dataset:
    """The dataset ``nquads`` describe, read within the size bounds: :class:`TooLarge` beyond
    them, :class:`InvalidJsonLd` for text UTF-8 cannot encode, :class:`ValueError` for malformed
    N-Quads."""
    if len(nquads) > MAX_NQUADS_BYTES:  # characters: at least as many bytes
        raise too_large(f"{len(nquads):,} characters of N-Quads")
    try:
        data = nquads.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise InvalidJsonLd(
            f"the RDF holds text that is not Unicode ({bad!r}, a lone surrogate)"
        ) from None
    if len(data) > MAX_NQUADS_BYTES:
        raise too_large(f"{len(data):,} bytes of N-Quads")
    try:
        dataset = pyoxigraph.Dataset(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise ValueError(f"malformed N-Quads: {exc}") from exc
    except MemoryError:  # pyoxigraph: "Reached the buffer maximal size of 16777216"
        raise too_large("a term longer than the canonicalizer's buffer") from None
    if len(dataset) > MAX_QUADS:
        raise too_large(f"{len(dataset):,} quads")
    return dataset


def check_dataset_size(dataset: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Raise :class:`TooLarge` when the pyld RDF dataset ``dataset`` (``to_rdf`` without a
    format) has more than :data:`MAX_QUADS` quads or its N-Quads would take more than
    :data:`MAX_NQUADS_BYTES` characters (escapes aside). One pass over the quads; call it before
    writing the N-Quads out."""
    quads = 0
    size = 0
    for graph_name, triples in dataset.items():
        quads += len(triples)
        if quads > MAX_QUADS:
            raise too_large(f"more than {MAX_QUADS:,} quads")
        graph = 0 if graph_name == "@default" else len(graph_name)
        for triple in triples:
            size += _QUAD_OVERHEAD + graph
            for position in ("subject", "predicate", "object"):
                term = triple[position]
                size += len(term["value"])
                size += len(term.get("datatype") or "") + len(term.get("language") or "")
        if size > MAX_NQUADS_BYTES:
            raise too_large(f"more than {MAX_NQUADS_BYTES:,} characters of N-Quads")


def too_large(what: str) -> TooLarge:
    """The refusal of RDF beyond the bounds, saying ``what`` was found."""
    return TooLarge(
        f"the document's RDF is too large to canonicalize ({what}; at most {MAX_QUADS:,} quads "
        f"and {MAX_NQUADS_BYTES // (1024 * 1024)} MiB)"
    )


def algorithm_for(hash_algorithm: str) -> pyoxigraph.CanonicalizationAlgorithm:
    """Return pyoxigraph's RDFC-1.0 variant for ``"sha256"`` or ``"sha384"``; else ValueError."""
    try:
        return _ALGORITHMS[hash_algorithm]
    except KeyError:
        supported = ", ".join(sorted(_ALGORITHMS))
        raise ValueError(
            f"unsupported RDFC-1.0 hash algorithm {hash_algorithm!r} (use {supported})"
        ) from None


def check_blank_node_work(quads: Iterable[Quad]) -> None:
    """Raise :class:`CanonicalizationRefused` if RDFC-1.0 could take more than the set bound.

    ``quads`` are (subject, predicate, object, graph) tuples of hashable terms where a blank
    node is ``("blank", label)``; see :func:`pyld_dataset_quads` for pyld's datasets. Returns
    at once when first-degree hashing tells every blank node apart.
    """
    mentions: dict[Term, list[Quad]] = defaultdict(list)
    for quad in quads:
        for term in set(quad):
            if term[0] == _BLANK:
                mentions[term].append(quad)
    classes: dict[Hashable, list[Term]] = defaultdict(list)
    for node, node_quads in mentions.items():
        classes[_first_degree_signature(node, node_quads)].append(node)
    shared = [nodes for nodes in classes.values() if len(nodes) > 1]
    if shared:
        _NDegreeEstimate(mentions, shared).run()


def pyld_dataset_quads(dataset: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Quad]:
    """The quads of a pyld RDF dataset (``to_rdf`` without a format) as hashable tuples."""
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        graph = ("default",) if graph_name == "@default" else _pyld_term_for_name(graph_name)
        for triple in triples:
            quads.append(
                (
                    _pyld_term(triple["subject"]),
                    _pyld_term(triple["predicate"]),
                    _pyld_term(triple["object"]),
                    graph,
                )
            )
    return quads


def _pyld_term_for_name(name: str) -> Term:
    return (_BLANK, name) if name.startswith("_:") else ("iri", name)


def _pyld_term(term: Mapping[str, Any]) -> Term:
    if term["type"] == "blank node":
        return (_BLANK, term["value"])
    if term["type"] == "IRI":
        return ("iri", term["value"])
    return ("literal", term["value"], term.get("datatype"), term.get("language"))


def _oxigraph_quads(dataset: pyoxigraph.Dataset) -> list[Quad]:
    return [
        (
            _oxigraph_term(quad.subject),
            _oxigraph_term(quad.predicate),
            _oxigraph_term(quad.object),
            _oxigraph_term(quad.graph_name),
        )
        for quad in dataset
    ]


def _oxigraph_term(term: object) -> Term:
    if isinstance(term, pyoxigraph.BlankNode):
        return (_BLANK, term.value)
    if isinstance(term, pyoxigraph.NamedNode):
        return ("iri", term.value)
    if isinstance(term, pyoxigraph.Literal):
        return ("literal", term.value, term.datatype.value, term.language)
    if isinstance(term, pyoxigraph.DefaultGraph):
        return ("default",)
    raise ValueError(f"RDFC-1.0 does not handle the term {term!r}")


def _first_degree_signature(node: Term, node_quads: list[Quad]) -> Hashable:
    # What "Hash First Degree Quads" hashes: the node's quads with itself as _:a, others as _:z.
    return tuple(
        sorted(
            tuple(
                ("a",) if term == node else ("z",) if term[0] == _BLANK else term for term in quad
            )
            for quad in node_quads
        )
    )


class _NDegreeEstimate:
    """Counts Hash N-Degree Quads work for blank nodes first-degree hashing cannot separate."""

    def __init__(self, mentions: Mapping[Term, list[Quad]], shared: list[list[Term]]) -> None:
        self._class_of = {node: index for index, nodes in enumerate(shared) for node in nodes}
        self._related: dict[Term, list[tuple[str, Term | None, Term]]] = {}
        for node in self._class_of:
            self._related[node] = [
                (position, quad[1] if position != "g" else None, term)
                for quad in mentions[node]
                for position, term in zip("spog", quad, strict=True)
                if term[0] == _BLANK and term != node
            ]
        self._left = MAX_NDEGREE_WORK

    def run(self) -> None:
        # Upper bound: every indistinguishable node starts afresh, as if none were issued yet.
        for node in self._class_of:
            self._hash_n_degree(node, frozenset([node]), 0)

    def _spend(self, units: int) -> None:
        self._left -= units
        if self._left < 0:
            raise CanonicalizationRefused(
                "blank nodes too alike to canonicalize within the work bound "
                f"({MAX_NDEGREE_WORK} steps)"
            )

    def _hash_n_degree(self, node: Term, issued: frozenset[Term], depth: int) -> frozenset[Term]:
        self._spend(1)
        if depth > MAX_NDEGREE_DEPTH:
            raise CanonicalizationRefused(
                f"blank-node recursion deeper than {MAX_NDEGREE_DEPTH} levels"
            )
        groups: dict[tuple[Hashable, ...], list[Term]] = defaultdict(list)
        for position, predicate, related in self._related[node]:
            if related in self._class_of and related not in issued:
                groups[(position, predicate, "class", self._class_of[related])].append(related)
            else:
                groups[(position, predicate, "node", related)].append(related)
        for members in groups.values():
            reached = issued
            for permutation in itertools.permutations(members):
                self._spend(1 + len(permutation))
                recursion = [
                    related
                    for related in dict.fromkeys(permutation)
                    if related in self._class_of and related not in issued
                ]
                if not recursion:
                    continue
                self._spend(len(issued))
                reached = issued.union(recursion)
                for related in recursion:
                    reached = self._hash_n_degree(related, reached, depth + 1)
            issued = reached
        return issued
