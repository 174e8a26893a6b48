"""Request and answer models of correction by re-issue (``issuer.api.corrections``); kept
beside ``issuer.api.schemas`` (whose models they use) to keep that module within size."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from issuer.api.schemas import TEXT_LINE, Credential, SignedCredential
from issuer.credentials import issuance


class LearnerCorrection(BaseModel):
    """The learner's details to correct; those not named stay as they are."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    givenName: Annotated[str, Field(max_length=issuance.MAX_NAME, pattern=TEXT_LINE)] | None = None
    familyName: Annotated[str, Field(max_length=issuance.MAX_NAME, pattern=TEXT_LINE)] | None = None
    email: (
        Annotated[str, Field(max_length=issuance.MAX_EMAIL, pattern=issuance.EMAIL.pattern)] | None
    ) = None
    dateOfBirth: Annotated[str, Field(json_schema_extra={"format": "date"})] | None = None
    emailInCredential: bool | None = None


class ReissueRequest(BaseModel):
    """Re-issue with correction: the corrected learner details."""

    model_config = ConfigDict(extra="forbid")

    learner: LearnerCorrection


class ReissueResponse(BaseModel):
    """The corrected credential (the learner's management and live share links now lead to it),
    the one it replaces (revoked, reason ``superseded``) and what changed."""

    credential: Credential
    document: SignedCredential
    replaces: str
    changes: dict[str, list[Any]]
    shareUrl: Annotated[str, Field(json_schema_extra={"format": "uri"})]
