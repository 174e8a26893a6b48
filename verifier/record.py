"""The verification record: what this verifier checked, when, with which trust sources, and
what it found — signed by the verifier itself, so whoever keeps it can show it later.

The record is a VC 2.0 credential whose issuer is the verifier (a ``did:key`` of its signing
key, named by the operator), sealed with a Data Integrity proof (``eddsa-rdfc-2022``): our own
verifier checks it like any other credential, offline. Its ``credentialSubject`` names the
credential checked (its id, and the SHA-256 of its JSON as received), the verdict, each check
(``check``, ``outcome``, ``code``, ``explanation``), the trust sources, where the credential came
from and, for a certificate PDF, the PDF's seal.

The signing key (:func:`signing_key_from`): ``MICROCRED_VERIFIER_KEY``, an Ed25519 secret key
as Multikey ``secretKeyMultibase`` (``microcred keys generate`` prints one; ``make run`` keeps
one in ``instance/verifier_key``). Without it the verifier works and offers no record; in demo
mode (``MICROCRED_DEMO=1``) without it, the published demo key signs; the demo key outside demo
mode stops the app (``keys.server_secret.InsecureSettings``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ed25519

from keys.did_key import did_key_for, keypair_with_did_key, verification_method_id_for
from keys.errors import KeysError
from keys.keypairs import KeyPair
from keys.proof import add_proof, format_datetime, verify_proof
from keys.resolver import DidResolver
from keys.server_secret import InsecureSettings, kept_secret
from verifier.pdf_input import PdfSeal
from verifier.report import Report

VERIFIER_KEY_ENV: Final = "MICROCRED_VERIFIER_KEY"
VERIFIER_KEY_FILE: Final = "verifier_key"
OPERATOR_ENV: Final = "MICROCRED_VERIFIER_OPERATOR"
OPERATOR_CONTACT_ENV: Final = "MICROCRED_VERIFIER_CONTACT"
#: The demo verifier's key: published here, so it proves nothing outside a demo.
DEMO_KEY: Final = KeyPair.from_private_key(
    ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"microcred demo verifier signing key").digest()
    )
)
RECORD_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
RECORD_TYPE: Final = "VerificationRecord"
#: The record's own terms, defined inline (VC 2.0 allows an inline context that defines only
#: new terms); the namespace is an identifier, never fetched.
RECORD_VOCAB: Final = "https://w3id.org/microcred/verification-record#"
_TERMS: Final = (
    "VerificationRecord",
    *("checkedAt", "verdict", "credentialDigest", "checks", "check", "outcome", "code"),
    *("explanation", "trustSources", "kind", "credentialId", "credentialTitle", "learner"),
    *("credentialIssuer", "source", "pdfSeal", "intact", "signer", "trusted", "signedAt"),
)
RECORD_TERMS: Final = {term: RECORD_VOCAB + term for term in _TERMS}


def signing_key_from(value: str | None, *, demo: bool) -> KeyPair | None:
    """The verifier's signing key (with its did:key ids) from ``MICROCRED_VERIFIER_KEY``'s
    ``value``: None when unset outside demo mode, the demo key when unset in demo mode.
    Raises :class:`InsecureSettings` for the demo key outside demo mode or a value that is not
    an Ed25519 secret key."""
    if not value or not value.strip():
        return keypair_with_did_key(DEMO_KEY) if demo else None
    try:
        key = KeyPair.from_multikey(
            {
                "type": "Multikey",
                "publicKeyMultibase": _public_of(value.strip()),
                "secretKeyMultibase": value.strip(),
            }
        )
    except (KeysError, ValueError) as error:
        raise InsecureSettings(
            VERIFIER_KEY_ENV, f"{VERIFIER_KEY_ENV} is not an Ed25519 secret key ({error})"
        ) from None
    if key.algorithm != DEMO_KEY.algorithm:
        raise InsecureSettings(VERIFIER_KEY_ENV, f"{VERIFIER_KEY_ENV} must be an Ed25519 key")
    if key.public_key_multibase == DEMO_KEY.public_key_multibase and not demo:
        raise InsecureSettings(
            VERIFIER_KEY_ENV,
            f"{VERIFIER_KEY_ENV} is the published demo key: generate one with "
            "`microcred keys generate` (its secretKeyMultibase), or set MICROCRED_DEMO=1",
        )
    return keypair_with_did_key(key)


def instance_verifier_key(folder: Path) -> str:
    """The verifier key kept in ``folder/verifier_key`` (an Ed25519 ``secretKeyMultibase``):
    made (mode 0600) the first time, read back afterwards; several processes asking at once
    get the same one (written under another name, then linked into place)."""
    return kept_secret(
        folder, VERIFIER_KEY_FILE, lambda: KeyPair.generate("Ed25519").secret_key_multibase
    )


def _public_of(secret: str) -> str:
    from keys.multikey import decode_secret_key, encode_public_key

    return encode_public_key(decode_secret_key(secret).public_key())


def verification_record(
    report: Report,
    received: bytes,
    *,
    key: KeyPair,
    operator: str,
    trust_sources: list[dict[str, Any]],
    source: str | None = None,
    credential_id: str | None = None,
    pdf_seal: PdfSeal | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The signed record of ``report`` on the credential whose JSON was ``received`` (see the
    module). ``operator`` names who runs this verifier; ``trust_sources`` is
    ``TrustSettings.describe()``."""
    moment = format_datetime(now or datetime.now(UTC))
    data = report.to_dict()
    subject: dict[str, Any] = {
        "checkedAt": moment,
        "verdict": data["verdict"],
        "credentialDigest": "sha256:" + hashlib.sha256(received).hexdigest(),
        "checks": [
            {
                "check": c["check"],
                "outcome": c["outcome"],
                "code": c["code"],
                "explanation": c["message"],
            }
            for c in data["checks"]
        ],
        "trustSources": [_source(s) for s in trust_sources],
    }
    summary = report.summary or {}
    for member, value in (
        ("credentialId", credential_id),
        ("credentialTitle", summary.get("title")),
        ("learner", summary.get("learner")),
        ("credentialIssuer", summary.get("issuer")),
        ("source", source),
    ):
        if isinstance(value, str) and value:
            subject[member] = value
    if pdf_seal is not None:
        subject["pdfSeal"] = {k: v for k, v in _pdf(pdf_seal).items() if v is not None}
    record = {
        "@context": [RECORD_CONTEXT, dict(RECORD_TERMS)],
        "type": ["VerifiableCredential", RECORD_TYPE],
        "issuer": {"id": did_key_for(key), "name": operator},
        "validFrom": moment,
        "credentialSubject": subject,
    }
    return add_proof(record, key, created=moment)


