"""JSON-LD processing with pinned contexts only: checks, strict expansion, RDFC-1.0 canonical form.

Every function takes the document as parsed JSON and a ``loader`` (default: the pinned contexts,
:data:`schemas.loader.document_loader`). None of them touches the network or changes the document.
Errors are :mod:`schemas.errors` exceptions; pyld's own errors come out as
:class:`~schemas.errors.InvalidJsonLd`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from pyld.jsonld import JsonLdError, JsonLdProcessor

from schemas.contexts_check import check_contexts
from schemas.errors import InvalidJsonLd, SchemaError, UndefinedTerm
from schemas.fastpath import Prepared, canonicalize_fast
from schemas.loader import StaticDocumentLoader, document_loader
from schemas.pyld_index import indexed_values
from schemas.rdfc import algorithm_for, canonicalize_nquads, check_dataset_size
from schemas.strict import BoundedProcessor, StrictProcessor

_T = TypeVar("_T")


def expand_strict(document: Any, *, loader: StaticDocumentLoader | None = None) -> list[Any]:
    """Return pyld's expanded form of ``document``, refusing anything expansion would drop.

    Runs :func:`check_contexts` first. Raises :class:`UndefinedTerm` with the document path of
    a property or ``@type`` that does not expand to an absolute IRI or of an ``@id`` (or
    ``@type: @id`` value) that stays a relative IRI; relative IRIs are never resolved against a
    default base.
    """
    loader = loader or document_loader
    check_contexts(document, loader=loader)
    result: list[Any] = _pyld(StrictProcessor().expand, document, _options(loader))
    return result


def dropped_terms(
    document: Any, *, loader: StaticDocumentLoader | None = None
) -> list[UndefinedTerm]:
    """Every place where JSON-LD expansion of ``document`` drops something (a property or
    type its contexts do not define, an ``@id`` or IRI-typed value that stays relative), each
    as the :class:`UndefinedTerm` :func:`expand_strict` would raise for it, in document order
    of discovery; ``[]`` when nothing is dropped.

    Every other problem is raised as :func:`check_strict` raises it (an unknown or unpinned
    context, invalid JSON-LD, a graph too large or too costly to canonicalize): the document is
    also canonicalized leniently, so a document this accepts is one the verifier can process.
    """
    loader = loader or document_loader
    check_contexts(document, loader=loader)
    processor = StrictProcessor(collect=True)
    _pyld(processor.expand, document, _options(loader))
    canonicalize_plain(document, loader=loader, strict=False)
    return list(processor.dropped)


def to_nquads(
    document: Any, *, loader: StaticDocumentLoader | None = None, strict: bool = True
) -> str:
    """Return the N-Quads of ``document`` as pyld's ``toRdf`` writes them (not canonical).

    Always runs :func:`check_contexts`; with ``strict`` (the default) expansion refuses what it
    would drop, as :func:`expand_strict` does. Without it, triples with relative IRIs are left
    out, as JSON-LD's ``toRdf`` specifies. RDF beyond the canonicalizer's size bounds raises
    :class:`~schemas.errors.TooLarge` before it is written.
    """
    dataset = _to_rdf(document, loader, strict)
    check_dataset_size(dataset)
    return str(JsonLdProcessor.to_nquads(dataset))


def canonicalize(
    document: Any,
    *,
    loader: StaticDocumentLoader | None = None,
    strict: bool = True,
    hash_algorithm: str = "sha256",
) -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``document`` (one quad a line, sorted).

    The same bytes as :func:`canonicalize_plain`, and the same errors, faster: in strict mode
    a document whose shape (contexts, keys, types, kinds of values) was seen before is filled
    into that shape's N-Quads template instead of going through pyld's expansion (see
    :mod:`schemas.fastpath`); anything the template does not handle takes the plain path.
    """
    algorithm_for(hash_algorithm)
    if strict:
        result = canonicalize_fast(document, loader or document_loader, hash_algorithm, _options)
        if result is not None:
            return result
    return canonicalize_plain(document, loader=loader, strict=strict, hash_algorithm=hash_algorithm)


