"""The hostile cases of the verdict, each through both doors an employer's software uses:
``microcred verify --json`` (exit 0 verified, 1 not verified, 3 unconfirmed) and the web
verifier's ``POST /api/verify``, with the same trust settings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import main
from demo.reference import demo_award, demo_organisation, reference_credential, reference_keypair
from keys.did_key import keypair_with_did_key
from keys.keypairs import Algorithm, KeyPair
from keys.proof import add_proof
from schemas.elm.build import build_microcredential
from tests.verifier.status_entry import with_revocation_entry
from verifier.app import create_app
from verifier.fetch.client import FetchError
from verifier.trust import trusted_issuers_document

SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
EXIT = {"verified": 0, "not_verified": 1, "unconfirmed": 3}
STATUS_URL = "https://issuer.example/status/1"


class Unreachable:
    """A fetcher for which every host is down (as a status list's host may be)."""

    def fetch(self, url: str, *, accept: str = "application/json") -> Any:
        raise FetchError("fetch_timeout", f"{url} did not answer")

    def __call__(self, url: str) -> bytes:
        return self.fetch(url).content


def fresh_key() -> KeyPair:
    return keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))


def self_signed_university() -> dict:
    """A fresh did:key that calls itself the University of Copenhagen, as issuer and body."""
    impostor = fresh_key()
    body = demo_organisation(str(impostor.controller), "University of Copenhagen", "DNK", "DK")
    return add_proof(build_microcredential(demo_award(body, [body])), impostor, created=SIGNED_AT)


def joint_award_missing_a_proof() -> dict:
    """Two awarding bodies named, sealed by the first only."""
    first, second = fresh_key(), fresh_key()
    bodies = [
        demo_organisation(str(first.controller), "University A", "DNK", "DK"),
        demo_organisation(str(second.controller), "University B", "DNK", "DK"),
    ]
    return add_proof(build_microcredential(demo_award(bodies[0], bodies)), first, created=SIGNED_AT)


def with_unreachable_status() -> dict:
    """The trusted reference issuer's credential, with a status list nobody can fetch."""
    key = reference_keypair()
    credential = with_revocation_entry(reference_credential(key), STATUS_URL, 94567)
    return add_proof(credential, key, created=SIGNED_AT)


def trusted_reference() -> dict:
    key = reference_keypair()
    return add_proof(reference_credential(key), key, created=SIGNED_AT)


def tampered() -> dict:
    document = trusted_reference()
    document["credentialSubject"]["hasClaim"]["title"] = {"en": "Master of Everything"}
    return document


# (case, credential factory, verdict, the (check, code) that decides it)
CASES: list[tuple[str, Callable[[], dict], str, tuple[str, str]]] = [
    ("trusted", trusted_reference, "verified", ("accreditation", "trusted")),
    (
        "self-signed-university",
        self_signed_university,
        "unconfirmed",
        ("accreditation", "not_in_trust_source"),
    ),
    (
        "joint-award-missing-a-body-proof",
        joint_award_missing_a_proof,
        "not_verified",
        ("seal", "awarding_body_not_sealed"),
    ),
    ("status-unreachable", with_unreachable_status, "unconfirmed", ("revocation", "")),
    ("tampered", tampered, "not_verified", ("seal", "invalid_signature")),
]


@pytest.fixture(scope="module")
def trusted_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The verifier's trusted-issuers file: the reference issuer only."""
    path = tmp_path_factory.mktemp("trust") / "trusted.json"
    entries = [(str(reference_keypair().controller), "Aarhus Demo University")]
    path.write_text(json.dumps(trusted_issuers_document(entries, name="Verdict tests")))
    return path


def through_cli(document: dict, tmp_path: Path, trusted: Path) -> tuple[int, dict]:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(
        main,
        ["verify", "--json", str(path)],
        env={
            "MICROCRED_TRUSTED_ISSUERS": str(trusted),
            # Nothing on this machine answers for issuer.example: the status list is unreachable.
            "MICROCRED_FETCH_REWRITES": json.dumps(
                {"https://issuer.example": "http://127.0.0.1:9"}
            ),
            "MICROCRED_FETCH_ALLOW_PRIVATE": "1",
        },
    )
    return result.exit_code, json.loads(result.output)


