"""Fast RDFC-1.0 canonicalization: compile each document *shape* once, then fill in values.

The plain path (:func:`schemas.jsonld.canonicalize_plain`) runs pyld's strict expansion and
``toRdf`` on every document, which costs about 90% of signing and verifying. Documents issued by
the same code have the same *shape*: the same ``@context``, the same keys in the same nesting,
the same ``type`` values, the same kinds of leaf values (string, integer, float) and the same
booleans and nulls. Only the leaf strings and numbers differ.

So for each shape this module runs the plain machinery once on a *placeholder* copy of the
document, in which every leaf string is a unique absolute IRI (``urn:x-microcred-fp-…:N``) and
every number a unique number, and reads off where each placeholder lands in pyld's RDF: as an IRI
(an ``@id`` or a coerced ``@id``/``@vocab`` value: pyld's ``_expand_iri`` is watched to learn with
which active context), as a literal's lexical form, or nowhere. The result is an N-Quads template;
a new document of the same shape fills the template with its own values and hands the N-Quads to
pyoxigraph's RDFC-1.0, exactly as the plain path hands pyld's N-Quads to it.

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
"""

from __future__ import annotations

import contextlib
import math
import re
import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph
from pyld.jsonld import (
    RDF_LANGSTRING,
    XSD_DOUBLE,
    XSD_STRING,
    _canonicalize_double,
    _is_double,
)

from schemas.contexts_check import check_contexts
from schemas.loader import StaticDocumentLoader
from schemas.pyld_index import indexed_values
from schemas.rdfc import (
    MAX_NQUADS_BYTES,
    algorithm_for,
    canonicalize_nquads,
    check_dataset_size,
    parse_nquads,
)
from schemas.strict import StrictProcessor, is_absolute_iri

#: Shapes cached per loader (least recently used are dropped first).
MAX_SHAPES = 512
#: Characters of shape keys and templates cached per loader, in all.
MAX_CACHE_CHARS = 32 * 1024 * 1024
#: Characters of member names and constant values a shape may have to be compiled.
MAX_SHAPE_CHARS = 256 * 1024
#: Deepest nesting accepted (as :data:`schemas.jsonld.MAX_DEPTH`; deeper goes the plain way).
MAX_DEPTH = 64
#: IRI expansions of unusual values remembered per template.
MAX_MEMO = 1024

RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"

_NONCE = secrets.token_hex(6)
_PLACEHOLDER_PREFIX = f"urn:x-microcred-fp-{_NONCE}:"
_INT_BASE = 900_000_000_000
_INT_STEP = 7
# An IRI written between <> in N-Quads as is: a scheme, then none of IRIREF's excluded characters.
_PLAIN_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*$")
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

# Shape tokens (never strings, so they cannot be confused with keys or constant values).
_OPEN_OBJECT, _CLOSE, _OPEN_LIST, _STR, _INT, _FLOAT, _TRUE, _FALSE, _NULL = range(9)
_CONSTANT_KEYS = frozenset({"type", "@type", "@language", "@direction", "@index", "@vocab"})

# Slot kinds in a template.
_IRI, _LITERAL, _LITERAL_DOUBLE, _INTEGER, _INTEGER_DOUBLE, _DOUBLE = range(6)


class Unsupported(Exception):
    """This document or shape is not handled here; use the plain path."""


@dataclass(slots=True)
class Stats:
    """Counts of what :func:`canonicalize_fast` did, for tests and the benchmark."""

    hits: int = 0
    compiled: int = 0
    fallbacks: int = 0

    def reset(self) -> None:
        """Set every count back to zero."""
        self.hits = self.compiled = self.fallbacks = 0


stats = Stats()


@dataclass(slots=True)
class _IriSlot:
    index: int
    active_ctx: dict[str, Any]
    vocab: bool
    base: Any


@dataclass
class Template:
    """The N-Quads of one shape with ``{N}`` where leaf value N goes, and how to render it."""

    text: str
    slots: list[tuple[int, int]]  # (leaf index, kind) for the leaves the text uses
    iri_slots: dict[int, _IriSlot]
    has_blank_nodes: bool
    #: How often each leaf appears in the text (a node's @id: once per quad of the node).
    uses: dict[int, int] = field(default_factory=dict)
    #: Without blank nodes the canonical form is the sorted distinct lines of the template's
    #: N-Quads (written the canonical way); checked against pyoxigraph on first use.
    direct: bool = True
    checked: bool = False
    memo: dict[tuple[int, str], str] = field(default_factory=dict)


class _Marker:
    """Stands for "this shape goes the plain way" in the cache."""


