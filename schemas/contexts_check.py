"""The first check of any JSON-LD document: pinned contexts by URL, and inline contexts that only
add new terms, at the top level only — and at the top of each credential a presentation embeds.

An inline context object (VC 2.0 allows them) may only define *new* terms, each a plain name
mapped to an absolute IRI (a string, or ``{"@id": IRI, "@type": "@id" | IRI, "@container":
"@set" | "@list" | "@language"}``), plus ``@version: 1.1`` and ``@protected``. Whatever could change
the meaning of a term defined elsewhere is refused with
:class:`~schemas.errors.ContextRedefinesTerm` (``context_redefines_term``): a term that any other
context of the document defines (pinned or inline, at the top or scoped inside a term, before or
after it), ``@vocab``, ``@base``, ``@language``, ``@import``, ``@propagate``, a scoped
``@context`` inside a term, a term that looks like an IRI or a keyword, or a term mapped to
something that is not an absolute IRI.

An inline context may also come wrapped as a context document, ``{"@context": {…}}`` (the W3C
Data Integrity proof-chain vectors do): JSON-LD processors read the inner object, and so is it
checked. Only that exact shape is unwrapped, once.

A verifiable presentation embeds whole credentials, each with its own ``@context``: an object
that is the value of the document's top-level ``verifiableCredential`` (or one of its items) may
carry one, checked by the same rules as the top level; nowhere else below the top.

Shared by :mod:`schemas.jsonld` (before every expansion) and :mod:`schemas.fastpath` (before
compiling a shape), so neither imports the other. Never touches the network.
"""

from __future__ import annotations

import math
from typing import Any

from schemas.errors import ContextNotPinned, ContextRedefinesTerm, InvalidJsonLd, UnknownContext
from schemas.loader import StaticDocumentLoader, context_terms, document_loader, pinned_terms
from schemas.paths import format_path
from schemas.strict import is_absolute_iri

#: Deepest nesting of objects and arrays accepted (the top-level object is depth 1).
MAX_DEPTH = 64

_Entry = tuple["_Entry | None", str | int]  # (parent entry, key or index): a path, built lazily


def check_contexts(document: Any, *, loader: StaticDocumentLoader | None = None) -> None:
    """Check that ``document`` uses pinned contexts only and is safe to hand to pyld.

    Passes only a JSON object whose top-level ``@context`` is a URL, an inline context, or a
    non-empty list of them, each URL served by ``loader`` and each inline context adding new
    terms only (see the module's docstring), with no ``@context`` key anywhere below the top
    level and no nesting deeper than :data:`MAX_DEPTH`. Raises :class:`UnknownContext` (naming
    the URL), :class:`ContextRedefinesTerm` (an inline context that could change a term),
    :class:`ContextNotPinned` (missing or nested context, an entry neither URL nor object) or
    :class:`InvalidJsonLd` (not an object, too deep, not JSON data). Iterative: input nested
    any depth gets a clean error, never ``RecursionError``.
    """
    loader = loader or document_loader
    if not isinstance(document, dict):
        raise InvalidJsonLd("a JSON-LD document must be a JSON object", path="")
    _check_top_level_context(document, loader)
    embedded = _embedded_credentials(document)
    for node in embedded:
        if "@context" in node:
            _check_top_level_context(node, loader)
    _check_below_top_level(document, {id(node) for node in embedded})


