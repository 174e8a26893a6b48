"""Check a credential against the EU's SHACL shapes of the EDC application profile, offline.

The credential (JSON-LD, signed or not) becomes RDF through the project's own strict JSON-LD
machinery and pinned contexts (:func:`schemas.jsonld.to_nquads`: no context is ever fetched);
its graph (the proof left out) is checked by pySHACL against the shapes
read from the files the caller names. The EU publishes the shapes under the EUPL; this project
carries no copy of them, so the caller always says where they are.

The EDC shapes need no SHACL advanced features, no inference and no ``owl:imports``:
``EDC-generic-full.ttl`` holds only the controlled-vocabulary constraints and names
``EDC-generic-no-cv.ttl`` (the structure) as an import, so checking the full profile means
passing both files. pySHACL is not told to follow imports: it would fetch them.

One deliberate divergence (:data:`DEACTIVATED`, see ``docs/decisions.md``)
---------------------------------------------------------------------------
The EDC shape ``edc:EuropeanDigitalCredential-cred_credentialStatus`` wants
``cred:credentialStatus`` to be at most one ``xsd:anyURI`` literal. W3C VC 2.0 (and the
Bitstring Status List suite every verifier reads) make each status entry an object with a
``type`` (``BitstringStatusListEntry``), and our credentials carry two (revocation and
suspension). We keep the W3C entries. The EU itself deactivated the same constraint on
``VerifiableCredential`` (``edc:VerifiableCredential-cred_credentialStatus … sh:deactivated
true``); the shapes graph is given ``sh:deactivated true`` on this one property shape when it
is loaded — the published files are never changed — and nothing else is relaxed. Loading with
``as_published=True`` gives the shapes exactly as published (a test shows that they then report
the status entries, and nothing more).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from schemas.jsonld import to_nquads
from schemas.loader import StaticDocumentLoader

ShapesPath = str | os.PathLike[str]

#: The property shapes switched off when the shapes are loaded (the module's one divergence).
DEACTIVATED: tuple[str, ...] = (
    "http://data.europa.eu/snb/model/ap/edc-generic-no-cv/"
    "EuropeanDigitalCredential-cred_credentialStatus",
)


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result of severity ``sh:Violation``.

    ``focus_node`` is the node that fails (an IRI, or ``_:…`` for a blank node); ``path`` the
    property (IRI) or ``None`` for a node constraint; ``shape`` the shape's IRI, or for an
    anonymous shape its ``sh:name`` in brackets; ``component`` the constraint component's local
    name (``MinCountConstraintComponent``); ``message`` pySHACL's words.
    """

    focus_node: str
    path: str | None
    shape: str
    component: str
    message: str

    def describe(self) -> str:
        """One line naming the shape, the node, the path and the problem."""
        where = f"{self.focus_node} {self.path}" if self.path else self.focus_node
        return f"{self.shape} ({self.component}) at {where}: {self.message}"


def shapes_paths(value: ShapesPath | Sequence[ShapesPath]) -> tuple[Path, ...]:
    """``value`` as a tuple of paths: one path, a sequence of paths, or a string of several
    joined by ``os.pathsep`` (as an environment variable lists them)."""
    if isinstance(value, str):
        parts = [part for part in value.split(os.pathsep) if part.strip()]
        return tuple(Path(part.strip()) for part in parts)
    if isinstance(value, os.PathLike):
        return (Path(value),)
    return tuple(Path(item) for item in value)


def load_shapes(
    value: ShapesPath | Sequence[ShapesPath], *, as_published: bool = False
) -> Graph:
    """The shapes graph of the Turtle files ``value`` names, merged, with the property shapes of
    :data:`DEACTIVATED` marked ``sh:deactivated true`` (unless ``as_published``); parsed once
    per process for each set of files (re-read when a file's size or modification time
    changes). The files themselves are only read.

    Raises :class:`FileNotFoundError` for a missing file and :class:`ValueError` when no file
    is named. The returned graph is shared: callers must not change it.
    """
    paths = shapes_paths(value)
    if not paths:
        raise ValueError("no SHACL shapes file named")
    stamps = []
    for path in paths:
        stat = path.resolve().stat()
        stamps.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
    return _parse_shapes(tuple(stamps), as_published)


@lru_cache(maxsize=8)
def _parse_shapes(stamps: tuple[tuple[str, int, int], ...], as_published: bool) -> Graph:
    graph = Graph()
    for name, _size, _mtime in stamps:
        graph.parse(name, format="turtle")
    if not as_published:
        for shape in map(URIRef, DEACTIVATED):
            if (shape, RDF.type, SH.PropertyShape) in graph:
                graph.set((shape, SH.deactivated, Literal(True)))
    return graph


def data_graph(document: Any, *, loader: StaticDocumentLoader | None = None) -> Graph:
    """The RDF of ``document`` without its ``proof`` (a proof is a graph of its own, outside
    what the shapes describe), made offline with the pinned contexts (strict: raises what
    :func:`schemas.jsonld.to_nquads` raises)."""
    if isinstance(document, dict) and "proof" in document:
        document = {key: value for key, value in document.items() if key != "proof"}
    graph = Graph()
    graph.parse(data=to_nquads(document, loader=loader), format="nt")
    return graph


def validate(
    document: Any,
    shapes_path: ShapesPath | Sequence[ShapesPath],
    *,
    loader: StaticDocumentLoader | None = None,
    as_published: bool = False,
) -> list[Violation]:
    """Every SHACL violation of ``document`` against the shapes in ``shapes_path`` (one file,
    several, or an ``os.pathsep``-joined string), sorted; an empty list when it conforms.
    The shapes are those of :func:`load_shapes` (the :data:`DEACTIVATED` property shape off,
    unless ``as_published``).

    Offline: the document is expanded with the pinned contexts only (``loader``, default the
    pinned set) and pySHACL runs without inference and without following ``owl:imports``.
    Results of severity warning or info are not violations and are left out; a violation's
    nested details (``sh:detail``) are listed as violations of their own, so a failed
    ``sh:node`` also names the property that is missing inside it.
    """
    shapes = load_shapes(shapes_path, as_published=as_published)
    _conforms, report, _text = pyshacl.validate(
        data_graph(document, loader=loader),
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        do_owl_imports=False,
        allow_warnings=True,
        allow_infos=True,
    )
    if not isinstance(report, Graph):  # pySHACL returns a graph unless asked for text
        raise TypeError(f"pySHACL gave a {type(report).__name__} report")
    found = {
        _violation(report, shapes, result)
        for result in report.subjects(SH.resultSeverity, SH.Violation)
    }
    return sorted(found)


def _violation(report: Graph, shapes: Graph, result: Node) -> Violation:
    path = report.value(result, SH.resultPath)
    component = report.value(result, SH.sourceConstraintComponent)
    message = report.value(result, SH.resultMessage)
    return Violation(
        focus_node=_name(report.value(result, SH.focusNode)),
        path=None if path is None or isinstance(path, BNode) else str(path),
        shape=_shape_name(shapes, report.value(result, SH.sourceShape)),
        component=str(component).rpartition("#")[2] if component is not None else "",
        message=str(message) if isinstance(message, Literal) else "",
    )


def _name(node: Node | None) -> str:
    if node is None:
        return ""
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _shape_name(shapes: Graph, shape: Node | None) -> str:
    if shape is None or not isinstance(shape, BNode):
        return _name(shape)
    name = shapes.value(shape, SH.name)
    return f"[{name}]" if name is not None else "[anonymous shape]"
