"""Strict JSON-LD expansion: pyld's processor, refusing what pyld would silently drop.

pyld drops a property that does not expand to an absolute IRI (calling ``on_property_dropped``
with the expanded name only), keeps a ``@type`` or ``@id`` that stays relative, and then
``toRdf`` drops every triple that touches a relative IRI. :class:`StrictProcessor` raises
:class:`~schemas.errors.UndefinedTerm` instead, naming the place in the *original* document;
built with ``collect=True`` it records every such place in :attr:`StrictProcessor.dropped`
instead and lets pyld drop them (to list all of them, where a caller may accept them).

pyld deep-copies its input before expanding, so the processor keeps a stack of the objects being
expanded (each with its active context) and works out the path only when it has to report one:
between two stacked objects the route is found by identity.

Both processors here (:class:`BoundedProcessor`, and :class:`StrictProcessor` built on it) weigh
the node map before pyld writes its triples: pyld checks the subject and the predicate of every
triple with a regular expression, so a node whose ``@id`` is a megabyte long and has thousands
of values costs gigabytes of matching. Above :data:`schemas.rdfc.MAX_QUADS` quads or
:data:`schemas.rdfc.MAX_NQUADS_BYTES` characters they raise :class:`~schemas.errors.TooLarge`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyld.jsonld import KEYWORDS, JsonLdProcessor

from schemas.errors import InvalidJsonLd, UndefinedTerm
from schemas.paths import format_path
from schemas.rdfc import MAX_NQUADS_BYTES, MAX_QUADS, too_large

_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*|_):\S*$")
_KEYWORDS = frozenset(KEYWORDS)
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")


def is_absolute_iri(value: object) -> bool:
    """True if ``value`` is a string with a scheme (or a blank node ``_:`` label)."""
    return isinstance(value, str) and _ABSOLUTE_IRI.match(value) is not None


@dataclass(slots=True)
class _Frame:
    element: dict[str, Any]
    active_ctx: dict[str, Any]
    expanded: dict[str, Any]


class BoundedProcessor(JsonLdProcessor):  # type: ignore[misc]
    """A pyld processor that refuses (``TooLarge``) a node map whose triples would exceed the
    canonicalizer's bounds, before writing them. One instance per operation."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._quads = 0
        self._chars = 0

    def _graph_to_rdf(self, graph: dict[str, Any], issuer: Any, options: Any) -> Any:
        for node_id, node in graph.items():
            for name, items in node.items():
                if not isinstance(items, list) or (name != "@type" and name.startswith("@")):
                    continue
                self._quads += len(items)
                self._chars += len(items) * (len(node_id) + len(name))
                for item in items:
                    value = item.get("@value", item.get("@id")) if isinstance(item, dict) else item
                    self._chars += len(value) if isinstance(value, str) else 24
            if self._quads > MAX_QUADS:
                raise too_large(f"more than {MAX_QUADS:,} quads")
            if self._chars > MAX_NQUADS_BYTES:
                raise too_large(f"more than {MAX_NQUADS_BYTES:,} characters of N-Quads")
        return super()._graph_to_rdf(graph, issuer, options)


