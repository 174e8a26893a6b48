"""The pydantic models of the stacking routes (``issuer.api.stacking``): what a learner holds
towards a stackable award, and the claim's request and answer. Kept apart from
``issuer.api.schemas`` (which they build on) to keep each module small."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from issuer.api.schemas import (
    TEXT_LINE,
    CredentialLearner,
    CredentialState,
    IssueResponse,
    StackingRuleOut,
    _Rules,
)
from issuer.credentials import issuance

MAX_PARTS = 50


class EligibilityQuery(BaseModel):
    """Whose credentials to look at."""

    learner: Annotated[
        str,
        Field(max_length=issuance.MAX_REFERENCE, description="The learner's reference."),
    ]


class StackCandidate(BaseModel):
    """A credential of the learner of one of the rule's specifications."""

    id: str
    specification: str
    state: CredentialState
    issuedAt: str
    ects: Annotated[str, Field(description="As its signed credential states them")]
    counts: bool = Field(description="Live: active and within its validity dates.")
    problem: Literal["revoked", "suspended", "expired", "not_yet_valid"] | SkipJsonSchema[None] = (
        Field(default=None, description="Why it does not count (absent when it counts).")
    )


class Eligibility(BaseModel):
    """What the learner holds towards the award: every candidate, the parts a claim would
    stack by default (the newest live credential of each specification), their ECTS, whether
    they meet the rule, and the learner's live credential of the award if they hold one."""

    specification: str
    stacking: StackingRuleOut
    learner: CredentialLearner
    credentials: list[StackCandidate]
    parts: list[str]
    ects: str
    satisfied: bool
    claimed: str | None


class ClaimRequest(_Rules):
    """Claim the award for a learner. Members not named here are ignored."""

    learner: Annotated[
        str,
        Field(
            max_length=issuance.MAX_REFERENCE,
            pattern=TEXT_LINE,
            description="The learner's reference in the partnership.",
        ),
    ]
    parts: (
        Annotated[
            list[Annotated[str, Field(max_length=100)]],
            Field(
                min_length=1,
                max_length=MAX_PARTS,
                description="Credential ids (urn:uuid: or bare) to stack; default: the newest "
                "live credential of each of the rule's specifications.",
            ),
        ]
        | None
    ) = None
    awardingBodies: (
        Annotated[
            list[str],
            Field(
                min_length=1,
                json_schema_extra={"uniqueItems": True},
                description="Organisation slugs of a joint award, the caller's among them.",
            ),
        ]
        | None
    ) = None


#: The problem reported for a malformed member of :class:`ClaimRequest`.
CLAIM_PROBLEMS = {
    "learner": "required: the learner's reference",
    "parts": "must be a non-empty list of credential ids",
    "awardingBodies": "must be a non-empty list of organisation slugs",
}


class ClaimResponse(IssueResponse):
    """The stacked credential issued, as ``POST /credentials`` answers, and its parts."""

    parts: list[str]


def candidate_json(candidate: Any) -> dict[str, Any]:
    """A :class:`issuer.stacking.services.Candidate` as :class:`StackCandidate`."""
    credential = candidate.credential
    data: dict[str, Any] = {
        "id": credential.credential_uri,
        "specification": credential.specification.slug,
        "state": credential.state.value,
        "issuedAt": issuance.iso_time(credential.issued_at),
        "ects": format(candidate.ects.normalize(), "f"),
        "counts": candidate.live,
    }
    if candidate.problem:
        data["problem"] = candidate.problem
    return data