def through_api(document: dict, trusted: Path) -> dict:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCHER": Unreachable(),
            "TRUSTED_ISSUERS_PATH": str(trusted),
        }
    )
    response = app.test_client().post("/api/verify", data=json.dumps(document))
    assert response.status_code == 200
    return response.get_json()


def decisive(report: dict, check: str) -> str:
    return next(c["code"] for c in report["checks"] if c["check"] == check)


@pytest.mark.parametrize(("case", "make", "verdict", "reason"), CASES, ids=[c[0] for c in CASES])
def test_verdict_through_cli_and_api(case, make, verdict, reason, tmp_path, trusted_list):
    document = make()
    code, from_cli = through_cli(copy.deepcopy(document), tmp_path, trusted_list)
    from_api = through_api(copy.deepcopy(document), trusted_list)
    check, expected_code = reason
    for report in (from_cli, from_api):
        assert report["verdict"] == verdict, (case, report["checks"])
        assert report["verified"] is (verdict == "verified")
        if expected_code:
            assert decisive(report, check) == expected_code
        if verdict == "unconfirmed":
            assert check in [u["check"] for u in report["unconfirmed"]]
            assert report["summary"]["confirmed"] is False
    assert code == EXIT[verdict]
    assert [c["outcome"] for c in from_cli["checks"]] == [c["outcome"] for c in from_api["checks"]]


def test_recognition_never_decides(trusted_list, tmp_path):
    """A genuine, trusted credential missing an Annex I element stays verified; the element is
    reported in the recognition part."""
    key = reference_keypair()
    credential = reference_credential(key)
    del credential["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]
    document = add_proof(credential, key, created=SIGNED_AT)
    code, report = through_cli(document, tmp_path, trusted_list)
    assert (code, report["verdict"]) == (0, "verified")
    assert report["recognition"]["code"] == "annex1_incomplete"


# --- an EU (JAdES) seal whose certificate has expired, with sigT written back into its validity


def _jades_pki(tmp_path: Path, *, leaf_expired: bool) -> tuple[Any, Any, Path, Path]:
    """A CA (written as the trust anchor), a seal certificate (expired or current) and the CA's
    CRL (revoking nothing, current), as the files an operator configures."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def named(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def certificate(subject, key, issuer, issuer_key, start, end, ca):  # type: ignore[no-untyped-def]
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, ca, ca, False, False), critical=True
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
            .sign(issuer_key, hashes.SHA256())
        )

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = certificate(
        named("Test Root CA"), ca_key, named("Test Root CA"), ca_key,
        datetime(2020, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC), True,
    )  # fmt: skip
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    end = datetime(2025, 1, 1, tzinfo=UTC) if leaf_expired else now.replace(year=now.year + 2)
    leaf = certificate(
        named("University seal"), leaf_key, ca.subject, ca_key,
        datetime(2024, 1, 1, tzinfo=UTC), end, False,
    )  # fmt: skip
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now.replace(year=now.year - 1))
        .next_update(now.replace(year=now.year + 1))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.CRLNumber(1), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    anchors, crls = tmp_path / "anchors.pem", tmp_path / "crls.pem"
    anchors.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    crls.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return leaf, leaf_key, anchors, crls


def _jades_seal(payload: dict, leaf: Any, key: Any, sig_t: str) -> dict:
    """An enveloping JAdES seal (JWS JSON, ``b64: false``, RS256, ``x5c``, ``sigT``)."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    certificate = leaf.public_bytes(serialization.Encoding.DER)
    header = {
        "alg": "RS256",
        "x5c": [base64.b64encode(certificate).decode("ascii")],
        "x5t#S256": b64url(hashlib.sha256(certificate).digest()),
        "sigT": sig_t,
        "b64": False,
        "crit": ["b64", "sigT"],
    }
    text = json.dumps(payload)
    protected = b64url(json.dumps(header).encode())
    signature = key.sign(
        protected.encode("ascii") + b"." + text.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    entry = {"protected": protected, "signature": b64url(signature)}
    return {"payload": text, "signatures": [entry]}


@pytest.mark.parametrize(
    ("leaf_expired", "verdict", "seal_code"),
    [(False, "verified", "jades_valid"), (True, "not_verified", "jades_certificate_expired")],
    ids=["current-certificate", "expired-certificate-backdated-sigT"],
)
def test_jades_backdated_sig_t(leaf_expired, verdict, seal_code, tmp_path, trusted_list):
    """Whoever holds the key of an expired seal certificate cannot keep sealing by writing a
    sigT inside its validity: the chain is judged now (no trusted time-stamp proves otherwise).
    The trust anchors and CRLs come from the same settings for the CLI and the web verifier."""
    leaf, key, anchors, crls = _jades_pki(tmp_path, leaf_expired=leaf_expired)
    payload = reference_credential(reference_keypair())
    document = _jades_seal(payload, leaf, key, "2024-06-01T10:00:00Z")
    path = tmp_path / "sealed.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(
        main,
        [
            "verify", "--json", "--offline", "--trusted-issuers", str(trusted_list),
            "--trust-anchors", str(anchors), "--seal-crls", str(crls), str(path),
        ],
    )  # fmt: skip
    from_cli = json.loads(result.output)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCHER": Unreachable(),
            "TRUSTED_ISSUERS_PATH": str(trusted_list),
            "TRUST_ANCHORS_PATH": str(anchors),
            "CRLS_PATH": str(crls),
        }
    )
    from_api = app.test_client().post("/api/verify", data=json.dumps(document)).get_json()
    for report in (from_cli, from_api):
        assert report["verdict"] == verdict, report["checks"]
        assert decisive(report, "seal") == seal_code
    assert result.exit_code == EXIT[verdict]


