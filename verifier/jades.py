"""Check a JAdES seal (ETSI TS 119 182-1): the EU's own tool seals credentials this way.

The shape is a JWS in JSON serialization (general, or flattened with one signature) that
envelopes the credential: ``payload`` is the credential JSON. With ``"b64": false`` (RFC 7797)
the payload is carried as is, and the signing input is
``ASCII(BASE64URL(protected)) || "." || UTF-8(payload)``; otherwise the payload is base64url and
the signing input is the usual ``protected "." payload``. The signing certificate comes in the
protected ``x5c`` chain (``x5c[0]``); ``x5t#S256`` and ``kid`` (base64 DER ``IssuerSerial``,
TS 119 182-1 §5.1.4) must name that same certificate. ``sigT`` is the claimed signing time.

What :func:`verify_jades` checks, for every signature (all must pass), in this order — the
first failure gives the result's ``code``:

1. shape: ``payload`` and ``signatures`` (or the flattened members); base64url protected header
   holding a JSON object without duplicate names; unprotected ``header`` disjoint from it;
   the payload a JSON object → ``jades_malformed``;
2. ``alg`` in the protected header and one of :data:`ALLOWED_ALGORITHMS` (never ``none`` nor a
   MAC) → ``jades_unsupported_algorithm`` (also for RSA keys under 2048 bits);
3. ``crit`` names only what this module implements (:data:`UNDERSTOOD_CRITICAL`) →
   ``jades_critical_header_unknown``; each name listed is present, and ``b64: false`` is listed
   (RFC 7797) → ``jades_malformed``;
4. ``x5t#S256`` (and ``x5t``, ``kid`` when present) name ``x5c[0]`` →
   ``jades_certificate_mismatch``;
5. the signature, with ``x5c[0]``'s public key (RSASSA-PKCS1-v1_5, RSASSA-PSS with salt = hash
   length, ECDSA raw ``r || s``) → ``jades_signature_invalid``;
6. ``sigT`` (or, in its absence, ``iat``; one is required) inside ``x5c[0]``'s validity →
   ``jades_certificate_not_valid_at_signing_time``; not later than ``now`` plus
   :data:`CLOCK_SKEW` → ``jades_signing_time_in_future``; a ``keyUsage`` that allows neither
   digitalSignature nor nonRepudiation → ``jades_certificate_not_for_signing``;
7. RFC 3161 time-stamp tokens, in ``adoTst`` (protected) and in ``sigTst`` / ``arcTst`` (in the
   unprotected ``etsiU`` array): the token's CMS signature must verify with the TSA certificate
   it carries, and its message imprint must match the data JAdES says it covers →
   ``jades_timestamp_invalid``. The rules (TS 119 182-1, as implemented by the EU's DSS library;
   all three reproduce the EU sample's imprints byte for byte):

   - ``adoTst`` (§5.2.8.3, no ``sigD``): the JWS Payload as signed — the raw payload bytes when
     ``b64`` is false, the base64url payload otherwise;
   - ``sigTst`` (§5.3.4): the base64url-encoded JWS Signature Value (ASCII);
   - ``arcTst`` (§5.3.6.3.1.1, base64url ``etsiU``): payload (as for ``adoTst``) ``"."``
     base64url protected header ``"."`` base64url signature ``"."`` then every ``etsiU`` element
     that precedes the ``arcTst``, as the base64url strings they are, with no separator.

   Any other kind (``sigRTst``, ``rfsTst``, or an ``arcTst`` in an ``etsiU`` of clear JSON,
   which needs a canonicalization this module lacks) is reported with ``imprint_ok: None``
   ("unverified") and does not fail the seal;
8. the time the chain is judged at: ``now``, unless a ``sigTst`` token (imprint and signature
   good) comes from a TSA whose certificate validates as in step 9, at ``now`` and with the
   ``timeStamping`` extended key usage: its ``genTime`` (the earliest such, not after ``now``)
   proves the seal existed then, and the chain is judged at that time. ``sigT`` is the signer's
   word and never buys an earlier time. Such ``sigTst`` entries get ``tsa_chain_trusted``: True,
   False (with ``tsa_chain_problem``), or None when only the TSA's revocation status is
   unknown; if only such a token could save a seal that fails as expired or revoked, the result
   is ``jades_revocation_unknown``;
9. the chain, with pyhanko-certvalidator, from ``x5c[0]`` to one of ``trust_anchors`` (an
   anchor may be an intermediate CA), helped by ``x5c[1:]``, the ``etsiU`` ``xVals`` and a TSA
   token's certificates (trust comes only from the anchors). Nothing is fetched: the revocation
   status of every certificate below the anchor must come from ``rVals`` (CRLs, OCSP responses)
   or the operator's ``crls``. Data issued after the validated certificate expired is ignored (a
   CA may drop expired certificates from its CRLs) unless it keeps them (X.509
   ``expiredCertsOnCRL``, OCSP ``archiveCutoff``); at a proven time, data issued later counts.
   Revoked before the time → ``jades_certificate_revoked``; expired (or not yet valid) →
   ``jades_certificate_expired``; no path, or another path error → ``jades_untrusted_chain``;
   a revocation status that cannot be had → ``jades_revocation_unknown``.

**Outcome** (:attr:`JadesResult.outcome`, the ``seal`` check's outcome). ``ok``
(``jades_valid``) only when every signature passed all of the above. ``unchecked`` when every
signature verified but trust in the signer could not be confirmed: no ``trust_anchors``
(``jades_no_trust_anchor``: step 9 and the TSA chains are skipped; anyone can make a certificate
that *says* it belongs to an EU body) or revocation status unknown
(``jades_revocation_unknown``); the payload is returned and :meth:`JadesResult.to_dict` says
``"genuine": true``. ``error`` for any other code, with no payload and no ``genuine``.

**Bounded work** (issue #11). A seal makes the verifier do at most :data:`MAX_SIGNATURES`
signature checks and read at most :data:`MAX_ETSI_U` unsigned-property elements per signature
(more → ``jades_malformed``). The path builder tries every chain it can form, and certificates
that share a subject name multiply them (eight such certificates cost 11 s, ten about twenty
minutes). It is offered at most :data:`MAX_PATH_CERTS` certificates, at most
:data:`MAX_SAME_SUBJECT` per subject name, in the order the seal gives them (the others are left
out, as unreadable items are): the worst ladder of two per name then costs about 0.02 s.

Never raises for a bad seal; misuse (a document that is not a mapping, an anchor that is not a
:class:`cryptography.x509.Certificate`, a CRL that is not a
:class:`cryptography.x509.CertificateRevocationList`, a naive ``now``) raises ``TypeError`` /
``ValueError``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hashlib
import json
import re
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from asn1crypto import cms, core, crl, ocsp, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.policy_decl import (
    NO_REVOCATION,
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
)

from verifier.report import Outcome

VALID = "jades_valid"
MALFORMED = "jades_malformed"
UNSUPPORTED_ALGORITHM = "jades_unsupported_algorithm"
CRITICAL_HEADER_UNKNOWN = "jades_critical_header_unknown"
CERTIFICATE_MISMATCH = "jades_certificate_mismatch"
SIGNATURE_INVALID = "jades_signature_invalid"
NOT_VALID_AT_SIGNING_TIME = "jades_certificate_not_valid_at_signing_time"
SIGNING_TIME_IN_FUTURE = "jades_signing_time_in_future"
NOT_FOR_SIGNING = "jades_certificate_not_for_signing"
TIMESTAMP_INVALID = "jades_timestamp_invalid"
CERTIFICATE_REVOKED = "jades_certificate_revoked"
CERTIFICATE_EXPIRED = "jades_certificate_expired"
UNTRUSTED_CHAIN = "jades_untrusted_chain"
NO_TRUST_ANCHOR = "jades_no_trust_anchor"
REVOCATION_UNKNOWN = "jades_revocation_unknown"
#: Codes of a seal whose signatures verified but whose signer's trust was not confirmed.
UNCONFIRMED = frozenset({NO_TRUST_ANCHOR, REVOCATION_UNKNOWN})

#: JWS algorithms accepted for a seal; ``none`` and the MACs (HS*) never are.
ALLOWED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"})

#: Header parameters this module implements, so they may be listed in ``crit``. Anything else
#: there (``sigD`` detached data, ``sigPId`` policies, ``srCms`` commitments, ...) is refused.
UNDERSTOOD_CRITICAL = frozenset({"b64", "sigT", "iat", "adoTst"})

#: How far ``sigT`` may lie after ``now`` (clocks differ).
CLOCK_SKEW = timedelta(minutes=5)

#: The smallest RSA modulus accepted (RFC 7518 §3.3, §3.5).
MIN_RSA_BITS = 2048

#: Signatures one seal may carry, and ``etsiU`` elements one signature may carry.
MAX_SIGNATURES = 4
MAX_ETSI_U = 16
#: Certificates offered to the path builder (besides the anchors), and per subject name.
MAX_PATH_CERTS = 16
MAX_SAME_SUBJECT = 2

_DER_ENCODING = "http://uri.etsi.org/19182/Encoding/DER"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_JWS_HASHES = {name[3:]: algorithm for name, algorithm in _HASHES.items()}  # "256": SHA256, ...
_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1}
_READ_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)


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


class _Failure(Exception):
    """A check failed: ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify_jades(
    document: Mapping[str, Any],
    *,
    trust_anchors: Sequence[x509.Certificate] = (),
    crls: Sequence[x509.CertificateRevocationList] = (),
    now: datetime | None = None,
) -> JadesResult:
    """Check the JAdES seal ``document`` (a JWS in JSON serialization) against the only
    sources of trust, ``trust_anchors``, with the operator's ``crls`` beside the revocation data
    in the seal (nothing is fetched); see the module notes for every step and outcome."""
    if not isinstance(document, Mapping):
        raise TypeError(f"a JAdES document is a JSON object, not {type(document).__name__}")
    anchors = list(trust_anchors)
    for anchor in anchors:
        if not isinstance(anchor, x509.Certificate):
            raise TypeError(f"trust anchors are x509.Certificate, not {type(anchor).__name__}")
    for item in crls:
        if not isinstance(item, x509.CertificateRevocationList):
            raise TypeError(f"crls are x509.CertificateRevocationList, not {type(item).__name__}")
    crl_ders = [item.public_bytes(Encoding.DER) for item in crls]
    if now is None:
        now = datetime.now(UTC)
    elif now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")

    try:
        payload_member, entries = _split_serialization(document)
    except _Failure as failure:
        return JadesResult(False, failure.code, failure.message)

    count = len(entries)
    results: list[JadesSignatureResult] = []
    payload: dict[str, Any] | None = None
    b64_seen: bool | None = None
    for index, entry in enumerate(entries):
        checked = _Signature(index, entry, payload_member, anchors, crl_ders, now)
        result = checked.run()
        if checked.b64 is not None:
            if b64_seen is None:
                b64_seen = checked.b64
            elif checked.b64 != b64_seen:
                # RFC 7797 §3: every signature of a JWS uses the same b64 value.
                result = checked.result(MALFORMED, "The signatures disagree on 'b64'.")
        if payload is None and checked.payload is not None:
            payload = checked.payload
        results.append(result)

    timestamps = [t for r in results for t in r.timestamps]
    failed = [r for r in results if not r.verified and r.code not in UNCONFIRMED]
    unconfirmed = [r for r in results if not r.verified]
    verified = _plural(count, "signature") + " verified"
    if failed:
        code, payload = failed[0].code, None
        prefix = f"Signature {failed[0].index + 1} of {count}: " if count > 1 else ""
        message = prefix + failed[0].message
    elif unconfirmed and unconfirmed[0].code == NO_TRUST_ANCHOR:
        code = NO_TRUST_ANCHOR
        message = verified + (
            ", but no trust anchors are configured: the certificate chain was not checked, so "
            "who sealed is unconfirmed."
        )
    elif unconfirmed:
        code = unconfirmed[0].code
        which = f" (signature {unconfirmed[0].index + 1})" if count > 1 else ""
        message = verified + (
            f", but whether its certificates were revoked could not be confirmed{which}, so "
            f"the seal is not confirmed. {unconfirmed[0].message}"
        )
    else:
        code = VALID
        who = "; ".join(r.signer.subject for r in results if r.signer)
        message = f"{verified}, sealed by {who}."
    first = (results[0].signer, results[0].signing_time)
    return JadesResult(code == VALID, code, message, *first, payload, timestamps, tuple(results))


