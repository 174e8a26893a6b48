"""Fast RDFC-1.0 canonicalization: compile each document *shape* once, then fill in values.

The plain path (:func:`schemas.jsonld.canonicalize_plain`) runs pyld's strict expansion and
``toRdf`` on every document, which costs about 90% of signing and verifying. Documents issued by
the same code have the same *shape* (:mod:`schemas.shape`): the same ``@context``, the same keys
in the same nesting, the same ``type`` values, the same kinds of leaf values and the same
booleans and nulls. Only the leaf strings and numbers differ.

So each shape is compiled once (:mod:`schemas.template`) into an N-Quads template, and a new
document of the same shape fills the template with its own values. Without blank nodes the
canonical form is the sorted distinct lines; with them the N-Quads go to pyoxigraph's RDFC-1.0,
exactly as the plain path's do.

Anything the template cannot reproduce with certainty falls back to the plain path: a shape it
does not handle (``@json`` literals, a placeholder merged into a larger string, a slot used as
IRI and literal, integers of 1e21 and above), a shape whose compilation raised (the plain path
then raises the real error on the real document, undefined terms included), an IRI value that
is not a plain absolute IRI or that could be a term or a prefix where it is used, values that
pyoxigraph refuses, and any unexpected exception. ``strict=False`` always takes the plain path.
Templates are cached per loader (weakly) and per shape, at most :data:`MAX_SHAPES` per loader
and :data:`MAX_CACHE_CHARS` characters of shape keys and templates in all (the least recently used
go first); a shape whose member names and constants exceed :data:`MAX_SHAPE_CHARS` characters is
not compiled. A document whose filled-in N-Quads would exceed
:data:`schemas.rdfc.MAX_NQUADS_BYTES` takes the plain path, which refuses it.

**Once per document.** :class:`Prepared` reads a document's shape once and answers, each at most
once: the strict verdict on the whole document (what :func:`schemas.jsonld.check_strict` says,
without writing any canonical form: the values are checked as rendering checks them, and the
RDFC-1.0 work bound is applied to the few quads that mention blank nodes), and the
canonical form of the document without its ``proof`` (what a Data Integrity proof signs), filled
from the same rendered values when the two templates agree on every shared slot.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.lines import LinePlan, line_plan, sorted_distinct_lines, utf8_size
from schemas.loader import StaticDocumentLoader
from schemas.rdfc import (
    MAX_NQUADS_BYTES,
    algorithm_for,
    canonicalize_nquads,
    check_blank_node_work,
    parse_nquads,
)
from schemas.render import forget_known_iris, render_values
from schemas.shape import (
    MAX_DEPTH,
    Shape,
    ShapeKey,
    Unsupported,
    read_shape,
    shape_chars,
    shape_of,
)
from schemas.template import (
    IRI,
    Template,
    compile_shape,
)

__all__ = [
    "MAX_CACHE_CHARS",
    "MAX_DEPTH",
    "MAX_SHAPES",
    "MAX_SHAPE_CHARS",
    "SIZE_SLACK",
    "Prepared",
    "Stats",
    "Template",
    "Unsupported",
    "canonicalize_fast",
    "canonicalize_ground",
    "clear_cache",
    "shape_of",
    "stats",
]

#: Shapes cached per loader (least recently used are dropped first).
MAX_SHAPES = 512
#: Token counts for which the shape last seen with that many tokens is kept aside (compared as
#: it is, without hashing its key).
MAX_RECENT_SHAPES = 64
#: Characters of shape keys and templates cached per loader, in all.
MAX_CACHE_CHARS = 32 * 1024 * 1024
#: Characters of member names and constant values a shape may have to be compiled.
MAX_SHAPE_CHARS = 256 * 1024
#: Characters a quad that the plain path's size estimates may count beyond the N-Quads.
SIZE_SLACK = 64

Options = Callable[[StaticDocumentLoader], dict[str, Any]]


@dataclass(slots=True)
class Stats:
    """Counts of what the fast path did, for tests and the benchmark."""

    hits: int = 0
    compiled: int = 0
    fallbacks: int = 0

    def reset(self) -> None:
        """Set every count back to zero."""
        self.hits = self.compiled = self.fallbacks = 0


stats = Stats()


class _Marker:
    """Stands for "this shape goes the plain way" in the cache."""


_PLAIN = _Marker()
_caches: weakref.WeakKeyDictionary[StaticDocumentLoader, _ShapeCache] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def canonicalize_fast(
    document: Any, loader: StaticDocumentLoader, hash_algorithm: str, options: Options
) -> str | None:
    """RDFC-1.0 canonical N-Quads of ``document`` through its shape's template, or ``None``.

    ``None`` means "take the plain path" (which then gives the answer or raises the error).
    ``options`` builds pyld's options for ``loader``, as the plain path does.
    """
    try:
        if not isinstance(document, dict):
            raise Unsupported("not an object")
        shape = read_shape(document)
        template = _template(shape, document, loader, options)
        result = _canonical(template, render_values(template, shape.leaves), hash_algorithm)
    except Exception:  # anything unexpected: the plain path decides
        stats.fallbacks += 1
        return None
    stats.hits += 1
    return result


class Prepared:
    """One document, read once, for several questions (see the module): :meth:`strict_ok`
    and :meth:`canonical_unsecured`. Each answers ``None`` for "ask the plain path"; neither
    raises. The document must not change while this is in use."""

    def __init__(self, document: Any, loader: StaticDocumentLoader, options: Options) -> None:
        self.document = document
        self._loader = loader
        self._options = options
        self._shape: Shape | None = None
        self._template: Template | None = None
        self._values: list[str] | None = None
        self._failed = False
        self._strict: bool | None = None
        self._unsecured: dict[str, str | None] = {}
        self._unsecured_utf8: dict[str, bytes] = {}

    def _rendered(self) -> tuple[Shape, Template, list[str]] | None:
        """The document's shape, template and rendered values (once), or None."""
        if self._values is None and not self._failed:
            try:
                if not isinstance(self.document, dict):
                    raise Unsupported("not an object")
                self._shape = read_shape(self.document)
                self._template = _template(self._shape, self.document, self._loader, self._options)
                self._values = render_values(self._template, self._shape.leaves)
            except Exception:
                self._failed = True
                stats.fallbacks += 1
        if self._values is None:
            return None
        assert self._shape is not None and self._template is not None
        return self._shape, self._template, self._values

    def plain_json(self) -> bool | None:
        """True when the document is plain JSON (``dict`` with string keys, ``list``, ``str``,
        ``int``, ``float``, ``bool``, ``None``: what :func:`schemas.json_schema.is_plain_json`
        asks), known from its shape having been read; None when this cannot tell."""
        self._rendered()
        return True if self._shape is not None else None

    def strict_ok(self) -> bool | None:
        """True when strict expansion and RDFC-1.0 of the whole document would succeed (what
        :func:`schemas.jsonld.check_strict` accepts); None to ask the plain path."""
        if self._strict is None:
            rendered = self._rendered()
            if rendered is None:
                return None
            _, template, values = rendered
            try:
                # the size bound; a lone surrogate raises (the plain path reports it)
                _check_size(template, utf8_size(values, _line_plan(template)))
                if template.has_blank_nodes and not blank_nodes_told_apart(template):
                    check_blank_node_work(_blank_quads(template, values))
            except Exception:
                stats.fallbacks += 1
                return None
            stats.hits += 1
            self._strict = True
        return self._strict

    def canonical_unsecured(self, hash_algorithm: str) -> str | None:
        """The canonical N-Quads of the document without its top-level ``proof`` (as
        :func:`schemas.jsonld.canonicalize` gives them), or None to ask that function."""
        if hash_algorithm not in self._unsecured:
            self._unsecured[hash_algorithm] = self._canonical_unsecured(hash_algorithm)
        return self._unsecured[hash_algorithm]

    def canonical_unsecured_utf8(self, hash_algorithm: str) -> bytes | None:
        """:meth:`canonical_unsecured` in UTF-8 when it was made as bytes (no need to encode
        it again to hash it), else None."""
        self.canonical_unsecured(hash_algorithm)
        return self._unsecured_utf8.get(hash_algorithm)

    def _canonical_unsecured(self, hash_algorithm: str) -> str | None:
        rendered = self._rendered()
        if rendered is None:
            return None
        shape, template, values = rendered
        try:
            if shape.proof is None:
                result, utf8 = _canonical_pair(template, values, hash_algorithm)
            else:
                first, end = shape.proof[2], shape.proof[3]
                known = template.unsecured  # the template of this shape without its proof
                if known is not None and known[1]:
                    inner, shared = known[0], values[:first] + values[end:]
                else:
                    bare = shape.without_proof()
                    unsecured = {k: v for k, v in self.document.items() if k != "proof"}
                    inner = _template(bare, unsecured, self._loader, self._options)
                    if _fills(template, inner, shape.proof):
                        shared = values[:first] + values[end:]
                    else:
                        shared = render_values(inner, bare.leaves)
                result, utf8 = _canonical_pair(inner, shared, hash_algorithm)
        except Exception:
            stats.fallbacks += 1
            return None
        stats.hits += 1
        if utf8 is not None:
            self._unsecured_utf8[hash_algorithm] = utf8
        return result


