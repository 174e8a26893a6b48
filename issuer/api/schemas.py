"""The pydantic models of the issuer's JSON API: request bodies and queries (which the views
validate with them) and answers (which ``/openapi.json`` documents and the tests check real
answers against). The specification's rules are ``issuer.specifications.rules``' model.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, RootModel
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from issuer.credentials import issuance
from issuer.dates import DateRule, MomentError, parse_moment
from issuer.models import utcnow
from issuer.specifications.rules import (
    COUNTRY,
    NOT_BLANK,
    EscoSkill,
    QualityAssuranceInput,
    SpecificationInput,
)

__all__ = ["SpecificationInput"]

MAX_REASON = 2000
#: A page cursor as the API hands it out (``nextCursor``): the last id seen, in decimal.
CURSOR = r"^[1-9][0-9]{0,18}$"
#: One line of text, not blank: no control characters (the learner's names).
TEXT_LINE = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
MOMENT_RANGE = "Between 1900-01-01 and 9999-01-01 (UTC); in the future."


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


#: A member that may be absent, and is never null when present.
_ABSENT = Field(default=None, json_schema_extra=_no_default)


class _Rules(BaseModel):
    model_config = ConfigDict(regex_engine="python-re")


# --- errors -----------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """What went wrong: a stable ``code``, a message for people, and where (``details``)."""

    code: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    message: str
    details: Annotated[
        Any, Field(description='For invalid input `{"fields": {field: problem}}`')
    ] = None


class ErrorResponse(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "details"}}``; ``code`` is stable."""

    error: ErrorDetail


# --- specifications and organisations ---------------------------------------------------------

LanguageMap = Annotated[dict[str, str], Field(min_length=1)]


class OutcomeOut(BaseModel):
    """A learning outcome as stored."""

    title: LanguageMap
    escoSkills: list[EscoSkill] = Field(default_factory=list)


class StackingRuleOut(BaseModel):
    """A stackable award's rule: which specifications' credentials stack into it, how many
    distinct ones, and the ECTS they add up to at least."""

    parts: list[str]
    minParts: Annotated[int, Field(ge=1)]
    minEcts: Annotated[str, Field(description="Decimal text, e.g. 15")]


class Specification(BaseModel):
    """A stored specification: its input, normalised, with its ``uri`` (and, for a stackable
    award, its ``stacking`` rule)."""

    slug: str
    uri: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    title: LanguageMap
    description: Annotated[LanguageMap | SkipJsonSchema[None], _ABSENT] = None
    learningOutcomes: list[OutcomeOut]
    ects: Annotated[str, Field(description="Decimal text, e.g. 7.5")]
    volumeOfLearning: str
    eqfLevel: Annotated[int, Field(ge=1, le=8)]
    iscedField: str
    iscedLabel: str
    assessmentType: LanguageMap
    participationMode: str
    learningSetting: str
    qualityAssurance: QualityAssuranceInput
    prerequisites: Annotated[LanguageMap | SkipJsonSchema[None], _ABSENT] = None
    language: Annotated[str, Field(pattern=COUNTRY)]
    stacking: Annotated[StackingRuleOut | SkipJsonSchema[None], _ABSENT] = None


class SpecificationList(BaseModel):
    """The partnership's specifications, by slug."""

    specifications: list[Specification]


class Organisation(BaseModel):
    """A member organisation of the partnership."""

    slug: str
    legalName: str
    country: Annotated[str, Field(pattern=COUNTRY)]
    countryLabel: str
    did: Annotated[str, Field(pattern="^did:(web|key):")]
    didMethod: Literal["web", "key"]
    identifier: Annotated[str | SkipJsonSchema[None], _ABSENT] = None
    homepage: Annotated[str | SkipJsonSchema[None], _ABSENT] = None


class OrganisationList(BaseModel):
    """The members of the caller's partnership."""

    organisations: list[Organisation]


# --- credentials ------------------------------------------------------------------------------

CredentialState = Literal["active", "suspended", "revoked"]