# --- key lifecycle: a retired key used after its retirement, a compromised key ----------------


@pytest.fixture
def university_did(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A did:web university on a local HTTP server: a current key, a key retired on
    2026-08-01 and a key withdrawn as compromised on 2026-10-01 (its DID document says so)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from keys.did_web import PublishedKey, build_did_document

    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/did+json")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    did = f"did:web:localhost%3A{port}"
    keys = {
        name: KeyPair.generate(Algorithm.ED25519).with_ids(f"{did}#key-{n}", did)
        for n, name in enumerate(("retired", "stolen", "current"), start=1)
    }
    document = build_did_document(
        did,
        [
            keys["current"],
            PublishedKey.retired(keys["retired"], datetime(2026, 8, 1, tzinfo=UTC)),
            PublishedKey.compromised(keys["stolen"], datetime(2026, 10, 1, tzinfo=UTC)),
        ],
    )
    served["/.well-known/did.json"] = json.dumps(document).encode()
    trusted = tmp_path / "trusted-university.json"
    trusted.write_text(json.dumps(trusted_issuers_document([(did, "University")], name="t")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        "MICROCRED_FETCH_ALLOW_PRIVATE": "1",
        "MICROCRED_FETCH_REWRITES": json.dumps(
            {f"https://localhost:{port}": f"http://127.0.0.1:{port}"}
        ),
        "MICROCRED_TRUSTED_ISSUERS": str(trusted),
    }
    yield keys, env
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("signer", "created", "verdict", "seal_code"),
    [
        ("current", datetime(2026, 11, 1, tzinfo=UTC), "verified", "seal_valid"),
        ("retired", datetime(2026, 7, 1, tzinfo=UTC), "verified", "seal_valid"),
        ("retired", datetime(2026, 9, 1, tzinfo=UTC), "not_verified", "key_expired"),
        ("stolen", datetime(2026, 7, 1, tzinfo=UTC), "not_verified", "key_revoked"),
    ],
    ids=["current-key", "retired-key-before", "retired-key-after", "compromised-backdated"],
)
def test_key_lifecycle(university_did, signer, created, verdict, seal_code, tmp_path):
    keys, env = university_did
    document = add_proof(reference_credential(keys["current"]), keys[signer], created=created)
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(main, ["verify", "--json", str(path)], env=env)
    from_cli = json.loads(result.output)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FETCH_ALLOW_PRIVATE": True,
            "FETCH_REWRITES": json.loads(env["MICROCRED_FETCH_REWRITES"]),
            "TRUSTED_ISSUERS_PATH": env["MICROCRED_TRUSTED_ISSUERS"],
        }
    )
    from_api = app.test_client().post("/api/verify", data=json.dumps(document)).get_json()
    for report in (from_cli, from_api):
        assert report["verdict"] == verdict, report["checks"]
        assert decisive(report, "seal") == seal_code
    assert result.exit_code == EXIT[verdict]