# --- the serialization --------------------------------------------------------------------


def _split_serialization(document: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The ``payload`` member and the signature entries (general or flattened syntax)."""
    if "payload" not in document:
        raise _Failure(MALFORMED, "The JWS has no payload (a detached seal cannot be checked).")
    payload = document["payload"]
    if not isinstance(payload, str):
        raise _Failure(MALFORMED, "The JWS payload is not a string.")
    if "signatures" in document:
        if "signature" in document or "protected" in document:
            raise _Failure(MALFORMED, "The JWS mixes the general and flattened syntaxes.")
        entries = document["signatures"]
        if not isinstance(entries, list) or not entries:
            raise _Failure(MALFORMED, "The JWS signatures member is not a non-empty array.")
        if len(entries) > MAX_SIGNATURES:
            raise _Failure(
                MALFORMED, f"The JWS carries {len(entries)} signatures; at most {MAX_SIGNATURES}."
            )
        return payload, list(entries)
    if "signature" in document:
        flattened = {k: document[k] for k in ("protected", "header", "signature") if k in document}
        return payload, [flattened]
    raise _Failure(MALFORMED, "The JWS has no signatures.")


class _Signature:
    """The checks of one signature entry; ``run`` never raises for a bad seal."""

    def __init__(
        self,
        index: int,
        entry: Any,
        payload_member: str,
        anchors: list[x509.Certificate],
        crls: list[bytes],
        now: datetime,
    ) -> None:
        self.index = index
        self.entry = entry
        self.payload_member = payload_member
        self.anchors = anchors
        self.crls = crls
        self.now = now
        self.sig_tsts: list[tuple[dict[str, Any], bytes | None, list[bytes]]] = []
        self.b64: bool | None = None
        self.payload: dict[str, Any] | None = None
        self.signer: JadesSigner | None = None
        self.signing_time: datetime | None = None
        self.timestamps: list[dict[str, Any]] = []

    def run(self) -> JadesSignatureResult:
        try:
            return self._run()
        except _Failure as failure:
            if failure.code not in UNCONFIRMED:  # else the signature verified: keep the payload
                self.payload = None
            return self.result(failure.code, failure.message)

    def _run(self) -> JadesSignatureResult:
        entry = self.entry
        if not isinstance(entry, Mapping):
            raise _Failure(MALFORMED, "A signature entry is not a JSON object.")
        protected_b64 = entry.get("protected")
        signature_b64 = entry.get("signature")
        if not isinstance(protected_b64, str) or not protected_b64:
            raise _Failure(MALFORMED, "The signature has no protected header.")
        if not isinstance(signature_b64, str):
            raise _Failure(MALFORMED, "The signature value is missing.")
        protected = _json_object(
            _b64url_decode(protected_b64, "protected header"), "protected header"
        )
        unprotected = entry.get("header", {})
        if not isinstance(unprotected, Mapping):
            raise _Failure(MALFORMED, "The unprotected header is not a JSON object.")
        shared = set(protected) & set(unprotected)
        if shared:
            raise _Failure(
                MALFORMED, f"Header parameters both protected and not: {sorted(shared)}."
            )
        for name in ("alg", "crit", "b64", "sigT", "iat", "adoTst"):
            if name in unprotected:
                raise _Failure(MALFORMED, f"{name!r} must be in the protected header.")
        signature = _b64url_decode(signature_b64, "signature")

        alg = protected.get("alg")
        if not isinstance(alg, str):
            raise _Failure(MALFORMED, "The protected header has no 'alg'.")
        if alg not in ALLOWED_ALGORITHMS:
            raise _Failure(UNSUPPORTED_ALGORITHM, f"Algorithm {alg!r} is not accepted for a seal.")

        b64 = protected.get("b64", True)
        if not isinstance(b64, bool):
            raise _Failure(MALFORMED, "'b64' is not a boolean.")
        self.b64 = b64
        crit = _check_crit(protected)
        if not b64 and "b64" not in crit:
            raise _Failure(MALFORMED, "'b64': false must be listed in 'crit' (RFC 7797).")

        payload_bytes = self._payload_bytes(b64)
        payload = _json_object(payload_bytes, "payload")

        chain = _certificates(protected, unprotected)
        leaf = chain[0]
        leaf_der = _der(leaf)
        self.signer = _signer(leaf)
        _check_certificate_references(protected, leaf, leaf_der)

        signing_input = (
            protected_b64.encode("ascii")
            + b"."
            + (payload_bytes if not b64 else self.payload_member.encode("ascii"))
        )
        _verify_signature(alg, leaf, signature, signing_input)

        self.signing_time = signing_time = _signing_time(protected)
        if not leaf.not_valid_before_utc <= signing_time <= leaf.not_valid_after_utc:
            raise _Failure(
                NOT_VALID_AT_SIGNING_TIME,
                f"The signing time {signing_time.isoformat()} lies outside the certificate's "
                f"validity ({leaf.not_valid_before_utc.isoformat()} to "
                f"{leaf.not_valid_after_utc.isoformat()}).",
            )
        if signing_time > self.now + CLOCK_SKEW:
            raise _Failure(
                SIGNING_TIME_IN_FUTURE,
                f"The signing time {signing_time.isoformat()} lies in the future.",
            )
        _check_key_usage(leaf)

        etsi_u = _etsi_u(unprotected)
        self._check_timestamps(protected, protected_b64, signature_b64, payload_bytes, etsi_u)
        self.payload = payload

        if not self.anchors:
            return self.result(
                NO_TRUST_ANCHOR,
                "The signature verified; the certificate chain was not checked (no trust anchors).",
            )
        moment, proven = self._validate(leaf_der, _validation_data(chain[1:], etsi_u, self.crls))
        how = "proven by a trusted signature time-stamp" if proven else "now"
        return self.result(
            VALID,
            f"Sealed by {self.signer.subject}; the certificate chain and its revocation status "
            f"hold at {moment.isoformat()} ({how}).",
            moment,
            proven,
        )

    def result(
        self, code: str, message: str, moment: datetime | None = None, proven: bool = False
    ) -> JadesSignatureResult:
        """This signature's result, ending with ``code``."""
        context = (self.signer, self.signing_time, self.timestamps, moment, proven)
        return JadesSignatureResult(self.index, code == VALID, code, message, *context)

    def _validate(self, leaf_der: bytes, data: _Data) -> tuple[datetime, bool]:
        """Steps 8 and 9: ``(the time the chain held at, whether a time-stamp proved it)``."""
        times: dict[bool | None, list[datetime]] = {True: [], False: [], None: []}
        for entry, tsa_der, certs in self.sig_tsts:
            if not (entry["imprint_ok"] and entry["signature_ok"] and tsa_der):
                continue
            try:
                tsa_data = data._replace(certs=data.certs + certs)
                _validate_chain(tsa_der, tsa_data, self.anchors, self.now, timestamping=True)
                entry["tsa_chain_trusted"] = True
            except _Failure as failure:
                unknown = failure.code == REVOCATION_UNKNOWN
                entry["tsa_chain_trusted"] = None if unknown else False
                entry["tsa_chain_problem"] = failure.message
            if entry["time"] <= self.now:
                times[entry["tsa_chain_trusted"]].append(entry["time"])
        proven = min(times[True], default=None)
        unsure = min(times[None], default=None)  # proven but for the TSA's revocation status
        moment = proven or self.now
        try:
            _validate_chain(leaf_der, data, self.anchors, moment, retroactive=bool(proven))
        except _Failure as failure:
            if failure.code == CERTIFICATE_EXPIRED and not proven:
                failure.message += (
                    " No signature time-stamp of a TSA that chains to a trust anchor proves an "
                    "earlier time."
                )
            if failure.code not in (CERTIFICATE_EXPIRED, CERTIFICATE_REVOKED) or not (
                unsure and unsure < moment
            ):
                raise
            try:
                _validate_chain(leaf_der, data, self.anchors, unsure, retroactive=True)
            except _Failure as second:
                if second.code != REVOCATION_UNKNOWN:
                    raise failure from None
            raise _Failure(
                REVOCATION_UNKNOWN,
                f"A signature time-stamp would show the seal was made at {unsure.isoformat()}, "
                "in time, but the revocation status of its TSA could not be confirmed.",
            ) from None
        return moment, bool(proven)

    def _payload_bytes(self, b64: bool) -> bytes:
        if not b64:
            try:
                return self.payload_member.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise _Failure(MALFORMED, "The payload is not valid Unicode text.") from exc
        return _b64url_decode(self.payload_member, "payload")

    def _check_timestamps(
        self,
        protected: Mapping[str, Any],
        protected_b64: str,
        signature_b64: str,
        payload_bytes: bytes,
        etsi_u: list[tuple[str, Any, str | None]],
    ) -> None:
        signed_data = payload_bytes if not self.b64 else self.payload_member.encode("ascii")
        if "adoTst" in protected:
            self._tokens("adoTst", protected["adoTst"], signed_data)
        for position, (name, value, encoded) in enumerate(etsi_u):
            if name == "sigTst":
                self._tokens(name, value, signature_b64.encode("ascii"))
            elif name == "arcTst":
                data: bytes | None = None
                earlier = [e for _, _, e in etsi_u[:position]]
                if encoded is not None and all(e is not None for e in earlier):
                    data = b".".join(
                        (signed_data, protected_b64.encode(), signature_b64.encode(), b"")
                    ) + "".join(e for e in earlier if e is not None).encode("ascii")
                self._tokens(name, value, data)
            elif name.endswith("Tst"):
                self._tokens(name, value, None)
        problems = [
            t for t in self.timestamps if t["imprint_ok"] is False or t["signature_ok"] is False
        ]
        if problems:
            bad = problems[0]
            raise _Failure(TIMESTAMP_INVALID, f"The {bad['kind']} time-stamp: {bad['problem']}")

    def _tokens(self, kind: str, container: Any, data: bytes | None) -> None:
        if not isinstance(container, Mapping) or not isinstance(container.get("tstTokens"), list):
            raise _Failure(MALFORMED, f"{kind!r} has no 'tstTokens' array.")
        if not container["tstTokens"]:
            raise _Failure(MALFORMED, f"{kind!r} has an empty 'tstTokens' array.")
        for token in container["tstTokens"]:
            checked, tsa_der, certs = _check_token(kind, token, data)
            entry = {"signature": self.index, **checked}
            self.timestamps.append(entry)
            if kind == "sigTst":
                self.sig_tsts.append((entry, tsa_der, certs))


# --- header parameters -------------------------------------------------------------------


def _check_crit(protected: Mapping[str, Any]) -> list[str]:
    if "crit" not in protected:
        return []
    crit = protected["crit"]
    if (
        not isinstance(crit, list)
        or not crit
        or not all(isinstance(n, str) for n in crit)
        or len(set(crit)) != len(crit)
    ):
        raise _Failure(MALFORMED, "'crit' is not a non-empty array of distinct names.")
    unknown = [n for n in crit if n not in UNDERSTOOD_CRITICAL]
    if unknown:
        raise _Failure(
            CRITICAL_HEADER_UNKNOWN, f"Critical header parameters not understood: {unknown}."
        )
    missing = [n for n in crit if n not in protected]
    if missing:
        raise _Failure(MALFORMED, f"'crit' lists parameters that are absent: {missing}.")
    return crit


def _certificates(
    protected: Mapping[str, Any], unprotected: Mapping[str, Any]
) -> list[x509.Certificate]:
    """``x5c`` as certificates. An unprotected ``x5c`` is accepted only when a protected
    ``x5t#S256`` pins its first certificate (checked afterwards)."""
    if "x5c" in protected:
        x5c = protected["x5c"]
    elif "x5c" in unprotected and "x5t#S256" in protected:
        x5c = unprotected["x5c"]
    else:
        raise _Failure(MALFORMED, "The signing certificate is missing (no protected 'x5c').")
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise _Failure(MALFORMED, "'x5c' is not a non-empty array of base64 strings.")
    certificates = []
    for number, text in enumerate(x5c):
        try:
            certificates.append(_load_certificate(_b64_decode(text)))
        except ValueError as exc:
            raise _Failure(MALFORMED, f"x5c[{number}] is not a DER X.509 certificate.") from exc
    return certificates


def _check_certificate_references(
    protected: Mapping[str, Any], leaf: x509.Certificate, leaf_der: bytes
) -> None:
    for name, algorithm in (("x5t#S256", hashlib.sha256), ("x5t", hashlib.sha1)):
        if name not in protected:
            continue
        value = protected[name]
        if not isinstance(value, str):
            raise _Failure(MALFORMED, f"{name!r} is not a string.")
        if _b64url_decode(value, name) != algorithm(leaf_der).digest():
            raise _Failure(CERTIFICATE_MISMATCH, f"{name!r} does not match the certificate x5c[0].")
    if "kid" in protected:
        kid = protected["kid"]
        if not isinstance(kid, str):
            raise _Failure(MALFORMED, "'kid' is not a string.")
        try:
            issuer_serial = cms.IssuerSerial.load(_b64_decode(kid), strict=True)
            issuer_serial.native  # noqa: B018  (parse fully here, not lazily later)
            names = [n.chosen for n in issuer_serial["issuer"] if n.name == "directory_name"]
            serial = issuer_serial["serial"].native
        except (ValueError, TypeError, KeyError) as exc:
            raise _Failure(MALFORMED, "'kid' is not a base64 DER IssuerSerial.") from exc
        issuer = asn1_x509.Certificate.load(leaf_der).issuer
        if serial != leaf.serial_number or not any(n == issuer for n in names):
            raise _Failure(CERTIFICATE_MISMATCH, "'kid' names another certificate than x5c[0].")


def _signing_time(protected: Mapping[str, Any]) -> datetime:
    """``sigT`` (RFC 3339 UTC text); or, when it is absent, ``iat`` (seconds since the epoch),
    which TS 119 182-1 v1.2.1 puts in its place for signatures made from 2025-07-15."""
    if "sigT" not in protected and "iat" in protected:
        value = protected["iat"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Failure(MALFORMED, "'iat' is not a number of seconds.")
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise _Failure(MALFORMED, f"'iat' {value!r} is not a valid time.") from exc
    value = protected.get("sigT")
    if not isinstance(value, str):
        raise _Failure(MALFORMED, "The protected header has no signing time ('sigT' or 'iat').")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value):
        raise _Failure(MALFORMED, f"'sigT' {value!r} is not a UTC time like 2023-09-27T11:54:17Z.")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise _Failure(MALFORMED, f"'sigT' {value!r} is not a valid time.") from exc


def _check_key_usage(leaf: x509.Certificate) -> None:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise _Failure(
            NOT_FOR_SIGNING,
            "The certificate's key usage allows neither digitalSignature nor nonRepudiation.",
        )


def _signer(leaf: x509.Certificate) -> JadesSigner:
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


# --- the signature ------------------------------------------------------------------------


def _verify_signature(alg: str, leaf: x509.Certificate, signature: bytes, data: bytes) -> None:
    try:
        key = leaf.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _Failure(
            UNSUPPORTED_ALGORITHM, "The certificate's public key cannot be used."
        ) from exc
    digest = _JWS_HASHES[alg[2:]]()
    try:
        if alg.startswith(("RS", "PS")):
            if not isinstance(key, rsa.RSAPublicKey):
                raise _Failure(
                    SIGNATURE_INVALID, f"{alg} needs an RSA key; the certificate's is not."
                )
            if key.key_size < MIN_RSA_BITS:
                raise _Failure(
                    UNSUPPORTED_ALGORITHM,
                    f"The RSA key has {key.key_size} bits; {MIN_RSA_BITS} needed.",
                )
            pad: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if alg.startswith("RS")
                else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            )
            key.verify(signature, data, pad, digest)
        else:
            curve = _CURVES[alg]
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve):
                raise _Failure(
                    SIGNATURE_INVALID, f"{alg} needs a {curve.name} key; the certificate's is not."
                )
            size = (key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                raise _Failure(SIGNATURE_INVALID, f"An {alg} signature has {2 * size} bytes.")
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            key.verify(der, data, ec.ECDSA(digest))
    except InvalidSignature as exc:
        raise _Failure(
            SIGNATURE_INVALID,
            "The signature does not verify: the seal or the credential was changed.",
        ) from exc


# --- time-stamp tokens ---------------------------------------------------------------------


def _etsi_u(unprotected: Mapping[str, Any]) -> list[tuple[str, Any, str | None]]:
    """``etsiU`` as ``(name, value, base64url text or None)``; all elements must share a form."""
    items = unprotected.get("etsiU", [])
    if not isinstance(items, list):
        raise _Failure(MALFORMED, "'etsiU' is not an array.")
    if len(items) > MAX_ETSI_U:
        raise _Failure(MALFORMED, f"'etsiU' holds {len(items)} elements; at most {MAX_ETSI_U}.")
    parsed: list[tuple[str, Any, str | None]] = []
    for item in items:
        if isinstance(item, str):
            component = _json_object(_b64url_decode(item, "etsiU element"), "etsiU element")
            encoded: str | None = item
        elif isinstance(item, Mapping):
            component, encoded = dict(item), None
        else:
            raise _Failure(MALFORMED, "An 'etsiU' element is neither base64url nor a JSON object.")
        if len(component) != 1:
            raise _Failure(MALFORMED, "An 'etsiU' element must hold exactly one component.")
        ((name, value),) = component.items()
        parsed.append((name, value, encoded))
    if len({e is None for _, _, e in parsed}) > 1:
        raise _Failure(MALFORMED, "'etsiU' mixes base64url and clear JSON elements.")
    return parsed


def _check_token(
    kind: str, token: Any, data: bytes | None
) -> tuple[dict[str, Any], bytes | None, list[bytes]]:
    """One RFC 3161 token: its time, whether its imprint covers ``data`` (None: unverified),
    whether its CMS signature verifies with the TSA certificate it carries; and that TSA
    certificate and every certificate in the token (DER), for validating the TSA's chain."""
    entry: dict[str, Any] = {
        "kind": kind,
        "time": None,
        "imprint_ok": None,
        "signature_ok": None,
        "tsa": None,
    }
    if not isinstance(token, Mapping) or not isinstance(token.get("val"), str):
        raise _Failure(MALFORMED, f"A {kind!r} token has no 'val'.")
    if token.get("encoding", _DER_ENCODING) != _DER_ENCODING:
        entry["note"] = f"token encoding {token.get('encoding')!r} is not supported (unverified)"
        return entry, None, []
    try:
        der = _b64_decode(token["val"])
        content = cms.ContentInfo.load(der, strict=True)
        if content["content_type"].native != "signed_data":
            raise ValueError("not CMS SignedData")
        signed_data = content["content"]
        encapsulated = signed_data["encap_content_info"]
        if encapsulated["content_type"].native != "tst_info":
            raise ValueError("not a TSTInfo")
        tst_der = encapsulated["content"].contents
        tst_info = tsp.TSTInfo.load(tst_der, strict=True)
        entry["time"] = tst_info["gen_time"].native
        imprint = tst_info["message_imprint"]
        imprint_alg = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
    except _READ_ERRORS as exc:
        entry["imprint_ok"] = False
        entry["signature_ok"] = False
        entry["problem"] = f"the token cannot be read ({exc})"
        return entry, None, []

    entry["signature_ok"], tsa, note = _token_signature(signed_data, tst_der)
    entry["tsa"] = tsa.subject.rfc4514_string() if tsa else None
    if data is not None and imprint_alg in _HASHES:
        digest = hashes.Hash(_HASHES[imprint_alg]())
        digest.update(data)
        entry["imprint_ok"] = digest.finalize() == hashed
        if not entry["imprint_ok"]:
            note = "its message imprint does not match the data it covers"
    elif data is None:
        note = note or "the message imprint of this kind is not checked (unverified)"
    else:
        note = note or f"imprint hash {imprint_alg!r} is not supported (unverified)"
    if note:
        failed = entry["imprint_ok"] is False or entry["signature_ok"] is False
        entry["problem" if failed else "note"] = note
    certs = [c.chosen.dump() for c in signed_data["certificates"] or [] if c.name == "certificate"]
    return entry, _der(tsa) if tsa else None, certs


def _token_signature(
    signed_data: cms.SignedData, tst_der: bytes
) -> tuple[bool | None, x509.Certificate | None, str | None]:
    """``(signature_ok, TSA certificate, problem)`` for a token's CMS signature."""
    try:
        infos = signed_data["signer_infos"]
        if len(infos) != 1:
            return False, None, "a time-stamp token has exactly one signer"
        info = infos[0]
        digest_name = info["digest_algorithm"]["algorithm"].native
        if digest_name not in _HASHES:
            return None, None, f"token digest {digest_name!r} is not supported (unverified)"
        digest_cls = _HASHES[digest_name]
        attrs = {a["type"].native: a["values"] for a in info["signed_attrs"]}
        if "message_digest" not in attrs or attrs.get("content_type") is None:
            return False, None, "the token lacks signed content-type or message-digest attributes"
        if attrs["content_type"][0].native != "tst_info":
            return False, None, "the token's signed content type is not TSTInfo"
        expected = hashes.Hash(digest_cls())
        expected.update(tst_der)
        if attrs["message_digest"][0].native != expected.finalize():
            return False, None, "the token's content was changed (message digest mismatch)"
        certificate = _tsa_certificate(signed_data, info)
        if certificate is None:
            return None, None, "the TSA certificate is not in the token (signature unverified)"
        key = certificate.public_key()
        to_sign = info["signed_attrs"].untag().dump()
        signature = info["signature"].native
        algorithm = info["signature_algorithm"]
        algo = algorithm.signature_algo
        if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, to_sign, padding.PKCS1v15(), _hash_of(algorithm, digest_cls)())
        elif algo == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            pss_hash = _HASHES[params["hash_algorithm"]["algorithm"].native]()
            key.verify(
                signature,
                to_sign,
                padding.PSS(mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native),
                pss_hash,
            )
        elif algo == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, to_sign, ec.ECDSA(_hash_of(algorithm, digest_cls)()))
        else:
            problem = f"token signature algorithm {algo!r} is not supported (unverified)"
            return None, certificate, problem
    except InvalidSignature:
        return False, None, "the TSA's signature on the token does not verify"
    except (*_READ_ERRORS, UnsupportedAlgorithm) as exc:
        return False, None, f"the token's signature cannot be checked ({exc})"
    return True, certificate, None


