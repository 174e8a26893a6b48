"""``make interop`` (``demo/interop.py``): the throw-away services it starts for the W3C suites,
the ``MC_*`` variables it gives ``run.sh``, and a whole run with a stand-in for ``run.sh`` that
uses those endpoints as the suites do (issue over https with a token, fetch a status list,
verify), whose last line and exit status are passed through, and after which nothing it
started is left running."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from demo.interop import (
    ISSUERS,
    Issuer,
    Ports,
    make_certificate,
    service_commands,
    suite_variables,
)
from demo.run import port_is_free

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PORTS = Ports(https=5443, http=5444, verifier=5445)


def test_the_certificate_is_a_self_signed_one_for_127_0_0_1(tmp_path):
    cert_file, key_file = make_certificate(tmp_path)
    certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert certificate.issuer == certificate.subject
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert key_file.stat().st_mode & 0o077 == 0  # the key is private to its owner


def test_the_suites_get_every_endpoint_and_a_token_and_did_per_issuer():
    issuers = [Issuer(name, f"did:key:z{name}", f"mc_{name}") for name in ISSUERS]
    variables = suite_variables(issuers, PORTS)
    assert variables["MC_VERIFIER"] == "http://127.0.0.1:5445/credentials/verify"
    assert variables["MC_VP_VERIFIER"] == "http://127.0.0.1:5445/presentations/verify"
    for name in [*ISSUERS, "STATUS"]:
        assert variables[f"MC_ISSUER_{name}"] == "https://127.0.0.1:5443/credentials/issue"
    assert {variables[f"MC_ISSUER_{name}_TOKEN"] for name in ISSUERS} == {
        f"mc_{name}" for name in ISSUERS
    }
    # the status issuer is the Ed25519 one
    assert variables["MC_ISSUER_STATUS_TOKEN"] == variables["MC_ISSUER_EDDSA_TOKEN"]
    assert variables["MC_ISSUER_STATUS_DID"] == "did:key:zEDDSA"
    assert "MC_TOKEN" not in variables


def test_the_issuer_is_served_over_https_and_plain_http_for_the_verifier(tmp_path):
    commands = service_commands(PORTS, tmp_path / "cert.pem", tmp_path / "key.pem")
    assert sorted(commands) == ["issuer", "issuer-http", "verifier"]
    issuer = commands["issuer"][1]
    assert issuer[issuer.index("--bind") + 1] == "127.0.0.1:5443"
    assert issuer[issuer.index("--certfile") + 1] == str(tmp_path / "cert.pem")
    assert issuer[issuer.index("--keyfile") + 1] == str(tmp_path / "key.pem")
    internal = commands["issuer-http"][1]
    assert internal[internal.index("--bind") + 1] == "127.0.0.1:5444"
    assert "--certfile" not in internal
    verifier, argv = commands["verifier"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:5445"
    rewrites = json.loads(verifier.env["MICROCRED_FETCH_REWRITES"])
    assert rewrites == {"https://127.0.0.1:5443": "http://127.0.0.1:5444"}


def test_without_run_sh_it_says_so_and_fails(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "demo.interop", "--run-sh", str(tmp_path / "missing.sh")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout.splitlines()[-1] == "w3c suites: 0 passed, 1 failed"
    assert "not found" in done.stderr


#: Stands in for the suites' run.sh: uses the endpoints as the suites do, then ends as run.sh.
STAND_IN = """\
    import json, os, ssl, sys, urllib.request

    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    env = os.environ
    with open(sys.argv[0] + ".env.json", "w") as out:
        json.dump({k: v for k, v in env.items() if k.startswith("MC_") and "TOKEN" not in k}, out)

    def call(url, body=None, headers=(), context=None):
        request = urllib.request.Request(url, json.dumps(body).encode() if body else None,
                                         {"Content-Type": "application/json", **dict(headers)})
        try:
            with urllib.request.urlopen(request, context=context, timeout=30) as answer:
                return answer.status, answer.headers, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers, json.loads(error.read())

    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:1",
                  "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:1"}}
    token = env["MC_ISSUER_STATUS_TOKEN"]
    status, _, issued = call(env["MC_ISSUER_STATUS"], {"credential": credential},
                             {"Authorization": f"Bearer {token}"}, unverified)
    assert status == 201, issued
    vc = issued["verifiableCredential"]
    assert vc["issuer"] == env["MC_ISSUER_STATUS_DID"]
    entry = vc["credentialStatus"][0]
    assert entry["statusListCredential"].startswith("https://127.0.0.1:")
    request = urllib.request.Request(entry["statusListCredential"],
                                     headers={"Accept": "application/ld+json, application/json"})
    with urllib.request.urlopen(request, context=unverified, timeout=30) as answer:
        assert answer.headers["Content-Type"] == "application/ld+json"
        assert json.loads(answer.read())["type"][-1] == "BitstringStatusListCredential"
    status, _, verified = call(env["MC_VERIFIER"], {"verifiableCredential": vc})
    assert status == 200, verified
    revocation = next(c for c in verified["report"] if c["check"] == "revocation")
    assert revocation["code"] == "not_revoked", revocation  # the verifier read the list
    print("w3c suites: 3 passed, 0 failed")
"""


def test_a_whole_run_passes_the_last_line_through_and_stops_everything(tmp_path):
    stand_in = tmp_path / "run.sh"
    stand_in.write_text(f"#!{sys.executable}\n" + textwrap.dedent(STAND_IN), encoding="utf-8")
    stand_in.chmod(0o755)
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MICROCRED_", "MC_")) and name != "DATABASE_URL"
    }
    done = subprocess.run(
        [sys.executable, "-m", "demo.interop", "--run-sh", str(stand_in)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "w3c suites: 3 passed, 0 failed"
    used = json.loads((tmp_path / "run.sh.env.json").read_text(encoding="utf-8"))
    assert {"MC_ISSUER_EDDSA", "MC_ISSUER_ECDSA_P256", "MC_ISSUER_ECDSA_P384"} <= set(used)
    assert used["MC_ISSUER_ECDSA_P256_DID"].startswith("did:key:zDna")
    assert used["MC_ISSUER_ECDSA_P384_DID"].startswith("did:key:z82L")
    assert used["MC_ISSUER_EDDSA_DID"].startswith("did:key:z6Mk")
    for name in ("MC_ISSUER_EDDSA", "MC_VERIFIER"):
        assert port_is_free("127.0.0.1", urlsplit(used[name]).port or 0)  # stopped
