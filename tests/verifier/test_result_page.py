"""Issue 17, the employer's side: the result page leads with the credential in the reader's
language, each input failure has its own page and status, a certificate PDF's embedded
credential is verified (with its PAdES seal reported), and the verification record is signed."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fpdf import FPDF

from demo.reference import reference_credential, reference_keypair
from keys.proof import add_proof
from keys.server_secret import InsecureSettings
from verifier.app import create_app
from verifier.fetch.client import Fetched, FetchError
from verifier.pdf_input import EMBEDDED_MIME, EMBEDDED_NAME, read_pdf
from verifier.record import DEMO_KEY, is_own_record, signing_key_from
from verifier.trust import trusted_issuers_document
from verifier.verify import VerifierOptions, verify_credential

SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
SHARE_URL = "https://issuer.example/c/abc123"
WITHDRAWN_URL = "https://issuer.example/c/withdrawn"
PDF_URL = "https://issuer.example/c/abc123/certificate.pdf"


class Fetcher:
    """Fixed answers: bytes (200) or an HTTP status (an error answer); anything else fails like
    a host that cannot be resolved."""

    def __init__(self, pages: dict[str, bytes | int]) -> None:
        self.pages = pages

    def fetch(self, url: str, *, accept: str = "application/json") -> Fetched:
        answer = self.pages.get(url)
        if answer is None:
            raise FetchError("fetch_failed", f"cannot resolve {url}: [Errno -2] Name unknown")
        if isinstance(answer, int):
            raise FetchError("fetch_bad_status", f"{url} answered {answer}", answer)
        return Fetched(url, 200, answer, {})

    def __call__(self, url: str) -> bytes:
        return self.fetch(url).content


@pytest.fixture(scope="module")
def signed() -> dict:
    key = reference_keypair()
    return add_proof(reference_credential(key), key, created=SIGNED_AT)


def certificate_pdf(credential: bytes | None, *, seal_key: tuple | None = None) -> bytes:
    """A certificate PDF embedding ``credential`` as the issuer does (credential.jsonld,
    application/ld+json, /AFRelationship /Source), sealed with PAdES when ``seal_key`` (a
    private key and its certificate) is given."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text="Certificate: Green Data Analytics")
    if credential is not None:
        pdf.embed_file(
            bytes=credential,
            basename=EMBEDDED_NAME,
            mime_type=EMBEDDED_MIME,
            associated_file_relationship="Source",
        )
    data = bytes(pdf.output())
    if seal_key is None:
        return data
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    private, certificate = seal_key
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    key = asn1_keys.PrivateKeyInfo.load(
        private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert])
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(data)),
        signers.PdfSignatureMetadata(field_name="Seal"),
        signer=signer,
    )
    return out.getvalue()


@pytest.fixture(scope="module")
def seal_key() -> tuple:
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Aarhus Demo University seal")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(private, hashes.SHA256())
    )
    return private, certificate


@pytest.fixture
def client(signed, tmp_path, seal_key):
    trusted = tmp_path / "trusted.json"
    trusted.write_text(
        json.dumps(
            trusted_issuers_document(
                [(str(reference_keypair().controller), "Aarhus Demo University")], name="Test"
            )
        )
    )
    pages: dict[str, bytes | int] = {
        SHARE_URL: json.dumps(signed).encode(),
        WITHDRAWN_URL: 410,
        PDF_URL: certificate_pdf(json.dumps(signed).encode(), seal_key=seal_key),
    }
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DEMO": True,  # the demo verifier key signs records
            "FETCHER": Fetcher(pages),
            "TRUSTED_ISSUERS_PATH": str(trusted),
            "VERIFIER_OPERATOR": "Test Employers' Association",
        }
    )
    return app.test_client()


def page_of(response) -> str:
    return response.get_data(as_text=True)


class TestInputFailures:
    def test_a_withdrawn_link_has_its_own_page_and_status(self, client):
        response = client.get("/verify", query_string={"url": WITHDRAWN_URL})
        assert response.status_code == 410
        page = page_of(response)
        assert 'data-code="link_withdrawn"' in page
        assert "This link has been withdrawn" in page
        assert "answered 410" not in page.split("<details>")[0]

    def test_a_withdrawn_link_as_json(self, client):
        response = client.get("/verify", query_string={"url": WITHDRAWN_URL, "format": "json"})
        assert response.status_code == 410
        assert response.get_json()["error"]["code"] == "link_withdrawn"

    def test_an_unreachable_host_is_said_in_words(self, client):
        response = client.get("/verify", query_string={"url": "https://nowhere.example/c"})
        assert response.status_code == 502
        page = page_of(response)
        assert "The link could not be reached" in page
        assert "Errno" not in page.split("<details>")[0]

    @pytest.mark.parametrize(
        ("text", "code", "status"),
        [
            ('{"hello": "world"}', "not_a_credential", 422),
            ("not json at all", "not_json", 400),
        ],
    )
    def test_what_is_not_a_credential_is_told_so(self, client, text, code, status):
        response = client.post("/verify", data={"credential": text})
        assert response.status_code == status
        page = page_of(response)
        assert f'data-code="{code}"' in page
        assert "This is not a credential" in page
        assert "vocabulary" not in page and "Expecting value" not in page

    def test_a_photo_given_as_the_credential_file(self, client):
        data = {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "photo.png")}
        response = client.post("/verify", data=data, content_type="multipart/form-data")
        assert response.status_code == 415
        assert 'data-code="unsupported_file"' in page_of(response)

    def test_in_danish(self, client):
        response = client.get("/verify", query_string={"url": WITHDRAWN_URL, "lang": "da"})
        assert response.status_code == 410
        assert "Dette link er trukket tilbage" in page_of(response)


