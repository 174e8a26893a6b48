"""The certificate chains of a seal: the signer's, and the TSAs' of its ``sigTst`` tokens.

A chain is built and validated with pyhanko-certvalidator from the certificate to one of the
operator's trust anchors (an anchor may be an intermediate CA), helped by ``x5c[1:]``, the
``etsiU`` ``xVals`` and a TSA token's certificates (trust comes only from the anchors). Nothing
is fetched: the revocation status of every certificate below the anchor must come from
``rVals`` (CRLs, OCSP responses) or the operator's CRLs. Data issued after the validated
certificate expired is ignored (a CA may drop expired certificates from its CRLs) unless it
keeps them (X.509 ``expiredCertsOnCRL``, OCSP ``archiveCutoff``); at a proven time, data issued
later counts.

The time the signer's chain is judged at is ``now``, unless a ``sigTst`` token (imprint and
signature good) comes from a TSA whose chain validates at ``now`` with the ``timeStamping``
extended key usage: its ``genTime`` then proves the seal existed, and the chain is judged then.
A time-stamp whose TSA does not validate so (no path to an anchor, or its own chain expired)
proves nothing, but it is a third party's word that the seal was made in time: when it alone
would save a seal whose certificate has expired, the seal is unconfirmed (``TIME_UNPROVEN``),
never valid and never a forgery. A revoked certificate is never saved so: its key may be in
other hands, which can make a time-stamp authority of their own. ``sigT`` alone is the
signer's word and leaves the failure as it is.

Bounded work (issue #11): the path builder tries every chain it can form, and certificates
that share a subject name multiply them; it is offered at most :data:`MAX_PATH_CERTS`
certificates, at most :data:`MAX_SAME_SUBJECT` per subject name, in the order the seal gives
them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Mapping
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from asn1crypto import core, crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    InvalidCertificateError,
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

from verifier.jades.encoding import READ_ERRORS, der, loads, maybe_b64
from verifier.jades.errors import (
    CERTIFICATE_EXPIRED,
    CERTIFICATE_REVOKED,
    REVOCATION_UNKNOWN,
    TIME_UNPROVEN,
    UNTRUSTED_CHAIN,
    Failure,
)
from verifier.jades.serialization import EtsiU
from verifier.jades.timestamps import SigTst

#: Certificates offered to the path builder (besides the anchors), and per subject name.
MAX_PATH_CERTS = 16
MAX_SAME_SUBJECT = 2


class ChainData(NamedTuple):
    """What may help validate a chain (DER): certificates to build paths with, CRLs and OCSP
    responses. None of it is trusted for being here."""

    certs: list[bytes]
    crls: list[bytes]
    ocsps: list[bytes]


def validation_data(
    intermediates: list[x509.Certificate],
    etsi_u: list[EtsiU],
    configured_crls: list[bytes],
) -> ChainData:
    """``x5c[1:]`` and the ``xVals`` certificates; the ``rVals`` CRLs and OCSP responses, and
    the operator's CRLs. Unreadable items are left out."""
    data = ChainData([der(c) for c in intermediates], [], [])
    for name, value, _ in etsi_u:
        if name == "xVals" and isinstance(value, list):
            for item in value:
                holder = item.get("x509Cert") if isinstance(item, Mapping) else None
                item_der = maybe_b64(holder.get("val") if isinstance(holder, Mapping) else None)
                if item_der is not None and loads(asn1_x509.Certificate, item_der):
                    data.certs.append(item_der)
        elif name == "rVals" and isinstance(value, Mapping):
            for key, target, spec in (
                ("crlVals", data.crls, crl.CertificateList),
                ("ocspVals", data.ocsps, ocsp.OCSPResponse),
            ):
                for item in value.get(key, []) if isinstance(value.get(key), list) else []:
                    item_der = maybe_b64(item.get("val") if isinstance(item, Mapping) else None)
                    if item_der is not None and loads(spec, item_der):
                        target.append(item_der)
    data.crls.extend(configured_crls)
    return data


