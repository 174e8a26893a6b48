"""The micro-credential profile: the EU standard elements (Annex I) as a JSON Schema.

``json/microcredential.schema.json`` (Draft 2020-12) checks that a European Digital Credential
carries every mandatory element of Council Recommendation of 16 June 2022, Annex I, where the
European Learning Model puts it. The schema also holds the one table of the elements
(``x-annex1``: number, stable key, name, required or optional, where ELM puts it), read here as
:data:`ELEMENTS` by the schema's own annotations, the issuer and the verifier. Each subschema
that checks an element carries ``x-element`` (an element's key); an issue names the deepest one
on its schema path, so a caller can say which element is missing or malformed. The schema is
read and the validators compiled once per process; a compiled validator answers first and
``jsonschema`` names the issues only when there are some (:mod:`schemas.json_schema`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError

from schemas.errors import SchemaIssue, SchemaViolation
from schemas.json_schema import Schema, is_plain_json
from schemas.paths import format_path

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "json"
SCHEMA_PATH = SCHEMA_DIR / "microcredential.schema.json"
CREDENTIAL_SCHEMA_PATH = SCHEMA_DIR / "credential.schema.json"


@dataclass(frozen=True)
class Element:
    """One standard element of a micro-credential (Annex I), as the schema's table states it.

    ``number`` is ``"1"``..``"11"`` for the mandatory elements and ``"o1"``..``"o5"`` for the
    optional ones; ``key`` is stable (it names the element in ``SchemaIssue.element``, reports
    and translations); ``label`` is Annex I's name for it, in English. ``where`` lists the places
    ELM puts it, as dotted paths from a root (``credential``, ``subject``, ``claim``,
    ``specification`` or ``assessment``); ``shapes`` maps a place to the ``$defs`` entry a value
    found there must match (optional elements only: the schema checks the mandatory ones).
    """

    number: str
    key: str
    label: str
    required: bool
    where: tuple[str, ...]
    shapes: Mapping[str, str]


@cache
def microcredential_schema() -> Mapping[str, Any]:
    """Return the parsed profile schema (read once per process; do not change it)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _elements() -> tuple[Element, ...]:
    return tuple(
        Element(
            number=row["number"],
            key=row["key"],
            label=row["element"],
            required=row["required"],
            where=tuple(row["where"]),
            shapes=dict(row.get("shapes", {})),
        )
        for row in microcredential_schema()["x-annex1"]
    )


#: The 16 standard elements (11 mandatory, then 5 optional), in Annex I order.
ELEMENTS: tuple[Element, ...] = _elements()

#: The elements the schema itself says are stated but does not require: their absence is
#: reported by :func:`unstated_elements`, not refused (the EU's own Annex I sample states no
#: quality assurance). Keys, in table order.
STATED_ELEMENTS: tuple[str, ...] = tuple(
    e.key for e in ELEMENTS if e.key in microcredential_schema()["x-stated"]
)

#: The mandatory elements the schema requires (keys, as ``SchemaIssue.element`` names them), in
#: Annex I order: every mandatory element but those of :data:`STATED_ELEMENTS`. A credential
#: missing one of these does not meet the profile, and the issuer refuses to issue it.
ANNEX_I_ELEMENTS: tuple[str, ...] = tuple(
    e.key for e in ELEMENTS if e.required and e.key not in STATED_ELEMENTS
)

#: The optional elements (keys), in Annex I order.
OPTIONAL_ELEMENTS: tuple[str, ...] = tuple(e.key for e in ELEMENTS if not e.required)


def element(key: str) -> Element:
    """The element whose key is ``key``; ``KeyError`` if there is none."""
    for candidate in ELEMENTS:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


_MAX_MESSAGE = 200


@cache
def _validator() -> Schema:
    return Schema(microcredential_schema())


def schema_issues(document: Any, *, plain: bool | None = None) -> list[SchemaIssue]:
    """Return every way ``document`` falls short of the profile; an empty list if it meets it.

    Each issue has the document path (see :mod:`schemas.paths`), a message for people, and the
    key of the Annex I element concerned (one of :data:`ANNEX_I_ELEMENTS`, or of
    :data:`STATED_ELEMENTS` when one is stated wrongly; ``None`` for a problem of shape that
    belongs to no single element). A missing container (say ``hasClaim``) gives one issue per
    element that lives in it. Never raises for any JSON value. ``plain``: True when the caller
    knows ``document`` is plain JSON (:meth:`schemas.json_schema.Schema.surely_valid`).
    """
    return [_issue(error) for error in _validator().iter_errors(document, plain=plain)]


