"""``format``: pinned contexts (and inline contexts adding new terms only), every term defined,
the shape of a Verifiable Credential (``schemas/json/credential.schema.json``, JSON Schema
2020-12) and the W3C VC data-model rules of its version (``schemas.vc_rules``: the error's code
is the rule's, ``details.path`` names the place)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.elm.profile import credential_issues
from schemas.errors import SchemaError
from schemas.jsonld import check_strict
from schemas.loader import StaticDocumentLoader
from schemas.vc_rules import Problem, check_credential, vc_version
from verifier.report import CheckResult, Outcome

CHECK = "format"


def check_format(document: Any, *, loader: StaticDocumentLoader | None = None) -> CheckResult:
    """``ok`` when the document is JSON-LD over pinned contexts with no undefined term and has
    the members of a Verifiable Credential; ``error`` naming the first problem otherwise."""
    if not isinstance(document, Mapping):
        return CheckResult(
            CHECK, Outcome.ERROR, "not_an_object", "The document is not a JSON object."
        )
    try:
        check_strict(dict(document), loader=loader)
    except SchemaError as error:
        problems = check_credential(document) if vc_version(document) else []
        if error.path is None and problems:  # JSON-LD could not say where: the rule does
            return _rules_error(problems)
        return CheckResult(CHECK, Outcome.ERROR, error.code, str(error), _path(error))
    issues = credential_issues(document)
    if issues:
        return CheckResult(
            CHECK,
            Outcome.ERROR,
            "not_a_credential",
            "Not a verifiable credential: "
            + "; ".join(f"{i.path or '(document)'}: {i.message}" for i in issues[:5]),
            {"issues": [{"path": i.path, "message": i.message} for i in issues]},
        )
    problems = check_credential(document) if vc_version(document) else []
    if problems:
        return _rules_error(problems)
    return CheckResult(
        CHECK,
        Outcome.OK,
        "well_formed",
        "JSON-LD with pinned contexts only; every term is defined.",
    )


def _path(error: SchemaError) -> dict[str, Any]:
    path = getattr(error, "path", None)
    return {"path": path} if path else {}


def _rules_error(problems: list[Problem]) -> CheckResult:
    first = problems[0]
    return CheckResult(
        CHECK,
        Outcome.ERROR,
        first.code,
        f"Not a conforming verifiable credential: {first.path or '(document)'}: {first.message}",
        {
            "path": first.path,
            "problems": [{"path": p.path, "code": p.code, "message": p.message} for p in problems],
        },
    )