def validate_signer(
    leaf_der: bytes,
    data: ChainData,
    anchors: list[x509.Certificate],
    now: datetime,
    sig_tsts: list[SigTst],
) -> tuple[datetime, bool]:
    """The signer's chain, judged at a time a trusted ``sigTst`` proves or else at ``now``:
    ``(the time the chain held at, whether a time-stamp proved it)``; else a :class:`Failure`.

    Each usable ``sigTst`` entry gets ``tsa_chain_trusted``: True, False (with
    ``tsa_chain_problem``), or None when only the TSA's revocation status is unknown. When the
    chain fails at that time as expired or revoked, a time-stamp that would have saved it
    leaves the seal unconfirmed instead of failed: ``REVOCATION_UNKNOWN`` when only its TSA's
    revocation status is unknown; for an expired certificate only, ``TIME_UNPROVEN`` when its
    TSA (a time-stamping certificate) reaches no trust anchor or its own chain has expired — the
    chain holding at the time it claims (see :func:`unproven_time`)."""
    times: dict[bool | None, list[datetime]] = {True: [], False: [], None: []}
    claims: list[Claim] = []
    for entry, tsa_der, certs in sig_tsts:
        if not (entry["imprint_ok"] and entry["signature_ok"] and tsa_der):
            continue
        try:
            tsa_data = data._replace(certs=data.certs + certs)
            validate_chain(tsa_der, tsa_data, anchors, now, timestamping=True)
            entry["tsa_chain_trusted"] = True
        except Failure as failure:
            unknown = failure.code == REVOCATION_UNKNOWN
            entry["tsa_chain_trusted"] = None if unknown else False
            entry["tsa_chain_problem"] = failure.message
            if failure.reason in ("no_path", "expired") and is_time_stamping(tsa_der):
                claims.append(Claim(entry["time"], entry, failure.reason))
        if entry["time"] <= now:
            times[entry["tsa_chain_trusted"]].append(entry["time"])
    proven = min(times[True], default=None)
    unsure = min(times[None], default=None)  # proven but for the TSA's revocation status
    moment = proven or now
    try:
        validate_chain(leaf_der, data, anchors, moment, retroactive=bool(proven))
    except Failure as failure:
        if failure.code not in (CERTIFICATE_EXPIRED, CERTIFICATE_REVOKED):
            raise
        if unsure and unsure < moment and _holds_at(leaf_der, data, anchors, unsure):
            raise Failure(
                REVOCATION_UNKNOWN,
                f"A signature time-stamp would show the seal was made at {unsure.isoformat()}, "
                "in time, but the revocation status of its TSA could not be confirmed.",
            ) from None
        # Only an expiry can be outlived by an unproven time: a revoked certificate's key may be
        # in other hands, and whoever holds it can make a time-stamp authority of their own.
        early = [c for c in claims if c.time < moment and c.time <= now]
        if failure.code != CERTIFICATE_EXPIRED:
            early = []
        for claim in sorted(early, key=lambda c: c.time):
            if _holds_at(leaf_der, data, anchors, claim.time):
                raise unproven_time(leaf_der, claim) from None
        if failure.code == CERTIFICATE_EXPIRED and not proven:
            failure.message += (
                " No signature time-stamp of a TSA that chains to a trust anchor proves an "
                "earlier time."
            )
        raise
    return moment, bool(proven)


class Claim(NamedTuple):
    """A signature time-stamp whose TSA did not validate to a trust anchor: the time it
    claims, its report entry and why its TSA is not trusted (``"no_path"``, ``"expired"`` or
    ``"no_anchors"``)."""

    time: datetime
    entry: dict[str, Any]
    reason: str


