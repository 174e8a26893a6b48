"""The certificate PDF proves itself: it carries the signed credential as an embedded file and is
sealed by the issuing organisation (PAdES).

**The embedded credential.** :func:`finish_certificate` attaches the credential's stored JSON,
byte for byte, as the document-level embedded file ``credential.jsonld`` (MIME type
``application/ld+json``, ``/AFRelationship /Source``: the page is drawn from it; PDF/A-3's
associated files). A verifier given the PDF reads that file and checks the credential's own Data
Integrity proofs; the page itself is only a picture of it.

**The seal.** The PDF is then signed with PAdES (pyHanko, baseline B-B: a CMS signature with
the signing certificate attribute, sub-filter ``ETSI.CAdES.detached``) by the issuing
organisation's current signing key, under an X.509 certificate the organisation issues itself
(:func:`self_issued_certificate`: subject = issuer = the organisation's legal name, the public
key of its DID's current verification method). That shows the PDF was not changed since the
organisation produced it, and names the key; it is *not* a qualified electronic seal, which needs
a certificate from a qualified trust service provider listed in the EU trust lists
(``docs/decisions.md`` says how a deployment would configure one). A PDF reader shows the
self-issued seal as "signer identity unknown"; the embedded credential is what a verifier trusts.

When the organisation can sign nothing (a did:key organisation whose key is compromised) the PDF
still carries the credential, unsealed.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from keys.keypairs import Algorithm, KeyPair

CREDENTIAL_FILE = "credential.jsonld"
CREDENTIAL_MIME = "application/ld+json"
SEAL_FIELD = "IssuerSeal"
CERTIFICATE_YEARS = 3
_DIGESTS = {Algorithm.ED25519: "sha512", Algorithm.P256: "sha256", Algorithm.P384: "sha384"}


@dataclass(frozen=True)
class Sealer:
    """Who seals a certificate PDF: the organisation's legal name and its opened key pair."""

    name: str
    keypair: KeyPair


def self_issued_certificate(sealer: Sealer, *, now: datetime) -> x509.Certificate:
    """A self-issued X.509 certificate for ``sealer``'s key: subject and issuer are the
    organisation's legal name (CN and O), valid from a minute before ``now`` for
    ``CERTIFICATE_YEARS`` years, key usage digital signature and non-repudiation, not a CA.
    ``ValueError`` when the key pair has no private key."""
    private = sealer.keypair.private_key
    if private is None:
        raise ValueError("sealing needs the organisation's private key")
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, sealer.name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, sealer.name[:64]),
        ]
    )
    public = private.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return builder.sign(private, None)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        digest = hashes.SHA384() if private.curve.key_size > 256 else hashes.SHA256()
        return builder.sign(private, digest)
    raise ValueError(f"cannot seal with a {type(private).__name__}")


def _signer(sealer: Sealer, certificate: x509.Certificate) -> signers.SimpleSigner:
    assert sealer.keypair.private_key is not None  # self_issued_certificate checked it
    der_key = sealer.keypair.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )


def finish_certificate(
    pdf: bytes, *, credential: str, sealer: Sealer | None, now: datetime
) -> bytes:
    """``pdf`` with ``credential`` (the stored signed JSON) embedded as ``credential.jsonld``
    and, when ``sealer`` is given, sealed by it (PAdES B-B, a self-issued certificate made at
    ``now``); see the module's docstring. The page content is not changed."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    data = credential.encode("utf-8")
    embed_file(
        writer,
        FileSpec(
            file_spec_string=CREDENTIAL_FILE,
            file_name=CREDENTIAL_FILE,
            embedded_data=EmbeddedFileObject.from_file_data(
                writer, data=data, mime_type=CREDENTIAL_MIME
            ),
            description="The signed credential this certificate shows (W3C VC, JSON-LD)",
            af_relationship=generic.NameObject("/Source"),
        ),
    )
    if sealer is None:
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    certificate = self_issued_certificate(sealer, now=now)
    metadata = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm=_DIGESTS[sealer.keypair.algorithm],
        subfilter=fields.SigSeedSubFilter.PADES,
        name=sealer.name,
        reason="Sealed by the awarding body: the embedded credential.jsonld is the original",
    )
    sealed = signers.sign_pdf(writer, metadata, signer=_signer(sealer, certificate))
    return sealed.getvalue()