class TestCertificatePdf:
    def test_the_embedded_credential_is_verified_by_upload(self, client, signed, seal_key):
        pdf = certificate_pdf(json.dumps(signed).encode(), seal_key=seal_key)
        response = client.post(
            "/verify",
            data={"file": (io.BytesIO(pdf), "certificate.pdf")},
            content_type="multipart/form-data",
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200
        answer = response.get_json()
        assert answer["verdict"] == "verified"
        assert answer["pdf"]["code"] == "pdf_seal_intact"
        assert answer["pdf"]["signer"] == "Aarhus Demo University seal"

    def test_the_page_names_the_pdf_seal(self, client):
        page = page_of(client.get("/verify", query_string={"url": PDF_URL}))
        assert 'data-verified="true"' in page
        assert 'data-pdf-seal="pdf_seal_intact"' in page

    def test_a_pdf_changed_after_sealing(self, signed, seal_key):
        pdf = bytearray(certificate_pdf(json.dumps(signed).encode(), seal_key=seal_key))
        at = pdf.index(b"/Producer")
        pdf[at + 12] ^= 1
        assert read_pdf(bytes(pdf)).seal.code == "pdf_seal_broken"

    def test_an_unsealed_pdf(self, signed):
        found = read_pdf(certificate_pdf(json.dumps(signed).encode()))
        assert found.seal.code == "pdf_not_sealed"
        assert json.loads(found.credential) == signed

    def test_a_pdf_without_a_credential(self, client):
        response = client.post(
            "/verify",
            data={"file": (io.BytesIO(certificate_pdf(None)), "scan.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        assert 'data-code="pdf_without_credential"' in page_of(response)

    def test_a_compression_bomb_stops_at_the_limit(self):
        bomb = b"{" + b" " * (50 * 1024 * 1024) + b"}"
        pdf = FPDF()
        pdf.add_page()
        pdf.embed_file(bytes=bomb, basename=EMBEDDED_NAME, compress=True)
        with pytest.raises(Exception) as raised:
            read_pdf(bytes(pdf.output()))
        assert getattr(raised.value, "code", None) == "too_large"

    def test_garbage_is_unreadable_not_a_crash(self):
        with pytest.raises(Exception) as raised:
            read_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 1000)
        assert getattr(raised.value, "code", None) in ("pdf_unreadable", "pdf_without_credential")


class TestResultPage:
    def test_the_credential_comes_first_in_words(self, client):
        page = page_of(client.get("/verify", query_string={"url": SHARE_URL}))
        card, checks = page.index('class="credential-card"'), page.index('id="checks-heading"')
        assert card < checks
        issued = page.split('data-fact="issued">')[1].split("<")[0]
        assert issued == "June 30, 2026"
        assert "Pass with distinction" in page  # the grade
        assert "(PT" not in page[:checks]
        assert "ECTS credits" in page

    def test_danish_reader_gets_the_danish_title(self, client, signed):
        page = page_of(client.get("/verify", query_string={"url": SHARE_URL, "lang": "da"}))
        danish = signed["credentialSubject"]["hasClaim"]["title"]["da"]
        first_view = page.split('class="credential-view"')[1]
        assert danish in first_view
        assert 'data-show-lang="en"' in page  # the switch

    def test_a_tampered_credential_says_not_checked_once(self, client, signed):
        tampered = json.loads(json.dumps(signed))
        tampered["credentialSubject"]["hasClaim"]["title"] = {"en": "Fake Degree"}
        page = page_of(client.post("/verify", data={"credential": json.dumps(tampered)}))
        assert page.count("the seal is broken, nothing in the credential") == 1
        summaries = re.findall(r"<summary>(.*?)</summary>", page, re.S)
        assert not any("Proof 1 of" in summary for summary in summaries)
        assert "Seal of Aarhus Demo University: not genuine" in page

    def test_the_operator_and_uploads_are_explained(self, client):
        page = page_of(client.get("/"))
        assert "Test Employers&#39; Association" in page
        assert "none is kept after the answer is sent" in page


class TestRecord:
    def test_the_record_is_signed_and_verifies(self, client):
        page = page_of(client.get("/verify", query_string={"url": SHARE_URL}))
        import html

        value = page.split('name="record" value="')[1].split('"')[0]
        record = json.loads(html.unescape(value))
        assert record["credentialSubject"]["verdict"] == "verified"
        assert record["issuer"]["name"] == "Test Employers' Association"
        assert is_own_record(record, signing_key_from(None, demo=True))
        report = verify_credential(record, VerifierOptions())
        assert report.result("seal").outcome.value == "ok"
        pdf = client.post("/record.pdf", data={"record": html.unescape(value)})
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        tampered = {**record, "validFrom": "2020-01-01T00:00:00Z"}
        refused = client.post("/record.pdf", data={"record": json.dumps(tampered)})
        assert refused.status_code == 400

    def test_the_demo_key_is_refused_outside_demo_mode(self):
        secret = DEMO_KEY.secret_key_multibase
        with pytest.raises(InsecureSettings):
            signing_key_from(secret, demo=False)
        with pytest.raises(InsecureSettings):
            create_app({"SECRET_KEY": "a-long-random-test-secret", "VERIFIER_KEY": secret})
        assert signing_key_from(None, demo=False) is None