class StrictProcessor(BoundedProcessor):
    """A pyld processor whose expansion raises :class:`UndefinedTerm` on anything it would drop.

    Use one instance per operation (it keeps state while expanding), with the option
    ``base=None`` so relative IRIs stay relative instead of being resolved against pyld's
    default base (``http://example.org/base/``). With ``collect``, nothing is raised for what
    expansion drops: each place is appended to :attr:`dropped` (in the order found) and pyld
    drops it as JSON-LD says; every other error is raised as without it.
    """

    def __init__(self, *, collect: bool = False) -> None:
        super().__init__(on_property_dropped=self._property_dropped)
        self._frames: list[_Frame] = []
        self._collect = collect
        self._reported: set[tuple[int, str]] = set()
        self.dropped: list[UndefinedTerm] = []
        """With ``collect``: every place expansion dropped, as the error it would have been."""

    def _report(self, error: UndefinedTerm) -> None:
        if not self._collect:
            raise error
        self.dropped.append(error)

    def _expand_object(
        self,
        active_ctx: dict[str, Any],
        active_property: str | None,
        expanded_active_property: str | None,
        element: dict[str, Any],
        expanded_parent: dict[str, Any],
        options: dict[str, Any],
        inside_list: bool = False,
        type_key: str | None = None,
        type_scoped_ctx: dict[str, Any] | None = None,
    ) -> None:
        # An @nest object adds to its parent's result; the parent checks that result.
        nested = bool(self._frames) and self._frames[-1].expanded is expanded_parent
        self._frames.append(_Frame(element, active_ctx, expanded_parent))
        try:
            super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                options,
                inside_list,
                type_key,
                type_scoped_ctx,
            )
            if not nested:
                self._check_expanded()
        finally:
            self._frames.pop()

    def _property_dropped(self, expanded_property: str | None) -> None:
        # pyld walks the keys in sorted order and calls this at the first one it drops; the
        # first key (in that order) that does not expand is that one.
        # Collecting, pyld calls again for each later key it drops: each is reported once.
        frame = self._frames[-1]
        for key in sorted(frame.element):
            if key == "@context" or (id(frame.element), key) in self._reported:
                continue
            iri = self._expand_iri(frame.active_ctx, key, vocab=True)
            if iri is None or not (is_absolute_iri(iri) or iri in _KEYWORDS):
                self._reported.add((id(frame.element), key))
                self._report(
                    UndefinedTerm(
                        f"property {key!r} is not defined by the document's contexts",
                        path=self._path_to(key),
                    )
                )
                return
        raise UndefinedTerm(  # pragma: no cover - pyld only drops keys that fail the test above
            f"a property expanding to {expanded_property!r} was dropped", path=self._path_to()
        )

    def _check_expanded(self) -> None:
        """Check what the object on top of the stack expanded to."""
        expanded = self._frames[-1].expanded
        if "@value" in expanded:
            return  # pyld itself refuses a value object whose @type is not absolute
        for iri in _as_list(expanded.get("@id")):
            if isinstance(iri, str) and not is_absolute_iri(iri):
                self._report(
                    UndefinedTerm(f"@id {iri!r} is a relative IRI", path=self._path_to("@id"))
                )
        for iri in _as_list(expanded.get("@type")):
            if isinstance(iri, str) and not is_absolute_iri(iri):
                self._report(
                    UndefinedTerm(
                        f"type {iri!r} is not defined by the document's contexts",
                        path=self._path_to("@type", iri),
                    )
                )
        for prop, values in expanded.items():
            if prop in _KEYWORDS:
                continue
            for value in _value_objects(values):
                iri = value.get("@id")
                if isinstance(iri, str) and not is_absolute_iri(iri):
                    self._report(
                        UndefinedTerm(
                            f"{iri!r} does not expand to an absolute IRI",
                            path=self._path_to(prop, iri),
                        )
                    )
                language = value.get("@language")
                if isinstance(language, str) and not _LANGUAGE_TAG.match(language):
                    raise InvalidJsonLd(
                        f"{language!r} is not a language tag", path=self._path_to(prop)
                    )

    def _path_to(self, key: str | None = None, value: str | None = None) -> str:
        """The original document's path to the object on top of the stack, then to ``key``.

        ``key`` may be an expanded IRI or keyword, which is mapped back to the document's key;
        ``value`` picks the list index whose (unexpanded) string it is, where there is one.
        """
        parts: list[str | int] = []
        for parent, child in zip(self._frames, self._frames[1:], strict=False):
            parts.extend(_route(parent.element, child.element))
        if key is not None:
            frame = self._frames[-1]
            original = self._original_key(frame, key)
            parts.append(original)
            item = frame.element.get(original)
            if value is not None and isinstance(item, list) and value in item:
                parts.append(item.index(value))
        return format_path(parts)

    def _original_key(self, frame: _Frame, key: str) -> str:
        if key in frame.element:
            return key
        for candidate in sorted(frame.element):
            if self._expand_iri(frame.active_ctx, candidate, vocab=True) == key:
                return candidate
        return key


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _value_objects(values: Any) -> Iterator[dict[str, Any]]:
    """The objects among a property's expanded values, members of ``@list`` included."""
    for value in _as_list(values):
        if isinstance(value, dict):
            if "@list" in value:
                yield from _value_objects(value["@list"])
            else:
                yield value


def _route(parent: Any, child: Any) -> list[str | int]:
    """Keys and indices leading from ``parent`` to the object ``child`` (found by identity)."""
    stack: list[tuple[Any, list[str | int]]] = [(parent, [])]
    while stack:
        value, parts = stack.pop()
        if value is child:
            return parts
        if isinstance(value, dict):
            stack.extend((item, [*parts, key]) for key, item in value.items() if key != "@context")
        elif isinstance(value, list):
            stack.extend((item, [*parts, index]) for index, item in enumerate(value))
    return []
