"""An Open Badges 3.0 ``AchievementCredential`` of an issued micro-credential's achievement.

The badge is built from the stored, signed European credential (what was awarded is what it
says, never the specification as it may read today): the same learner (``credentialSubject.id``
is the credential's subject id), the same achievement (``achievement.id`` is the
Qualification's id; name, description, ECTS as ``creditsAvailable``, ISCED-F field, the ESCO
skills of its learning outcomes as alignments, ``achievementType`` ``MicroCredential``; the
criteria narrative names the assessment and the learning outcomes), the same issuing
organisation (a ``Profile`` whose id is its DID and whose ``url`` is its homepage, else the
address of its did:web document), the same dates and the same status list
entries. It follows the structure of the 1EdTech OB 3.0 eddsa-rdfc-2022 vector: the VC 2.0
and OB 3.0.3 contexts, ``issuer`` a ``Profile``, ``validFrom``, ``name``, a
``credentialSubject`` of type ``AchievementSubject`` holding an ``Achievement``.

It is signed by the issuing organisation's current key with a Data Integrity proof
(``eddsa-rdfc-2022`` for an Ed25519 key), made afresh each time it is asked for; its ``id`` is
derived from the credential's, so every export of one credential has the same id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from issuer.credentials.issuance import SigningKeys
from issuer.errors import Conflict
from issuer.models import CredentialState, IssuedCredential, utcnow
from issuer.sharing.links import stored_document
from keys.did_web import did_web_to_url
from keys.proof import add_proof
from schemas.elm import read

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPES = ["VerifiableCredential", "AchievementCredential"]
ESCO_FRAMEWORK = "ESCO"
ENGLISH_FIRST = ("en",)


def badge_id(credential: IssuedCredential) -> str:
    """The badge's id: a name-based UUID of the European credential's id (stable)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, credential.credential_uri + '#ob3')}"


def _text(value: Any) -> str | None:
    found = read.text(value, ENGLISH_FIRST)
    return found.strip() if found and found.strip() else None


def _alignments(qualification: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for outcome in read.objects(qualification.get("learningOutcome")):
        for skill in read.objects(outcome.get("relatedESCOSkill")):
            skill_id = read.node_id(skill)
            if skill_id and skill_id not in found:
                found[skill_id] = {
                    "type": ["Alignment"],
                    "targetName": read.label(skill) or skill_id,
                    "targetUrl": skill_id,
                    "targetFramework": ESCO_FRAMEWORK,
                }
    return list(found.values())


def _narrative(document: Mapping[str, Any], qualification: Mapping[str, Any]) -> str:
    claim = read.claim(document)
    assessment = read.assessment(claim, ENGLISH_FIRST)
    outcomes = [
        text.value.strip() for text in read.outcomes(qualification, ENGLISH_FIRST) if text.value
    ]
    lines = []
    if assessment is not None:
        lines.append(f"Assessed by: {assessment.value.strip()}.")
    if outcomes:
        lines.append("Learning outcomes:")
        lines.extend(f"- {outcome}" for outcome in outcomes)
    return "\n".join(lines) or "Awarded on successful assessment."


def _achievement(document: Mapping[str, Any]) -> dict[str, Any]:
    claim = read.claim(document)
    qualification = read.specification(claim)
    title = _text(qualification.get("title")) or _text(claim.get("title")) or "Micro-credential"
    achievement: dict[str, Any] = {
        "id": read.node_id(qualification) or read.node_id(claim),
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": title,
        "description": _text(qualification.get("description"))
        or _text(claim.get("description"))
        or title,
        "criteria": {"narrative": _narrative(document, qualification)},
    }
    ects = read.ects(qualification)
    if ects is not None:
        achievement["creditsAvailable"] = float(ects)
    field = read.label(qualification.get("thematicArea"))
    if field:
        achievement["fieldOfStudy"] = field
    alignments = _alignments(qualification)
    if alignments:
        achievement["alignment"] = alignments
    return achievement


def _issuer(document: Mapping[str, Any]) -> dict[str, Any]:
    issuer = read.first(document.get("issuer"))
    profile: dict[str, Any] = {
        "id": read.issuer_id(document),
        "type": ["Profile"],
        "name": _text(issuer.get("legalName")) or read.issuer_id(document),
    }
    homepage = read.first(issuer.get("homepage"))
    url = read.trimmed(homepage.get("contentURL"))
    if not url and str(profile["id"]).startswith("did:web:"):
        url = did_web_to_url(str(profile["id"]))  # where the issuer publishes who it is
    if url:
        profile["url"] = url
    return profile


def achievement_credential_document(credential: IssuedCredential) -> dict[str, Any]:
    """The unsigned ``AchievementCredential`` of ``credential`` (see the module docstring)."""
    document = stored_document(credential)
    subject = read.subject(document)
    badge: dict[str, Any] = {
        "@context": [VC_V2, OB_CONTEXT],
        "id": badge_id(credential),
        "type": list(CREDENTIAL_TYPES),
        "issuer": _issuer(document),
        "validFrom": read.issued(document),
        "name": _achievement(document)["name"],
        "credentialSubject": {
            "id": read.node_id(subject),
            "type": ["AchievementSubject"],
            "achievement": _achievement(document),
        },
    }
    valid_until = read.valid_until(document)
    if isinstance(valid_until, str):
        badge["validUntil"] = valid_until
    status = document.get("credentialStatus")
    if status:
        badge["credentialStatus"] = status
    return badge


def achievement_credential(
    credential: IssuedCredential, *, keys: SigningKeys, now: datetime | None = None
) -> dict[str, Any]:
    """The ``AchievementCredential`` of ``credential``, signed now by its issuing
    organisation's current key. ``Conflict`` (``credential_revoked``) for a revoked credential;
    ``Conflict`` (``no_current_key``) when the organisation has no current key."""
    if credential.state is CredentialState.REVOKED:
        raise Conflict("a revoked credential has no badge", code="credential_revoked")
    badge = achievement_credential_document(credential)
    return add_proof(badge, keys.keypair(credential.issuer), created=now or utcnow())
