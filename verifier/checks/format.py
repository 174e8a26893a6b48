"""``format``: pinned contexts (and inline contexts adding new terms only), every term defined,
the shape of a Verifiable Credential (``schemas/json/credential.schema.json``, JSON Schema
2020-12) and the W3C VC data-model rules of its version (``schemas.vc_rules``: the error's code
is the rule's, ``details.path`` names the place).

**What the contexts cannot express depends on what was signed.** A Data Integrity proof signs
the credential's RDF (its canonical N-Quads): a property, type or value that JSON-LD expansion
drops is outside the signature, so anyone could have added it — an ``error``
(``undefined_term``). A JAdES seal signs the payload's bytes: everything in it is sealed, and a
value the contexts cannot express (the EU's own context types ``dateModified`` as an IRI, so
its date-time values are dropped) is no forgery there. Under JAdES such places are a
``warning`` (:data:`DROPPED_BY_CONTEXT`) that names each place and why, as long as nothing else
is wrong; the caller says which securing mechanism holds the document
(:data:`DATA_INTEGRITY` or :data:`JADES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from schemas.elm.profile import credential_issues
from schemas.errors import SchemaError, UndefinedTerm
from schemas.jsonld import PreparedDocument, check_strict, dropped_terms
from schemas.loader import StaticDocumentLoader
from schemas.vc_rules import Problem, check_credential, vc_version
from verifier.report import CheckResult, Outcome

CHECK = "format"
#: The securing mechanisms, as the caller names them.
DATA_INTEGRITY: Final = "data_integrity"
JADES: Final = "jades"
Securing = Literal["data_integrity", "jades"]
#: Under JAdES: places the contexts cannot express (a warning, see the module).
DROPPED_BY_CONTEXT = "dropped_by_context"


def check_format(
    document: Any,
    *,
    loader: StaticDocumentLoader | None = None,
    securing: Securing = DATA_INTEGRITY,
    prepared: PreparedDocument | None = None,
) -> CheckResult:
    """``ok`` when the document is JSON-LD over pinned contexts with no undefined term and has
    the members of a Verifiable Credential; ``error`` naming the first problem otherwise —
    except that, when ``securing`` is :data:`JADES` (the payload of a JAdES seal), places the
    contexts cannot express make a ``warning`` (:data:`DROPPED_BY_CONTEXT`) naming each one,
    when nothing else is wrong. ``prepared`` (a :class:`~schemas.jsonld.PreparedDocument` of
    this very ``document``) keeps what the strict check learns for the checks after it."""
    if not isinstance(document, Mapping):
        return CheckResult(
            CHECK, Outcome.ERROR, "not_an_object", "The document is not a JSON object."
        )
    dropped: list[UndefinedTerm] = []
    try:
        if prepared is not None and prepared.document is document:
            prepared.check_strict()
        else:
            check_strict(dict(document), loader=loader)
    except SchemaError as error:
        if securing == JADES and isinstance(error, UndefinedTerm):
            try:
                dropped = dropped_terms(dict(document), loader=loader)
            except SchemaError as other:
                error = other
        if not dropped:
            problems = check_credential(document) if vc_version(document) else []
            if error.path is None and problems:  # JSON-LD could not say where: the rule does
                return _rules_error(problems)
            return CheckResult(CHECK, Outcome.ERROR, error.code, str(error), _path(error))
    known = prepared is not None and prepared.document is document
    issues = credential_issues(document, plain=prepared.plain_json() if known else None)
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
    if dropped:
        return _dropped_warning(dropped)
    return CheckResult(
        CHECK,
        Outcome.OK,
        "well_formed",
        "JSON-LD with pinned contexts only; every term is defined.",
    )


def _dropped_warning(dropped: list[UndefinedTerm]) -> CheckResult:
    """The JAdES warning for places the contexts cannot express (see the module)."""
    places = "; ".join(f"{d.path or '(document)'}: {d.message}" for d in dropped[:5])
    more = f" (and {len(dropped) - 5} more)" if len(dropped) > 5 else ""
    count = len(dropped)
    return CheckResult(
        CHECK,
        Outcome.WARNING,
        DROPPED_BY_CONTEXT,
        f"{count} value{'s' if count > 1 else ''} cannot be expressed with the credential's "
        f"JSON-LD contexts and {'are' if count > 1 else 'is'} left out of its linked-data "
        f"form: {places}{more}. The seal (JAdES) signs the payload as written, so "
        f"{'they are' if count > 1 else 'it is'} sealed all the same; software that reads the "
        "credential as linked data will not see "
        f"{'them' if count > 1 else 'it'}.",
        {
            "path": dropped[0].path,
            "dropped": [{"path": d.path, "message": d.message} for d in dropped],
        },
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
