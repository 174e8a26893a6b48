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
2. ``alg`` in the protected header and one of :data:`.signature.ALLOWED_ALGORITHMS` (never
   ``none`` nor a MAC) → ``jades_unsupported_algorithm`` (also for RSA keys under 2048 bits);
3. ``crit`` names only what this package implements
   (:data:`.serialization.UNDERSTOOD_CRITICAL`) → ``jades_critical_header_unknown``; each name
   listed is present, and ``b64: false`` is listed (RFC 7797) → ``jades_malformed``;
4. ``x5t#S256`` (and ``x5t``, ``kid`` when present) name ``x5c[0]`` →
   ``jades_certificate_mismatch``;
5. the signature, with ``x5c[0]``'s public key (RSASSA-PKCS1-v1_5, RSASSA-PSS with salt = hash
   length, ECDSA raw ``r || s``) → ``jades_signature_invalid``;
6. ``sigT`` (or, in its absence, ``iat``; one is required) inside ``x5c[0]``'s validity →
   ``jades_certificate_not_valid_at_signing_time``; not later than ``now`` plus
   :data:`.signature.CLOCK_SKEW` → ``jades_signing_time_in_future``; a ``keyUsage`` that
   allows neither digitalSignature nor nonRepudiation → ``jades_certificate_not_for_signing``;
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
   which needs a canonicalization this package lacks) is reported with ``imprint_ok: None``
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
   a revocation status that cannot be had → ``jades_revocation_unknown``. Expired or revoked,
   but a ``sigTst`` whose TSA (a time-stamping certificate) reaches no anchor or has itself
   expired says the seal was made while the chain held (and it did hold then) →
   ``jades_time_unproven``: the time is a third party's unproven word, which configuring that
   TSA as an anchor would prove. Without any anchor, only the signing certificate's own
   validity is judged: valid now → ``jades_no_trust_anchor``; not valid now → the same
   ``jades_time_unproven`` when a ``sigTst`` says the seal was made within its validity, else
   ``jades_certificate_expired`` (``sigT`` proves nothing).

**Outcome** (:attr:`JadesResult.outcome`, the ``seal`` check's outcome). ``ok``
(``jades_valid``) only when every signature passed all of the above. ``unchecked`` when every
signature verified but trust in the signer could not be confirmed: no ``trust_anchors``
(``jades_no_trust_anchor``: step 9 and the TSA chains are skipped; anyone can make a certificate
that *says* it belongs to an EU body), revocation status unknown
(``jades_revocation_unknown``) or the time of sealing unproven (``jades_time_unproven``); the
payload is returned and :meth:`JadesResult.to_dict` says
``"genuine": true``. ``error`` for any other code, with no payload and no ``genuine``.

**Bounded work** (issue #11). A seal makes the verifier do at most
:data:`.serialization.MAX_SIGNATURES` signature checks and read at most
:data:`.serialization.MAX_ETSI_U` unsigned-property elements per signature (more →
``jades_malformed``). The path builder tries every chain it can form, and certificates that
share a subject name multiply them (eight such certificates cost 11 s, ten about twenty
minutes). It is offered at most :data:`.chain.MAX_PATH_CERTS` certificates, at most
:data:`.chain.MAX_SAME_SUBJECT` per subject name, in the order the seal gives them (the others
are left out, as unreadable items are): the worst ladder of two per name then costs about
0.02 s.

Never raises for a bad seal; misuse (a document that is not a mapping, an anchor that is not a
:class:`cryptography.x509.Certificate`, a CRL that is not a
:class:`cryptography.x509.CertificateRevocationList`, a naive ``now``) raises ``TypeError`` /
``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from verifier.jades.chain import judge_unanchored, validate_signer, validation_data
from verifier.jades.encoding import der, json_object
from verifier.jades.errors import (
    MALFORMED,
    NO_TRUST_ANCHOR,
    TIME_UNPROVEN,
    UNCONFIRMED,
    VALID,
    Failure,
)
from verifier.jades.results import JadesResult, JadesSignatureResult, JadesSigner, signer_of
from verifier.jades.serialization import (
    certificates,
    check_certificate_references,
    check_crit,
    etsi_u,
    payload_bytes,
    read_entry,
    signing_time,
    split_serialization,
)
from verifier.jades.signature import (
    check_algorithm,
    check_key_usage,
    check_signing_time,
    verify_signature,
)
from verifier.jades.timestamps import Timestamps


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
        payload_member, entries = split_serialization(document)
    except Failure as failure:
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
    elif unconfirmed and unconfirmed[0].code == TIME_UNPROVEN:
        code = TIME_UNPROVEN
        which = f" (signature {unconfirmed[0].index + 1})" if count > 1 else ""
        message = f"{verified}, but the time it was made is unproven{which}, so the seal is " + (
            f"not confirmed. {unconfirmed[0].message}"
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
        self.stamps = Timestamps(index)
        self.b64: bool | None = None
        self.payload: dict[str, Any] | None = None
        self.signer: JadesSigner | None = None
        self.signing_time: datetime | None = None

    def run(self) -> JadesSignatureResult:
        """This signature's result (steps 1 to 9 of the module notes)."""
        try:
            return self._run()
        except Failure as failure:
            if failure.code not in UNCONFIRMED:  # else the signature verified: keep the payload
                self.payload = None
            return self.result(failure.code, failure.message)

    def _run(self) -> JadesSignatureResult:
        read = read_entry(self.entry)
        protected, unprotected = read.protected, read.unprotected
        alg = check_algorithm(protected)

        b64 = protected.get("b64", True)
        if not isinstance(b64, bool):
            raise Failure(MALFORMED, "'b64' is not a boolean.")
        self.b64 = b64
        crit = check_crit(protected)
        if not b64 and "b64" not in crit:
            raise Failure(MALFORMED, "'b64': false must be listed in 'crit' (RFC 7797).")

        signed_payload = payload_bytes(self.payload_member, b64)
        payload = json_object(signed_payload, "payload")
        # The JWS Payload as the signing input and the time-stamps carry it.
        signed_data = signed_payload if not b64 else self.payload_member.encode("ascii")

        chain = certificates(protected, unprotected)
        leaf = chain[0]
        leaf_der = der(leaf)
        self.signer = signer_of(leaf)
        check_certificate_references(protected, leaf, leaf_der)

        signing_input = read.protected_b64.encode("ascii") + b"." + signed_data
        verify_signature(alg, leaf, read.signature, signing_input)

        self.signing_time = signed_at = signing_time(protected)
        check_signing_time(leaf, signed_at, self.now)
        check_key_usage(leaf)

        units = etsi_u(unprotected)
        self.stamps.check(protected, read.protected_b64, read.signature_b64, signed_data, units)
        self.payload = payload

        if not self.anchors:
            judge_unanchored(leaf_der, self.now, self.stamps.sig_tsts)
            return self.result(
                NO_TRUST_ANCHOR,
                "The signature verified; the certificate chain was not checked (no trust anchors).",
            )
        data = validation_data(chain[1:], units, self.crls)
        moment, proven = validate_signer(
            leaf_der, data, self.anchors, self.now, self.stamps.sig_tsts
        )
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
        context = (self.signer, self.signing_time, self.stamps.entries, moment, proven)
        return JadesSignatureResult(self.index, code == VALID, code, message, *context)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"
