"""A recognition decision as the recognising institution's own credential (recognition of prior
learning): an unsigned European Learning Model credential that the institution's issuer signs
through the W3C VC API (``POST /credentials/issue``), verifiable like any other.

The shape (docs/recognition.md shows one):

- ``credentialSubject``: the learner (the subject id of the credentials recognised) with one
  ``LearningAchievement``: the rule's ``recognisedAs`` title, ``specifiedBy`` a
  ``LearningAchievementSpecification`` with its ECTS ``creditPoint``, ``awardedBy`` the
  institution, and an ``additionalNote`` with the decision in words and the rule's id;
- ``evidence``: one ELM ``Evidence`` per credential that counted, whose ``evidenceTarget`` is
  the achievement and whose ``evidenceStatement`` names the credential (id, title, issuer) and
  its verdict.

Only a ``recognised`` decision can be issued (:class:`NotRecognised` otherwise).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from schemas.elm.build import Organisation, concept, language_map, xsd_datetime
from schemas.elm.vocab import (
    CREDENTIAL_CONTEXT,
    CREDENTIAL_TYPES,
    ECTS,
    EDUCATION_CREDIT_SCHEME,
)
from verifier.recognition.evaluate import RECOGNISED, Decision

NOT_RECOGNISED_CODE: Final = "not_recognised"


class NotRecognised(ValueError):
    """The decision is not ``recognised``: there is nothing to certify (code
    ``not_recognised``)."""

    code = NOT_RECOGNISED_CODE


def recognition_credential(
    decision: Decision,
    institution: Organisation,
    *,
    credential_id: str | None = None,
    issued: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned credential by which ``institution`` certifies ``decision`` (see the
    module); raises :class:`NotRecognised` unless the decision is ``recognised``."""
    if decision.decision != RECOGNISED:
        raise NotRecognised(f"the decision is {decision.decision}; only recognised is certified")
    identifier = credential_id or f"urn:uuid:{uuid.uuid4()}"
    when = xsd_datetime(issued or datetime.now(UTC))
    rule = decision.rule
    recognised = rule.document["recognisedAs"]
    claim_id = f"{identifier}#recognition"
    specification: dict[str, Any] = {
        "id": f"{rule.id}#recognised-as",
        "type": "LearningAchievementSpecification",
        "title": language_map(recognised["title"]),
    }
    if recognised.get("ects") is not None:
        specification["creditPoint"] = {
            "id": f"{identifier}#credit",
            "type": "CreditPoint",
            "framework": concept(ECTS, "European Credit Transfer System", EDUCATION_CREDIT_SCHEME),
            "point": format(Decimal(str(recognised["ects"])).normalize(), "f"),
        }
    learner = decision.learner or {}
    subject: dict[str, Any] = {
        "id": learner.get("id"),
        "type": "Person",
        "hasClaim": {
            "id": claim_id,
            "type": "LearningAchievement",
            "title": language_map(recognised["title"]),
            "specifiedBy": specification,
            "awardedBy": {
                "id": f"{identifier}#awarding",
                "type": "AwardingProcess",
                "awardingBody": [institution.to_node()],
                "awardingDate": when,
            },
            "additionalNote": [
                {
                    "id": f"{identifier}#decision",
                    "type": "Note",
                    "noteLiteral": {
                        "en": f"{decision.to_dict(with_documents=False)['message']} "
                        f"Rule {rule.id}, evaluated {decision.to_dict()['evaluatedAt']}."
                    },
                }
            ],
        },
    }
    if learner.get("name"):
        subject["fullName"] = language_map(learner["name"])
    evidence = [
        {
            "id": f"{identifier}#evidence-{number}",
            "type": "Evidence",
            "evidenceTarget": claim_id,
            "evidenceStatement": (
                f"Credential {entry.to_dict(with_document=False)['id']} "
                f"({entry.label}), issued by {entry.to_dict(with_document=False)['issuer']}: "
                f"{entry.verdict.value}, counted towards {rule.target()}."
            ),
        }
        for number, entry in enumerate((e for e in decision.entries if e.counted), start=1)
    ]
    return {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": identifier,
        "type": list(CREDENTIAL_TYPES),
        "issuer": institution.id,
        "issuanceDate": when,
        "issued": when,
        "validFrom": when,
        "credentialSubject": subject,
        "evidence": evidence,
    }
