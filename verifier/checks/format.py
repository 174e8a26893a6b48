"""``format``: pinned contexts only, every term defined, the shape of a Verifiable Credential."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.errors import SchemaError
from schemas.jsonld import expand_strict
from schemas.loader import StaticDocumentLoader
from verifier.credential import as_list, issuer_id
from verifier.report import CheckResult, Outcome

CHECK = "format"
VC_CONTEXTS = ("https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2")


def check_format(document: Any, *, loader: StaticDocumentLoader | None = None) -> CheckResult:
    """``ok`` when the document is JSON-LD over pinned contexts with no undefined term and has
    the members of a Verifiable Credential; ``error`` naming the first problem otherwise."""
    if not isinstance(document, Mapping):
        return CheckResult(
            CHECK, Outcome.ERROR, "not_an_object", "The document is not a JSON object."
        )
    try:
        expand_strict(dict(document), loader=loader)
    except SchemaError as error:
        return CheckResult(CHECK, Outcome.ERROR, error.code, str(error), _path(error))
    problem = _envelope_problem(document)
    if problem:
        return CheckResult(CHECK, Outcome.ERROR, "not_a_credential", problem)
    return CheckResult(
        CHECK,
        Outcome.OK,
        "well_formed",
        "JSON-LD with pinned contexts only; every term is defined.",
    )


def _path(error: SchemaError) -> dict[str, Any]:
    path = getattr(error, "path", None)
    return {"path": path} if path else {}


def _envelope_problem(document: Mapping[str, Any]) -> str | None:
    contexts = as_list(document.get("@context"))
    if not contexts or contexts[0] not in VC_CONTEXTS:
        return "The first @context is not a W3C Verifiable Credentials context."
    if "VerifiableCredential" not in as_list(document.get("type")):
        return "The document's type does not include VerifiableCredential."
    if issuer_id(document) is None:
        return "The credential names no issuer."
    if not document.get("credentialSubject"):
        return "The credential has no credentialSubject."
    return None