_PLAIN = _Marker()
_caches: weakref.WeakKeyDictionary[StaticDocumentLoader, OrderedDict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def shape_of(document: dict[str, Any]) -> tuple[tuple[Any, ...], list[Any]]:
    """Return ``(shape key, leaf values)`` of ``document``; :class:`Unsupported` if unusual.

    The key holds the ``@context``, every key, ``type`` (and ``@``-keyword) string values, the
    booleans and nulls, and the kind of every other leaf; the leaves are the strings and numbers
    not in the key, in document order. Anything :func:`schemas.contexts_check.check_contexts` might
    refuse (nested ``@context``, non-JSON values, non-finite numbers, deep nesting) is
    :class:`Unsupported`, so the plain path reports it.
    """
    tokens: list[Any] = []
    leaves: list[Any] = []
    chars = 0
    context = document.get("@context")
    if isinstance(context, str):
        tokens.append(context)
    elif isinstance(context, list) and context and all(isinstance(c, str) for c in context):
        tokens.append(tuple(context))
    else:
        raise Unsupported("@context")
    add_token = tokens.append
    add_leaf = leaves.append

    def walk(value: Any, depth: int, constant: bool) -> None:
        nonlocal chars
        kind = type(value)
        if kind is str:
            if constant:
                chars += len(value)
                add_token(value)
            else:
                add_token(_STR)
                add_leaf(value)
        elif kind is dict:
            if depth > MAX_DEPTH:
                raise Unsupported("depth")
            add_token(_OPEN_OBJECT)
            for key, item in value.items():
                if type(key) is not str or key == "@context":
                    raise Unsupported("key")
                chars += len(key)
                add_token(key)
                walk(item, depth + 1, key in _CONSTANT_KEYS)
            add_token(_CLOSE)
        elif kind is list:
            if depth > MAX_DEPTH:
                raise Unsupported("depth")
            add_token(_OPEN_LIST)
            for item in value:
                walk(item, depth + 1, constant)
            add_token(_CLOSE)
        elif kind is bool:
            add_token(_TRUE if value else _FALSE)
        elif value is None:
            add_token(_NULL)
        elif kind is int:
            if abs(value) >= 1e21:
                raise Unsupported("large integer")
            add_token(_INT)
            add_leaf(value)
        elif kind is float:
            if not math.isfinite(value) or abs(value) >= 1e21:
                raise Unsupported("float")
            if _is_double(value):
                add_token(_FLOAT)
                add_leaf(value)
            else:  # an integral float: pyld writes it as an integer
                add_token(_INT)
                add_leaf(value)
        else:
            raise Unsupported("not JSON")

    add_token(_OPEN_OBJECT)
    for key, item in document.items():
        if type(key) is not str:
            raise Unsupported("key")
        if key == "@context":
            continue
        chars += len(key)
        add_token(key)
        walk(item, 2, key in _CONSTANT_KEYS)
        if chars > MAX_SHAPE_CHARS:
            raise Unsupported("large shape")
    add_token(_CLOSE)
    if chars > MAX_SHAPE_CHARS:
        raise Unsupported("large shape")
    return tuple(tokens), leaves


def canonicalize_fast(
    document: Any,
    loader: StaticDocumentLoader,
    hash_algorithm: str,
    options: Callable[[StaticDocumentLoader], dict[str, Any]],
) -> str | None:
    """RDFC-1.0 canonical N-Quads of ``document`` through its shape's template, or ``None``.

    ``None`` means "take the plain path" (which then gives the answer or raises the error).
    ``options`` builds pyld's options for ``loader``, as the plain path does.
    """
    try:
        if not isinstance(document, dict):
            raise Unsupported("not an object")
        key, leaves = shape_of(document)
        cache = _cache_for(loader)
        entry = cache.get(key)
        if entry is None:
            template = _compile(document, loader, options)
            _remember(cache, key, template)
            if template is not _PLAIN:
                stats.compiled += 1
        elif len(cache) > 1:
            with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
                cache.move_to_end(key)
        if entry is not None:
            template = entry[0]
        if not isinstance(template, Template):
            raise Unsupported("shape")
        result = _render(template, leaves, hash_algorithm)
    except Exception:  # anything unexpected: the plain path decides
        stats.fallbacks += 1
        return None
    stats.hits += 1
    return result


def _remember(
    cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], template: Any
) -> None:
    """Cache ``template`` under ``key``, dropping the least recently used entries beyond
    :data:`MAX_SHAPES` or :data:`MAX_CACHE_CHARS`."""
    size = sum(len(t) for t in key if isinstance(t, str)) + (
        len(template.text) if isinstance(template, Template) else 0
    )
    if size > MAX_CACHE_CHARS:
        return
    with _lock:
        cache[key] = (template, size)
        total = sum(entry[1] for entry in cache.values())
        while len(cache) > MAX_SHAPES or total > MAX_CACHE_CHARS:
            total -= cache.popitem(last=False)[1][1]