def blank_nodes_told_apart(template: Template) -> bool:
    """True when RDFC-1.0's first-degree hashing tells every blank node of ``template`` apart
    whatever values fill its slots, so :func:`schemas.rdfc.check_blank_node_work` has nothing
    to estimate for any document of its shape (decided once per template).

    A node's first-degree signature is its quads with itself as ``a``, other blank nodes as
    ``z``. Its *pattern set* (the positions of ``a`` and ``z`` in each of those quads, every
    other term left out) follows from the signature, and values cannot change it: they never
    write a blank node, and quads that values make equal share their pattern. So nodes whose
    pattern sets differ have different signatures, with any values; when every node's pattern
    set is its own, all are told apart (as the proof node and its graph are)."""
    if template.blank_nodes_told_apart is None:
        patterns: dict[tuple[Any, ...], set[tuple[str, ...]]] = {}
        for spec in template.blank_quads:
            for node in {term for term in spec if term[0] == "blank"}:
                patterns.setdefault(node, set()).add(
                    tuple("a" if t == node else "z" if t[0] == "blank" else "*" for t in spec)
                )
        sets = [frozenset(found) for found in patterns.values()]
        template.blank_nodes_told_apart = len(set(sets)) == len(sets)
    return template.blank_nodes_told_apart


def _blank_quads(template: Template, values: list[str]) -> set[tuple[Any, ...]]:
    """The distinct quads that mention a blank node, as :func:`schemas.rdfc.
    check_blank_node_work` reads them: a blank node as ``("blank", label)``, any other term as
    its N-Quads text (one text per RDF term, so equal texts are equal terms)."""
    quads = set()
    for spec in template.blank_quads:
        quad = []
        for term in spec:
            if term[0] == "blank":
                quad.append(term)
            else:
                pieces, refs = term
                text = pieces[0]
                for n, ref in enumerate(refs, 1):
                    text += values[ref] + pieces[n]
                quad.append(("term", text))
        quads.add(tuple(quad))
    return quads