@cache
def credential_schema() -> Mapping[str, Any]:
    """Return the parsed Verifiable Credential schema (read once per process)."""
    schema: dict[str, Any] = json.loads(CREDENTIAL_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _credential_validator() -> Schema:
    return Schema(credential_schema())


def credential_issues(document: Any, *, plain: bool | None = None) -> list[SchemaIssue]:
    """Every way ``document`` falls short of a W3C Verifiable Credential's shape (the first
    context, ``VerifiableCredential`` among the types, an issuer, a subject, well-formed dates);
    an empty list if it has it. Never raises for any JSON value (``plain`` as
    :func:`schema_issues`)."""
    schema = credential_schema()
    validator = _credential_validator()
    return [_issue(error, schema) for error in validator.iter_errors(document, plain=plain)]


def unstated_elements(document: Any) -> list[str]:
    """The elements of :data:`STATED_ELEMENTS` that ``document`` does not state, in order.

    When such an element is present, its shape is still checked by :func:`schema_issues`.
    """
    plain = is_plain_json(document)  # once for every element's validator
    return [
        key
        for key in STATED_ELEMENTS
        if not _stated_validator(key).is_valid(document, plain=plain)
    ]


@cache
def _stated_validator(key: str) -> Schema:
    schema = microcredential_schema()
    return Schema({**schema["x-stated"][key], "$defs": schema["$defs"]})


def definition_issues(
    name: str,
    value: Any,
    *,
    path: str = "",
    element: str | None = None,
    plain: bool | None = None,
) -> list[SchemaIssue]:
    """Every way ``value`` falls short of the schema's ``$defs/<name>`` (say ``note``), each
    issue's path starting at ``path`` and naming ``element``; an empty list if it matches.

    Used for the places of the optional elements (:attr:`Element.shapes`), which the profile
    itself does not check. ``KeyError`` for a name the schema does not define. ``plain`` as
    :func:`schema_issues`.
    """
    validator = _definition_validator(name)
    issues = []
    for error in validator.iter_errors(value, plain=plain):
        _, description = _annotations(error.absolute_schema_path, validator.reference.schema)
        inner = format_path(error.absolute_path)
        issues.append(
            SchemaIssue(
                path="/".join(part for part in (path, inner) if part),
                message=_message(error, description),
                element=element,
            )
        )
    return issues


@cache
def _definition_validator(name: str) -> Schema:
    defs = microcredential_schema()["$defs"]
    return Schema({**defs[name], "$defs": defs})


def validate_microcredential(document: Any, *, plain: bool | None = None) -> None:
    """Return if ``document`` meets the profile; else raise :class:`SchemaViolation`.

    The exception's ``issues`` are those :func:`schema_issues` returns (``plain`` as there).
    """
    issues = schema_issues(document, plain=plain)
    if issues:
        raise SchemaViolation(issues)


def _issue(error: ValidationError, root: Mapping[str, Any] | None = None) -> SchemaIssue:
    element, description = _annotations(error.absolute_schema_path, root)
    return SchemaIssue(
        path=format_path(error.absolute_path),
        message=_message(error, description),
        element=element,
    )


def _annotations(
    schema_path: Any, root: Mapping[str, Any] | None = None
) -> tuple[str | None, str | None]:
    """The deepest ``x-element`` and ``description`` met along an error's schema path.

    jsonschema's path steps over ``$ref`` without naming it, so a step that the current node
    lacks is taken in the schema the node refers to. The schema uses local refs only.
    """
    root = root if root is not None else microcredential_schema()
    node: Any = root
    element: str | None = None
    description: str | None = None
    for step in schema_path:
        while isinstance(node, Mapping) and "$ref" in node and step not in node:
            node = _resolve(root, node["$ref"])
            element = node.get("x-element", element)
            description = node.get("description", description)
        node = node[step]
        if isinstance(node, Mapping):
            element = node.get("x-element", element)
            description = node.get("description", description)
    return element, description


def _resolve(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"the profile schema uses local refs only, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _message(error: ValidationError, description: str | None) -> str:
    # jsonschema's messages quote the failing instance, which may be the whole credential.
    if error.validator == "required":
        return str(error.message)
    if error.validator == "type":
        expected = error.validator_value
        kinds = expected if isinstance(expected, list) else [expected]
        return f"must be of type {' or '.join(kinds)}"
    if error.validator in ("minItems", "minProperties"):
        return "must not be empty"
    if description:
        return description
    message = str(error.message)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"
