"""schemas.errors: flat exceptions with stable codes."""

from __future__ import annotations

import dataclasses

import pytest

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

CODES = {
    SchemaError: "schema_error",
    UnknownContext: "unknown_context",
    ContextNotPinned: "context_not_pinned",
    UndefinedTerm: "undefined_term",
    InvalidJsonLd: "invalid_jsonld",
    SchemaViolation: "schema_violation",
    CanonicalizationRefused: "canonicalization_refused",
}


@pytest.mark.parametrize(("kind", "code"), CODES.items(), ids=[k.__name__ for k in CODES])
def test_codes_are_stable(kind: type[SchemaError], code: str) -> None:
    assert kind.code == code
    assert issubclass(kind, SchemaError)


def test_codes_are_distinct() -> None:
    assert len(set(CODES.values())) == len(CODES)


def test_base_error_has_an_optional_path() -> None:
    error = SchemaError("pinned context changed")
    assert error.path is None
    assert error.message == "pinned context changed"
    assert ContextNotPinned("inline context", path="@context/1").path == "@context/1"


def test_unknown_context_names_the_url() -> None:
    error = UnknownContext("https://example.org/ctx", path="@context")
    assert error.url == "https://example.org/ctx"
    assert error.path == "@context"
    assert "https://example.org/ctx" in error.message


def test_undefined_term_names_the_path() -> None:
    error = UndefinedTerm("fooBar is not defined", path="credentialSubject/hasClaim/0/fooBar")
    assert error.path == "credentialSubject/hasClaim/0/fooBar"


def test_schema_violation_carries_every_issue() -> None:
    issues = [
        SchemaIssue(path="", message="missing", element="date of issuing"),
        SchemaIssue(path="credentialSubject", message="not an object", element=None),
    ]
    error = SchemaViolation(issues)
    assert error.issues == issues
    assert error.path is None
    assert "date of issuing" in error.message


def test_schema_issue_is_frozen() -> None:
    issue = SchemaIssue(path="validFrom", message="not a date", element="date of issuing")
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.path = "issued"  # type: ignore[misc]
