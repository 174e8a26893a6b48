"""The issuer's one :class:`~spectree.SpecTree`, and :func:`operation`, the decorator every
documented route wears (the API's own, the VC API's, and the public routes of the share, status
and DID blueprints).

Routes declare ``skip_validation``: bodies are read by the bounded reader
(``issuer.edge.json_body``: size and depth limits) and validated by the views with the same
models (``issuer.api.common.validated``), never parsed by spectree. The document itself is put
together in ``issuer.api.openapi``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from spectree import Response as SpecResponse
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from issuer.api.schemas import ErrorResponse

API_VERSION = "1.0.0"
ROLE_RANK = ("viewer", "issuer", "admin")

spec = SpecTree(
    "flask",
    title="microcred issuer",
    version=API_VERSION,
    description=(
        "Issues micro-credentials carrying the EU standard elements as W3C Verifiable "
        "Credentials (JSON-LD, European Learning Model) secured with Data Integrity proofs, and "
        "publishes them through share links, Bitstring Status Lists and did:web DID documents. "
        "API routes need `Authorization: Bearer <token>`; every answer is scoped to the token's "
        'partnership. Errors are `{"error": {"code", "message", "details"}}` with stable codes.'
    ),
    mode="strict",
    page_templates={},
    annotations=False,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
    validation_error_status=400,
    validation_error_model=ErrorResponse,
    security_schemes=[
        SecurityScheme(
            name="bearerAuth",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                description="An API token of an organisation, with a role (viewer, issuer, "
                "admin) and a scope. Every token reads its whole partnership and issues as its "
                "own organisation. An `organisation` token (the default) changes only "
                "credentials its organisation issued or co-awards; a `partnership` token, "
                "granted deliberately, any of the partnership's.",
            ),
        )
    ],
    security={"bearerAuth": []},
)

#: operationId → the token role it needs (None: public); ``issuer.api.openapi`` words it.
ROLES: dict[str, str | None] = {}


def operation(
    operation_id: str,
    tag: str,
    responses: Mapping[int, Any],
    *,
    role: str | None = "viewer",
    json: Any = None,
    query: Any = None,
    form: Any = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the decorated view as ``operation_id`` under ``tag``: ``responses`` maps a
    status to a model (or ``(model or None, description)``); every operation may answer 400
    (the edge refuses NUL and lone surrogates), one with a token 401 (and 403 above the viewer
    role), one with a body 413. Nothing is validated here (``skip_validation``)."""
    codes: dict[str, Any] = {"HTTP_400": ErrorResponse}
    if role is not None:
        codes["HTTP_401"] = ErrorResponse
        if role != "viewer":
            codes["HTTP_403"] = ErrorResponse
    if json is not None or form is not None:
        codes["HTTP_413"] = ErrorResponse
    codes.update({f"HTTP_{status}": model for status, model in responses.items()})
    ROLES[operation_id] = role
    return spec.validate(
        json=json,
        query=query,
        form=form,
        resp=SpecResponse(**codes),
        tags=[tag],
        security={} if role is None else None,
        operation_id=operation_id,
        skip_validation=True,
    )
