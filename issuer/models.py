"""The issuer's tables, as typed SQLAlchemy 2 models.

Alembic migrations (``migrations/``) are the truth for the schema; these models must match them
(a test compares the two). Times are stored as timezone-aware UTC. An issued credential's
signed JSON is stored exactly as signed; its status lives in status entries. It changes only
when a signing key is marked compromised and the credential is re-sealed
(``issuer.partnerships.reseal``).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from issuer.audit import ddl as audit_ddl
from issuer.audit.chain import link_new_events
from issuer.folding import learner_search_text

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model; constraint names follow ``NAMING_CONVENTION``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def _enum(cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value, as a plain string column (no database enum type)."""
    return Enum(
        cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        validate_strings=True,
        length=32,
    )


class Role(enum.StrEnum):
    """What a user or API token may do within its organisation."""

    ADMIN = "admin"  # everything, including keys, tokens and specifications
    ISSUER = "issuer"  # issue, bulk issue, suspend, reinstate, revoke
    VIEWER = "viewer"  # read only


class TokenScope(enum.StrEnum):
    """How far an API token's changes to credentials reach within its partnership.

    Reading is partnership-wide for every token. Changing a credential (its status, its share
    links, its learner's link) or resuming a bulk job needs the token's organisation to be the
    credential's issuer or one of its awarding bodies, unless the token is partnership-wide.
    """

    ORGANISATION = "organisation"  # acts for its organisation only (the default)
    PARTNERSHIP = "partnership"  # may act on every credential of the partnership (granted)


class KeyState(enum.StrEnum):
    """A signing key is current (signs new credentials), retired (still verifies what it signed
    before ``retired_at``) or compromised (verifies nothing since ``compromised_at``)."""

    CURRENT = "current"
    RETIRED = "retired"
    COMPROMISED = "compromised"


class DidMethod(enum.StrEnum):
    """How an organisation is identified: a did:web under the issuer's host (its DID document
    is served and lists every key), or a did:key (the DID is its one key: no rotation)."""

    WEB = "web"
    KEY = "key"


class CredentialState(enum.StrEnum):
    """The status of an issued credential as its status lists say."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class StatusPurpose(enum.StrEnum):
    """Bitstring Status List purposes the issuer publishes."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class JobState(enum.StrEnum):
    """A bulk job's lifecycle; ``running`` jobs whose worker died are resumed."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RowState(enum.StrEnum):
    """A bulk job row: not yet handled, issued, or refused with a reason."""

    PENDING = "pending"
    ISSUED = "issued"
    ERROR = "error"


class Partnership(Base):
    """A consortium of education providers and employers that awards micro-credentials."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisations: Mapped[list[Organisation]] = relationship(back_populates="partnership")
    specifications: Mapped[list[Specification]] = relationship(back_populates="partnership")


class Organisation(Base):
    """A member organisation: legal identity, country, its DID (a did:web, or a did:key derived
    from its one signing key: ``did_method``) and its keys."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("partnership_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    legal_name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(3))  # ISO 3166-1 alpha-3, e.g. DNK
    country_label: Mapped[str] = mapped_column(String(100))
    identifier: Mapped[str | None] = mapped_column(String(200))  # e.g. Erasmus code, VAT
    homepage: Mapped[str | None] = mapped_column(String(500))
    did: Mapped[str] = mapped_column(String(500), unique=True)
    did_method: Mapped[DidMethod] = mapped_column(
        _enum(DidMethod), default=DidMethod.WEB, server_default=DidMethod.WEB.value
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # an uploaded logo, checked and re-encoded (issuer.partnerships.logos): PNG or JPEG
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))  # image/png | image/jpeg

    partnership: Mapped[Partnership] = relationship(back_populates="organisations")
    keys: Mapped[list[SigningKey]] = relationship(
        back_populates="organisation", order_by="SigningKey.id"
    )


class SigningKey(Base):
    """An organisation's signing key; the secret is stored sealed (encrypted with a passphrase)."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    method_id: Mapped[str] = mapped_column(String(600), unique=True)  # …#key-N; did:key:z…#z…
    algorithm: Mapped[str] = mapped_column(String(16))  # keys.keypairs.Algorithm value
    public_key_multibase: Mapped[str] = mapped_column(String(200))
    sealed_secret: Mapped[dict[str, Any]] = mapped_column(JSON)  # keys.keystore.seal_keypair
    state: Mapped[KeyState] = mapped_column(_enum(KeyState), default=KeyState.CURRENT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    compromised_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="keys")


class User(Base):
    """A person of an organisation who signs in to the staff pages."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class ApiToken(Base):
    """An API token of one organisation with one role and a scope (``TokenScope``: its
    organisation's credentials, or the whole partnership's); only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    scope: Mapped[TokenScope] = mapped_column(
        _enum(TokenScope),
        default=TokenScope.ORGANISATION,
        server_default=TokenScope.ORGANISATION.value,
    )

    organisation: Mapped[Organisation] = relationship()


