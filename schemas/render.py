"""How the leaves of a document fill its shape's template (:mod:`schemas.fastpath`): each leaf
a slot uses, rendered as the slot writes it in N-Quads — a literal escaped, an IRI as pyld would
expand it there, a number as pyld writes it. Anything this cannot decide with certainty raises
:class:`~schemas.shape.Unsupported` (or pyoxigraph's ``ValueError``), and the plain path
decides.

IRIs are decided once: a (leaf, value) pair found to expand to itself is remembered on the
template (:attr:`~schemas.template.Template.same_iris`), a value pyoxigraph accepted as an IRI
process-wide, an unusual value's expansion per template
(:attr:`~schemas.template.Template.memo`).
"""

from __future__ import annotations

from typing import Any

import pyoxigraph
from pyld.jsonld import _canonicalize_double

from schemas.compiled import adopt_twin
from schemas.shape import Unsupported
from schemas.strict import StrictProcessor, is_absolute_iri
from schemas.template import (
    DOUBLE,
    INTEGER,
    INTEGER_DOUBLE,
    IRI,
    LITERAL,
    PLAIN_IRI,
    Template,
    escape,
    escape_all,
)

#: IRI expansions of unusual values remembered per template.
MAX_MEMO = 1024
#: (leaf, value) pairs remembered per template as IRIs that expand to themselves there.
MAX_SAME_IRIS = 4096
#: Plain absolute IRIs pyoxigraph has accepted, remembered (process-wide) so that a value seen
#: before costs one lookup.
MAX_KNOWN_IRIS = 65_536

_known_iris: dict[str, None] = {}


def forget_known_iris() -> None:
    """Forget the IRIs accepted so far (tests use this, through
    :func:`schemas.fastpath.clear_cache`)."""
    _known_iris.clear()


def render_values(template: Template, leaves: list[Any]) -> list[str]:
    """Every leaf the template uses, rendered as its slot writes it (others left as they are);
    :class:`Unsupported` (or pyoxigraph's error) when the plain path must decide. Plain
    literals are checked all at once (:func:`schemas.template.escape_all`)."""
    values: list[Any] = list(leaves)
    literals, iris, others = template.by_kind or _by_kind(template)
    if literals:
        texts = list(map(values.__getitem__, literals))
        if set(map(type, texts)) != {str}:
            raise Unsupported("kind")
        escaped = escape_all(texts)
        if escaped is not texts:
            for index, text in zip(literals, escaped, strict=True):
                values[index] = text
    if iris:
        # Decided once per (leaf, value): most IRIs (organisations, concepts, vocabularies)
        # come back in every document of a shape.
        same = template.same_iris
        for index in undecided_iris(values, iris, same):
            value = values[index]
            values[index] = rendered = render_iri(template, index, value)
            if rendered == value:
                if template.same_iris_count >= MAX_SAME_IRIS:
                    same.clear()
                    template.same_iris_count = 0
                same.setdefault(index, set()).add(value)
                template.same_iris_count += 1
    for index, kind in others:
        value = values[index]
        if kind == INTEGER:
            values[index] = str(int(value))
        elif kind == DOUBLE:
            values[index] = _canonicalize_double(value)
        elif kind == INTEGER_DOUBLE:
            values[index] = _canonicalize_double(float(value))
        else:  # LITERAL_DOUBLE: a string coerced to xsd:double, as pyld converts it
            try:
                number = float(value)
            except (ValueError, TypeError):
                values[index] = escape(value)
            else:
                values[index] = _canonicalize_double(number)
    return values


_NOTHING: frozenset[str] = frozenset()


def undecided_iris(values: list[Any], iris: list[int], same: dict[int, set[str]]) -> list[int]:
    """The leaves of ``iris`` (each once, in order) whose value in ``values`` is not among those
    ``same`` holds for that leaf (values found to expand to themselves there); ``TypeError``
    for a value that cannot be looked up (not hashable: the plain path decides)."""
    return [index for index in iris if values[index] not in same.get(index, _NOTHING)]


def _by_kind(template: Template) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """:attr:`Template.by_kind`, made and kept."""
    literals = [index for index, kind in template.slots if kind == LITERAL]
    iris = [index for index, kind in template.slots if kind == IRI]
    others = [(index, kind) for index, kind in template.slots if kind not in (LITERAL, IRI)]
    template.by_kind = (literals, iris, others)
    return template.by_kind


def render_iri(template: Template, index: int, value: Any) -> str:
    """The IRI pyld would make of ``value`` where leaf ``index`` sits; Unsupported if unsure."""
    if type(value) is not str:
        raise Unsupported("not a string")
    slot = template.iri_slots[index]
    known = value in _known_iris
    if known or (PLAIN_IRI.match(value) is not None and is_absolute_iri(value)):
        mappings = slot.active_ctx["mappings"]
        if value[: value.index(":")] not in mappings and not (slot.vocab and value in mappings):
            if not known:
                pyoxigraph.NamedNode(value)  # an IRI pyoxigraph refuses: ValueError, plain path
                if len(_known_iris) >= MAX_KNOWN_IRIS:
                    _known_iris.clear()
                _known_iris[value] = None
            return value  # what pyld's _expand_iri returns for an absolute IRI, no term involved
    memo_key = (index, value)
    remembered = template.memo.get(memo_key)
    if remembered is not None:
        return remembered
    # A term, a compact IRI or something relative: ask pyld, with the recorded active context.
    expanded = StrictProcessor()._expand_iri(
        slot.active_ctx, value, base=slot.base, vocab=slot.vocab
    )
    if not is_absolute_iri(expanded) or PLAIN_IRI.match(expanded) is None:
        raise Unsupported("IRI expansion")
    pyoxigraph.NamedNode(expanded)
    if len(template.memo) >= MAX_MEMO:
        template.memo.clear()
    template.memo[memo_key] = expanded
    return expanded


#: The functions above as written here (the tests hold the twin to them).
python_functions = (undecided_iris,)

adopt_twin(globals(), ("undecided_iris",))