def _hash_of(
    algorithm: cms.SignedDigestAlgorithm, fallback: type[hashes.HashAlgorithm]
) -> type[hashes.HashAlgorithm]:
    try:
        name = algorithm.hash_algo
    except ValueError:
        return fallback
    if name not in _HASHES:
        raise ValueError(f"hash {name!r} is not supported")
    return _HASHES[name]


def _tsa_certificate(signed_data: cms.SignedData, info: cms.SignerInfo) -> x509.Certificate | None:
    sid = info["sid"]
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        candidate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                candidate.issuer == wanted["issuer"]
                and candidate.serial_number == wanted["serial_number"].native
            ):
                return _load_certificate(candidate.dump())
        elif candidate.key_identifier == sid.chosen.native:
            return _load_certificate(candidate.dump())
    return None


# --- the chain -----------------------------------------------------------------------------


class _Data(NamedTuple):
    """What may help validate a chain (DER): certificates to build paths with, CRLs and OCSP
    responses. None of it is trusted for being here."""

    certs: list[bytes]
    crls: list[bytes]
    ocsps: list[bytes]


def _validation_data(
    intermediates: list[x509.Certificate],
    etsi_u: list[tuple[str, Any, str | None]],
    configured_crls: list[bytes],
) -> _Data:
    """``x5c[1:]`` and the ``xVals`` certificates; the ``rVals`` CRLs and OCSP responses, and
    the operator's CRLs. Unreadable items are left out."""
    data = _Data([_der(c) for c in intermediates], [], [])
    for name, value, _ in etsi_u:
        if name == "xVals" and isinstance(value, list):
            for item in value:
                holder = item.get("x509Cert") if isinstance(item, Mapping) else None
                der = _maybe_b64(holder.get("val") if isinstance(holder, Mapping) else None)
                if der is not None and _loads(asn1_x509.Certificate, der):
                    data.certs.append(der)
        elif name == "rVals" and isinstance(value, Mapping):
            for key, target, spec in (
                ("crlVals", data.crls, crl.CertificateList),
                ("ocspVals", data.ocsps, ocsp.OCSPResponse),
            ):
                for item in value.get(key, []) if isinstance(value.get(key), list) else []:
                    der = _maybe_b64(item.get("val") if isinstance(item, Mapping) else None)
                    if der is not None and _loads(spec, der):
                        target.append(der)
    data.crls.extend(configured_crls)
    return data


