"""Compiling a document *shape* into an N-Quads template (see :mod:`schemas.fastpath`).

The plain machinery (pinned contexts, :class:`~schemas.strict.StrictProcessor`, ``toRdf``) runs
once on a *placeholder* copy of the document, in which every leaf string is a unique absolute IRI
(``urn:x-microcred-fp-…:N``) and every number a unique number; pyld's ``_expand_iri`` is watched
to learn which placeholders become IRIs and with which active context. The RDF becomes a
:class:`Template`: the N-Quads written the canonical RDFC-1.0 way, cut into constant pieces and
the leaf each slot between them takes. Anything this cannot reproduce with certainty raises
:class:`~schemas.shape.Unsupported` (the shape then goes the plain way).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph
from pyld.jsonld import RDF_LANGSTRING, XSD_DOUBLE, XSD_STRING, _canonicalize_double, _is_double

from schemas.contexts_check import check_contexts
from schemas.lines import LinePlan, nothing_to_escape
from schemas.loader import StaticDocumentLoader
from schemas.pyld_index import indexed_values
from schemas.rdfc import check_dataset_size
from schemas.shape import CONSTANT_KEYS, Unsupported, read_shape
from schemas.strict import StrictProcessor

RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"

_NONCE = secrets.token_hex(6)
_PLACEHOLDER_PREFIX = f"urn:x-microcred-fp-{_NONCE}:"
_INT_BASE = 900_000_000_000
_INT_STEP = 7
#: An IRI written between <> in N-Quads as is: a scheme, then none of IRIREF's excluded
#: characters.
PLAIN_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*$")
# How RDFC-1.0 (and pyoxigraph) write a literal's characters: ECHAR where N-Quads has one,
# UCHAR for the other controls, everything else as is.
_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]}
_ESCAPES.update(
    {
        0x08: "\\b",
        0x09: "\\t",
        0x0A: "\\n",
        0x0C: "\\f",
        0x0D: "\\r",
        ord('"'): '\\"',
        ord("\\"): "\\\\",
    }
)

# Slot kinds in a template.
IRI, LITERAL, LITERAL_DOUBLE, INTEGER, INTEGER_DOUBLE, DOUBLE = range(6)
#: Stands for a slot in :attr:`Template.pieces` (never in N-Quads: controls are escaped).
SLOT = "\x00"
#: The label RDFC-1.0 gives the first blank node it labels (the only one, in a graph of one).
CANONICAL_FIRST_BLANK = "_:c14n0"


def escape(text: str) -> str:
    """``text`` as the body of an N-Quads literal, written the canonical RDFC-1.0 way.

    Text with nothing to escape (the usual case, long embedded images included) is returned as
    it is after one pass in C; only text with a quote, a backslash or a control character is
    translated. A lone surrogate raises ``UnicodeEncodeError`` (the plain path reports it).
    """
    if nothing_to_escape((text,)):
        return text
    return text.translate(_ESCAPES)


def escape_all(texts: list[str]) -> list[str]:
    """:func:`escape` of each text — ``texts`` itself after one pass in C over all of them when
    none has anything to escape (the usual case)."""
    if nothing_to_escape(texts):
        return texts
    return [escape(text) for text in texts]


@dataclass(slots=True)
class IriSlot:
    """Where a leaf is expanded as an IRI: pyld's active context there, vocab mode, base."""

    index: int
    active_ctx: dict[str, Any]
    vocab: bool
    base: Any

    def same_expansion(self, other: IriSlot) -> bool:
        """True when a value expands the same way here and at ``other`` (what pyld's
        ``_expand_iri`` reads of the active context, the mode and the base are equal)."""
        mine, theirs = self.active_ctx, other.active_ctx
        return (
            self.vocab == other.vocab
            and self.base == other.base
            and mine.get("@vocab") == theirs.get("@vocab")
            and mine.get("@base") == theirs.get("@base")
            and mine["mappings"] == theirs["mappings"]
        )