def _fills(outer: Template, inner: Template, proof: tuple[int, int, int, int]) -> bool:
    """True when ``outer``'s rendered leaves, less the proof's, are exactly what ``inner``
    would render: every leaf ``inner`` uses has the same kind in ``outer`` and, as an IRI, the
    same expansion. Decided once per pair of templates."""
    known = outer.unsecured
    if known is not None and known[0] is inner:
        return bool(known[1])
    first, end = proof[2], proof[3]
    outer_kinds = dict(outer.slots)
    agree = True
    for index, kind in inner.slots:
        at = index if index < first else index + (end - first)
        if outer_kinds.get(at) != kind or (
            kind == IRI and not inner.iri_slots[index].same_expansion(outer.iri_slots[at])
        ):
            agree = False
            break
    outer.unsecured = (inner, agree)
    return agree


def _template(
    shape: Shape, document: dict[str, Any], loader: StaticDocumentLoader, options: Options
) -> Template:
    """The cached template of ``shape`` (compiled from ``document`` on first sight);
    :class:`Unsupported` when the shape goes the plain way."""
    cache = _cache_for(loader)
    tokens = shape.tokens
    # The shape last seen with as many tokens, compared as it is: a document of the shape just
    # seen (the usual case) needs no hash of its ~1,500 tokens, only one comparison.
    recent = cache.recent.get(len(tokens))
    if recent is not None and recent[0] == tokens:
        with contextlib.suppress(KeyError):  # dropped meanwhile: looked up as any other
            cache.move_to_end(recent[2])
            return recent[1]
    key = shape.key
    entry = cache.get(key)
    if entry is None:
        template: Template | _Marker = _PLAIN
        if shape_chars(key) <= MAX_SHAPE_CHARS:
            try:
                template = compile_shape(document, loader, options)
            except Exception:
                template = _PLAIN
        _remember(cache, key, template)
        if isinstance(template, Template):
            stats.compiled += 1
    else:
        template, _, key = entry  # the stored key: found by identity from now on
        if len(cache) > 1:
            with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
                cache.move_to_end(key)
    if not isinstance(template, Template):
        raise Unsupported("shape")
    if key in cache:
        cache.remember_recent(tokens, template, key)
    return template