def judge_unanchored(leaf_der: bytes, now: datetime, sig_tsts: list[SigTst]) -> None:
    """With no trust anchors, judge what can be judged of the signing certificate: nothing
    when it is valid at ``now``; else ``TIME_UNPROVEN`` when a signature time-stamp (imprint
    and signature good, by a time-stamping certificate) says the seal was made while it was
    valid, and ``CERTIFICATE_EXPIRED`` when none does (``sigT`` is the signer's own word)."""
    leaf = x509.load_der_x509_certificate(leaf_der)
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if start <= now <= end:
        return
    claims = []
    for entry, tsa_der, _ in sig_tsts:
        if not (entry["imprint_ok"] and entry["signature_ok"] and tsa_der):
            continue
        entry["tsa_chain_trusted"] = False
        entry["tsa_chain_problem"] = "No trust anchors are configured."
        if is_time_stamping(tsa_der) and start <= entry["time"] <= min(end, now):
            claims.append(Claim(entry["time"], entry, "no_anchors"))
    if claims:
        raise unproven_time(leaf_der, min(claims, key=lambda c: c.time))
    raise Failure(
        CERTIFICATE_EXPIRED,
        f"The certificate is not valid now ({now.isoformat()}): it is valid from "
        f"{start.isoformat()} to {end.isoformat()}. No signature time-stamp shows the seal was "
        "made while it was valid (the signing time in the seal is the signer's own word).",
        "expired",
    )


def unproven_time(leaf_der: bytes, claim: Claim) -> Failure:
    """``TIME_UNPROVEN``: the signing certificate has expired, after ``claim`` says the seal
    was made; the message names when the certificate ended, the time-stamp's time, its
    authority, why that authority is not trusted and what the reader can do."""
    leaf = x509.load_der_x509_certificate(leaf_der)
    tsa = claim.entry.get("tsa") or "an unnamed authority"
    ended = f"The seal's certificate expired on {_day(leaf.not_valid_after_utc)}."
    why, todo = {
        "no_anchors": (
            "no trust anchors are configured, so that time-stamping authority is not one of them",
            "configure the time-stamping authority's certificate, or the CA that issued it, "
            "as a trust anchor",
        ),
        "no_path": (
            "that time-stamping authority is not among this verifier's trust anchors",
            "configure the time-stamping authority's certificate, or the CA that issued it, "
            "as a trust anchor",
        ),
        "expired": (
            "the time-stamping authority's own certificate chain is no longer valid",
            "configure the time-stamping authority's own certificate as a trust anchor (as an "
            "EU trusted list names a time-stamping service), if you trust it",
        ),
    }[claim.reason]
    return Failure(
        TIME_UNPROVEN,
        f"{ended} A signature time-stamp by {tsa} says the seal was made at "
        f"{_day(claim.time)}, while the certificate was valid, but {why}: the time is unproven. "
        f"To prove it, {todo} (MICROCRED_TRUST_ANCHORS, or --trust-anchors).",
    )


def is_time_stamping(cert_der: bytes) -> bool:
    """True when the certificate's extended key usage allows time-stamping (RFC 3161 §2.3)."""
    try:
        usage = x509.load_der_x509_certificate(cert_der).extensions.get_extension_for_class(
            x509.ExtendedKeyUsage
        )
    except (x509.ExtensionNotFound, ValueError):
        return False
    return x509.oid.ExtendedKeyUsageOID.TIME_STAMPING in usage.value


def _holds_at(
    leaf_der: bytes, data: ChainData, anchors: list[x509.Certificate], moment: datetime
) -> bool:
    """True when the signer's chain holds at ``moment`` (revocation data issued later
    counting), or would but for unknown revocation status."""
    try:
        validate_chain(leaf_der, data, anchors, moment, retroactive=True)
    except Failure as failure:
        return failure.code == REVOCATION_UNKNOWN
    return True