@dataclass
class Template:
    """The N-Quads of one shape, cut at the slots, and how to render each slot's leaf."""

    #: The N-Quads with :data:`SLOT` at every odd index, where a leaf goes.
    pieces: list[str]
    #: The leaf whose rendered value goes in each slot, in order.
    refs: list[int]
    slots: list[tuple[int, int]]  # (leaf index, kind) for the leaves the text uses
    iri_slots: dict[int, IriSlot]
    has_blank_nodes: bool
    #: Characters of the N-Quads without the slots' values, and how many lines (quads) they
    #: have.
    size: int = 0
    quads: int = 0
    #: The quads that mention a blank node, each term either ``("blank", label)`` or the
    #: (pieces, refs) that write it: what RDFC-1.0's work bound looks at.
    blank_quads: list[tuple[Any, ...]] = field(default_factory=list)
    #: Whether first-degree hashing tells this template's blank nodes apart whatever its leaves
    #: hold (:func:`schemas.fastpath.blank_nodes_told_apart`), decided on first use.
    blank_nodes_told_apart: bool | None = None
    #: Without blank nodes (or with one, written with its canonical label: there is nothing to
    #: tell apart) the canonical form is the sorted distinct lines of the template's N-Quads
    #: (written the canonical way); checked against pyoxigraph on first use.
    direct: bool = True
    checked: bool = False
    memo: dict[tuple[int, str], str] = field(default_factory=dict)
    #: For a document with a proof: the template of the same document without it, and whether
    #: this template's rendered leaves can fill it (see :func:`schemas.fastpath.prepared`).
    unsecured: tuple[Any, bool] | None = None
    #: The leaves of :attr:`slots` by how they are rendered: (plain literals, IRIs, the others
    #: with their kinds), made on first use.
    by_kind: tuple[list[int], list[int], list[tuple[int, int]]] | None = None
    #: :attr:`pieces` in UTF-8, cut into lines (:mod:`schemas.lines`), made on first use:
    #: templates without blank nodes are filled and sorted as bytes.
    line_plan: LinePlan | None = None
    #: Per IRI slot's leaf index, the values found to expand to themselves there (what
    #: :func:`schemas.render.render_iri` decided: a plain absolute IRI, no term involved): a
    #: document of this shape with the same value at that leaf needs no new decision. At most
    #: :data:`schemas.render.MAX_SAME_IRIS` values in all (:attr:`same_iris_count`).
    same_iris: dict[int, set[str]] = field(default_factory=dict)
    same_iris_count: int = 0

    @property
    def text(self) -> str:
        """The N-Quads with ``{N}`` where leaf N goes (for reading; not used to render)."""
        parts = list(self.pieces)
        parts[1::2] = [f"{{{index}}}" for index in self.refs]
        return "".join(parts)


class _RecordingProcessor(StrictProcessor):  # type: ignore[misc]
    """The strict processor, noting how each placeholder string is expanded as an IRI."""

    def __init__(self, placeholders: dict[str, int]) -> None:
        super().__init__()
        self._placeholders = placeholders
        self.expansions: dict[int, list[tuple[dict[str, Any], bool, Any]]] = {}

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        if isinstance(value, str) and value in self._placeholders:
            self.expansions.setdefault(self._placeholders[value], []).append(
                (active_ctx, vocab, base)
            )
        return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)


def _placeholder_document(document: dict[str, Any], leaves: list[Any]) -> tuple[Any, list[Any]]:
    """A copy of ``document`` with every leaf replaced by its placeholder (same order)."""
    counter = iter(range(len(leaves)))
    placeholders: list[Any] = []

    def replace(value: Any, constant: bool) -> Any:
        kind = type(value)
        if kind is dict:
            return {k: replace(v, k in CONSTANT_KEYS) for k, v in value.items()}
        if kind is list:
            return [replace(v, constant) for v in value]
        if kind is str and constant:
            return value
        if kind is str or kind is int or kind is float:
            index = next(counter)
            if kind is str:
                new: Any = f"{_PLACEHOLDER_PREFIX}{index}"
            elif kind is float and _is_double(value):
                new = index + 0.3125
            else:
                new = _INT_BASE + _INT_STEP * index
            placeholders.append(new)
            return new
        return value

    copy = {
        key: (value if key == "@context" else replace(value, key in CONSTANT_KEYS))
        for key, value in document.items()
    }
    return copy, placeholders


def compile_shape(
    document: dict[str, Any],
    loader: StaticDocumentLoader,
    options: Callable[[StaticDocumentLoader], dict[str, Any]],
) -> Template:
    """The template of ``document``'s shape; :class:`Unsupported` (or whatever the plain
    machinery raised on the placeholder copy) if it cannot have one."""
    check_contexts(document, loader=loader)
    leaves = read_shape(document).leaves
    placeholder_doc, placeholders = _placeholder_document(document, leaves)
    strings = {p: i for i, p in enumerate(placeholders) if isinstance(p, str)}
    processor = _RecordingProcessor(strings)
    with indexed_values():
        dataset = processor.to_rdf(placeholder_doc, options(loader))
    check_dataset_size(dataset)
    return _build(dataset, placeholders, strings, processor.expansions)