class _ShapeCache(OrderedDict[ShapeKey, Any]):
    """One loader's templates by shape key, least recently used first (each entry:
    ``(template, size, key)``), and :attr:`recent`: per token count, the shape last looked up
    with that many tokens (its tokens, template and stored key), for as long as its entry
    stays."""

    def __init__(self) -> None:
        super().__init__()
        self.recent: dict[int, tuple[list[Any], Template, ShapeKey]] = {}

    def remember_recent(self, tokens: list[Any], template: Template, key: ShapeKey) -> None:
        """Keep ``template`` as the recent one for shapes of ``len(tokens)`` tokens."""
        if len(self.recent) >= MAX_RECENT_SHAPES:
            self.recent.clear()
        self.recent[len(key.tokens)] = (tokens, template, key)

    def forget(self, key: ShapeKey) -> None:
        """Drop ``key`` from :attr:`recent` (its entry is leaving the cache)."""
        recent = self.recent.get(len(key.tokens))
        if recent is not None and recent[2] is key:
            del self.recent[len(key.tokens)]


def _remember(cache: _ShapeCache, key: ShapeKey, template: Any) -> None:
    """Cache ``template`` under ``key``, dropping the least recently used entries beyond
    :data:`MAX_SHAPES` or :data:`MAX_CACHE_CHARS`."""
    size = shape_chars(key) + (template.size if isinstance(template, Template) else 0)
    if size > MAX_CACHE_CHARS:
        return
    with _lock:
        cache[key] = (template, size, key)
        total = sum(entry[1] for entry in cache.values())
        while len(cache) > MAX_SHAPES or total > MAX_CACHE_CHARS:
            dropped, (_, dropped_size, _) = cache.popitem(last=False)
            cache.forget(dropped)
            total -= dropped_size


def clear_cache() -> None:
    """Forget every compiled shape (tests use this)."""
    with _lock:
        _caches.clear()
        forget_known_iris()


