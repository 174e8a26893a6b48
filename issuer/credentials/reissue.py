"""Correction by re-issue: a credential with a wrong learner detail (a misspelt name, a wrong
date of birth) cannot be edited — it is signed. Instead a new credential is issued with the
corrections, the old one is revoked with the reason ``superseded``, and the two are linked both
ways (:class:`issuer.credentials.models.CredentialCorrection`).

What moves to the new credential: everything the learner holds that points at the credential —
their management link (the new credential takes over its hash: the learner's link keeps working
and now manages the corrected credential), their live share links (an employer who was given a
link, or a printed QR code, now sees the corrected credential, not a revoked one), and the set
links it belongs to. Withdrawn and expired share links stay with the old credential, which stays
readable by its id for staff and verifiers (revoked, with the reason). The specification,
awarding bodies, grade and validity are carried over; a stacked award is not re-issued this way
(its parts would have to be claimed again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer.credentials import issuance
from issuer.credentials.models import CredentialCorrection
from issuer.errors import Conflict, InvalidInput
from issuer.learner_models import SetLinkCredential
from issuer.models import AuditEvent, CredentialState, IssuedCredential, ShareLink, utcnow
from issuer.sharing.links import hash_manage_token, new_token
from schemas.elm.build import DEFAULT_GRADE

REISSUED = "credential_reissued"
SUPERSEDED = "superseded"
#: The learner members a correction may change (the reference names the learner: it stays).
CORRECTABLE = ("givenName", "familyName", "email", "dateOfBirth", "emailInCredential")


@dataclass(frozen=True)
class Reissued:
    """The corrected credential, the one it replaces, and what changed."""

    new: IssuedCredential
    old: IssuedCredential
    changes: dict[str, list[Any]]


def replaced_by(session: Session, credential: IssuedCredential) -> IssuedCredential | None:
    """The credential that replaces ``credential``, if it was corrected by re-issue."""
    return session.scalar(
        select(IssuedCredential)
        .join(CredentialCorrection, CredentialCorrection.new_credential_id == IssuedCredential.id)
        .where(CredentialCorrection.old_credential_id == credential.id)
    )


def replaces(session: Session, credential: IssuedCredential) -> IssuedCredential | None:
    """The credential ``credential`` replaces, if it was issued as a correction."""
    return session.scalar(
        select(IssuedCredential)
        .join(CredentialCorrection, CredentialCorrection.old_credential_id == IssuedCredential.id)
        .where(CredentialCorrection.new_credential_id == credential.id)
    )


def _learner_json(credential: IssuedCredential) -> dict[str, Any]:
    learner = credential.learner
    document = _document(credential)
    return {
        "reference": learner.reference,
        "givenName": learner.given_name,
        "familyName": learner.family_name,
        "email": learner.email,
        "dateOfBirth": learner.date_of_birth.isoformat() if learner.date_of_birth else None,
        "emailInCredential": "contactPoint" in document.get("credentialSubject", {}),
    }


def _document(credential: IssuedCredential) -> dict[str, Any]:
    value = json.loads(credential.document)
    return value if isinstance(value, dict) else {}


def _grade(document: Mapping[str, Any]) -> str | None:
    grade = document.get("credentialSubject", {}).get("hasClaim", {}).get("provenBy", {})
    literal = grade.get("grade", {}).get("noteLiteral") if isinstance(grade, dict) else None
    if not isinstance(literal, dict) or not literal:
        return None
    text = next(iter(literal.values()))
    return None if literal == {"en": DEFAULT_GRADE} or not isinstance(text, str) else text


def _valid_until(document: Mapping[str, Any]) -> datetime | None:
    value = document.get("validUntil")
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None


def reissue(
    session: Session,
    old: IssuedCredential,
    corrections: Mapping[str, Any],
    *,
    actor: str,
    organisation_id: int | None,
    base_url: str,
    passphrase: bytes,
) -> Reissued:
    """Issue ``old``'s specification again to its learner with ``corrections`` (members of
    :data:`CORRECTABLE`, checked as ``LearnerInput`` checks them), revoke ``old`` with the reason
    ``superseded``, link the two, move what the learner holds (see the module) and audit it
    (``revoke`` on the old, ``credential_reissued`` on the new, naming each other). Flushes.

    ``InvalidInput`` for an unknown member, a malformed value or no change at all
    (``nothing_to_correct``); ``Conflict`` when ``old`` is revoked (``credential_revoked``) or
    already corrected (``already_corrected``) or a stacked award (``stackable_award``)."""
    unknown = sorted(set(corrections) - set(CORRECTABLE))
    if unknown:
        raise InvalidInput(
            "only the learner's names, e-mail and date of birth can be corrected",
            details={"fields": {name: "cannot be corrected" for name in unknown}},
        )
    if old.state is CredentialState.REVOKED:
        raise Conflict("a revoked credential is not re-issued", code="credential_revoked")
    if replaced_by(session, old) is not None:
        raise Conflict("this credential was corrected already", code="already_corrected")
    if old.specification.stacking is not None:
        raise Conflict("a stacked award is claimed again, not re-issued", code="stackable_award")
    before = _learner_json(old)
    after = before | dict(corrections)
    given = issuance.LearnerInput.from_json(after)  # InvalidInput names each bad member
    checked = {
        "givenName": given.given_name,
        "familyName": given.family_name,
        "email": given.email,
        "dateOfBirth": given.date_of_birth.isoformat() if given.date_of_birth else None,
        "emailInCredential": given.email_in_credential,
    }
    changes = {k: [before[k], checked[k]] for k in CORRECTABLE if before[k] != checked[k]}
    if not changes:
        raise InvalidInput(
            "the corrections change nothing", code="nothing_to_correct", details={"fields": {}}
        )
    document = _document(old)
    issued = issuance.issue_credential(
        session,
        issuer=old.issuer,
        specification=old.specification,
        learner=given,
        awarding_bodies=old.awarding_bodies,
        actor=actor,
        base_url=base_url,
        passphrase=passphrase,
        grade=_grade(document),
        valid_until=_valid_until(document),
    )
    new = issued.credential
    issuance.change_status(session, old, "revoke", actor=actor, reason=SUPERSEDED)
    _move_learner_links(session, old, new)
    session.add(
        CredentialCorrection(
            old_credential_id=old.id,
            new_credential_id=new.id,
            corrected_at=utcnow(),
            actor=actor,
            changes=changes,
        )
    )
    session.add(
        AuditEvent(
            actor=actor,
            organisation_id=organisation_id,
            action=REISSUED,
            credential_id=new.id,
            details={
                "credential": new.credential_uri,
                "replaces": old.id,
                "corrected": list(changes),
            },
        )
    )
    session.flush()
    return Reissued(new=new, old=old, changes=changes)


def _move_learner_links(session: Session, old: IssuedCredential, new: IssuedCredential) -> None:
    """The learner's management link, live share links and set-link places go to ``new``."""
    now = utcnow()
    held = old.manage_token_hash
    old.manage_token_hash = hash_manage_token(new_token())  # a hash no token has
    session.flush()
    new.manage_token_hash = held
    session.execute(
        update(ShareLink)
        .where(
            ShareLink.credential_id == old.id,
            ShareLink.withdrawn_at.is_(None),
            (ShareLink.expires_at.is_(None)) | (ShareLink.expires_at > now),
        )
        .values(credential_id=new.id)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(SetLinkCredential)
        .where(SetLinkCredential.credential_id == old.id)
        .values(credential_id=new.id)
        .execution_options(synchronize_session="fetch")
    )
