"""A pyld document loader that serves pinned documents only and never touches the network.

The pinned contexts live in ``schemas/contexts/``; ``manifest.json`` there maps each URL to its
file and SHA-256. A file is read, hash-checked and parsed once per process. Tests add documents
(the W3C examples context, say) with :meth:`StaticDocumentLoader.with_documents`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pyld.context_resolver import ContextResolver

from schemas.errors import SchemaError, UnknownContext

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
#: Context URL -> {"file", "sha256", "source", "licence"}, from ``contexts/manifest.json``.
MANIFEST: Mapping[str, Mapping[str, str]] = MappingProxyType(
    json.loads((CONTEXTS_DIR / "manifest.json").read_text(encoding="utf-8"))
)
PINNED_CONTEXT_URLS: frozenset[str] = frozenset(MANIFEST)

# Contexts resolved (and, inside pyld, processed) by loaders that serve exactly the pinned set.
# Keys are the pinned URLs and the inline contexts inside them, and documents' own inline
# contexts (``schemas.contexts_check`` allows some) while fewer than MAX_SHARED_CONTEXTS are
# held: beyond that a document's inline context is resolved for its operation only.
_PINNED_RESOLVED: dict[str, Any] = {}
#: Contexts kept in the shared cache of resolved contexts, at most.
MAX_SHARED_CONTEXTS = 256


@cache
def load_pinned_context(url: str) -> dict[str, Any]:
    """Return the parsed pinned context for ``url``: read once per process, and cached.

    The first read checks the file's SHA-256 against ``manifest.json`` and raises
    :class:`SchemaError` if it differs. A URL that is not pinned raises :class:`UnknownContext`.
    The same dict is returned on every call: callers must not change it.
    """
    entry = MANIFEST.get(url)
    if entry is None:
        raise UnknownContext(url)
    data = (CONTEXTS_DIR / entry["file"]).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"]:
        raise SchemaError(
            f"pinned context {entry['file']} has SHA-256 {digest}, manifest says {entry['sha256']}"
        )
    document: dict[str, Any] = json.loads(data)
    return document


def context_terms(document: Any) -> frozenset[str]:
    """Every term a context document defines: at its top, and in the scoped contexts of its
    terms (at any depth). Keywords are not terms."""
    found: set[str] = set()
    stack: list[Any] = [document]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        if not isinstance(current, dict):
            continue
        for term, definition in current.items():
            if term == "@context":
                stack.append(definition)
            elif not term.startswith("@"):
                found.add(term)
                if isinstance(definition, dict) and "@context" in definition:
                    stack.append(definition["@context"])
    return frozenset(found)


@cache
def _pinned_context_terms(url: str) -> frozenset[str]:
    return context_terms(load_pinned_context(url))


def pinned_terms(url: str, loader: StaticDocumentLoader) -> frozenset[str]:
    """The terms the context ``loader`` serves for ``url`` defines (see :func:`context_terms`);
    computed once per process for a pinned context, every time for a loader's extra documents.
    A URL the loader does not serve raises :class:`UnknownContext`."""
    document = loader(url)["document"]
    if url in PINNED_CONTEXT_URLS and document is load_pinned_context(url):
        return _pinned_context_terms(url)
    return context_terms(document)


class StaticDocumentLoader:
    """A pyld document loader over a fixed set of documents; any other URL is refused.

    By default it serves every pinned context; ``extra`` adds (or replaces) documents by URL.
    Extra documents are deep-copied, so later changes to the caller's objects do not leak in.
    """

    def __init__(
        self, extra: Mapping[str, Any] | None = None, *, include_pinned: bool = True
    ) -> None:
        self._include_pinned = include_pinned
        self._extra: dict[str, Any] = copy.deepcopy(dict(extra)) if extra else {}
        pinned = PINNED_CONTEXT_URLS if include_pinned else frozenset()
        self._urls = frozenset(pinned | self._extra.keys())
        # Loaders serving exactly the pinned set share what they resolve, so each pinned context
        # is processed once per process; any other loader keeps its own, so a URL one loader
        # knows never becomes readable through another.
        self._resolved: dict[str, Any] = (
            _PINNED_RESOLVED if include_pinned and not self._extra else {}
        )

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this loader serves."""
        return self._urls

    def context_resolver(self) -> ContextResolver:
        """Return a pyld context resolver for one operation with this loader.

        Pass it as pyld's ``contextResolver`` option (``schemas.jsonld`` does). It caches
        resolved contexts only where this loader's documents are the pinned set, and never in
        pyld's process-wide cache, which is keyed by URL alone.
        """
        return _StaticContextResolver(self._resolved, self)

    def with_documents(self, extra: Mapping[str, Any]) -> StaticDocumentLoader:
        """Return a new loader serving everything this one does plus ``extra`` (which wins)."""
        return StaticDocumentLoader({**self._extra, **extra}, include_pinned=self._include_pinned)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return pyld's remote-document dict for ``url``, or raise :class:`UnknownContext`.

        Never touches the network. ``options`` (pyld's request options) is ignored.
        """
        if url in self._extra:
            document = self._extra[url]
        elif self._include_pinned and url in PINNED_CONTEXT_URLS:
            document = load_pinned_context(url)
        else:
            raise UnknownContext(url)
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
            "contentType": "application/ld+json",
        }

    def __repr__(self) -> str:
        return f"StaticDocumentLoader(urls={sorted(self._urls)!r})"


class _StaticContextResolver(ContextResolver):  # type: ignore[misc]
    """pyld's resolver, keeping every document it resolves: a static loader's never change."""

    def _cache_resolved_context(self, key: str, resolved: Any, tag: str | None) -> Any:
        if key not in self.shared_cache and len(self.shared_cache) >= MAX_SHARED_CONTEXTS:
            self.per_op_cache[key] = resolved  # a document's own inline context: this operation
            return resolved
        return super()._cache_resolved_context(key, resolved, "static")


document_loader = StaticDocumentLoader()