def _source(source: Mapping[str, Any]) -> dict[str, str]:
    """A trust source in words: its kind and who or what it is."""
    described = source.get("authority") or source.get("name") or source.get("path") or ""
    if source.get("subjects"):
        described = "; ".join(source["subjects"])
    return {"kind": str(source.get("kind")), "name": str(described)}


def _pdf(seal: PdfSeal) -> dict[str, Any]:
    return {
        "code": seal.code,
        "intact": seal.intact,
        "signer": seal.signer,
        "trusted": seal.trusted,
        "signedAt": seal.signed_at,
    }


def is_own_record(record: Any, key: KeyPair) -> bool:
    """True when ``record`` is a verification record whose one proof verifies and was made
    with ``key`` (checked offline: the key is a did:key)."""
    if not isinstance(record, dict) or RECORD_TYPE not in record.get("type", []):
        return False
    proof = record.get("proof")
    if not isinstance(proof, dict):
        return False
    if proof.get("verificationMethod") != verification_method_id_for(key):
        return False
    try:
        verify_proof(record, proof, resolver=DidResolver(fetch=None))
    except Exception:  # any failure (keys, schemas) means: not a record we made
        return False
    return True


def record_json(record: Mapping[str, Any]) -> str:
    """The record as the downloaded file holds it (indented UTF-8 JSON)."""
    return json.dumps(record, indent=2, ensure_ascii=False)
