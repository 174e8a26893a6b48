"""The first check of any JSON-LD document: pinned contexts only, named by URL at the top level.

Shared by :mod:`schemas.jsonld` (before every expansion) and :mod:`schemas.fastpath` (before
compiling a shape), so neither imports the other. Never touches the network.
"""

from __future__ import annotations

import math
from typing import Any

from schemas.errors import ContextNotPinned, InvalidJsonLd, UnknownContext
from schemas.loader import StaticDocumentLoader, document_loader
from schemas.paths import format_path

#: Deepest nesting of objects and arrays accepted (the top-level object is depth 1).
MAX_DEPTH = 64

_Entry = tuple["_Entry | None", str | int]  # (parent entry, key or index): a path, built lazily


def check_contexts(document: Any, *, loader: StaticDocumentLoader | None = None) -> None:
    """Check that ``document`` uses pinned contexts only and is safe to hand to pyld.

    Passes only a JSON object whose top-level ``@context`` is a URL, or a non-empty list of
    URLs, each served by ``loader``, with no ``@context`` key anywhere below the top level and
    no nesting deeper than :data:`MAX_DEPTH`. Raises :class:`UnknownContext` (naming the URL),
    :class:`ContextNotPinned` (missing, inline or nested context, non-string entry) or
    :class:`InvalidJsonLd` (not an object, too deep, not JSON data). Iterative: input nested
    any depth gets a clean error, never ``RecursionError``.
    """
    loader = loader or document_loader
    if not isinstance(document, dict):
        raise InvalidJsonLd("a JSON-LD document must be a JSON object", path="")
    _check_top_level_context(document, loader)
    _check_below_top_level(document)


def _check_top_level_context(document: dict[str, Any], loader: StaticDocumentLoader) -> None:
    context = document.get("@context")
    if context is None or context == []:
        raise ContextNotPinned("the document must name its contexts by URL", path="@context")
    entries = context if isinstance(context, list) else [context]
    for index, entry in enumerate(entries):
        path = format_path(["@context", index] if isinstance(context, list) else ["@context"])
        if not isinstance(entry, str):
            raise ContextNotPinned(f"context entry of type {type(entry).__name__}", path=path)
        if entry not in loader.urls:
            raise UnknownContext(entry, path=path)


def _check_below_top_level(document: dict[str, Any]) -> None:
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
                    if value is document:
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