def _cache_for(loader: StaticDocumentLoader) -> _ShapeCache:
    cache = _caches.get(loader)
    if cache is None:
        with _lock:
            cache = _caches.setdefault(loader, _ShapeCache())
    return cache


def _filled(template: Template, values: list[str]) -> list[str]:
    """The rendered value of each of ``template``'s slots, in order (a leaf used by several
    quads once per use); :class:`Unsupported` when the N-Quads they make would pass the bound
    (the plain path refuses such a document). Gathered and measured in C, without writing the
    N-Quads."""
    filled = list(map(values.__getitem__, template.refs))
    _check_size(template, template.size + sum(map(len, filled)))
    return filled


def _check_size(template: Template, size: int) -> None:
    """:class:`Unsupported` when N-Quads of ``size`` characters or bytes are near enough to
    :data:`MAX_NQUADS_BYTES` for the plain path to refuse them: its estimates
    (:class:`schemas.strict.BoundedProcessor`, :func:`schemas.rdfc.check_dataset_size`)
    count up to 55 characters a quad more than the N-Quads hold (an ``xsd:string`` datatype
    that is not written, a number as 24), so within :data:`SIZE_SLACK` a quad of the bound the
    plain path decides."""
    if size > _size_limit(template):
        raise Unsupported("too large, or near enough: the plain path decides")


def _size_limit(template: Template) -> int:
    """The most characters or bytes the N-Quads of ``template`` may take on the fast path
    (:func:`_check_size`)."""
    return MAX_NQUADS_BYTES - SIZE_SLACK * template.quads


def _canonical(template: Template, values: list[str], hash_algorithm: str) -> str:
    """The canonical N-Quads of ``template`` filled with rendered ``values``."""
    return _canonical_pair(template, values, hash_algorithm)[0]


def _canonical_pair(
    template: Template, values: list[str], hash_algorithm: str
) -> tuple[str, bytes | None]:
    """:func:`_canonical`, with the same text in UTF-8 when it was made as bytes (else None)."""
    if template.has_blank_nodes or not template.direct:
        nquads = _nquads(template, values)
        if template.has_blank_nodes:
            return canonicalize_nquads(nquads, hash_algorithm), None
        return canonicalize_ground(nquads, hash_algorithm), None
    algorithm_for(hash_algorithm)
    # The distinct lines sorted in UTF-8: byte order is code point order, so they are the
    # lines sorted by code point, RDFC-1.0's output for a ground dataset written the canonical
    # way, as templates are; a lone surrogate raises (the plain path reports it).
    utf8 = sorted_distinct_lines(values, _line_plan(template), _size_limit(template))
    if utf8 is None:
        raise Unsupported("too large, or near enough: the plain path decides")
    result = utf8.decode("utf-8")
    if not template.checked:  # on first use, against pyoxigraph
        reference = canonicalize_ground(_nquads(template, values), hash_algorithm)
        if reference != result:
            template.direct = False
            return reference, None
        template.checked = True
    return result, utf8


def _nquads(template: Template, values: list[str]) -> str:
    """The N-Quads text of ``template`` filled with rendered ``values`` (the size bound
    checked)."""
    pieces = list(template.pieces)
    pieces[1::2] = _filled(template, values)
    return "".join(pieces)


def _line_plan(template: Template) -> LinePlan:
    """:attr:`Template.line_plan`, made and kept."""
    if template.line_plan is None:
        pieces = [piece.encode("utf-8") for piece in template.pieces]
        template.line_plan = line_plan(pieces, template.refs)
    return template.line_plan


def canonicalize_ground(nquads: str, hash_algorithm: str) -> str:
    """RDFC-1.0 of N-Quads without blank nodes: as :func:`canonicalize_nquads`, minus the
    blank-node work estimate (which has nothing to estimate without blank nodes)."""
    dataset = parse_nquads(nquads)
    dataset.canonicalize(algorithm_for(hash_algorithm))
    return "".join(sorted(f"{quad} .\n" for quad in dataset))