def _validate_chain(
    cert_der: bytes,
    data: _Data,
    anchors: list[x509.Certificate],
    moment: datetime,
    *,
    retroactive: bool = False,
    timestamping: bool = False,
) -> None:
    """A path from ``cert_der`` to an anchor, valid at ``moment``, offline, with the revocation
    status of every certificate below the anchor known and good (step 9); else a _Failure.
    ``retroactive``: revocation data issued after ``moment`` counts (``moment`` is a proven
    time); ``timestamping``: the certificate must also be a TSA's (extended key usage)."""
    not_after = asn1_x509.Certificate.load(cert_der).not_valid_after
    crls = [d for d in data.crls if _kept_after(d, crl.CertificateList, not_after)]
    ocsps = [d for d in data.ocsps if _kept_after(d, ocsp.OCSPResponse, not_after)]

    async def validate(policy: RevocationCheckingPolicy) -> None:
        context = ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(_der(a)) for a in anchors],
            other_certs=_path_candidates(data.certs),
            moment=moment,
            allow_fetching=False,
            revinfo_policy=CertRevTrustPolicy(policy, retroactive_revinfo=retroactive),
            crls=crls,
            ocsps=ocsps,
        )
        certificate = asn1_x509.Certificate.load(cert_der)
        validator = CertificateValidator(certificate, validation_context=context)
        if timestamping:
            await validator.async_validate_usage(set(), {"time_stamping"})
        else:
            await validator.async_validate_path()

    at = moment.isoformat()
    try:
        try:
            _run(validate(REQUIRE_REVINFO))
        except InsufficientRevinfoError as exc:
            _run(validate(NO_REVOCATION))  # does the chain hold but for revocation data?
            raise _Failure(
                REVOCATION_UNKNOWN,
                "No usable revocation data (a CRL or OCSP response, in the seal or configured) "
                f"shows the certificate chain unrevoked at {at}: {exc}.",
            ) from exc
    except (PathError, ValidationError, ValueError, TypeError, KeyError) as exc:
        code, what = next((c, w) for kinds, c, w in _CHAIN_ERRORS if isinstance(exc, kinds))
        raise _Failure(code, f"{what} (judged at {at}): {exc}.") from exc