def clear_cache() -> None:
    """Forget every compiled shape (tests use this)."""
    with _lock:
        _caches.clear()


def _cache_for(loader: StaticDocumentLoader) -> OrderedDict[tuple[Any, ...], Any]:
    cache = _caches.get(loader)
    if cache is None:
        with _lock:
            cache = _caches.setdefault(loader, OrderedDict())
    return cache


def _render(template: Template, leaves: list[Any], hash_algorithm: str) -> str:
    values: list[Any] = list(leaves)
    for index, kind in template.slots:
        value = values[index]
        if kind == _LITERAL:
            if type(value) is not str:
                raise Unsupported("kind")
            values[index] = value.translate(_ESCAPES)
        elif kind == _IRI:
            values[index] = _iri(template, index, value)
        elif kind == _INTEGER:
            values[index] = str(int(value))
        elif kind == _DOUBLE:
            values[index] = _canonicalize_double(value)
        elif kind == _INTEGER_DOUBLE:
            values[index] = _canonicalize_double(float(value))
        else:  # _LITERAL_DOUBLE: a string coerced to xsd:double, as pyld converts it
            try:
                number = float(value)
            except (ValueError, TypeError):
                values[index] = value.translate(_ESCAPES)
            else:
                values[index] = _canonicalize_double(number)
    size = len(template.text) + sum(
        uses * len(values[index]) for index, uses in template.uses.items()
    )
    if size > MAX_NQUADS_BYTES:
        raise Unsupported("too large: the plain path refuses it")
    nquads = template.text.format(*values)
    if template.has_blank_nodes:
        return canonicalize_nquads(nquads, hash_algorithm)
    if not template.direct:
        return canonicalize_ground(nquads, hash_algorithm)
    algorithm_for(hash_algorithm)
    nquads.encode("utf-8")  # a lone surrogate: UnicodeEncodeError, the plain path reports it
    result = sorted_lines(nquads)
    if not template.checked:
        reference = canonicalize_ground(nquads, hash_algorithm)
        if reference != result:
            template.direct = False
            return reference
        template.checked = True
    return result


def sorted_lines(nquads: str) -> str:
    """The distinct lines of ``nquads`` (each ending in a newline), sorted by code point.

    This is RDFC-1.0's output for a dataset without blank nodes when ``nquads`` is written
    the canonical way (literals escaped as :data:`_ESCAPES`, language tags in lower case, no
    ``xsd:string`` datatype), as templates are.
    """
    lines = nquads.split("\n")  # a newline inside a literal is escaped
    lines.pop()
    if not lines:
        return ""
    return "\n".join(sorted(set(lines))) + "\n"


def canonicalize_ground(nquads: str, hash_algorithm: str) -> str:
    """RDFC-1.0 of N-Quads without blank nodes: as :func:`canonicalize_nquads`, minus the
    blank-node work estimate (which has nothing to estimate without blank nodes)."""
    dataset = parse_nquads(nquads)
    dataset.canonicalize(algorithm_for(hash_algorithm))
    return "".join(sorted(f"{quad} .\n" for quad in dataset))


def _iri(template: Template, index: int, value: Any) -> str:
    """The IRI pyld would make of ``value`` where leaf ``index`` sits; Unsupported if unsure."""
    if type(value) is not str:
        raise Unsupported("not a string")
    slot = template.iri_slots[index]
    if _PLAIN_IRI.match(value) is not None and is_absolute_iri(value):
        mappings = slot.active_ctx["mappings"]
        if value[: value.index(":")] not in mappings and not (slot.vocab and value in mappings):
            pyoxigraph.NamedNode(value)  # an IRI pyoxigraph refuses: ValueError, plain path
            return value  # what pyld's _expand_iri returns for an absolute IRI, no term involved
    memo_key = (index, value)
    known = template.memo.get(memo_key)
    if known is not None:
        return known
    # A term, a compact IRI or something relative: ask pyld, with the recorded active context.
    expanded = StrictProcessor()._expand_iri(
        slot.active_ctx, value, base=slot.base, vocab=slot.vocab
    )
    if not is_absolute_iri(expanded) or _PLAIN_IRI.match(expanded) is None:
        raise Unsupported("IRI expansion")
    pyoxigraph.NamedNode(expanded)
    if len(template.memo) >= MAX_MEMO:
        template.memo.clear()
    template.memo[memo_key] = expanded
    return expanded


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
            return {k: replace(v, k in _CONSTANT_KEYS) for k, v in value.items()}
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
        key: (value if key == "@context" else replace(value, key in _CONSTANT_KEYS))
        for key, value in document.items()
    }
    return copy, placeholders


