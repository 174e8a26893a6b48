"""Errors raised by the schemas package.

Every error carries a stable ``code`` (snake_case) that callers turn into a report line or JSON;
the message is for people and may change. ``path`` names the place in the document, as the
document's own keys joined by ``/`` with list indices as numbers (``credentialSubject/hasClaim/0``);
the empty string is the top-level object and ``None`` means no place applies.
"""

from __future__ import annotations

from dataclasses import dataclass


class SchemaError(Exception):
    """Base of every error in ``schemas``; ``code`` is stable, the message is for people."""

    code = "schema_error"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0]) if self.args else self.code


class UnknownContext(SchemaError):
    """A context URL the document loader does not serve (never fetched from the network)."""

    code = "unknown_context"

    def __init__(self, url: str, *, path: str | None = None) -> None:
        super().__init__(f"context {url!r} is not pinned", path=path)
        self.url = url


class ContextNotPinned(SchemaError):
    """A context that is not a pinned URL: an inline object, a nested ``@context``, a non-string."""

    code = "context_not_pinned"


class ContextRedefinesTerm(ContextNotPinned):
    """An inline context that defines a term another context of the document defines already
    (or that would change how other terms expand: ``@vocab``, ``@base``, a scoped context)."""

    code = "context_redefines_term"


class UndefinedTerm(SchemaError):
    """A property, type or ``@id`` not expanding to an absolute IRI (JSON-LD would drop it)."""

    code = "undefined_term"

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message, path=path)
        self.path: str = path


class InvalidJsonLd(SchemaError):
    """Input that is not valid JSON-LD: a processor error, nesting too deep, not an object."""

    code = "invalid_jsonld"


class CanonicalizationRefused(SchemaError):
    """RDFC-1.0 refused a graph whose blank nodes would make canonicalization run without limit."""

    code = "canonicalization_refused"


class TooLarge(InvalidJsonLd):
    """A document whose RDF (N-Quads) exceeds the canonicalizer's size bounds (quads or bytes):
    refused before the work is done, never a ``MemoryError`` from inside the canonicalizer."""

    code = "too_large"


@dataclass(frozen=True)
class SchemaIssue:
    """One failed JSON Schema check: where, what, and which Annex I element it concerns."""

    path: str
    message: str
    element: str | None


class SchemaViolation(SchemaError):
    """The document does not meet the micro-credential profile; ``issues`` lists every failure."""

    code = "schema_violation"

    def __init__(self, issues: list[SchemaIssue]) -> None:
        elements = sorted({issue.element for issue in issues if issue.element})
        summary = ", ".join(elements) if elements else "see issues"
        super().__init__(f"{len(issues)} schema issue(s): {summary}")
        self.issues = list(issues)
