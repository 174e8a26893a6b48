"""Stacking: which of a learner's credentials qualify for a stackable award, and claiming it.

A stackable award is a specification with a stacking rule (``Specification.stacking``, checked
by ``issuer.specifications.rules.StackingRule``): the partnership's specifications whose
credentials may be its parts, how many distinct ones a learner needs and the ECTS they must add
up to. A learner's credentials are the partnership's credentials issued to the same learner
record (the partnership's own learner reference). Only **live** credentials count: active (not
revoked, not suspended) and within their validity dates. Credentials of other issuers are not
parts (``docs/decisions.md``, "Stacking": external parts are a follow-up).

Claiming issues the award through ``issuer.credentials.issuance.issue_credential``, with the
parts stated in its graph (:mod:`schemas.elm.stack`); the issue's audit event names the parts.
Like every service these flush, never commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.issuance import Issued, LearnerInput, credential_uri_of, issue_credential
from issuer.errors import Conflict, InvalidInput, NotFound
from issuer.models import (
    CredentialState,
    IssuedCredential,
    Learner,
    Organisation,
    Specification,
    utcnow,
)
from schemas.elm.read import claim, decimal, ects, parse_date, specification, valid_until
from schemas.elm.stack import StackPart


class NotStackable(InvalidInput):
    """The specification has no stacking rule."""

    code = "not_stackable"


class UnknownLearner(NotFound):
    """The partnership knows no learner of that reference."""

    code = "unknown_learner"


class PartNotQualifying(InvalidInput):
    """A credential named as a part is not a live qualifying credential of the learner."""

    code = "part_not_qualifying"


class StackIncomplete(Conflict):
    """The parts do not satisfy the rule (too few, or too few ECTS)."""

    code = "stack_incomplete"


class AlreadyClaimed(Conflict):
    """The learner holds a live credential of this award already."""

    code = "already_claimed"


@dataclass(frozen=True)
class Candidate:
    """A credential of the learner of one of the rule's specifications: its ECTS (as its
    signed document states them) and why it does not count (None when it is live)."""

    credential: IssuedCredential
    ects: Decimal
    problem: str | None  # revoked | suspended | expired | not_yet_valid

    @property
    def live(self) -> bool:
        """Whether it may be a part."""
        return self.problem is None


@dataclass(frozen=True)
class Eligibility:
    """What a learner holds towards a stackable award.

    ``candidates``: every credential of the learner of one of the rule's specifications, newest
    first; ``chosen``: the default parts, the newest live credential of each specification in
    the rule's order; ``satisfied``: whether ``chosen`` meets the rule; ``claimed``: the
    learner's live credential of the award itself, if any.
    """

    award: Specification
    learner: Learner
    rule: dict[str, Any]
    candidates: list[Candidate]
    chosen: list[Candidate]
    claimed: IssuedCredential | None

    @property
    def ects(self) -> Decimal:
        """The ECTS the chosen parts add up to."""
        return sum((c.ects for c in self.chosen), Decimal(0))

    @property
    def satisfied(self) -> bool:
        """Whether the chosen parts meet the rule."""
        return meets_rule(self.rule, self.chosen)


def stacking_rule(award: Specification) -> dict[str, Any]:
    """The award's stacking rule; :class:`NotStackable` when it has none."""
    if award.stacking is None:
        raise NotStackable(f"specification {award.slug!r} is not a stackable award")
    return award.stacking


def stackable_specifications(session: Session, partnership_id: int) -> list[Specification]:
    """The partnership's stackable awards, by slug."""
    return list(
        session.scalars(
            select(Specification)
            .where(
                Specification.partnership_id == partnership_id,
                Specification.stacking.is_not(None),
            )
            .order_by(Specification.slug)
        )
    )


def find_learner(session: Session, partnership_id: int, reference: str) -> Learner:
    """The partnership's learner of ``reference``; :class:`UnknownLearner` otherwise."""
    learner = session.scalar(
        select(Learner).where(
            Learner.partnership_id == partnership_id, Learner.reference == reference.strip()
        )
    )
    if learner is None:
        raise UnknownLearner("no learner of that reference in this partnership")
    return learner


def problem_of(credential: IssuedCredential, now: datetime) -> str | None:
    """Why ``credential`` is not live at ``now`` (``revoked``, ``suspended``, ``expired``,
    ``not_yet_valid``), from its state and its signed validity dates; None when it is live."""
    if credential.state is CredentialState.REVOKED:
        return "revoked"
    if credential.state is CredentialState.SUSPENDED:
        return "suspended"
    document = json.loads(credential.document)
    until = parse_date(valid_until(document))
    if until is not None and until <= now:
        return "expired"
    since = parse_date(document.get("validFrom"))
    if since is not None and since > now:
        return "not_yet_valid"
    return None


def _candidate(credential: IssuedCredential, now: datetime) -> Candidate:
    stated = decimal(ects(specification(claim(json.loads(credential.document)))))
    points = stated if stated is not None else Decimal(credential.specification.ects)
    return Candidate(credential, points, problem_of(credential, now))