def _build(
    dataset: dict[str, list[dict[str, Any]]],
    placeholders: list[Any],
    strings: dict[str, int],
    expansions: dict[int, list[tuple[dict[str, Any], bool, Any]]],
) -> Template:
    numbers: dict[str, tuple[int, bool]] = {}  # lexical form -> (leaf index, float leaf)
    for index, value in enumerate(placeholders):
        if isinstance(value, float):
            numbers[_canonicalize_double(value)] = (index, True)
        elif isinstance(value, int):
            numbers[str(value)] = (index, False)
            numbers[_canonicalize_double(float(value))] = (index, False)
    kinds: dict[int, int] = {}
    iri_slots: dict[int, IriSlot] = {}

    def use(index: int, kind: int) -> str:
        if kinds.setdefault(index, kind) != kind:
            raise Unsupported("one leaf, two kinds")
        return f"{SLOT}{index}{SLOT}"

    def constant(text: str) -> str:
        if _NONCE in text or SLOT in text:
            raise Unsupported("placeholder inside a larger value")
        return text

    def iri(value: str) -> str:
        index = strings.get(value)
        if index is None:
            if PLAIN_IRI.match(value) is None:
                raise Unsupported("constant IRI needing care")
            pyoxigraph.NamedNode(value)
            return "<" + constant(value) + ">"
        seen = {(id(ctx), vocab, base) for ctx, vocab, base in expansions.get(index, [])}
        if len(seen) != 1:
            raise Unsupported("IRI expanded in no or several ways")
        ctx, vocab, base = expansions[index][0]
        iri_slots[index] = IriSlot(index, ctx, vocab, base)
        return "<" + use(index, IRI) + ">"

    # With one blank node, RDFC-1.0 has nothing to tell apart: its canonical label is the first
    # one issued whatever the values, so the template writes it (and has no blank-node work).
    labels = _blank_labels(dataset)
    only_blank = next(iter(labels)) if len(labels) == 1 else None

    def blank(label: str) -> str:
        return CANONICAL_FIRST_BLANK if label == only_blank else constant(label)

    def term(node: dict[str, Any]) -> str:
        kind = node["type"]
        value = node["value"]
        if kind == "IRI":
            return iri(value)
        if kind == "blank node":
            return blank(value)
        datatype = node.get("datatype") or XSD_STRING
        if datatype == RDF_JSON:
            raise Unsupported("JSON literal")
        language = node.get("language")
        if language is not None:
            suffix = "@" + constant(language.lower())  # pyoxigraph writes tags in lower case
        elif datatype == XSD_STRING:
            suffix = ""
        else:
            if PLAIN_IRI.match(datatype) is None:
                raise Unsupported("datatype")
            suffix = "^^<" + constant(datatype) + ">"
        double = datatype == XSD_DOUBLE and language is None
        if value in strings:
            body = use(strings[value], LITERAL_DOUBLE if double else LITERAL)
        elif value in numbers:
            index, is_float = numbers[value]
            if not isinstance(placeholders[index], int | float):
                raise Unsupported("number")
            body = use(index, DOUBLE if is_float else INTEGER_DOUBLE if double else INTEGER)
        else:
            body = constant(value.translate(_ESCAPES))
        if datatype == RDF_LANGSTRING and language is None:
            raise Unsupported("langString without a language")
        return '"' + body + '"' + suffix

    lines: list[str] = []
    blank_quads: list[tuple[Any, ...]] = []
    for graph_name, triples in dataset.items():
        if graph_name == "@default":
            graph = ""
        elif graph_name.startswith("_:"):
            graph = " " + blank(graph_name)
        else:
            graph = " " + iri(graph_name)
        for triple in triples:
            terms = [term(triple["subject"]), term(triple["predicate"]), term(triple["object"])]
            lines.append(f"{terms[0]} {terms[1]} {terms[2]}{graph} .\n")
            terms.append(graph[1:] if graph else "")
            if only_blank is None and any(t.startswith("_:") for t in terms):
                blank_quads.append(tuple(_term_spec(t) for t in terms))
    # A leaf expanded as an IRI that lands in no quad (the @id of a node without properties)
    # is still checked by strict expansion: render it too, so a relative one takes the plain
    # path, which refuses it.
    for index in expansions:
        if index not in kinds:
            iri(placeholders[index])
    parts = "".join(lines).split(SLOT)
    pieces = [SLOT if n % 2 else part for n, part in enumerate(parts)]
    return Template(
        pieces=pieces,
        refs=[int(part) for part in parts[1::2]],
        slots=sorted(kinds.items()),
        iri_slots=iri_slots,
        has_blank_nodes=bool(blank_quads),
        size=sum(len(part) for part in parts[0::2]),
        quads=len(lines),
        blank_quads=blank_quads,
    )


def _blank_labels(dataset: dict[str, list[dict[str, Any]]]) -> set[str]:
    """The labels of the blank nodes in ``dataset`` (subjects, objects and graph names)."""
    labels = {name for name in dataset if name.startswith("_:")}
    for triples in dataset.values():
        for triple in triples:
            for position in ("subject", "object"):
                node = triple[position]
                if node["type"] == "blank node":
                    labels.add(node["value"])
    return labels


def _term_spec(text: str) -> tuple[Any, ...]:
    """A term of :attr:`Template.blank_quads`: a blank node by its label, else how to write it."""
    if text.startswith("_:"):
        return ("blank", text)
    parts = text.split(SLOT)
    return (parts[0::2], [int(part) for part in parts[1::2]])