class LearnerInput(BaseModel):
    """The learner (``issuer.credentials.issuance.LearnerInput.from_json`` checks it, for the
    API and for bulk CSV rows alike; problems are reported as ``learner.<member>``)."""

    reference: Annotated[str, Field(max_length=issuance.MAX_REFERENCE, pattern=TEXT_LINE)]
    givenName: Annotated[str, Field(max_length=issuance.MAX_NAME, pattern=TEXT_LINE)]
    familyName: Annotated[str, Field(max_length=issuance.MAX_NAME, pattern=TEXT_LINE)]
    email: (
        Annotated[str, Field(max_length=issuance.MAX_EMAIL, pattern=issuance.EMAIL.pattern)] | None
    ) = None
    dateOfBirth: Annotated[str, Field(json_schema_extra={"format": "date"})] | None = None
    emailInCredential: Annotated[
        bool,
        Field(
            description="State the e-mail address in the signed credential (every verifier "
            "then sees it). Without it the address is kept for delivery only."
        ),
    ] = False


def _unique(slugs: list[str]) -> list[str]:
    if len(set(slugs)) != len(slugs):
        raise ValueError("names an organisation more than once")
    return slugs


def _valid_until(value: Any) -> datetime:
    """An ISO 8601 date-time with a time zone, or a date (the end of that day, UTC), in the
    future and within ``issuer.dates``' range."""
    try:
        return parse_moment(value, dates=DateRule.END_OF_DAY, after=utcnow())
    except MomentError as error:
        raise ValueError(error.message) from None


class IssueRequest(_Rules):
    """What to issue, to whom. Members not named here are ignored."""

    specification: Annotated[str, Field(min_length=1, description="A specification's slug.")]
    learner: Annotated[dict[str, Any], WithJsonSchema(LearnerInput.model_json_schema())]
    awardingBodies: (
        Annotated[
            list[str],
            Field(
                min_length=1,
                json_schema_extra={"uniqueItems": True},
                description="Organisation slugs of a joint award, the caller's organisation "
                "among them (the issuer); every awarding body signs. Default: the caller's alone.",
            ),
            AfterValidator(_unique),
        ]
        | None
    ) = None
    grade: Annotated[str, Field(pattern=NOT_BLANK)] | None = None
    validUntil: (
        Annotated[
            datetime,
            BeforeValidator(_valid_until),
            WithJsonSchema(
                {
                    "type": "string",
                    "anyOf": [{"format": "date-time"}, {"format": "date"}],
                    "description": "ISO 8601 date-time with a time zone, or a date (valid to the "
                    f"end of that day, UTC). {MOMENT_RANGE}",
                }
            ),
        ]
        | None
    ) = None


#: The problem reported for a malformed member of :class:`IssueRequest`.
ISSUE_PROBLEMS = {
    "specification": "required: the slug of one of the partnership's specifications",
    "learner": "required: {reference, givenName, familyName, email?, dateOfBirth?}",
    "awardingBodies": "must be a non-empty list of organisation slugs",
    "grade": "must be a non-empty string",
}


class StatusEntry(BaseModel):
    """A credential's entry in a Bitstring Status List."""

    id: str
    type: Literal["BitstringStatusListEntry"]
    statusPurpose: Literal["revocation", "suspension"]
    statusListIndex: Annotated[str, Field(pattern="^[0-9]+$")]
    statusListCredential: Annotated[str, Field(json_schema_extra={"format": "uri"})]


class CredentialLearner(BaseModel):
    """The learner's stored names (those of the latest issuance)."""

    reference: str
    givenName: str
    familyName: str


class Credential(BaseModel):
    """An issued credential's metadata (no tokens, no signed document)."""

    id: Annotated[str, Field(pattern="^urn:uuid:")]
    state: CredentialState
    issuedAt: datetime
    issuer: Annotated[str, Field(description="The issuing organisation's slug.")]
    awardingBodies: Annotated[list[str], Field(min_length=1, description="The issuer first.")]
    specification: str
    learner: CredentialLearner
    statusEntries: list[StatusEntry]


class DataIntegrityProof(BaseModel):
    """A Data Integrity proof."""

    type: Literal["DataIntegrityProof"]
    cryptosuite: Literal["eddsa-rdfc-2022", "ecdsa-rdfc-2019"]
    created: Annotated[datetime | SkipJsonSchema[None], _ABSENT] = None
    verificationMethod: str
    proofPurpose: Literal["assertionMethod"]
    proofValue: str


class SignedCredential(BaseModel):
    """A W3C Verifiable Credential (JSON-LD) with Data Integrity proof(s): one per awarding
    body for a joint award."""

    model_config = ConfigDict(populate_by_name=True)

    context: Annotated[str | list[str], Field(alias="@context")]
    type: Any
    issuer: Any
    credentialSubject: Any
    proof: DataIntegrityProof | list[DataIntegrityProof]


