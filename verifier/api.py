"""The verifier's JSON API described by pydantic models, and the OpenAPI 3.1 document made
from them by spectree (``GET /openapi.json``; see ``docs/decisions.md`` for the choice).

The models are the contract of the JSON routes (``POST /api/verify``,
``POST /credentials/verify``, ``POST /presentations/verify``, ``GET /verify?url=`` with
``Accept: application/json``, ``GET /healthz``): the report (:class:`ReportModel`), the W3C VC
API answers (:class:`VcApiResult`, :class:`VpApiResult`), and the one error shape
``{"error": {"code", "message"}}`` (:class:`ErrorResponse`). The same models validate: tests
check real answers against the document, and the VC API routes validate their bodies with
:class:`VcApiRequest` / :class:`VpApiRequest` after the bounded reader (``verifier.limits``) has
parsed them. Request bodies are read by that reader, never by spectree (whose reader has no size
or depth bound), so the routes declare
``skip_validation``: the models then document and the views validate.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Flask, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field, RootModel
from pydantic.json_schema import SkipJsonSchema
from spectree import Response as SpecResponse
from spectree import SpecTree

CheckName = Literal[
    "format", "seal", "revocation", "expiry", "accreditation", "owner", "recognition"
]
OutcomeName = Literal["ok", "error", "warning", "unchecked"]
VerdictName = Literal["verified", "unconfirmed", "not_verified"]
API_VERSION = "1.0.0"


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


#: A member that may be absent, and is never null when present.
_ABSENT = Field(default=None, json_schema_extra=_no_default)


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Closed):
    """What went wrong: a stable ``code`` and a message for people."""

    code: str = Field(description="Stable, snake_case: too_large, not_json, fetch_failed, …")
    message: str


class ErrorResponse(_Closed):
    """Every refusal of input, configuration or network: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


class CheckResultModel(_Closed):
    """One line of the checklist."""

    check: CheckName
    outcome: OutcomeName
    code: str = Field(description="Stable: seal_valid, invalid_signature, revoked, …")
    message: str
    details: Annotated[dict[str, Any] | SkipJsonSchema[None], _ABSENT] = None


class OpenPoint(_Closed):
    """Something that decides trust and could not be confirmed."""

    check: CheckName
    code: str
    message: str


class StackedPart(BaseModel):
    """A part a stacked award claims (``hasPart``), as the award states it: the verifier has
    not seen the part's own credential."""

    id: str | None = Field(description="The part's achievement id.")
    credential: str | None = Field(description="The part's credential id.")
    title: str | None
    ects: str | None


class Summary(BaseModel):
    """What the credential states (``confirmed`` only when the verdict is ``verified``)."""

    model_config = ConfigDict(extra="allow")

    confirmed: bool
    title: str | None = None
    learner: str | None = None
    issuer: str | None = None
    awardingBodies: list[str | None] = Field(default_factory=list)
    learningOutcomes: list[str] = Field(default_factory=list)
    parts: Annotated[list[StackedPart] | SkipJsonSchema[None], _ABSENT] = None


class Recognition(BaseModel):
    """The Annex I elements of a micro-credential, beside the verdict (never inside it)."""

    model_config = ConfigDict(extra="allow")

    outcome: OutcomeName
    code: str
    message: str


# Members that may be absent (and are never null when present).
OpenPoints = Annotated[list[OpenPoint] | SkipJsonSchema[None], _ABSENT]
MaybeSummary = Annotated[Summary | SkipJsonSchema[None], _ABSENT]
MaybeRecognition = Annotated[Recognition | SkipJsonSchema[None], _ABSENT]


class ReportModel(_Closed):
    """The verifier's report: the verdict, then one result per check."""

    verdict: VerdictName
    verified: bool = Field(description="True only for the verdict verified.")
    checks: list[CheckResultModel] = Field(min_length=1)
    unconfirmed: OpenPoints = None
    summary: MaybeSummary = None
    recognition: MaybeRecognition = None


class VcApiResult(_Closed):
    """The W3C VC API answer: the checks that passed, warnings, errors, and the full report
    with its three-way verdict."""

    verdict: VerdictName
    verified: bool = Field(
        description="The VC API's meaning: no requested generic check (proof, status, "
        "validity) failed. The verdict says whether trust was confirmed too."
    )
    checks: list[CheckName] = Field(description="The checks that ended ok.")
    warnings: list[CheckResultModel]
    errors: list[CheckResultModel]
    report: list[CheckResultModel]
    unconfirmed: OpenPoints = None
    summary: MaybeSummary = None
    recognition: MaybeRecognition = None


class VcApiBadRequest(RootModel[ErrorResponse | VcApiResult]):
    """400: input that cannot be used, or a credential whose proof, status or validity
    failed."""


