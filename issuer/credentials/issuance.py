"""Issue one micro-credential, and suspend, reinstate or revoke it.

Issuing builds the European Learning Model credential from the stored specification, the
learner and the awarding bodies, checks it (strict JSON-LD expansion and the Annex I profile),
signs it once per awarding body (a joint award is a proof set) and stores the signed JSON
exactly as returned, with its status entries, its first share link and an audit event. Like
every service it works inside the caller's transaction: it flushes, never commits.

The learner is identified by the partnership's own reference (student number, e-mail …): the
first credential creates the learner record with a fresh ``urn:uuid:`` subject id, and later
ones reuse that subject id. The names given with each issuance win: they go into the credential
and replace the stored names. E-mail and date of birth are stored when given (an omitted one
keeps the stored value) but the credential states only what this issuance gave, so leaving them
out keeps them out of the credential.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.learner_rows import upsert_learner
from issuer.credentials.single import SignedCredential, store_credential
from issuer.edge import flag
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import (
    AuditEvent,
    CredentialState,
    IssuedCredential,
    Organisation,
    ShareLink,
    Specification,
    StatusPurpose,
    utcnow,
)
from issuer.partnerships.services import (
    current_key,
    organisation_data,
    signing_keypair,
)
from issuer.sharing.links import hash_manage_token, new_token
from issuer.specifications.services import specification_data
from issuer.status.lists import entry_json, reserve_entries, set_status
from keys.keypairs import KeyPair
from keys.proof import add_proofs
from schemas.elm.build import Award, build_microcredential
from schemas.elm.build import Learner as LearnerData
from schemas.elm.profile import validate_microcredential
from schemas.elm.stack import StackPart
from schemas.errors import SchemaError, SchemaViolation
from schemas.jsonld import PreparedDocument

MAX_REFERENCE = 200  # the learners.reference column
MAX_NAME = 200  # learners.given_name, learners.family_name
MAX_EMAIL = 320  # learners.email
MAX_GRADE = 500
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(value: Any, *, required: bool, limit: int) -> tuple[str | None, str | None]:
    """(trimmed value, problem): a missing, null or blank optional value is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "required" if required else None
    if not isinstance(value, str):
        return None, "must be a string"
    value = value.strip()
    if len(value) > limit:
        return None, f"must be at most {limit} characters"
    if CONTROL.search(value):
        return None, "must not contain control characters (line breaks, tabs …)"
    return value, None