def _day(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def validate_chain(
    cert_der: bytes,
    data: ChainData,
    anchors: list[x509.Certificate],
    moment: datetime,
    *,
    retroactive: bool = False,
    timestamping: bool = False,
) -> None:
    """A path from ``cert_der`` to an anchor, valid at ``moment``, offline, with the revocation
    status of every certificate below the anchor known and good (step 9 of
    :mod:`verifier.jades.verify`); else a :class:`Failure`.
    ``retroactive``: revocation data issued after ``moment`` counts (``moment`` is a proven
    time); ``timestamping``: the certificate must also be a TSA's (extended key usage)."""
    not_after = asn1_x509.Certificate.load(cert_der).not_valid_after
    crls = [d for d in data.crls if _kept_after(d, crl.CertificateList, not_after)]
    ocsps = [d for d in data.ocsps if _kept_after(d, ocsp.OCSPResponse, not_after)]

    async def validate(policy: RevocationCheckingPolicy) -> None:
        context = ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(der(a)) for a in anchors],
            other_certs=path_candidates(data.certs),
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
            raise Failure(
                REVOCATION_UNKNOWN,
                "No usable revocation data (a CRL or OCSP response, in the seal or configured) "
                f"shows the certificate chain unrevoked at {at}: {exc}.",
                "revocation_unknown",
            ) from exc
    except (PathError, ValidationError, ValueError, TypeError, KeyError) as exc:
        # pyhanko reports a self-signed certificate that is no anchor as an invalid
        # certificate rather than a path error: it reaches no anchor all the same.
        self_signed = isinstance(exc, InvalidCertificateError) and _self_issued(cert_der)
        found = PathError() if self_signed else exc
        code, what, reason = next(
            (c, w, r) for kinds, c, w, r in _CHAIN_ERRORS if isinstance(found, kinds)
        )
        raise Failure(code, f"{what} (judged at {at}): {exc}.", reason) from exc


_CHAIN_ERRORS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str, str, str], ...] = (
    (RevokedError, CERTIFICATE_REVOKED, "The certificate chain is revoked", "revoked"),
    (
        (ExpiredError, NotYetValidError),
        CERTIFICATE_EXPIRED,
        "The certificate chain is not valid",
        "expired",
    ),
    (PathError, UNTRUSTED_CHAIN, "The certificate does not chain to a trust anchor", "no_path"),
    (Exception, UNTRUSTED_CHAIN, "The certificate chain could not be validated", "invalid"),
)


def path_candidates(ders: list[bytes]) -> list[asn1_x509.Certificate]:
    """The certificates offered to the path builder: each once, at most
    :data:`MAX_SAME_SUBJECT` per subject name and :data:`MAX_PATH_CERTS` in all, in order."""
    chosen: list[asn1_x509.Certificate] = []
    seen: set[bytes] = set()
    per_subject: dict[bytes, int] = {}
    for item_der in ders:
        if item_der in seen or len(chosen) >= MAX_PATH_CERTS:
            continue
        seen.add(item_der)
        certificate = asn1_x509.Certificate.load(item_der)
        subject = certificate.subject.dump()
        if per_subject.get(subject, 0) >= MAX_SAME_SUBJECT:
            continue
        per_subject[subject] = per_subject.get(subject, 0) + 1
        chosen.append(certificate)
    return chosen


def _self_issued(cert_der: bytes) -> bool:
    certificate = asn1_x509.Certificate.load(cert_der)
    return bool(certificate.subject == certificate.issuer)


def _kept_after(item_der: bytes, spec: Any, not_after: datetime) -> bool:
    """False for revocation data issued after ``not_after`` (when the certificate expired)
    unless it keeps certificates that expired then (expiredCertsOnCRL, OCSP archiveCutoff)."""
    try:
        if spec is crl.CertificateList:
            tbs = crl.CertificateList.load(item_der)["tbs_cert_list"]
            issued = tbs["this_update"].native
            kept = [
                core.GeneralizedTime.load(e["extn_value"].contents).native
                for e in tbs["crl_extensions"]
                if e["extn_id"].dotted == "2.5.29.60"  # expiredCertsOnCRL (X.509 §9.5.2.10)
            ]
        else:
            response = ocsp.OCSPResponse.load(item_der).basic_ocsp_response["tbs_response_data"]
            issued = response["produced_at"].native
            cutoffs = [r.archive_cutoff_value for r in response["responses"]]
            kept = [c.native for c in cutoffs if c is not None]
    except READ_ERRORS:
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
