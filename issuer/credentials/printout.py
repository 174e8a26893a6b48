"""The learner's certificate file: the A4 page (:mod:`issuer.credentials.certificate`) with the
awarding bodies' logos, the signed credential embedded and the issuing organisation's PAdES
seal (:mod:`issuer.credentials.pdf_seal`)."""

from __future__ import annotations

import json
from datetime import datetime

from issuer.credentials.certificate import certificate_pdf
from issuer.credentials.pdf_seal import Sealer, finish_certificate
from issuer.errors import Conflict
from issuer.models import IssuedCredential, utcnow
from issuer.partnerships.services import signing_keypair


def certificate_file(
    credential: IssuedCredential,
    *,
    share_url: str,
    verify_url: str,
    passphrase: bytes,
    now: datetime | None = None,
) -> bytes:
    """The certificate PDF of ``credential``: drawn from its stored JSON in its current state,
    headed by the logos its awarding bodies uploaded, carrying the stored JSON byte for byte as
    ``credential.jsonld`` and sealed with the issuer's current key (opened with
    ``passphrase``). An issuer that can sign nothing more (its did:key is compromised) gives
    the PDF unsealed, still with the credential."""
    document = json.loads(credential.document)
    logos = [body.logo for body in credential.awarding_bodies if body.logo]
    pdf = certificate_pdf(
        document,
        share_url=share_url,
        verify_url=verify_url,
        state=credential.state.value,
        logos=logos,
    )
    try:
        sealer: Sealer | None = Sealer(
            credential.issuer.legal_name, signing_keypair(credential.issuer, passphrase)
        )
    except Conflict:
        sealer = None
    return finish_certificate(
        pdf, credential=credential.document, sealer=sealer, now=now or utcnow()
    )
