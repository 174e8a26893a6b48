"""Stacked awards in the European Learning Model: the one place that knows how a credential
states its parts (written by :func:`part_nodes`, read by :func:`parts`).

A stacked award (e.g. "Certificate in Green Data: any 3 of these 5 micro-credentials") is a
credential whose ``LearningAchievement`` has ``hasPart`` links to the achievements of the
credentials it stacks. Those credentials are already signed and cannot change, so the award's
own graph says both directions (``docs/decisions.md``, "Stacking"):

- the award's achievement ``hasPart`` each part's achievement (its id in the part's credential,
  ``urn:uuid:…#achievement``);
- each part node, restated in the award's graph, ``isPartOf`` the award's achievement, with the
  part's own ``title`` and ``awardedBy`` copied from its signed credential (the EDC shapes
  require both of a ``LearningAchievement``), the ECTS it brings (``creditReceived``) and the
  part's credential id as an ``Identifier`` of scheme :data:`PART_CREDENTIAL_SCHEME`.

Everything stated about a part is the award's issuer's claim, sealed in the award: a verifier
holding only the award shows what the award claims; it cannot verify the parts it lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from schemas.elm.read import ENGLISH_FIRST, as_list, claims, decimal, first, node_id, plain, text
from schemas.elm.vocab import ECTS, EDUCATION_CREDIT_SCHEME

#: The ``schemeName`` of the identifier that names a part's credential (its ``id``).
PART_CREDENTIAL_SCHEME: Final = "Verifiable Credential id"


@dataclass(frozen=True)
class StackPart:
    """One part of a stacked award: the part's credential id, its achievement node (the
    ``credentialSubject.hasClaim`` of its signed credential, as signed) and the ECTS it
    brings."""

    credential_id: str
    achievement: Mapping[str, Any]
    ects: Decimal


def part_nodes(award_id: str, claim_id: str, stack: Sequence[StackPart]) -> list[dict[str, Any]]:
    """The award achievement's ``hasPart`` value: one node per part (see the module), each
    ``isPartOf`` ``claim_id``; nodes the award mints are named under ``award_id``."""
    nodes = []
    for number, part in enumerate(stack, start=1):
        achievement = part.achievement
        nodes.append(
            {
                "id": achievement["id"],
                "type": "LearningAchievement",
                "title": achievement["title"],
                "awardedBy": achievement["awardedBy"],
                "identifier": {
                    "id": f"{award_id}#part-{number}",
                    "type": "Identifier",
                    "notation": part.credential_id,
                    "schemeName": PART_CREDENTIAL_SCHEME,
                },
                "creditReceived": {
                    "id": f"{award_id}#part-{number}-credit",
                    "type": "CreditPoint",
                    "framework": {
                        "id": ECTS,
                        "type": "Concept",
                        "prefLabel": {"en": "European Credit Transfer System"},
                        "inScheme": {"id": EDUCATION_CREDIT_SCHEME, "type": "ConceptScheme"},
                    },
                    "point": plain(part.ects),
                },
                "isPartOf": claim_id,
            }
        )
    return nodes


def _credential_of(node: Mapping[str, Any]) -> str | None:
    for identifier in as_list(node.get("identifier")):
        if (
            isinstance(identifier, Mapping)
            and identifier.get("schemeName") == PART_CREDENTIAL_SCHEME
            and isinstance(identifier.get("notation"), str)
        ):
            return identifier["notation"]
    return None


def parts(
    credential: Any, languages: tuple[str, ...] = ENGLISH_FIRST
) -> list[dict[str, str | None]]:
    """The parts a credential's achievements claim (``hasPart``), in order: each part's
    achievement ``id``, its ``credential`` id, ``title`` (in the first of ``languages`` it
    has) and ``ects``; absent values are None. ``[]`` for a credential without parts. Read, not
    trusted: callers decide what may be shown. Never raises for any JSON value."""
    found: list[dict[str, str | None]] = []
    for achievement in claims(credential):
        for node in as_list(achievement.get("hasPart")):
            details = node if isinstance(node, Mapping) else {}
            credit = decimal(first(details.get("creditReceived")).get("point"))
            found.append(
                {
                    "id": node_id(node),
                    "credential": _credential_of(details),
                    "title": text(details.get("title"), languages),
                    "ects": plain(credit) if credit is not None else None,
                }
            )
    return found