def canonicalize_plain(
    document: Any,
    *,
    loader: StaticDocumentLoader | None = None,
    strict: bool = True,
    hash_algorithm: str = "sha256",
) -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``document`` the straightforward way.

    pyld expands the document and writes its N-Quads (with the strict checks of
    :func:`expand_strict` in the same pass when ``strict``); pyoxigraph canonicalizes them.
    pyld's own URDNA2015 is not used: pyld 3.3 writes control characters in literals raw where
    RDFC-1.0 escapes them, which changes both the output and the blank-node hashes.
    ``hash_algorithm`` is the hash inside RDFC-1.0, ``"sha256"`` or ``"sha384"`` (ecdsa-rdfc-2019
    with P-384); anything else raises :class:`ValueError` before any work. A graph whose blank
    nodes would make canonicalization run without limit raises
    :class:`CanonicalizationRefused`; RDF beyond :data:`schemas.rdfc.MAX_QUADS` quads or
    :data:`schemas.rdfc.MAX_NQUADS_BYTES` bytes raises :class:`~schemas.errors.TooLarge`
    (``too_large``) before its N-Quads are written.
    """
    algorithm_for(hash_algorithm)
    dataset = _to_rdf(document, loader, strict)
    check_dataset_size(dataset)
    try:
        return canonicalize_nquads(JsonLdProcessor.to_nquads(dataset), hash_algorithm)
    except ValueError as exc:  # pyld wrote RDF that is not RDF (a bad language tag, say)
        raise InvalidJsonLd(str(exc)) from exc


def _to_rdf(document: Any, loader: StaticDocumentLoader | None, strict: bool) -> Any:
    loader = loader or document_loader
    check_contexts(document, loader=loader)
    processor = StrictProcessor() if strict else BoundedProcessor()
    return _pyld(processor.to_rdf, document, _options(loader))


def _options(loader: StaticDocumentLoader) -> dict[str, Any]:
    # base=None keeps relative IRIs relative: pyld 3.3 otherwise resolves them against
    # http://example.org/base/, and signs that invented IRI.
    return {
        "documentLoader": loader,
        "contextResolver": loader.context_resolver(),
        "base": None,
        "processingMode": "json-ld-1.1",
    }


def _pyld(function: Callable[..., _T], *args: Any) -> _T:
    """Call into pyld (its duplicate checks indexed, see :mod:`schemas.pyld_index`); our own
    errors pass through, pyld's become :class:`InvalidJsonLd`."""
    try:
        with indexed_values():
            return function(*args)
    except JsonLdError as exc:
        ours = _our_error(exc)
        if ours is not None:
            raise ours from None
        raise InvalidJsonLd(_describe(exc)) from exc
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        # pyld 3.3 lets some malformed input escape as plain Python errors (an empty "@id"
        # with no base raises ValueError); they mean the same thing.
        raise InvalidJsonLd(f"JSON-LD processing failed: {exc!r}") from exc


def _our_error(exc: BaseException) -> SchemaError | None:
    """The loader's error (say :class:`UnknownContext`) inside pyld's chain of wrappers."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, SchemaError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _describe(exc: JsonLdError) -> str:
    innermost: BaseException = exc
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, JsonLdError):
            innermost = current
        current = current.__cause__
    code = getattr(innermost, "code", None) or getattr(innermost, "type", "")
    return f"{code}: {innermost.args[0] if innermost.args else innermost}"


def check_strict(document: Any, *, loader: StaticDocumentLoader | None = None) -> None:
    """Raise exactly what :func:`expand_strict` raises for ``document`` (an unknown or unpinned
    context, an undefined term with its path, invalid JSON-LD), at a fraction of the cost: the
    document's values are checked against its shape's compiled template (which carries the
    strict verdict on the shape), and shapes or values the template cannot vouch for go the
    plain way, which names the problem. A graph too costly to canonicalize is refused
    (``CanonicalizationRefused``) as well."""
    PreparedDocument(document, loader=loader).check_strict()


class PreparedDocument:
    """A document read once for every question a verification or an issuance asks of it: the
    strict verdict (:meth:`check_strict`) and the canonical form of the document without its
    ``proof`` (:meth:`canonical_unsecured`, what every Data Integrity proof of it signs, for
    each hash at most once). The answers are those of :func:`check_strict` and
    :func:`canonicalize` (the plain path stays the reference: whatever the fast path cannot
    vouch for is asked of it). The document must not change while this is in use."""

    def __init__(self, document: Any, *, loader: StaticDocumentLoader | None = None) -> None:
        self.document = document
        self.loader = loader or document_loader
        self._fast = Prepared(document, self.loader, _options)
        self._canonical: dict[str, str] = {}
        self._digests: dict[str, bytes] = {}

    def check_strict(self) -> None:
        """Return if strict expansion and canonicalization of the whole document succeed;
        else raise what :func:`check_strict` raises."""
        if self._fast.strict_ok():
            return
        canonicalize_plain(self.document, loader=self.loader, strict=True)

    def plain_json(self) -> bool | None:
        """True when the document is known to be plain JSON (its shape was read); None when
        unknown (then :func:`schemas.json_schema.is_plain_json` decides)."""
        return self._fast.plain_json()

    def canonical_unsecured(self, hash_algorithm: str = "sha256") -> str:
        """:func:`canonicalize` of the document without its top-level ``proof`` (strict),
        computed once per hash algorithm; its errors pass through."""
        known = self._canonical.get(hash_algorithm)
        if known is None:
            algorithm_for(hash_algorithm)
            known = self._fast.canonical_unsecured(hash_algorithm)
            if known is None:
                bare = {k: v for k, v in self.document.items() if k != "proof"}
                known = canonicalize(bare, loader=self.loader, hash_algorithm=hash_algorithm)
            self._canonical[hash_algorithm] = known
        return known

    def unsecured_digest(self, hash_algorithm: str = "sha256") -> bytes:
        """The ``hash_algorithm`` digest of :meth:`canonical_unsecured` in UTF-8 (what a Data
        Integrity proof of this document hashes), computed once per hash algorithm."""
        known = self._digests.get(hash_algorithm)
        if known is None:
            text = self.canonical_unsecured(hash_algorithm)
            utf8 = self._fast.canonical_unsecured_utf8(hash_algorithm) or text.encode("utf-8")
            known = self._digests[hash_algorithm] = hashlib.new(hash_algorithm, utf8).digest()
        return known