class QrCodes(BaseModel):
    """URLs of the share link's QR code images (they encode the verifier's page)."""

    png: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    svg: Annotated[str, Field(json_schema_extra={"format": "uri"})]


class IssueResponse(BaseModel):
    """The issued, signed credential, its first share link and the learner's management link
    (shown only in this answer: only its hash is stored)."""

    credential: Credential
    document: SignedCredential
    shareUrl: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    learnerManageUrl: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    qr: QrCodes


class CredentialDetail(BaseModel):
    """A credential's metadata and its signed document; ``replaces`` / ``replacedBy`` link a
    credential corrected by re-issue and its correction."""

    credential: Credential
    document: SignedCredential
    replaces: Annotated[str | None, Field(description="The credential this one corrects.")] = None
    replacedBy: Annotated[
        str | None, Field(description="The credential that corrects this one (revoked).")
    ] = None


class CredentialList(BaseModel):
    """A page of credentials; ``nextCursor`` (null on the last page) fetches the next."""

    credentials: list[Credential]
    nextCursor: str | None


def _limit_between(maximum: int) -> Any:
    return Annotated[int, Field(ge=1, le=maximum)] | None


class CredentialQuery(BaseModel):
    """Filters and paging of the credential list (every word of ``q`` must match the learner's
    names or reference)."""

    state: CredentialState | None = None
    specification: Annotated[str | None, Field(description="A specification's slug.")] = None
    q: str | None = None
    limit: _limit_between(200) = Field(default=None, description="1-200, default 50")  # type: ignore[valid-type]
    cursor: Annotated[str, Field(pattern=CURSOR)] | None = None


class StatusChange(_Rules):
    """Why the status changes (recorded in the audit log); the body may be absent."""

    reason: Annotated[str, Field(max_length=MAX_REASON)] | None = None


class BulkUpload(BaseModel):
    """A CSV with a header row: columns reference, given_name, family_name (required) and
    email, date_of_birth, grade (optional)."""

    file: Annotated[
        bytes,
        WithJsonSchema({"type": "string", "format": "binary", "contentMediaType": "text/csv"}),
    ]
    specification: Annotated[str, Field(pattern=NOT_BLANK)]
    awardingBodies: Annotated[
        str | None, Field(description="Comma-separated organisation slugs (a joint award).")
    ] = None
    reissue: Annotated[
        Literal["true", "false"] | None,
        Field(
            description="true: issue again to learners who already hold a live credential of "
            "the specification (else such rows are refused: already_holds_credential)."
        ),
    ] = None
    sameFile: Annotated[
        Literal["true", "false"] | None,
        Field(
            description="true: go ahead although this very file was uploaded before (else 409 "
            "same_file, and nothing is issued)."
        ),
    ] = None


class DeliveryFailure(BaseModel):
    """An e-mail that could not be delivered, and why."""

    line: int
    email: str
    reason: str | None
    attempts: int


class DeliveryReport(BaseModel):
    """What became of a bulk job's e-mail to its learners."""

    pending: Annotated[int, Field(ge=0)]
    sent: Annotated[int, Field(ge=0)]
    failed: Annotated[int, Field(ge=0)]
    failures: list[DeliveryFailure]


class BulkJob(BaseModel):
    """A bulk issuance and its progress; refused rows are in its errors.csv."""

    id: int
    state: Literal["pending", "running", "done", "failed"]
    totalRows: Annotated[int, Field(ge=0)]
    issuedRows: Annotated[int, Field(ge=0)]
    errorRows: Annotated[int, Field(ge=0)]
    pendingRows: Annotated[int, Field(ge=0)]
    filename: str
    createdAt: datetime
    updatedAt: datetime
    failure: Annotated[str | None, Field(description="Why a failed job stopped.")]
    reissue: bool
    rowsPerSecond: Annotated[
        float | None, Field(description="Rows finished per second since the job started.")
    ]
    secondsLeft: Annotated[float | None, Field(description="Seconds left at that pace.")]


# --- audit ------------------------------------------------------------------------------------


class AuditEvent(BaseModel):
    """Who did what, when, and why."""

    id: int
    at: datetime
    actor: str
    organisation: str | None = None
    action: str
    credential: str | None = None
    reason: str | None = None
    details: dict[str, Any] | None = None
    event: str = Field(description="The action in words, in the request's language.")
    summary: list[str] = Field(description="The details in words, one sentence each.")
    credentialTitle: str | None = None
    learner: str | None = Field(default=None, description="The credential's learner, by name.")


