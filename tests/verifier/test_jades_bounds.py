"""verifier.jades: what one seal may make the verifier do is bounded (issue #11).

pyhanko-certvalidator tries every path it can form; certificates sharing a subject name
multiply them (on main, eight such certificates in a seal took 11 s to refuse, ten about
twenty minutes). The path builder is now offered few certificates, few per name.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from verifier.jades import chain, errors
from verifier.jades.serialization import MAX_ETSI_U, MAX_SIGNATURES, etsi_u
from verifier.jades.verify import verify_jades

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def certificate(subject: str, issuer: str, signer: ec.EllipticCurvePrivateKey) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime(2026, 1, 1, tzinfo=UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def signer() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_a_mesh_of_same_named_certificates_is_cut_down(signer: Any) -> None:
    mesh = [certificate("Mesh", "Mesh", signer) for _ in range(12)]
    others = [certificate(f"CA {n}", f"CA {n + 1}", signer) for n in range(30)]
    offered = chain.path_candidates([*mesh, *mesh, *others])
    subjects = [c.subject.human_friendly for c in offered]
    assert subjects.count("Common Name: Mesh") == chain.MAX_SAME_SUBJECT
    assert len(offered) == chain.MAX_PATH_CERTS


def test_a_mesh_seal_is_refused_as_untrusted(signer: Any) -> None:
    """Ten self-issued certificates named alike and a leaf under them: no path to the anchor,
    found without trying ten factorial of them."""
    mesh = [certificate("Mesh", "Mesh", signer) for _ in range(10)]
    leaf = certificate("Leaf", "Mesh", signer)
    anchor = x509.load_der_x509_certificate(certificate("Root", "Root", signer))
    with pytest.raises(errors.Failure) as refused:
        chain.validate_chain(leaf, chain.ChainData(mesh, [], []), [anchor], NOW)
    assert refused.value.code == errors.UNTRUSTED_CHAIN


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_too_many_signatures_are_malformed() -> None:
    entry = {"protected": _b64url(b'{"alg":"ES256"}'), "signature": "AAAA"}
    document = {"payload": "{}", "signatures": [entry] * (MAX_SIGNATURES + 1)}
    result = verify_jades(document, now=NOW)
    assert result.code == errors.MALFORMED
    assert "at most" in result.message


def test_too_many_unsigned_elements_are_malformed() -> None:
    units = [{"sigTst": {"tstTokens": []}}] * (MAX_ETSI_U + 1)
    with pytest.raises(errors.Failure) as refused:
        etsi_u({"etsiU": units})
    assert refused.value.code == errors.MALFORMED
    assert json.dumps(refused.value.message).count("at most") == 1