_CHAIN_ERRORS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str, str], ...] = (
    (RevokedError, CERTIFICATE_REVOKED, "The certificate chain is revoked"),
    ((ExpiredError, NotYetValidError), CERTIFICATE_EXPIRED, "The certificate chain is not valid"),
    (PathError, UNTRUSTED_CHAIN, "The certificate does not chain to a trust anchor"),
    (Exception, UNTRUSTED_CHAIN, "The certificate chain could not be validated"),
)


def _path_candidates(ders: list[bytes]) -> list[asn1_x509.Certificate]:
    """The certificates offered to the path builder: each once, at most
    :data:`MAX_SAME_SUBJECT` per subject name and :data:`MAX_PATH_CERTS` in all, in order."""
    chosen: list[asn1_x509.Certificate] = []
    seen: set[bytes] = set()
    per_subject: dict[bytes, int] = {}
    for der in ders:
        if der in seen or len(chosen) >= MAX_PATH_CERTS:
            continue
        seen.add(der)
        certificate = asn1_x509.Certificate.load(der)
        subject = certificate.subject.dump()
        if per_subject.get(subject, 0) >= MAX_SAME_SUBJECT:
            continue
        per_subject[subject] = per_subject.get(subject, 0) + 1
        chosen.append(certificate)
    return chosen