class AuditEventList(BaseModel):
    """A page of audit events, newest first."""

    events: list[AuditEvent]
    nextCursor: str | None


class AuditExportQuery(BaseModel):
    """Narrowing of the audit log."""

    credential: Annotated[str | None, Field(description="Only this credential's events.")] = None
    action: Annotated[
        str | None, Field(max_length=40, description="Only this action, e.g. revoke.")
    ] = None
    actor: Annotated[
        str | None, Field(max_length=300, description="Only actors containing this text.")
    ] = None
    since: Annotated[date | None, Field(description="From this day (UTC).")] = None
    until: Annotated[date | None, Field(description="To this day (UTC), included.")] = None


class AuditQuery(AuditExportQuery):
    """Narrowing and paging of the audit log."""

    limit: _limit_between(500) = Field(default=None, description="1-500, default 100")  # type: ignore[valid-type]
    cursor: Annotated[str, Field(pattern=CURSOR)] | None = None


# --- the W3C VC API ---------------------------------------------------------------------------


class VcIssueRequest(BaseModel):
    """``{"credential": {...}, "options": {...}}``: an unsigned W3C VC (v1 or v2), pinned
    contexts only, every term defined by them; options: ``proofPurpose`` (``assertionMethod``),
    ``credentialId``, ``credentialStatus`` (``{"type": "BitstringStatusListEntry"}``)."""

    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any]
    options: Annotated[
        dict[str, Any] | SkipJsonSchema[None],
        Field(
            default=None,
            json_schema_extra={
                "properties": {
                    "proofPurpose": {"const": "assertionMethod"},
                    "credentialId": {"type": "string", "minLength": 1},
                    "credentialStatus": {
                        "type": "object",
                        "properties": {"type": {"const": "BitstringStatusListEntry"}},
                        "required": ["type"],
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
        ),
    ]


class VcIssueResponse(BaseModel):
    """The credential with one more proof."""

    verifiableCredential: SignedCredential


class VcStatusChange(BaseModel):
    """One change: set (``status: true``, the default) or clear the bit of ``statusPurpose``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["BitstringStatusListEntry"]
    statusPurpose: Literal["revocation", "suspension"]
    status: bool = True


class VcStatusRequest(BaseModel):
    """``{"credentialId", "credentialStatus"}``: the id of a credential issued through
    ``POST /credentials/issue`` and the change (or changes) to its status."""

    model_config = ConfigDict(extra="forbid")

    credentialId: str
    credentialStatus: VcStatusChange | list[VcStatusChange]


class VcStatusEntry(StatusEntry):
    """A status entry of the credential with its bit."""

    status: bool


class VcStatusResponse(BaseModel):
    """The credential's status entries after the change."""

    credentialId: str
    credentialStatus: list[VcStatusEntry]


# --- the public routes (share links, status lists, DID documents) -----------------------------


class ShareLink(BaseModel):
    """A learner's link to a credential, with its QR codes and the verifier URL they encode.
    Share-link expiry is not credential expiry."""

    token: str
    url: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    qr: QrCodes
    verifyUrl: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    createdAt: datetime
    expiresAt: datetime | None
    withdrawnAt: datetime | None
    live: bool


class LinkedCredential(BaseModel):
    """The credential a management link reaches."""

    id: Annotated[str, Field(pattern="^urn:uuid:")]
    state: CredentialState


class ShareLinkList(BaseModel):
    """The learner's share links of their credential."""

    credential: LinkedCredential
    shareLinks: list[ShareLink]


class ShareLinkExpiry(BaseModel):
    """``{"expiresAt": ISO date-time}``, or null for no expiry."""

    expiresAt: datetime | None = None


class LearnerLink(BaseModel):
    """A new management link for the learner (shown once; the old one stops working)."""

    learnerManageUrl: str
    manageToken: str


class DidDocument(BaseModel):
    """A did:web DID document."""

    context: Annotated[list[str], Field(alias="@context")]
    id: Annotated[str, Field(pattern="^did:web:")]
    verificationMethod: list[dict[str, Any]] | SkipJsonSchema[None] = _ABSENT
    assertionMethod: list[Any] | SkipJsonSchema[None] = _ABSENT
    service: list[dict[str, Any]] | SkipJsonSchema[None] = _ABSENT


class OpenApiDocument(RootModel[dict[str, Any]]):
    """This OpenAPI 3.1 document."""