def _compile(
    document: dict[str, Any],
    loader: StaticDocumentLoader,
    options: Callable[[StaticDocumentLoader], dict[str, Any]],
) -> Template | _Marker:
    """The template of ``document``'s shape, or :data:`_PLAIN` if it cannot have one."""
    try:
        check_contexts(document, loader=loader)
        _, leaves = shape_of(document)
        placeholder_doc, placeholders = _placeholder_document(document, leaves)
        strings = {p: i for i, p in enumerate(placeholders) if isinstance(p, str)}
        processor = _RecordingProcessor(strings)
        with indexed_values():
            dataset = processor.to_rdf(placeholder_doc, options(loader))
        check_dataset_size(dataset)
        return _build(dataset, placeholders, strings, processor.expansions)
    except Exception:
        return _PLAIN


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
    uses: dict[int, int] = {}
    iri_slots: dict[int, _IriSlot] = {}
    has_blank = False

    def use(index: int, kind: int) -> str:
        if kinds.setdefault(index, kind) != kind:
            raise Unsupported("one leaf, two kinds")
        uses[index] = uses.get(index, 0) + 1
        return f"{{{index}}}"

    def constant(text: str) -> str:
        if _NONCE in text:
            raise Unsupported("placeholder inside a larger value")
        return text.replace("{", "{{").replace("}", "}}")

    def iri(value: str) -> str:
        index = strings.get(value)
        if index is None:
            if _PLAIN_IRI.match(value) is None:
                raise Unsupported("constant IRI needing care")
            pyoxigraph.NamedNode(value)
            return "<" + constant(value) + ">"
        seen = {(id(ctx), vocab, base) for ctx, vocab, base in expansions.get(index, [])}
        if len(seen) != 1:
            raise Unsupported("IRI expanded in no or several ways")
        ctx, vocab, base = expansions[index][0]
        iri_slots[index] = _IriSlot(index, ctx, vocab, base)
        return "<" + use(index, _IRI) + ">"

    def term(node: dict[str, Any]) -> str:
        nonlocal has_blank
        kind = node["type"]
        value = node["value"]
        if kind == "IRI":
            return iri(value)
        if kind == "blank node":
            has_blank = True
            return constant(value)
        datatype = node.get("datatype") or XSD_STRING
        if datatype == RDF_JSON:
            raise Unsupported("JSON literal")
        language = node.get("language")
        if language is not None:
            suffix = "@" + constant(language.lower())  # pyoxigraph writes tags in lower case
        elif datatype == XSD_STRING:
            suffix = ""
        else:
            if _PLAIN_IRI.match(datatype) is None:
                raise Unsupported("datatype")
            suffix = "^^<" + constant(datatype) + ">"
        double = datatype == XSD_DOUBLE and language is None
        if value in strings:
            body = use(strings[value], _LITERAL_DOUBLE if double else _LITERAL)
        elif value in numbers:
            index, is_float = numbers[value]
            if not isinstance(placeholders[index], int | float):
                raise Unsupported("number")
            body = use(index, _DOUBLE if is_float else _INTEGER_DOUBLE if double else _INTEGER)
        else:
            body = constant(value.translate(_ESCAPES))
        if datatype == RDF_LANGSTRING and language is None:
            raise Unsupported("langString without a language")
        return '"' + body + '"' + suffix

    lines: list[str] = []
    for graph_name, triples in dataset.items():
        if graph_name == "@default":
            graph = ""
        elif graph_name.startswith("_:"):
            has_blank = True
            graph = " " + constant(graph_name)
        else:
            graph = " " + iri(graph_name)
        for triple in triples:
            lines.append(
                f"{term(triple['subject'])} {term(triple['predicate'])} "
                f"{term(triple['object'])}{graph} .\n"
            )
    # A leaf expanded as an IRI that lands in no quad (the @id of a node without properties)
    # is still checked by strict expansion: render it too, so a relative one takes the plain
    # path, which refuses it.
    for index in expansions:
        if index not in kinds:
            iri(placeholders[index])
            uses[index] = 0
    return Template(
        text="".join(lines),
        slots=sorted(kinds.items()),
        iri_slots=iri_slots,
        has_blank_nodes=has_blank,
        uses=uses,
    )
