"""The learner's certificate PDF proves itself: it carries the signed credential exactly as
issued (``credential.jsonld``, ``application/ld+json``, ``/AFRelationship /Source``), is
sealed by the issuing organisation (PAdES, validated here with pyHanko under the self-issued
certificate, whose key is the organisation's current signing key), and its page shows every
Annex I element. On main before this the PDF had no embedded file, no signature, and left out
hours, the ISCED-F field, quality assurance and the form of participation."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from sqlalchemy import select

from issuer.credentials.pdf_seal import (
    CREDENTIAL_FILE,
    CREDENTIAL_MIME,
    Sealer,
    finish_certificate,
)
from issuer.db import transaction
from issuer.models import IssuedCredential, Organisation
from issuer.partnerships.services import signing_keypair
from keys.keypairs import Algorithm, KeyPair
from tests.issuer.conftest import PASSPHRASE

SPEC = "green-data-analytics"
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def _issue(client, auth) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Issue through the API; (share path, credential uri)."""
    body = {
        "specification": SPEC,
        "learner": {"reference": "S-77", "givenName": "Åsa", "familyName": "Østergaard"},
        "grade": "Pass with distinction",
    }
    response = client.post("/api/v1/credentials", json=body, headers=auth("issuer"))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    share_path = "/c/" + answer["shareUrl"].rsplit("/c/", 1)[1]
    return share_path, answer["credential"]["id"]


def _embedded(pdf: bytes) -> tuple[bytes, object]:
    """The bytes of the embedded ``credential.jsonld`` and its file specification."""
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.attachments) == [CREDENTIAL_FILE]
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    return reader.attachments[CREDENTIAL_FILE][0], spec


def _validate(pdf: bytes):  # type: ignore[no-untyped-def]
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 1
    signature = signatures[0]
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[signature.signer_cert])
    )
    return signature, status


@pytest.fixture
def certificate(client, auth, app) -> tuple[bytes, str, Organisation]:  # type: ignore[no-untyped-def]
    """The PDF of a credential issued through the API, its stored document, its issuer."""
    share_path, uri = _issue(client, auth)
    response = client.get(f"{share_path}/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    with transaction(app) as session:
        credential = session.scalar(
            select(IssuedCredential).where(IssuedCredential.credential_uri == uri)
        )
        assert credential is not None
        issuer = credential.issuer
        _ = issuer.keys
        return response.data, credential.document, issuer


def test_the_pdf_carries_the_credential_exactly_as_issued(certificate) -> None:  # type: ignore[no-untyped-def]
    pdf, stored, _issuer = certificate
    data, spec = _embedded(pdf)
    assert data == stored.encode("utf-8")
    assert json.loads(data)["proof"]
    assert spec["/AFRelationship"] == "/Source"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/" + CREDENTIAL_MIME
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    associated = [ref.get_object() for ref in root["/AF"]]
    assert [(a["/F"], a["/AFRelationship"]) for a in associated] == [(CREDENTIAL_FILE, "/Source")]


def test_the_pdf_is_sealed_by_the_issuing_organisation(certificate, app) -> None:  # type: ignore[no-untyped-def]
    pdf, _stored, issuer = certificate
    signature, status = _validate(pdf)
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert issuer.legal_name in signature.signer_cert.subject.human_friendly
    with app.app_context():
        opened = signing_keypair(issuer, PASSPHRASE.encode())
    expected = opened.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert signature.signer_cert.public_key.dump() == expected


def test_a_changed_pdf_no_longer_validates(certificate) -> None:  # type: ignore[no-untyped-def]
    pdf, _stored, _issuer = certificate
    at = pdf.index(b"Green Data Analytics") if b"Green Data Analytics" in pdf else len(pdf) // 3
    tampered = pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1 :]
    _signature, status = _validate(tampered)
    assert not status.intact


def test_the_page_shows_every_annex_i_element(certificate) -> None:  # type: ignore[no-untyped-def]
    pdf, _stored, issuer = certificate
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = " ".join(reader.pages[0].extract_text().split())
    for expected in (
        "Green Data Analytics",  # title
        "Åsa Østergaard",  # learner
        issuer.legal_name,  # awarding body
        "Date of issue",
        "ECTS credits",
        "Hours of learning",
        "125",
        "EQF level",
        "Field of education (ISCED-F)",
        "(0688)",
        "Form of participation",
        "Blended",
        "non-formal",
        "Assessment",
        "Written project report",
        "Grade",
        "Pass with distinction",
        "Quality assurance",
        "Danish Accreditation Institution",
        "Prerequisites",
        "Basic statistics",
        "Country of the issuer",
        "Denmark",
        "Stackability",
        "Learning outcomes",
    ):
        assert expected in page, expected


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_every_key_type_seals(algorithm: Algorithm) -> None:
    from fpdf import FPDF

    page = FPDF()
    page.add_page()
    sealed = finish_certificate(
        bytes(page.output()),
        credential='{"id": "urn:uuid:1"}',
        sealer=Sealer("Université de Lyon", KeyPair.generate(algorithm)),
        now=NOW,
    )
    _signature, status = _validate(sealed)
    assert status.intact and status.valid and status.trusted
    assert _embedded(sealed)[0] == b'{"id": "urn:uuid:1"}'


def test_without_a_sealer_the_credential_is_still_embedded() -> None:
    from fpdf import FPDF

    page = FPDF()
    page.add_page()
    unsealed = finish_certificate(bytes(page.output()), credential="{}", sealer=None, now=NOW)
    assert _embedded(unsealed)[0] == b"{}"
    assert PdfFileReader(io.BytesIO(unsealed)).embedded_signatures == []
