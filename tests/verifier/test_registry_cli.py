"""``microcred registry``: init-authority, sign-agencies, sign-record, bundle and check, end to
end through click's runner, and the registry they make used by the verifier."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from demo.reference import reference_credential
from keys.keypairs import KeyPair
from keys.keystore import PASSPHRASE_ENV
from keys.proof import add_proof
from keys.resolver import DidResolver
from verifier.registry.cli import registry
from verifier.registry.load import load_registry
from verifier.report import Outcome
from verifier.verify import VerifierOptions, verify_credential

CREATED = "2026-01-15T00:00:00Z"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(main, ["registry", *args])
    assert result.exit_code == code, (result.output, result.stderr)
    return result.output


def new_key(runner: CliRunner, path: Path) -> dict:
    output = run(runner, "init-authority")
    path.write_text(output)
    return json.loads(output)


def write(path: Path, data: object) -> str:
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def chain(runner, tmp_path) -> dict:
    """Keys and signed documents: an authority, a recognised agency, a rogue agency, and a
    university accredited by each agency."""
    authority = new_key(runner, tmp_path / "authority.key.json")
    agency = new_key(runner, tmp_path / "agency.key.json")
    rogue = new_key(runner, tmp_path / "rogue.key.json")
    university = KeyPair.from_multikey(new_key(runner, tmp_path / "uni.key.json"))
    agencies = write(
        tmp_path / "agencies.json",
        [
            {
                "id": agency["controller"],
                "name": "Nordic Accreditation Agency",
                "jurisdictions": ["DNK"],
                "maxEQFLevel": 7,
                "fields": ["06"],
            }
        ],
    )
    (tmp_path / "agencies.signed.json").write_text(
        run(
            runner,
            "sign-agencies",
            "--key",
            str(tmp_path / "authority.key.json"),
            "--created",
            CREATED,
            agencies,
        )
    )
    description = {
        "organisation": {"id": university.controller, "name": "Aarhus Demo University"},
        "title": "Institutional accreditation",
        "issued": "2024-01-01",
        "expiryDate": "2030-12-31",
        "limitEQFLevel": [6, 7],
        "limitField": ["068"],
        "limitJurisdiction": ["DNK"],
    }
    record = write(tmp_path / "record.json", description)
    for name in ("agency", "rogue"):
        (tmp_path / f"{name}.record.json").write_text(
            run(
                runner,
                "sign-record",
                "--key",
                str(tmp_path / f"{name}.key.json"),
                "--created",
                CREATED,
                record,
            )
        )
    return {
        "dir": tmp_path,
        "authority": authority["controller"],
        "agency": agency["controller"],
        "rogue": rogue["controller"],
        "university": university,
    }


def bundle(runner: CliRunner, chain: dict, *records: str) -> Path:
    directory = chain["dir"]
    output = run(
        runner,
        "bundle",
        "--agencies",
        str(directory / "agencies.signed.json"),
        *(str(directory / r) for r in records),
    )
    path = directory / "registry.json"
    path.write_text(output)
    return path


class TestRoundTrip:
    def test_init_authority_prints_a_did_key(self, runner):
        key = json.loads(run(runner, "init-authority"))
        assert key["controller"] == f"did:key:{key['publicKeyMultibase']}"
        assert key["secretKeyMultibase"].startswith("z")

    def test_init_authority_encrypted(self, runner, tmp_path):
        target = tmp_path / "authority.sealed.json"
        result = runner.invoke(
            main,
            ["registry", "init-authority", "--output", str(target)],
            env={PASSPHRASE_ENV: "s3cret"},
        )
        assert result.exit_code == 0, result.output
        assert "secretKeyMultibase" not in json.loads(result.output)
        assert "secretKeyMultibase" not in target.read_text()

    def test_signed_documents(self, runner, chain):
        directory = chain["dir"]
        agencies = json.loads((directory / "agencies.signed.json").read_text())
        assert agencies["issuer"] == chain["authority"]
        assert agencies["proof"]["created"] == CREATED
        record = json.loads((directory / "agency.record.json").read_text())
        assert record["issuer"] == chain["agency"]
        accreditation = record["credentialSubject"]["accreditation"]
        assert accreditation["accreditingAgent"] == chain["agency"]
        assert accreditation["limitField"] == ["http://data.europa.eu/snb/isced-f/068"]

    def test_check_all_good(self, runner, chain):
        path = bundle(runner, chain, "agency.record.json")
        output = run(runner, "check", "--offline", "--authority", chain["authority"], str(path))
        assert "REFUSED" not in output
        assert chain["university"].controller in output

    def test_check_json(self, runner, chain):
        path = bundle(runner, chain, "agency.record.json", "rogue.record.json")
        output = run(
            runner,
            "check",
            "--offline",
            "--json",
            "--authority",
            chain["authority"],
            str(path),
            code=1,
        )
        data = json.loads(output)
        assert [a["id"] for a in data["agencies"]] == [chain["agency"]]
        assert [(r["status"], r.get("code")) for r in data["records"]] == [
            ("ok", None),
            ("refused", "agency_not_recognised"),
        ]

    def test_check_refuses_an_unrecognised_agency(self, runner, chain):
        path = bundle(runner, chain, "agency.record.json", "rogue.record.json")
        output = run(
            runner, "check", "--offline", "--authority", chain["authority"], str(path), code=1
        )
        assert "[agency_not_recognised]" in output

    def test_check_with_another_authority(self, runner, chain):
        path = bundle(runner, chain, "agency.record.json")
        result = runner.invoke(
            main, ["registry", "check", "--offline", "--authority", chain["agency"], str(path)]
        )
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ")
        assert "authority_mismatch" in result.stderr
        assert "Traceback" not in result.output + result.stderr

    def test_registry_used_by_the_verifier(self, runner, chain):
        path = bundle(runner, chain, "agency.record.json")
        now = datetime(2026, 11, 1, tzinfo=UTC)
        loaded = load_registry(
            json.loads(path.read_text()),
            authority=chain["authority"],
            resolver=DidResolver(),
            now=now,
        )
        university = chain["university"]
        credential = add_proof(
            reference_credential(university), university, created=datetime(2026, 7, 1, tzinfo=UTC)
        )
        report = verify_credential(credential, VerifierOptions(now=now, registry=loaded))
        result = report.result("accreditation")
        assert (result.outcome, result.code) == (Outcome.OK, "accredited")
        assert report.verified

    def test_group_is_importable_alone(self, runner):
        result = runner.invoke(registry, ["--help"])
        assert result.exit_code == 0
        for command in ("init-authority", "sign-agencies", "sign-record", "bundle", "check"):
            assert command in result.output


class TestUnusableInput:
    def assert_unusable(self, result) -> None:
        assert result.exit_code == 2, (result.output, result.stderr)
        assert result.stderr.startswith("error: ")
        assert "Traceback" not in result.output + result.stderr

    def test_missing_key_file(self, runner, tmp_path):
        agencies = write(tmp_path / "agencies.json", [{"id": "did:key:z6Mkx"}])
        result = runner.invoke(
            main, ["registry", "sign-agencies", "--key", str(tmp_path / "nope.json"), agencies]
        )
        self.assert_unusable(result)

    def test_public_only_key(self, runner, tmp_path):
        key = json.loads(run(runner, "init-authority"))
        del key["secretKeyMultibase"]
        key_path = write(tmp_path / "public.json", key)
        agencies = write(tmp_path / "agencies.json", [{"id": "did:key:z6Mkx"}])
        result = runner.invoke(main, ["registry", "sign-agencies", "--key", key_path, agencies])
        self.assert_unusable(result)

    @pytest.mark.parametrize(
        "agencies",
        [{"id": "did:key:z6Mkx"}, [], [{"id": "not a did"}], [{"id": "did:x:1", "fields": "6"}]],
    )
    def test_bad_agencies(self, runner, tmp_path, agencies):
        new_key(runner, tmp_path / "authority.key.json")
        path = write(tmp_path / "agencies.json", agencies)
        result = runner.invoke(
            main,
            ["registry", "sign-agencies", "--key", str(tmp_path / "authority.key.json"), path],
        )
        self.assert_unusable(result)

    @pytest.mark.parametrize(
        "record",
        [
            {"organisation": "did:key:z6Mkx"},
            {"issued": "2024-01-01"},
            {"organisation": "did:key:z6Mkx", "issued": "2024-01-01", "limitJurisdiction": ["dk"]},
            ["not", "an", "object"],
        ],
    )
    def test_bad_record(self, runner, tmp_path, record):
        new_key(runner, tmp_path / "agency.key.json")
        path = write(tmp_path / "record.json", record)
        result = runner.invoke(
            main, ["registry", "sign-record", "--key", str(tmp_path / "agency.key.json"), path]
        )
        self.assert_unusable(result)

    def test_bad_created(self, runner, tmp_path):
        new_key(runner, tmp_path / "agency.key.json")
        path = write(tmp_path / "record.json", {"organisation": "did:x:1", "issued": "2024-01-01"})
        result = runner.invoke(
            main,
            [
                "registry",
                "sign-record",
                "--key",
                str(tmp_path / "agency.key.json"),
                "--created",
                "2026-01-01T00:00:00",
                path,
            ],
        )
        self.assert_unusable(result)

    def test_bundle_refuses_unsigned_documents(self, runner, chain):
        directory = chain["dir"]
        result = runner.invoke(
            main,
            [
                "registry",
                "bundle",
                "--agencies",
                str(directory / "agencies.signed.json"),
                str(directory / "record.json"),
            ],
        )
        self.assert_unusable(result)

    def test_bundle_refuses_a_record_as_agencies(self, runner, chain):
        directory = chain["dir"]
        result = runner.invoke(
            main,
            ["registry", "bundle", "--agencies", str(directory / "agency.record.json")],
        )
        self.assert_unusable(result)

    @pytest.mark.parametrize("content", ["not json", "[]", '{"type": "AccreditationRegistry"}'])
    def test_check_unusable_registry(self, runner, tmp_path, content):
        path = tmp_path / "registry.json"
        path.write_text(content)
        result = runner.invoke(
            main, ["registry", "check", "--offline", "--authority", "did:key:z6Mkx", str(path)]
        )
        self.assert_unusable(result)

    def test_check_missing_file(self, runner, tmp_path):
        result = runner.invoke(
            main,
            [
                "registry",
                "check",
                "--offline",
                "--authority",
                "did:key:z6Mkx",
                str(tmp_path / "missing.json"),
            ],
        )
        self.assert_unusable(result)