class StaffSession(Base):
    """A staff user's signed-in session, kept by the server (``issuer.auth.sessions``).

    The browser's cookie carries only a random secret; this row holds its SHA-256, when the
    session began (the server's own record: a session lasts ``STAFF_SESSION_HOURS`` from
    ``created_at``, whatever the cookie says), when it was last used, and when and why it
    ended. ``password_check`` is a fingerprint of the password hash at sign-in: a password
    changed by any means ends the session.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_check: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))  # staff_sessions.EndReason


class Specification(Base):
    """A micro-credential specification: the EU standard elements every award of it carries."""

    __tablename__ = "specifications"
    __table_args__ = (UniqueConstraint("partnership_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    uri: Mapped[str] = mapped_column(String(500), unique=True)  # the Qualification's id
    title: Mapped[dict[str, Any]] = mapped_column(JSON)  # language map {"en": …, "da": …}
    description: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # [{"title": {"en": …}, "escoSkills": [{"id": IRI, "label": …}]}]
    learning_outcomes: Mapped[list[Any]] = mapped_column(JSON)
    ects: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    volume_of_learning: Mapped[str] = mapped_column(String(40))  # ISO 8601 duration, PT125H
    eqf_level: Mapped[int] = mapped_column(Integer)
    isced_field: Mapped[str] = mapped_column(String(8))  # ISCED-F 2013 code, e.g. 0688
    isced_label: Mapped[str] = mapped_column(String(300))
    assessment_type: Mapped[dict[str, Any]] = mapped_column(JSON)  # language map
    participation_mode: Mapped[str] = mapped_column(String(20))  # online | blended
    learning_setting: Mapped[str] = mapped_column(String(20), default="non-formal")
    # {"title": {..}, "typeIri": …, "typeLabel": …, "agent": {"id", "legalName", "country", …}}
    quality_assurance: Mapped[dict[str, Any]] = mapped_column(JSON)
    prerequisites: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(3), default="ENG")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A stackable award's rule (``specifications.rules.StackingRule``); None for a plain one.
    stacking: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    partnership: Mapped[Partnership] = relationship(back_populates="specifications")


class Learner(Base):
    """A learner known to a partnership, identified by the partnership's own reference."""

    __tablename__ = "learners"
    __table_args__ = (UniqueConstraint("partnership_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # no index of its own: the unique (partnership_id, reference) leads with it
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"))
    reference: Mapped[str] = mapped_column(String(200))  # student number or e-mail
    subject_id: Mapped[str] = mapped_column(String(300), unique=True)  # urn:uuid:… or a DID
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # names and reference folded for search (issuer.folding), kept current on every write
    search_text: Mapped[str] = mapped_column(String(700), default="", server_default="")


@event.listens_for(Learner, "before_insert")
@event.listens_for(Learner, "before_update")
def _fold_for_search(_mapper: Any, _connection: Any, learner: Learner) -> None:
    learner.search_text = learner_search_text(
        learner.given_name, learner.family_name, learner.reference
    )


class CredentialAwardingBody(Base):
    """An organisation that awards (and signs) a credential; joint awards have several."""

    __tablename__ = "credential_awarding_bodies"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class IssuedCredential(Base):
    """A signed credential exactly as issued. ``document`` changes only when a key that signed
    it is marked compromised: ``issuer.partnerships.reseal`` then replaces that key's proof by one
    of the organisation's current key (same id, claims and status entries), with an explicit UPDATE
    and an audit event. Through the ORM it is write-once."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("bulk_job_id", "bulk_line"),
        # a learner's credentials, and whether they hold one of a specification (bulk jobs)
        Index("ix_credentials_learner_id_specification_id", "learner_id", "specification_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_uri: Mapped[str] = mapped_column(String(200), unique=True)  # urn:uuid:…
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    specification_id: Mapped[int] = mapped_column(ForeignKey("specifications.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"))
    document: Mapped[str] = mapped_column(Text)  # the signed JSON, byte for byte
    state: Mapped[CredentialState] = mapped_column(
        _enum(CredentialState), default=CredentialState.ACTIVE
    )
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    bulk_job_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_jobs.id"))
    bulk_line: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the learner's management token (their link to manage share links)
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    issuer: Mapped[Organisation] = relationship()
    specification: Mapped[Specification] = relationship()
    learner: Mapped[Learner] = relationship()
    awarding_bodies: Mapped[list[Organisation]] = relationship(
        secondary="credential_awarding_bodies", order_by=CredentialAwardingBody.position
    )
    status_entries: Mapped[list[StatusEntry]] = relationship(back_populates="credential")

    @property
    def uuid(self) -> str:
        """The credential's UUID as URLs and file names carry it (its id without
        ``urn:uuid:``)."""
        return self.credential_uri.removeprefix("urn:uuid:")


@event.listens_for(IssuedCredential.document, "set", propagate=True)
def _document_is_write_once(target: IssuedCredential, value: str, old: Any, _: Any) -> None:
    """Refuse to change a stored credential's signed JSON through the ORM (re-sealing after a
    key compromise is the one sanctioned change; see ``issuer.partnerships.reseal``)."""
    if isinstance(old, str) and old != value:
        raise ValueError("an issued credential's signed document never changes")


class StatusList(Base):
    """One Bitstring Status List of an organisation, for one purpose, of ``size`` entries."""

    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    purpose: Mapped[StatusPurpose] = mapped_column(_enum(StatusPurpose))
    size: Mapped[int] = mapped_column(Integer, default=131_072)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every bit change
    # entries reserved (added at each reserving commit: issuer.status.lists), not a count(*)
    used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last signed status list credential and the version it reflects (a cache).
    signed_document: Mapped[str | None] = mapped_column(Text)
    signed_version: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship()


class StatusEntry(Base):
    """A credential's index in a status list; ``is_set`` is the bit (revoked / suspended)."""

    __tablename__ = "status_entries"
    __table_args__ = (UniqueConstraint("status_list_id", "list_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"), index=True)
    list_index: Mapped[int] = mapped_column(Integer)
    # Set in the same transaction as the index is reserved: the entry goes into the credential
    # before it is signed and stored.
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"), index=True)
    # A credential issued through the VC API is not stored: its entries name its ``id`` instead.
    credential_ref: Mapped[str | None] = mapped_column(String(2048), index=True)
    is_set: Mapped[bool] = mapped_column(Boolean, default=False)

    status_list: Mapped[StatusList] = relationship()
    credential: Mapped[IssuedCredential | None] = relationship(back_populates="status_entries")