class ProblemModel(BaseModel):
    """One reason a presentation did not verify: its own proof (``check: "presentation"``) or a
    check of the credential at index ``credential``."""

    model_config = ConfigDict(extra="forbid")

    check: str
    code: str
    message: str
    credential: Annotated[int | SkipJsonSchema[None], _ABSENT] = None
    outcome: Annotated[OutcomeName | SkipJsonSchema[None], _ABSENT] = None
    details: Annotated[dict[str, Any] | SkipJsonSchema[None], _ABSENT] = None


class PresentationProofModel(_Closed):
    """The presentation's own proof: verified or not, why, and the holder it proved."""

    verified: bool
    code: str = Field(description="Stable: presentation_valid, challenge_mismatch, no_proof, …")
    message: str
    holder: Annotated[str | SkipJsonSchema[None], _ABSENT] = None
    details: Annotated[dict[str, Any] | SkipJsonSchema[None], _ABSENT] = None


class VpApiResult(_Closed):
    """The W3C VC API answer for a presentation: verified when its proof and every credential
    verified; ``credentialResults`` holds each credential's answer as ``/credentials/verify``
    gives it."""

    verified: bool
    checks: list[str] = Field(description="What passed for the presentation: proof, challenge, …")
    warnings: list[ProblemModel]
    errors: list[ProblemModel]
    presentationResult: PresentationProofModel
    credentialResults: list[VcApiResult]


class VpApiBadRequest(RootModel[ErrorResponse | VpApiResult]):
    """400: input that cannot be used, or a presentation that did not verify."""


class Credential(RootModel[dict[str, Any]]):
    """A verifiable credential (JSON-LD) or a JAdES-sealed one (JWS JSON serialization), at
    most 2 MB, 20,000 JSON values, nesting 256 deep."""


class VcApiRequest(BaseModel):
    """``{"verifiableCredential": {...}, "options": {...}}`` (W3C VC API)."""

    verifiableCredential: dict[str, Any]
    options: dict[str, Any] | None = Field(
        default=None,
        description='Only "checks": a list of "proof", "credentialStatus" (or "status"), '
        '"expiration" (or "validity"); all three when absent. Other options: 400.',
    )


class PresentationOptions(BaseModel):
    """What the verifier asked the holder for; ``checks`` is accepted and not used."""

    challenge: str | None = None
    domain: str | None = None
    checks: list[str] | None = None


class VpApiRequest(BaseModel):
    """``{"verifiablePresentation": {...}, "options": {"challenge", "domain"}}`` (W3C VC API)."""

    verifiablePresentation: dict[str, Any]
    options: PresentationOptions | None = None


class UrlQuery(BaseModel):
    """``?url=``: the credential's link, as the issuer's QR codes carry it."""

    url: str = Field(min_length=1, max_length=2048, description="https link to a credential")


class AcceptJson(BaseModel):
    """``Accept: application/json`` asks for the JSON report instead of the page."""

    model_config = ConfigDict(populate_by_name=True)

    accept: Literal["application/json"] = Field(alias="Accept")


class Health(_Closed):
    """The app answers."""

    status: Literal["ok"]


def _errors(*statuses: int) -> dict[str, Any]:
    return {f"HTTP_{status}": ErrorResponse for status in statuses}


REPORT_RESPONSES = SpecResponse(HTTP_200=ReportModel, **_errors(400, 413, 503))
LINK_RESPONSES = SpecResponse(
    HTTP_200=ReportModel, **_errors(400, 404, 410, 413, 415, 422, 502, 503, 504)
)
VC_API_RESPONSES = SpecResponse(HTTP_200=VcApiResult, HTTP_400=VcApiBadRequest, **_errors(413, 503))
VP_API_RESPONSES = SpecResponse(HTTP_200=VpApiResult, HTTP_400=VpApiBadRequest, **_errors(413, 503))
HEALTH_RESPONSES = SpecResponse(HTTP_200=Health)

spec = SpecTree(
    "flask",
    title="microcred verifier",
    version=API_VERSION,
    description=(
        "Checks EU micro-credentials (W3C VCs with Data Integrity proofs, or JAdES-sealed) and "
        "answers with a report whose verdict is verified, unconfirmed or not_verified. Every "
        'refusal is {"error": {"code", "message"}}.'
    ),
    mode="strict",
    page_templates={},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
    annotations=False,
    validation_error_status=400,
    validation_error_model=ErrorResponse,
)


def openapi_json() -> Response:
    """``GET /openapi.json``: the OpenAPI 3.1 document of the JSON routes."""
    return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the current app's JSON routes (spectree makes it once: the routes
    are the same in every verifier app)."""
    document: dict[str, Any] = spec.spec
    return document


def init_app(app: Flask) -> None:
    """Serve ``/openapi.json``."""
    app.add_url_rule("/openapi.json", "openapi_json", openapi_json, methods=["GET"])