def _embedded_credentials(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects a presentation embeds under its top-level ``verifiableCredential``."""
    value = document.get("verifiableCredential")
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _check_top_level_context(document: dict[str, Any], loader: StaticDocumentLoader) -> None:
    context = document.get("@context")
    if context is None or context == []:
        raise ContextNotPinned("the document must name its contexts by URL", path="@context")
    entries = context if isinstance(context, list) else [context]
    inline: list[tuple[str, dict[str, Any]]] = []
    for index, entry in enumerate(entries):
        path = format_path(["@context", index] if isinstance(context, list) else ["@context"])
        if isinstance(entry, dict):
            if set(entry) == {"@context"} and isinstance(entry["@context"], dict):
                # a context in the shape of a context document: JSON-LD processors (pyld,
                # jsonld.js) read its @context; the W3C Data Integrity vectors use it
                path, entry = f"{path}/@context", entry["@context"]
            inline.append((path, entry))
            continue
        if not isinstance(entry, str):
            raise ContextNotPinned(f"context entry of type {type(entry).__name__}", path=path)
        if entry not in loader.urls:
            raise UnknownContext(entry, path=path)
    if inline:
        _check_inline(entries, inline, loader)


#: Keywords an inline context may carry; anything else could change other terms' meaning.
_INLINE_KEYWORDS = {"@version": (1.1,), "@protected": (True, False)}
#: Members of an expanded term definition an inline context may use.
_DEFINITION_MEMBERS = frozenset({"@id", "@type", "@container", "@protected"})
_CONTAINERS = frozenset({"@set", "@list", "@language"})


def _check_inline(
    entries: list[Any], inline: list[tuple[str, dict[str, Any]]], loader: StaticDocumentLoader
) -> None:
    """Each inline context defines new, plain terms only: none defined by any other context."""
    defined: dict[str, int] = {}  # term -> how many contexts of the document define it
    for entry in entries:
        terms = pinned_terms(entry, loader) if isinstance(entry, str) else context_terms(entry)
        for term in terms:
            defined[term] = defined.get(term, 0) + 1
    for path, context in inline:
        for term, definition in context.items():
            where = f"{path}/{term}"
            if term.startswith("@"):
                if term not in _INLINE_KEYWORDS or definition not in _INLINE_KEYWORDS[term]:
                    raise ContextRedefinesTerm(
                        f"an inline context may not use {term} {definition!r}", path=where
                    )
                continue
            if defined.get(term, 0) > 1:
                raise ContextRedefinesTerm(
                    f"the inline context redefines {term!r}, which another context defines",
                    path=where,
                )
            _check_definition(term, definition, where)


def _check_definition(term: str, definition: Any, path: str) -> None:
    if ":" in term or "/" in term or "#" in term or not term.strip():
        raise ContextRedefinesTerm(f"an inline term may not look like an IRI: {term!r}", path=path)
    if isinstance(definition, dict):
        unknown = sorted(set(definition) - _DEFINITION_MEMBERS)
        if unknown:
            raise ContextRedefinesTerm(
                f"an inline term definition may not use {', '.join(unknown)}", path=path
            )
        kind = definition.get("@type", "@id")
        container = definition.get("@container", "@set")
        if kind not in ("@id", "@vocab") and not is_absolute_iri(kind):
            raise ContextRedefinesTerm(f"@type of {term!r} is not an absolute IRI", path=path)
        if container not in _CONTAINERS or definition.get("@protected", True) not in (True, False):
            raise ContextRedefinesTerm(f"unsupported definition of {term!r}", path=path)
        iri = definition.get("@id")
    else:
        iri = definition
    if not isinstance(iri, str) or not is_absolute_iri(iri) or iri.startswith("_:"):
        raise ContextRedefinesTerm(f"{term!r} must map to an absolute IRI", path=path)


def _check_below_top_level(document: dict[str, Any], tops: set[int]) -> None:
    stack: list[tuple[Any, _Entry | None, int]] = [(document, None, 1)]
    while stack:
        value, entry, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise InvalidJsonLd(f"nested deeper than {MAX_DEPTH} levels", path=_path(entry))
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidJsonLd("object keys must be strings", path=_path(entry))
                if key == "@context":
                    if value is document or id(value) in tops:
                        continue  # checked by _check_top_level_context
                    raise ContextNotPinned(
                        "@context is only allowed at the top level", path=_path((entry, key))
                    )
                stack.append((item, (entry, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, (entry, index), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidJsonLd("numbers must be finite", path=_path(entry))
        elif value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidJsonLd(f"{type(value).__name__} is not JSON data", path=_path(entry))


def _path(entry: _Entry | None) -> str:
    parts: list[str | int] = []
    while entry is not None:
        entry, part = entry
        parts.append(part)
    return format_path(reversed(parts))
