"""The contract of ``POST /api/recognise``: its request and answer as pydantic models, which the
verifier's SpecTree (:data:`verifier.api.spec`) puts into ``/openapi.json``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response as SpecResponse

MAX_CREDENTIALS = 20


class RecognitionErrorDetail(BaseModel):
    """What went wrong: a stable ``code``, a message for people, and details (the rule's
    ``path`` that is wrong, the index of the credential that cannot be used)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable: rule_invalid, rule_not_found, not_json, …")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class RecognitionError(BaseModel):
    """``{"error": {"code", "message", "details"}}``."""

    model_config = ConfigDict(extra="forbid")

    error: RecognitionErrorDetail


class RecogniseRequest(BaseModel):
    """The credentials (each a JSON-LD credential or a JAdES-sealed one) and the rule: written
    out (``rule``, as docs/recognition.md describes) or named (``ruleId``, a rule of the
    verifier's rules directory)."""

    model_config = ConfigDict(extra="forbid")

    credentials: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_CREDENTIALS)
    rule: dict[str, Any] | None = Field(default=None, description="A recognition rule.")
    ruleId: str | None = Field(
        default=None, description="The id or file name of a configured rule."
    )


class CriterionModel(BaseModel):
    """One criterion: what it asks, and how it ended."""

    model_config = ConfigDict(extra="allow")

    criterion: str
    scope: Literal["each", "together"]
    status: Literal["met", "partly_met", "not_met"]
    requirement: str
    outcome: dict[str, Any]
    findings: list[dict[str, Any]]


class EntryModel(BaseModel):
    """One credential the decision rests on: its verdict, whether it counts, and why not."""

    model_config = ConfigDict(extra="allow")

    name: str
    id: str | None
    verdict: Literal["verified", "unconfirmed", "not_verified"]
    counted: bool
    reasons: list[dict[str, Any]]
    credential: dict[str, Any]


class DecisionModel(BaseModel):
    """The decision, criterion by criterion, with the credentials it rests on."""

    model_config = ConfigDict(extra="allow")

    type: Literal["RecognitionDecision"]
    decision: Literal["recognised", "partly_recognised", "not_recognised"]
    message: str
    evaluatedAt: str
    rule: dict[str, Any]
    learner: dict[str, Any] | None
    criteria: list[CriterionModel]
    credentials: list[EntryModel]


RECOGNISE_RESPONSES = SpecResponse(
    HTTP_200=DecisionModel,
    HTTP_400=RecognitionError,
    HTTP_413=RecognitionError,
    HTTP_503=RecognitionError,
)