def _kept_after(der: bytes, spec: Any, not_after: datetime) -> bool:
    """False for revocation data issued after ``not_after`` (when the certificate expired)
    unless it keeps certificates that expired then (expiredCertsOnCRL, OCSP archiveCutoff)."""
    try:
        if spec is crl.CertificateList:
            tbs = crl.CertificateList.load(der)["tbs_cert_list"]
            issued = tbs["this_update"].native
            kept = [
                core.GeneralizedTime.load(e["extn_value"].contents).native
                for e in tbs["crl_extensions"]
                if e["extn_id"].dotted == "2.5.29.60"  # expiredCertsOnCRL (X.509 §9.5.2.10)
            ]
        else:
            response = ocsp.OCSPResponse.load(der).basic_ocsp_response["tbs_response_data"]
            issued = response["produced_at"].native
            cutoffs = [r.archive_cutoff_value for r in response["responses"]]
            kept = [c.native for c in cutoffs if c is not None]
    except _READ_ERRORS:
        return False
    return issued <= not_after or any(k <= not_after for k in kept)


_T = TypeVar("_T")


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coroutine`` to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# --- small helpers -------------------------------------------------------------------------


def _b64url_decode(text: str, what: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2)."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise _Failure(MALFORMED, f"The {what} is not base64url.")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64_decode(text: str) -> bytes:
    """Standard base64 (``x5c``, ``kid``, token values); raises ValueError."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def _maybe_b64(text: Any) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        return _b64_decode(text)
    except ValueError:
        return None


def _loads(spec: Any, der: bytes) -> bool:
    try:
        spec.load(der, strict=True).native  # noqa: B018  (parse fully now, not lazily later)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    """A JSON object with unique member names (duplicates make parsers disagree)."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate member {key!r}")
            result[key] = value
        return result

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=unique, parse_constant=no_constants
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Failure(MALFORMED, f"The {what} is not JSON ({exc}).") from exc
    if not isinstance(value, dict):
        raise _Failure(MALFORMED, f"The {what} is not a JSON object.")
    return value


def _load_certificate(der: bytes) -> x509.Certificate:
    """A DER certificate; ValueError also for a serial number that is not positive (RFC 5280
    §4.1.2.2), which ``cryptography`` would only warn about."""
    parsed = asn1_x509.Certificate.load(der, strict=True)
    if parsed.serial_number <= 0:
        raise ValueError("the certificate's serial number is not positive")
    return x509.load_der_x509_certificate(der)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(Encoding.DER)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"
