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
    ``tsa_chain_problem``), or None when only the TSA's revocation status is unknown; if only
    such a token could save a seal that fails as expired or revoked, the failure is
    ``REVOCATION_UNKNOWN``."""
    times: dict[bool | None, list[datetime]] = {True: [], False: [], None: []}
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
        if entry["time"] <= now:
            times[entry["tsa_chain_trusted"]].append(entry["time"])
    proven = min(times[True], default=None)
    unsure = min(times[None], default=None)  # proven but for the TSA's revocation status
    moment = proven or now
    try:
        validate_chain(leaf_der, data, anchors, moment, retroactive=bool(proven))
    except Failure as failure:
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
            validate_chain(leaf_der, data, anchors, unsure, retroactive=True)
        except Failure as second:
            if second.code != REVOCATION_UNKNOWN:
                raise failure from None
        raise Failure(
            REVOCATION_UNKNOWN,
            f"A signature time-stamp would show the seal was made at {unsure.isoformat()}, "
            "in time, but the revocation status of its TSA could not be confirmed.",
        ) from None
    return moment, bool(proven)


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
            ) from exc
    except (PathError, ValidationError, ValueError, TypeError, KeyError) as exc:
        code, what = next((c, w) for kinds, c, w in _CHAIN_ERRORS if isinstance(exc, kinds))
        raise Failure(code, f"{what} (judged at {at}): {exc}.") from exc


_CHAIN_ERRORS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str, str], ...] = (
    (RevokedError, CERTIFICATE_REVOKED, "The certificate chain is revoked"),
    ((ExpiredError, NotYetValidError), CERTIFICATE_EXPIRED, "The certificate chain is not valid"),
    (PathError, UNTRUSTED_CHAIN, "The certificate does not chain to a trust anchor"),
    (Exception, UNTRUSTED_CHAIN, "The certificate chain could not be validated"),
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