@dataclass(frozen=True)
class LearnerInput:
    """The learner as a caller gives them; ``reference`` identifies them in the partnership."""

    reference: str
    given_name: str
    family_name: str
    email: str | None = None
    date_of_birth: date | None = None
    email_in_credential: bool = False  # kept for delivery; signed in only when asked

    @property
    def credential_email(self) -> str | None:
        """The e-mail address the credential states: only when asked to include it."""
        return self.email if self.email_in_credential else None

    @classmethod
    def from_json(cls, data: Any) -> LearnerInput:
        """Read ``{"reference", "givenName", "familyName", "email"?, "dateOfBirth"?,
        "emailInCredential"?}``. Strings are trimmed; the first three are required and
        non-empty, ``email`` must look like an address, ``dateOfBirth`` be an ISO date
        (YYYY-MM-DD) in the past, ``emailInCredential`` (:func:`flag`) needs an ``email``. Blank
        optional fields count as absent; unknown members are ignored. Raises ``InvalidInput``
        whose ``details.fields`` maps each bad field to its problem.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(
                "the learner must be a JSON object",
                details={"fields": {"learner": "not an object"}},
            )
        problems: dict[str, str] = {}
        values: dict[str, Any] = {}
        for field, required, limit in (
            ("reference", True, MAX_REFERENCE),
            ("givenName", True, MAX_NAME),
            ("familyName", True, MAX_NAME),
            ("email", False, MAX_EMAIL),
            ("dateOfBirth", False, 100),
        ):
            value, problem = _text(data.get(field), required=required, limit=limit)
            if problem:
                problems[field] = problem
            values[field] = value
        email = values["email"]
        if email is not None and not EMAIL.match(email):
            problems["email"] = "is not a plausible e-mail address"
        birth: date | None = None
        if values["dateOfBirth"] is not None:
            try:
                if not ISO_DATE.match(values["dateOfBirth"]):
                    raise ValueError
                birth = date.fromisoformat(values["dateOfBirth"])
            except ValueError:
                problems["dateOfBirth"] = "must be an ISO date (YYYY-MM-DD)"
            else:
                if not date(1900, 1, 1) <= birth < utcnow().date():
                    problems["dateOfBirth"] = "must lie between 1900 and today"
        include = flag(data.get("emailInCredential"))
        if include is None:
            problems["emailInCredential"] = "must be true or false"
        elif include and email is None and "email" not in problems:
            problems["emailInCredential"] = "needs an e-mail address"
        if problems:
            raise InvalidInput(
                "the learner is missing or has malformed fields", details={"fields": problems}
            )
        return cls(
            reference=values["reference"],
            given_name=values["givenName"],
            family_name=values["familyName"],
            email=email,
            date_of_birth=birth,
            email_in_credential=bool(include),
        )


@dataclass(frozen=True)
class Issued:
    """What issuing gives: the stored credential, its first share link and the learner's
    management token (shown once: only its hash is stored)."""

    credential: IssuedCredential
    share_link: ShareLink
    manage_token: str


class SigningKeys:
    """Opened signing keys. Opening a sealed key runs scrypt (tens of milliseconds), so a bulk
    job, a worker process or a web process keeps one of these and opens each key once, not once
    per row or request. A key is known by its method id and public key together (never by its
    row id alone: one process may serve several databases, as the tests do); a key rotated
    meanwhile is a different stored key and is opened afresh."""

    def __init__(self, passphrase: bytes) -> None:
        self._passphrase = passphrase
        self._opened: dict[tuple[str, str], KeyPair] = {}
        self._opening = threading.Lock()

    def keypair(self, organisation: Organisation) -> KeyPair:
        """The organisation's current key pair, with its secret. Threads of one process (the
        issuer's threaded workers) that ask for a key not yet open wait for one opening rather
        than each running scrypt."""
        key = current_key(organisation)
        known = (key.method_id, key.public_key_multibase)
        pair = self._opened.get(known)
        if pair is None:
            with self._opening:
                pair = self._opened.get(known)
                if pair is None:
                    pair = signing_keypair(organisation, self._passphrase)
                    self._opened[known] = pair
        return pair


_PROCESS_KEYS: dict[bytes, SigningKeys] = {}
_PROCESS_KEYS_LOCK = threading.Lock()


def process_keys(passphrase: bytes) -> SigningKeys:
    """This process's opened signing keys for ``passphrase``: each key is opened (scrypt) once
    per process and held in memory only, never written anywhere."""
    digest = hashlib.sha256(passphrase).digest()
    with _PROCESS_KEYS_LOCK:
        keys = _PROCESS_KEYS.get(digest)
        if keys is None:
            keys = _PROCESS_KEYS[digest] = SigningKeys(passphrase)
        return keys


def clean_grade(grade: Any) -> str | None:
    """The grade trimmed (None when blank); ``InvalidInput`` naming ``grade`` when it is not a
    single line of text of at most ``MAX_GRADE`` characters."""
    value, problem = _text(grade, required=False, limit=MAX_GRADE)
    if problem:
        raise InvalidInput(f"grade {problem}", details={"fields": {"grade": problem}})
    return value


def check_awarding_bodies(
    issuer: Organisation, specification: Specification, awarding_bodies: Sequence[Organisation]
) -> list[Organisation]:
    """The awarding bodies in order, the issuer first (``[issuer]`` when none are given).

    ``InvalidInput`` when an organisation is not a member of the specification's partnership
    (``awarding_body_not_member``), the issuer is not the first awarding body
    (``issuer_not_first``) or an organisation appears twice (``duplicate_awarding_body``).
    """
    bodies = list(awarding_bodies) or [issuer]
    outsiders = [
        o.slug for o in [issuer, *bodies] if o.partnership_id != specification.partnership_id
    ]
    if outsiders:
        raise InvalidInput(
            "every awarding body must be a member of the specification's partnership",
            code="awarding_body_not_member",
            details={"organisations": sorted(set(outsiders))},
        )
    if bodies[0].id != issuer.id:
        raise InvalidInput(
            "the issuer must be the first awarding body",
            code="issuer_not_first",
            details={"issuer": issuer.slug},
        )
    seen: set[int] = set()
    for body in bodies:
        if body.id in seen:
            raise InvalidInput(
                f"{body.slug} is named twice as an awarding body",
                code="duplicate_awarding_body",
                details={"organisation": body.slug},
            )
        seen.add(body.id)
    return bodies


def check_document(prepared: PreparedDocument) -> None:
    """Strict JSON-LD expansion and the Annex I profile of a credential read once
    (:class:`schemas.jsonld.PreparedDocument`, whose canonical form its proofs then reuse); a
    failure is a data or programming error (the builder should never produce it), reported as
    ``invalid_credential``."""
    document = prepared.document
    issues: list[dict[str, Any]] = []
    try:
        prepared.check_strict()
    except SchemaError as error:
        issues.append({"code": error.code, "path": error.path, "message": error.message})
    try:
        validate_microcredential(document, plain=prepared.plain_json())
    except SchemaViolation as violation:
        issues += [
            {"code": violation.code, "path": i.path, "element": i.element, "message": i.message}
            for i in violation.issues
        ]
    if issues:
        raise InvalidInput(
            "the credential built from this data is not a valid micro-credential",
            code="invalid_credential",
            details={"issues": issues},
        )


def serialize(document: Mapping[str, Any]) -> str:
    """The stored text of a signed credential: compact JSON, UTF-8 characters kept (orjson,
    which writes what ``json.dumps(ensure_ascii=False, separators=(",", ":"))`` writes but for
    the spelling of some floats, ``1e+16`` being ``1e16``: the same values when read back;
    what orjson refuses, such as integers beyond 64 bits, is written by ``json.dumps``)."""
    try:
        return orjson.dumps(document).decode()
    except TypeError:  # orjson.JSONEncodeError included
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def issue_credential(
    session: Session,
    *,
    issuer: Organisation,
    specification: Specification,
    learner: LearnerInput,
    awarding_bodies: Sequence[Organisation] = (),
    actor: str,
    base_url: str,
    passphrase: bytes,
    now: datetime | None = None,
    grade: str | None = None,
    valid_until: datetime | None = None,
    bulk_job_id: int | None = None,
    bulk_line: int | None = None,
    signing_keys: SigningKeys | None = None,
    parts: Sequence[StackPart] = (),
) -> Issued:
    """Issue ``specification`` to ``learner`` on behalf of ``issuer`` and the other awarding
    bodies (each signs: one proof per body); see the module docstring.

    Raises ``InvalidInput`` for awarding bodies that are not the specification's partners (see
    :func:`check_awarding_bodies`), a stackable award without parts or parts for another
    specification (``stackable_award``), a malformed grade or ``valid_until``, or a credential
    that fails validation (``invalid_credential``); ``Conflict`` when a body has no current key. An
    ``IntegrityError`` means the bulk job line ``(bulk_job_id, bulk_line)`` was issued
    already. ``signing_keys`` lets a bulk job reuse opened keys. ``parts`` are the credentials
    a stacked award stacks (``issuer.stacking.services`` chooses and checks them).
    """
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    bodies = check_awarding_bodies(issuer, specification, awarding_bodies)
    if (specification.stacking is not None) != bool(parts):
        raise InvalidInput(
            "a stackable award is issued only with its parts, by claiming it",
            code="stackable_award",
            details={"specification": specification.slug},
        )
    grade = clean_grade(grade)
    if valid_until is not None and (valid_until.tzinfo is None or valid_until <= now):
        raise InvalidInput(
            "validUntil must be a timezone-aware moment after the date of issuing",
            details={"fields": {"validUntil": "must lie after the date of issuing"}},
        )
    keys = signing_keys or process_keys(passphrase)
    # every body's key before the first write: a body without one writes nothing, and on
    # SQLite the write lock (taken at the first write) is not held while a key is read
    pairs = [keys.keypair(body) for body in bodies]
    session.flush()  # what the caller added goes first: the rows below are Core statements
    stored_learner = upsert_learner(session, specification.partnership_id, learner)
    entries = reserve_entries(session, issuer)
    credential_uri = f"urn:uuid:{uuid.uuid4()}"
    award = Award(
        credential_id=credential_uri,
        specification=specification_data(specification),
        learner=LearnerData(
            id=stored_learner.subject_id,
            given_name=learner.given_name,
            family_name=learner.family_name,
            email=learner.credential_email,
            date_of_birth=learner.date_of_birth,
        ),
        issuer=organisation_data(issuer),
        awarding_bodies=[organisation_data(body) for body in bodies],
        issued=now,
        grade=grade,
        valid_until=valid_until,
        status=[entry_json(entry, base_url) for entry in entries],
        parts=parts,
    )
    document = build_microcredential(award)
    prepared = PreparedDocument(document)  # canonicalized once: checked, then every proof
    check_document(prepared)
    # a proof set: each proof signs the document without the others
    document = add_proofs(document, pairs, created=now, prepared=prepared)

    manage_token = new_token()
    details: dict[str, Any] = {
        "credential": credential_uri,
        "specification": specification.slug,
        "awardingBodies": [body.slug for body in bodies],
    }
    if bulk_job_id is not None:
        details |= {"bulkJob": bulk_job_id, "line": bulk_line}
    if parts:
        details["parts"] = [part.credential_id for part in parts]
    # IntegrityError here: this bulk line has its credential already
    credential, share_link = store_credential(
        session,
        SignedCredential(
            credential_uri=credential_uri,
            document=serialize(document),
            issued_at=now,
            manage_token_hash=hash_manage_token(manage_token),
            bulk_job_id=bulk_job_id,
            bulk_line=bulk_line,
        ),
        issuer=issuer,
        specification=specification,
        learner=stored_learner,
        bodies=bodies,
        entries=entries,
        actor=actor,
        details=details,
    )
    session.flush()  # a known learner's new names (the rows above are written already)
    return Issued(credential=credential, share_link=share_link, manage_token=manage_token)


# --- status changes ---------------------------------------------------------------------------

# (action, state now) → (state after, the purpose whose bit changes, its new value)
TRANSITIONS: dict[tuple[str, CredentialState], tuple[CredentialState, StatusPurpose, bool]] = {
    ("suspend", CredentialState.ACTIVE): (
        CredentialState.SUSPENDED,
        StatusPurpose.SUSPENSION,
        True,
    ),
    ("reinstate", CredentialState.SUSPENDED): (
        CredentialState.ACTIVE,
        StatusPurpose.SUSPENSION,
        False,
    ),
    ("revoke", CredentialState.ACTIVE): (CredentialState.REVOKED, StatusPurpose.REVOCATION, True),
    ("revoke", CredentialState.SUSPENDED): (
        CredentialState.REVOKED,
        StatusPurpose.REVOCATION,
        True,
    ),
}
ACTIONS = ("suspend", "reinstate", "revoke")
# Why an action is impossible in a state: (action, state) → Conflict code.
REFUSALS = {
    ("suspend", CredentialState.SUSPENDED): "already_suspended",
    ("suspend", CredentialState.REVOKED): "credential_revoked",
    ("reinstate", CredentialState.ACTIVE): "not_suspended",
    ("reinstate", CredentialState.REVOKED): "credential_revoked",
    ("revoke", CredentialState.REVOKED): "already_revoked",
}


def change_status(
    session: Session,
    credential: IssuedCredential,
    action: str,
    *,
    actor: str,
    reason: str | None,
) -> IssuedCredential:
    """Suspend (active → suspended), reinstate (suspended → active) or revoke (active or
    suspended → revoked, for good) ``credential``: its status bit is set or cleared and an
    audit event records who, why and when.

    A revoked credential keeps its suspension bit as it was: the revocation bit decides.
    Raises ``InvalidInput`` (``unknown_action``) for another action and ``Conflict`` for an
    impossible change: ``already_suspended``, ``not_suspended``, ``already_revoked``,
    ``credential_revoked``.
    """
    if action not in ACTIONS:
        raise InvalidInput(
            f"unknown action {action!r}; use one of {', '.join(ACTIONS)}",
            code="unknown_action",
            details={"actions": list(ACTIONS)},
        )
    reason, problem = _text(reason, required=False, limit=2000)
    if problem:
        raise InvalidInput(f"reason {problem}", details={"fields": {"reason": problem}})
    # Read the state under a row lock (PostgreSQL) so two concurrent changes are serialised.
    session.refresh(credential, with_for_update=True)
    before = credential.state
    transition = TRANSITIONS.get((action, before))
    if transition is None:
        code = REFUSALS[(action, before)]
        raise Conflict(
            f"cannot {action} a credential that is {before.value}",
            code=code,
            details={"state": before.value},
        )
    after, purpose, value = transition
    set_status(session, credential, purpose, value)
    credential.state = after
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            organisation_id=credential.issuer_id,
            credential_id=credential.id,
            reason=reason,
            details={
                "credential": credential.credential_uri,
                "from": before.value,
                "to": after.value,
            },
        )
    )
    session.flush()
    return credential


# --- reading ----------------------------------------------------------------------------------


def credential_uri_of(reference: str) -> str | None:
    """``urn:uuid:<uuid>`` for a credential reference given as that URN or as the bare uuid
    (any case); None when it is neither."""
    value = reference.strip()
    if value.lower().startswith("urn:uuid:"):
        value = value[len("urn:uuid:") :]
    try:
        return f"urn:uuid:{uuid.UUID(value)}" if len(value) == 36 else None
    except ValueError:
        return None


def get_credential(session: Session, partnership_id: int, credential_ref: str) -> IssuedCredential:
    """The partnership's credential named by its ``urn:uuid:…`` or bare uuid; ``NotFound``
    (``unknown_credential``) when there is none, also when another partnership has it."""
    uri = credential_uri_of(credential_ref) if isinstance(credential_ref, str) else None
    credential = (
        session.scalar(
            select(IssuedCredential).where(
                IssuedCredential.credential_uri == uri,
                IssuedCredential.partnership_id == partnership_id,
            )
        )
        if uri
        else None
    )
    if credential is None:
        raise NotFound("no such credential in this partnership", code="unknown_credential")
    return credential


def iso_time(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDThh:mm:ssZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def credential_json(credential: IssuedCredential, *, base_url: str) -> dict[str, Any]:
    """The API's summary of a stored credential (no tokens, no signed document). The learner's
    names are the stored ones (the latest issuance's)."""
    purposes = list(StatusPurpose)
    entries = sorted(credential.status_entries, key=lambda e: purposes.index(e.status_list.purpose))
    return {
        "id": credential.credential_uri,
        "state": credential.state.value,
        "issuedAt": iso_time(credential.issued_at),
        "issuer": credential.issuer.slug,
        "awardingBodies": [body.slug for body in credential.awarding_bodies],
        "specification": credential.specification.slug,
        "learner": {
            "reference": credential.learner.reference,
            "givenName": credential.learner.given_name,
            "familyName": credential.learner.family_name,
        },
        "statusEntries": [entry_json(entry, base_url) for entry in entries],
    }
