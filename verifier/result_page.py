"""What the result page needs beyond the report: the credential in the reader's language
(``verifier.display``), the seals named by who made them, the checks that were not made because
the seal failed (said once), the PDF's seal, and the signed verification record
(``verifier.record``) to download.

:func:`page_context` gives the template's variables; the words come from ``verifier.wording``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from flask_babel import get_locale

from schemas.elm.read import awarding_bodies, label, node_id
from verifier.display import credential_view
from verifier.pdf_input import PdfSeal
from verifier.record import record_json, verification_record
from verifier.report import Report
from verifier.web import record_key, settings
from verifier.wording import (
    CHECK_TITLES,
    CODE_TEXT,
    ELEMENT_STATUS,
    NOT_MADE,
    OUTCOME_LABELS,
    VERDICT,
    VERDICT_HELP,
    VERDICT_NEXT,
)

#: The code of a check that was not made because the seal is invalid.
SEAL_INVALID = "seal_invalid"


def signers(report: Report, document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Each proof of the seal: the name the credential gives its signer (an awarding body or
    the issuer whose DID made it; None when it names none), the DID, and whether it verified."""
    seal = report.result("seal")
    proofs = seal.details.get("proofs") if seal.details else None
    if not isinstance(proofs, list):
        return []
    names: dict[str, str] = {}
    if isinstance(document, Mapping):
        issuer = document.get("issuer")
        for body in [*awarding_bodies(document), issuer if isinstance(issuer, Mapping) else {}]:
            did = node_id(body)
            name = label(body)
            if did and name:
                names.setdefault(did, name)
    found = []
    for proof in proofs:
        method = str(proof.get("verificationMethod") or "")
        did = method.split("#", 1)[0]
        found.append(
            {
                "name": names.get(did),
                "did": did,
                "verified": bool(proof.get("verified")),
                "code": proof.get("code"),
            }
        )
    return found


def page_context(
    report: Report,
    *,
    source: str | None,
    document: Mapping[str, Any] | None,
    received: bytes,
    pdf_seal: PdfSeal | None,
) -> dict[str, Any]:
    """The result template's variables (see the module)."""
    reader = str(get_locale() or "en")
    views = (
        credential_view(document, reader, request.args.get("cl"))
        if report.summary is not None and isinstance(document, Mapping)
        else []
    )
    not_made = [c for c in report.checks if c.code == SEAL_INVALID]
    record = None
    key = record_key()
    if key is not None:
        signed = verification_record(
            report,
            received,
            key=key,
            operator=operator()["name"],
            trust_sources=settings().describe(),
            source=source,
            credential_id=node_id(document) if isinstance(document, Mapping) else None,
            pdf_seal=pdf_seal,
        )
        record = record_json(signed)
    return {
        "report": report,
        "source": source,
        "views": views,
        "checks": [c for c in report.checks if c.code != SEAL_INVALID],
        "not_made": not_made,
        "signers": signers(report, document),
        "pdf_seal": pdf_seal,
        "record": record,
        "titles": CHECK_TITLES,
        "outcomes": OUTCOME_LABELS,
        "explanations": CODE_TEXT,
        "not_made_words": NOT_MADE,
        "verdict": report.verdict.value,
        "verdict_title": VERDICT[report.verdict],
        "verdict_help": VERDICT_HELP[report.verdict],
        "verdict_next": VERDICT_NEXT[report.verdict],
        "element_status": ELEMENT_STATUS,
    }


def operator() -> dict[str, str | None]:
    """Who runs this verifier (``MICROCRED_VERIFIER_OPERATOR``) and how to reach them
    (``MICROCRED_VERIFIER_CONTACT``)."""
    config = current_app.config
    return {
        "name": config.get("VERIFIER_OPERATOR") or "microcred verifier",
        "contact": config.get("VERIFIER_CONTACT"),
    }
