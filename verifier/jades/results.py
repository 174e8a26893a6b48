"""What a JAdES seal check returns: the signer, each signature's result, the seal's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from verifier.jades.errors import UNCONFIRMED
from verifier.report import Outcome


@dataclass(frozen=True)
class JadesSigner:
    """Who sealed: read from the signing certificate ``x5c[0]``."""

    subject: str
    """The subject as an RFC 4514 string."""
    organisation: str | None
    country: str | None
    organisation_identifier: str | None
    """eIDAS organizationIdentifier (2.5.4.97), e.g. ``VATES-A00000000``."""
    issuer: str
    serial_number: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the serial number in hexadecimal)."""
        return {
            "subject": self.subject,
            "organisation": self.organisation,
            "country": self.country,
            "organisation_identifier": self.organisation_identifier,
            "issuer": self.issuer,
            "serial_number": format(self.serial_number, "x"),
        }


@dataclass(frozen=True)
class JadesSignatureResult:
    """The outcome for one signature of the JWS."""

    index: int
    verified: bool
    code: str
    message: str
    signer: JadesSigner | None = None
    signing_time: datetime | None = None
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    validation_time: datetime | None = None
    """When the chain was judged (None when it was not): ``now``, or a proven time."""
    time_proven: bool = False
    """True when ``validation_time`` is a ``sigTst`` time from a trusted TSA."""


@dataclass(frozen=True)
class JadesResult:
    """The outcome for the whole seal.

    ``verified`` is True only when every signature passed every check including the chain and
    its revocation status; ``code`` is :data:`VALID` then, else the first failing signature's
    code (or, when nothing failed, the first code of :data:`UNCONFIRMED`). ``signer`` and
    ``signing_time`` are those of the first signature. ``payload`` is the parsed credential
    when every signature verified cryptographically and nothing failed (so also with a code of
    :data:`UNCONFIRMED`), else None. ``timestamps`` lists every time-stamp token of every
    signature: ``{"signature", "kind", "time", "imprint_ok", "signature_ok", "tsa"}`` plus
    ``"problem"`` when the token is broken or ``"note"`` when part of it went unchecked, and
    for ``sigTst`` ``"tsa_chain_trusted"`` (see step 8); ``imprint_ok`` / ``signature_ok`` are
    None when they could not be computed ("unverified"). ``signatures`` has one entry per
    signature.
    """

    verified: bool
    code: str
    message: str
    signer: JadesSigner | None = None
    signing_time: datetime | None = None
    payload: dict[str, Any] | None = None
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    signatures: tuple[JadesSignatureResult, ...] = ()

    @property
    def outcome(self) -> Outcome:
        """How the ``seal`` check should end: ``ok`` when verified, ``unchecked`` when the
        signatures verified but trust in the signer could not be confirmed (a code of
        :data:`UNCONFIRMED`), ``error`` otherwise."""
        if self.verified:
            return Outcome.OK
        if self.code in UNCONFIRMED:
            return Outcome.UNCHECKED
        return Outcome.ERROR

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (without the payload); ``"genuine": true`` when the outcome is
        ``unchecked`` (the signatures verified; only trust in the signer is unconfirmed)."""
        return {
            **({"genuine": True} if self.outcome is Outcome.UNCHECKED else {}),
            "verified": self.verified,
            "code": self.code,
            "message": self.message,
            "signer": self.signer.to_dict() if self.signer else None,
            "signing_time": _iso(self.signing_time),
            "timestamps": [{**t, "time": _iso(t.get("time"))} for t in self.timestamps],
            "signatures": [
                {
                    "index": s.index,
                    "verified": s.verified,
                    "code": s.code,
                    "message": s.message,
                    "signer": s.signer.to_dict() if s.signer else None,
                    "signing_time": _iso(s.signing_time),
                    "validation_time": _iso(s.validation_time),
                    "time_proven": s.time_proven,
                }
                for s in self.signatures
            ],
        }


def signer_of(leaf: x509.Certificate) -> JadesSigner:
    """The :class:`JadesSigner` the signing certificate ``leaf`` names."""

    def first(oid: x509.ObjectIdentifier) -> str | None:
        values = leaf.subject.get_attributes_for_oid(oid)
        value = values[0].value if values else None
        return value if isinstance(value, str) else None

    return JadesSigner(
        subject=leaf.subject.rfc4514_string(),
        organisation=first(NameOID.ORGANIZATION_NAME),
        country=first(NameOID.COUNTRY_NAME),
        organisation_identifier=first(x509.ObjectIdentifier("2.5.4.97")),
        issuer=leaf.issuer.rfc4514_string(),
        serial_number=leaf.serial_number,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
