"""The ``microcred`` command line: keys generate, sign, verify, and their exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from demo.reference import reference_credential
from keys.keypairs import KeyPair
from keys.keystore import PASSPHRASE_ENV
from verifier.trust import trusted_issuers_document

CHECKS = ["format", "seal", "revocation", "expiry", "accreditation", "owner", "recognition"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def generate_key(runner: CliRunner, path: Path, suite: str = "eddsa-rdfc-2022") -> dict:
    result = runner.invoke(main, ["keys", "generate", "--suite", suite])
    assert result.exit_code == 0, result.output
    path.write_text(result.output)
    return json.loads(result.output)


class TestKeysGenerate:
    @pytest.mark.parametrize(
        ("suite", "prefix"), [("eddsa-rdfc-2022", "z6Mk"), ("ecdsa-rdfc-2019", "zDna")]
    )
    def test_prints_a_multikey_with_secret(self, runner, tmp_path, suite, prefix):
        key = generate_key(runner, tmp_path / "k.json", suite)
        assert key["publicKeyMultibase"].startswith(prefix)
        assert key["secretKeyMultibase"].startswith("z")
        assert key["controller"] == f"did:key:{key['publicKeyMultibase']}"
        assert KeyPair.from_multikey(key).public_key_multibase == key["publicKeyMultibase"]

    def test_controller_option(self, runner):
        result = runner.invoke(main, ["keys", "generate", "--controller", "did:web:uni.example"])
        key = json.loads(result.output)
        assert key["controller"] == "did:web:uni.example"
        assert key["id"].startswith("did:web:uni.example#")

    def test_output_file_is_encrypted(self, runner, tmp_path):
        target = tmp_path / "sealed.json"
        result = runner.invoke(
            main, ["keys", "generate", "--output", str(target)], env={PASSPHRASE_ENV: "s3cret"}
        )
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        assert "secretKeyMultibase" not in printed
        stored = target.read_text()
        assert "secretKeyMultibase" not in stored
        assert "ENCRYPTED" in stored

    def test_output_file_that_cannot_be_written(self, runner, tmp_path):
        target = tmp_path / "no-such-folder" / "k.json"
        result = runner.invoke(
            main, ["keys", "generate", "--output", str(target)], env={PASSPHRASE_ENV: "s3cret"}
        )
        assert result.exit_code == 2
        assert "cannot write" in result.output
        assert not target.exists()

    def test_output_file_without_passphrase_is_refused(self, runner, tmp_path):
        result = runner.invoke(
            main,
            ["keys", "generate", "--output", str(tmp_path / "k.json")],
            env={PASSPHRASE_ENV: ""},
        )
        assert result.exit_code == 2
        assert PASSPHRASE_ENV in result.output


class TestSignAndVerify:
    @pytest.fixture
    def signed_path(self, runner, tmp_path) -> Path:
        key = generate_key(runner, tmp_path / "key.json")
        issuer = KeyPair.from_multikey(key).with_ids(key["id"], key["controller"])
        (tmp_path / "in.json").write_text(json.dumps(reference_credential(issuer)))
        result = runner.invoke(
            main, ["sign", "--key", str(tmp_path / "key.json"), str(tmp_path / "in.json")]
        )
        assert result.exit_code == 0, result.output
        path = tmp_path / "signed.json"
        path.write_text(result.output)
        return path

    def test_sign_adds_one_proof_with_given_options(self, runner, tmp_path, signed_path):
        signed = json.loads(signed_path.read_text())
        assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
        result = runner.invoke(
            main,
            [
                "sign",
                "--key",
                str(tmp_path / "key.json"),
                "--created",
                "2026-07-01T10:00:00Z",
                str(signed_path),
            ],
        )
        assert result.exit_code == 0, result.output
        twice = json.loads(result.output)
        assert len(twice["proof"]) == 2
        assert twice["proof"][1]["created"] == "2026-07-01T10:00:00Z"

    @pytest.fixture
    def trusted(self, tmp_path, signed_path) -> str:
        """A trusted-issuers file naming the signer of ``signed_path``."""
        issuer = json.loads(signed_path.read_text())["issuer"]
        did = issuer["id"] if isinstance(issuer, dict) else issuer
        path = tmp_path / "trusted.json"
        path.write_text(json.dumps(trusted_issuers_document([(did, "Test U")], name="CLI test")))
        return str(path)

    def test_verified_exits_0_with_every_check(self, runner, signed_path, trusted):
        result = runner.invoke(
            main, ["verify", "--json", "--trusted-issuers", trusted, str(signed_path)]
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["verified"] is True
        assert report["verdict"] == "verified"
        assert [c["check"] for c in report["checks"]] == CHECKS
        for check in report["checks"]:
            assert check["outcome"] in {"ok", "error", "warning", "unchecked"}
            assert set(check) >= {"check", "outcome", "code", "message"}

    def test_text_report(self, runner, signed_path, trusted):
        result = runner.invoke(main, ["verify", "--trusted-issuers", trusted, str(signed_path)])
        assert result.exit_code == 0
        assert result.output.startswith("VERIFIED")
        for name in CHECKS:
            assert name in result.output

    def test_trusted_issuers_from_the_environment(self, runner, signed_path, trusted):
        result = runner.invoke(
            main, ["verify", str(signed_path)], env={"MICROCRED_TRUSTED_ISSUERS": trusted}
        )
        assert result.exit_code == 0, result.output

    def test_untrusted_issuer_exits_3_naming_what_is_unconfirmed(self, runner, signed_path):
        """A genuine seal from an issuer no trust source vouches for: unconfirmed, exit 3."""
        result = runner.invoke(main, ["verify", "--json", str(signed_path)])
        assert result.exit_code == 3, result.output
        report = json.loads(result.output)
        assert (report["verdict"], report["verified"]) == ("unconfirmed", False)
        assert [u["code"] for u in report["unconfirmed"]] == ["no_trust_source"]
        text = runner.invoke(main, ["verify", str(signed_path)])
        assert text.exit_code == 3
        assert text.output.startswith("UNCONFIRMED")
        assert "accreditation:" in text.output

    def test_unusable_trust_file_exits_2_in_one_line(self, runner, signed_path, tmp_path):
        bad = tmp_path / "bad.json"
        bad.write_text('{"type": "TrustedIssuers", "version": 1, "issuers": [{"id": "x"}]}')
        result = runner.invoke(main, ["verify", "--trusted-issuers", str(bad), str(signed_path)])
        assert result.exit_code == 2
        assert "issuers[0].id must be a DID" in result.output
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1

    def test_tampered_exits_1(self, runner, signed_path):
        signed = json.loads(signed_path.read_text())
        signed["credentialSubject"]["fullName"] = {"en": "Somebody Else"}
        signed_path.write_text(json.dumps(signed))
        result = runner.invoke(main, ["verify", "--json", str(signed_path)])
        assert result.exit_code == 1
        seal = next(c for c in json.loads(result.output)["checks"] if c["check"] == "seal")
        assert (seal["outcome"], seal["code"]) == ("error", "invalid_signature")

    def test_sign_refuses_undefined_terms(self, runner, tmp_path):
        generate_key(runner, tmp_path / "key.json")
        document = reference_credential()
        document["nickname"] = "unsigned extra"
        (tmp_path / "in.json").write_text(json.dumps(document))
        result = runner.invoke(
            main, ["sign", "--key", str(tmp_path / "key.json"), str(tmp_path / "in.json")]
        )
        assert result.exit_code == 2
        assert "undefined_term" in result.output


class TestUnusableInput:
    @pytest.mark.parametrize(
        "content",
        [
            b"not json at all",
            b"\xff\xfe\x00garbage",
            b"[1, 2, 3]",
            b'"text"',
            b"[" * 100_000 + b"]" * 100_000,
        ],
        ids=["not-json", "not-utf8", "array", "string", "deep"],
    )
    def test_verify_exits_2_with_a_message(self, runner, tmp_path, content):
        path = tmp_path / "bad.json"
        path.write_bytes(content)
        result = runner.invoke(main, ["verify", str(path)])
        assert result.exit_code == 2
        assert "error:" in result.output
        assert "Traceback" not in result.output

    def test_missing_file(self, runner, tmp_path):
        result = runner.invoke(main, ["verify", str(tmp_path / "absent.json")])
        assert result.exit_code == 2
        assert "cannot read" in result.output

    def test_sign_with_unreadable_key(self, runner, tmp_path):
        (tmp_path / "in.json").write_text("{}")
        (tmp_path / "key.json").write_text("nonsense")
        result = runner.invoke(
            main, ["sign", "--key", str(tmp_path / "key.json"), str(tmp_path / "in.json")]
        )
        assert result.exit_code == 2


def test_installed_console_script_reports_without_traceback(tmp_path):
    """The real ``microcred`` executable, as a user runs it."""
    script = shutil.which("microcred", path=str(Path(sys.executable).parent))
    assert script, "the microcred console script is not installed in this environment"
    bad = tmp_path / "bad.json"
    bad.write_text("{ nope")
    done = subprocess.run(
        [script, "verify", "--json", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "not JSON" in done.stderr


def test_every_part_registers_its_commands_with_the_shell():
    from importlib.metadata import entry_points

    from cli.main import COMMAND_GROUP

    registered = {ep.name: ep.value for ep in entry_points(group=COMMAND_GROUP)}
    assert registered["keys"] == "keys.cli:keys" and registered["sign"] == "keys.cli:sign"
    assert {"verify", "registry", "issuer", "demo"} <= set(registered)


def test_a_command_whose_part_is_not_installed_fails_in_one_line(runner, monkeypatch):
    from importlib.metadata import EntryPoint

    import cli.main

    missing = EntryPoint("absent", "microcred_no_such_part.cli:absent", cli.main.COMMAND_GROUP)
    monkeypatch.setattr(cli.main, "entry_points", lambda group: [missing])
    listed = runner.invoke(main, ["--help"])
    assert listed.exit_code == 0 and "absent" in listed.output
    result = runner.invoke(main, ["absent", "--anything"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: `microcred absent` is not installed here (No module named "
        "'microcred_no_such_part'): install the extra it needs: pip install "
        "'microcred[issuer]' (or [verifier], [demo])"
    ]
