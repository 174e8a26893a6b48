"""microcred schemas: pinned JSON-LD contexts, strict offline JSON-LD, RDFC-1.0, the profile.

Imports nothing from the project's other packages and never touches the network.
"""

from schemas.contexts_check import MAX_DEPTH, check_contexts
from schemas.elm.profile import ANNEX_I_ELEMENTS, ELEMENTS, schema_issues, validate_microcredential
from schemas.errors import (
    CanonicalizationRefused,
    ContextNotPinned,
    InvalidJsonLd,
    SchemaError,
    SchemaIssue,
    SchemaViolation,
    UndefinedTerm,
    UnknownContext,
)
from schemas.jsonld import canonicalize, expand_strict, to_nquads
from schemas.loader import (
    PINNED_CONTEXT_URLS,
    StaticDocumentLoader,
    document_loader,
    load_pinned_context,
)
from schemas.rdfc import canonicalize_nquads

__all__ = [
    "ANNEX_I_ELEMENTS",
    "ELEMENTS",
    "MAX_DEPTH",
    "PINNED_CONTEXT_URLS",
    "CanonicalizationRefused",
    "ContextNotPinned",
    "InvalidJsonLd",
    "SchemaError",
    "SchemaIssue",
    "SchemaViolation",
    "StaticDocumentLoader",
    "UndefinedTerm",
    "UnknownContext",
    "canonicalize",
    "canonicalize_nquads",
    "check_contexts",
    "document_loader",
    "expand_strict",
    "load_pinned_context",
    "schema_issues",
    "to_nquads",
    "validate_microcredential",
]