class BulkJob(Base):
    """A bulk issuance from an uploaded CSV; its rows are the truth of what was issued."""

    __tablename__ = "bulk_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    specification_id: Mapped[int] = mapped_column(ForeignKey("specifications.id"))
    # organisation ids of a joint award's awarding bodies, in order (issuer first)
    awarding_body_ids: Mapped[list[Any]] = mapped_column(JSON)
    filename: Mapped[str] = mapped_column(String(300))
    state: Mapped[JobState] = mapped_column(_enum(JobState), default=JobState.PENDING)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    issued_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime | None]  # a running job whose heartbeat is stale is resumed
    failure: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]  # when the first batch was claimed (rows/s, time left)
    reissue: Mapped[bool] = mapped_column(Boolean, default=False)  # issue again to holders
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # the upload


class BulkJobRow(Base):
    """One CSV row of a bulk job, with its line number and outcome."""

    __tablename__ = "bulk_job_rows"
    __table_args__ = (
        UniqueConstraint("job_id", "line"),
        Index("ix_bulk_job_rows_job_state", "job_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_jobs.id"))
    line: Mapped[int] = mapped_column(Integer)  # 1-based line in the file (header is line 1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[RowState] = mapped_column(_enum(RowState), default=RowState.PENDING)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))
    # the learner's management token, sealed (issuer.bulk.sealing) for the export and e-mail
    manage_token_sealed: Mapped[str | None] = mapped_column(Text)


class ShareLink(Base):
    """A learner's unguessable link to a credential; withdrawable, with an optional expiry.

    Share-link expiry is not credential expiry: a link may lapse while the credential is valid.
    """

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    credential: Mapped[IssuedCredential] = relationship()


class AuditEvent(Base):
    """An append-only record of who did what, when: issue, suspend, reinstate, revoke, …

    Hash-chained: ``seq``, ``prev_hash`` and ``hash`` are filled in at flush by
    :func:`issuer.audit.chain.link_new_events` (never set them yourself). The database refuses to
    update or delete rows (triggers of :mod:`issuer.audit.ddl`).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(300))  # "token:<name>", "user:<email>", "cli"
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(40))
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    seq: Mapped[int] = mapped_column(Integer, unique=True)  # 1, 2, 3, … the chain's order
    prev_hash: Mapped[str] = mapped_column(String(64))  # the previous event's hash
    hash: Mapped[str] = mapped_column(String(64))  # SHA-256 hex, see issuer.audit.chain


audit_ddl.attach(AuditEvent.__table__)  # type: ignore[arg-type]


class SigninFailure(Base):
    """A failed staff sign-in, counted by every worker: ``key`` is the SHA-256 (hex) of the
    client address and e-mail address tried (neither is stored)."""

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@event.listens_for(Session, "before_flush")
def _audit_log_is_append_only(session: Session, *_: Any) -> None:
    """Refuse to update or delete audit events, and to delete issued credentials; chain the
    audit events this flush adds, in the order they were added."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise ValueError("the audit log is append-only")
    for obj in session.deleted:
        if isinstance(obj, IssuedCredential):
            raise ValueError("issued credentials are revoked, never deleted")
    added = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if added:
        added.sort(key=lambda obj: inspect(obj).insert_order or 0)
        link_new_events(session.connection(), AuditEvent.__table__, added)  # type: ignore[arg-type]


__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "BulkJob",
    "BulkJobRow",
    "CredentialAwardingBody",
    "CredentialState",
    "IssuedCredential",
    "JobState",
    "KeyState",
    "Learner",
    "Organisation",
    "Partnership",
    "Role",
    "RowState",
    "ShareLink",
    "SigninFailure",
    "SigningKey",
    "Specification",
    "StaffSession",
    "StatusEntry",
    "StatusList",
    "StatusPurpose",
    "TokenScope",
    "User",
    "utcnow",
]
