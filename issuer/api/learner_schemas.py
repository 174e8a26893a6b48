"""The pydantic models of the learner record's JSON API (``issuer.sharing.record_api``) and of
the staff routes for learners (``issuer.api.learners``): what ``/openapi.json`` documents and
the tests check real answers against."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from issuer.api.schemas import QrCodes

Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]
MAX_SET_CREDENTIALS = 10  # issuer.sharing.set_links.MAX_SET_CREDENTIALS (tested equal)


class SigninLinkRequest(BaseModel):
    """The learner, by the partnership's reference for them or by e-mail address (one of the
    two)."""

    model_config = ConfigDict(extra="forbid")

    reference: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: Annotated[str, Field(min_length=1, max_length=320)] | None = None


class SigninLink(BaseModel):
    """A sign-in link to the learner's record, shown once, and where to send it."""

    signinUrl: Url
    expiresAt: datetime
    email: str | None
    learner: str  # the partnership's reference


class RecordCredential(BaseModel):
    """One credential of the learner's record, with its own downloads."""

    id: str
    title: str | None
    awardingBodies: list[str]
    issued: str | None
    state: str
    ob3Url: Url


class SetLink(BaseModel):
    """A learner's link to a set of their credentials (a presentation), its QR codes, the
    verifier URL they encode, and how often and when it was opened (times only). Link expiry
    is not credential expiry."""

    token: str
    url: Url
    qr: QrCodes
    verifyUrl: Url
    label: str | None
    credentials: list[str]
    createdAt: datetime
    expiresAt: datetime | None
    withdrawnAt: datetime | None
    live: bool
    openCount: int
    opens: list[datetime]


class SetLinkRequest(BaseModel):
    """The credentials (ids or UUIDs, in the order to show them), an optional name for the
    learner, an optional expiry (ISO date-time, or null for none)."""

    credentials: Annotated[list[str], Field(min_length=1, max_length=MAX_SET_CREDENTIALS)]
    label: Annotated[str, Field(max_length=200)] | None = None
    expiresAt: datetime | None = None


class LearnerRecord(BaseModel):
    """Everything the learner has from this issuer, and their set links."""

    learner: str  # the learner's name
    credentials: list[RecordCredential]
    setLinks: list[SetLink]


class LinkedInLink(BaseModel):
    """LinkedIn's "add certification" URL, and the lasting share link it points at."""

    linkedinUrl: Url
    shareUrl: Url
