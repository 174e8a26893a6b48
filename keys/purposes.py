"""Proof purposes: what a proof claims to be for, and who may make it.

The ladder follows jsonld-signatures: ``ProofPurpose`` checks the purpose term and the proof's
timestamps; ``ControllerProofPurpose`` also requires the verification method to be listed under
that term in its controller's DID document, and (optionally) the controller to be one of an
expected set — the credential's issuer, or the awarding bodies of a joint award;
``AssertionProofPurpose`` is the one credentials use, ``AuthenticationProofPurpose`` the one
presentations use (it also checks the verifier's ``challenge`` and ``domain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from keys.errors import (
    KeyNotAuthorized,
    MalformedProof,
    ProofChallengeMismatch,
    ProofCreatedInFuture,
    ProofDomainMismatch,
    ProofExpired,
    ProofPurposeMismatch,
)
from keys.resolver import is_authorized

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


def parse_datetime(value: object, *, member: str) -> datetime:
    """Parse an XML Schema ``dateTimeStamp`` (timezone required); ``MalformedProof`` otherwise."""
    if not isinstance(value, str):
        raise MalformedProof(f"proof {member} must be a date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedProof(f"proof {member} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise MalformedProof(f"proof {member} {value!r} has no timezone")
    return parsed


class ProofPurpose:
    """A proof made for ``term``; its ``created`` may not lie beyond ``now`` plus the clock skew."""

    term: str = ""

    def __init__(self, *, term: str | None = None, clock_skew: timedelta = DEFAULT_CLOCK_SKEW):
        if term is not None:
            self.term = term
        if not self.term:
            raise TypeError("a proof purpose needs a term")
        self.clock_skew = clock_skew

    def match(self, proof: Mapping[str, Any]) -> bool:
        """True when the proof says it was made for this purpose."""
        return proof.get("proofPurpose") == self.term

    def check_proof(self, proof: Mapping[str, Any], *, now: datetime) -> None:
        """Raise unless the proof is for this purpose and its timestamps fit ``now``.

        ``ProofPurposeMismatch`` for another purpose, ``ProofCreatedInFuture`` or
        ``ProofExpired`` for a timestamp out of range, ``MalformedProof`` for an unreadable one.
        Needs no key: verifiers run it before resolving anything.
        """
        if not self.match(proof):
            raise ProofPurposeMismatch(
                f"proof purpose is {proof.get('proofPurpose')!r}, expected {self.term!r}"
            )
        if "created" in proof:
            created = parse_datetime(proof["created"], member="created")
            if created > now + self.clock_skew:
                raise ProofCreatedInFuture(f"proof created {proof['created']} is in the future")
        if "expires" in proof:
            expires = parse_datetime(proof["expires"], member="expires")
            if expires < now:
                raise ProofExpired(f"proof expired at {proof['expires']}")

    def check_controller(
        self, method: Mapping[str, Any], controller_document: Mapping[str, Any]
    ) -> None:
        """Raise if the method's controller may not make proofs of this purpose (here: never)."""

    def validate(
        self,
        proof: Mapping[str, Any],
        *,
        method: Mapping[str, Any],
        controller_document: Mapping[str, Any],
        now: datetime,
    ) -> None:
        """Both checks: ``check_proof`` then ``check_controller``."""
        self.check_proof(proof, now=now)
        self.check_controller(method, controller_document)


class ControllerProofPurpose(ProofPurpose):
    """A purpose whose key must be listed under ``term`` by its controller.

    With ``controllers`` given, the controller must also be one of them: a key of some other
    DID, however valid its signature, does not speak for the issuer.
    """

    def __init__(
        self,
        *,
        term: str | None = None,
        controllers: Iterable[str] | None = None,
        clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    ):
        super().__init__(term=term, clock_skew=clock_skew)
        self.controllers = frozenset(controllers) if controllers is not None else None

    def check_controller(
        self, method: Mapping[str, Any], controller_document: Mapping[str, Any]
    ) -> None:
        """``KeyNotAuthorized`` unless the controller lists the method under ``term`` and (when
        ``controllers`` was given) is one of ``controllers``."""
        controller = controller_document.get("id")
        if not is_authorized(controller_document, str(method.get("id")), self.term):
            raise KeyNotAuthorized(
                f"{method.get('id')} is not listed under {self.term} by its controller {controller}"
            )
        if self.controllers is not None and controller not in self.controllers:
            expected = ", ".join(sorted(self.controllers)) or "(none)"
            raise KeyNotAuthorized(
                f"the key's controller {controller} is not the expected signer ({expected})"
            )


class AssertionProofPurpose(ControllerProofPurpose):
    """The purpose of a credential's proof: the controller asserts the claims."""

    term = "assertionMethod"


class AuthenticationProofPurpose(ControllerProofPurpose):
    """The purpose of a presentation's proof: the holder authenticates to a verifier.

    With ``challenge`` given, the proof must carry exactly that ``challenge``; with ``domain``
    given, the proof's ``domain`` (a string, or a list of them) must be or contain it — as
    jsonld-signatures' ``AuthenticationProofPurpose`` does. Either missing from the proof is a
    mismatch (``challenge_mismatch``, ``domain_mismatch``): a replayed presentation must fail.
    """

    term = "authentication"

    def __init__(
        self,
        *,
        challenge: str | None = None,
        domain: str | None = None,
        controllers: Iterable[str] | None = None,
        clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    ):
        super().__init__(controllers=controllers, clock_skew=clock_skew)
        self.challenge = challenge
        self.domain = domain

    def check_proof(self, proof: Mapping[str, Any], *, now: datetime) -> None:
        """The purpose and timestamps (``ProofPurpose.check_proof``), then the challenge and the
        domain when the verifier gave them."""
        super().check_proof(proof, now=now)
        if self.challenge is not None and proof.get("challenge") != self.challenge:
            raise ProofChallengeMismatch(
                f"the proof's challenge {proof.get('challenge')!r} is not the one expected"
            )
        if self.domain is not None:
            found = proof.get("domain")
            domains = found if isinstance(found, list) else [found]
            if self.domain not in domains:
                raise ProofDomainMismatch(
                    f"the proof's domain {found!r} is not the expected {self.domain!r}"
                )