def meets_rule(rule: dict[str, Any], parts: Sequence[Candidate]) -> bool:
    """Whether ``parts`` (live, one per specification) are enough: at least ``minParts`` of
    them, adding up to at least ``minEcts``."""
    total = sum((p.ects for p in parts), Decimal(0))
    return len(parts) >= rule["minParts"] and total >= Decimal(rule["minEcts"])


def eligibility(
    session: Session, award: Specification, learner: Learner, *, now: datetime | None = None
) -> Eligibility:
    """What ``learner`` holds towards ``award`` at ``now`` (see :class:`Eligibility`);
    :class:`NotStackable` when ``award`` has no rule."""
    rule = stacking_rule(award)
    now = now or utcnow()
    order = {slug: n for n, slug in enumerate(rule["parts"])}
    credentials = session.scalars(
        select(IssuedCredential)
        .join(Specification, IssuedCredential.specification_id == Specification.id)
        .where(
            IssuedCredential.partnership_id == award.partnership_id,
            IssuedCredential.learner_id == learner.id,
            Specification.slug.in_(rule["parts"]),
        )
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
    ).all()
    candidates = [_candidate(credential, now) for credential in credentials]
    newest: dict[str, Candidate] = {}
    for candidate in candidates:
        if candidate.live:
            newest.setdefault(candidate.credential.specification.slug, candidate)
    chosen = sorted(newest.values(), key=lambda c: order[c.credential.specification.slug])
    claimed = session.scalar(
        select(IssuedCredential)
        .where(
            IssuedCredential.specification_id == award.id,
            IssuedCredential.learner_id == learner.id,
            IssuedCredential.state != CredentialState.REVOKED,
        )
        .order_by(IssuedCredential.id.desc())
        .limit(1)
    )
    return Eligibility(award, learner, rule, candidates, chosen, claimed)


def choose_parts(found: Eligibility, refs: Sequence[str] | None) -> list[Candidate]:
    """The parts to stack: ``found.chosen`` when ``refs`` is None, else the credentials named
    (``urn:uuid:…`` or bare UUIDs), in the rule's order. :class:`PartNotQualifying` names each
    one that is not a live credential of the learner of one of the rule's specifications, or
    repeats a specification (``details.parts``: reference → problem)."""
    if refs is None:
        return list(found.chosen)
    by_uri = {c.credential.credential_uri: c for c in found.candidates}
    problems: dict[str, str] = {}
    picked: dict[str, Candidate] = {}
    for ref in refs:
        candidate = by_uri.get(credential_uri_of(ref) or "")
        if candidate is None:
            problems[ref] = "not a credential of this learner that qualifies for the award"
        elif not candidate.live:
            problems[ref] = str(candidate.problem)
        elif candidate.credential.specification.slug in picked:
            problems[ref] = "a second credential of the same specification"
        else:
            picked[candidate.credential.specification.slug] = candidate
    if problems:
        raise PartNotQualifying(
            "some credentials cannot be parts of this award", details={"parts": problems}
        )
    order = {slug: n for n, slug in enumerate(found.rule["parts"])}
    return sorted(picked.values(), key=lambda c: order[c.credential.specification.slug])


def stack_part(candidate: Candidate) -> StackPart:
    """The part as the credential builder states it: the credential's id, its achievement as
    signed, its ECTS."""
    document = json.loads(candidate.credential.document)
    return StackPart(candidate.credential.credential_uri, claim(document), candidate.ects)


def claim_stack(
    session: Session,
    *,
    award: Specification,
    learner: Learner,
    issuer: Organisation,
    awarding_bodies: Sequence[Organisation] = (),
    parts: Sequence[str] | None = None,
    actor: str,
    base_url: str,
    passphrase: bytes,
    now: datetime | None = None,
) -> tuple[Issued, list[Candidate]]:
    """Issue ``award`` to ``learner`` with the parts chosen by :func:`choose_parts`, as
    ``issuer`` (and the other awarding bodies, as any issuance); the issued credential and its
    parts.

    Raises :class:`NotStackable`, :class:`AlreadyClaimed` (the learner holds a live credential
    of the award: revoke it to claim again), :class:`PartNotQualifying`,
    :class:`StackIncomplete` (``details``: the parts and ECTS found and needed), and whatever
    issuing raises.
    """
    now = now or utcnow()
    found = eligibility(session, award, learner, now=now)
    if found.claimed is not None:
        raise AlreadyClaimed(
            "the learner holds this award already",
            details={"credential": found.claimed.credential_uri},
        )
    chosen = choose_parts(found, parts)
    if not meets_rule(found.rule, chosen):
        total = sum((c.ects for c in chosen), Decimal(0))
        raise StackIncomplete(
            f"{len(chosen)} of {found.rule['minParts']} parts, {total} of "
            f"{found.rule['minEcts']} ECTS",
            details={
                "parts": len(chosen),
                "minParts": found.rule["minParts"],
                "ects": str(total),
                "minEcts": found.rule["minEcts"],
            },
        )
    issued = issue_credential(
        session,
        issuer=issuer,
        specification=award,
        learner=LearnerInput(
            reference=learner.reference,
            given_name=learner.given_name,
            family_name=learner.family_name,
        ),
        awarding_bodies=awarding_bodies,
        actor=actor,
        base_url=base_url,
        passphrase=passphrase,
        now=now,
        parts=[stack_part(c) for c in chosen],
    )
    return issued, chosen
