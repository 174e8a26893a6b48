"""``microcred recognise``: exit 0 recognised, 4 partly recognised, 1 not recognised, 2 unusable
input (one line, no traceback); the trust flags of ``microcred verify``; rules by path or from
``MICROCRED_RECOGNITION_RULES``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main as microcred
from tests.verifier.recognition_set import (
    AUTHORITY,
    STRANGER,
    VET_RULE,
    micro_credential,
    registry_document,
    vet_set,
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "registry.json").write_text(json.dumps(registry_document()))
    found = {"registry": str(tmp_path / "registry.json")}
    for n, document in enumerate(vet_set(), start=1):
        (tmp_path / f"vet-{n}.json").write_text(json.dumps(document))
        found[f"vet-{n}"] = str(tmp_path / f"vet-{n}.json")
    stranger = micro_credential(STRANGER, "Data wrangling", number=9, ects="10")
    (tmp_path / "stranger.json").write_text(json.dumps(stranger))
    found["stranger"] = str(tmp_path / "stranger.json")
    return found


def run(files: dict[str, str], *args: str, rule: str = str(VET_RULE), env=None):
    trust = [
        "--offline",
        "--registry",
        files["registry"],
        "--registry-authority",
        str(AUTHORITY.controller),
    ]
    command = ["recognise", "--rule", rule, *trust, *args]
    return CliRunner().invoke(
        microcred, command, env={"MICROCRED_RECOGNITION_RULES": "", **(env or {})}
    )


def test_recognised_exits_0(files):
    result = run(files, files["vet-1"], files["vet-2"], files["vet-3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("RECOGNISED: Recognised as Module DF-1 Data Foundations")


def test_partly_recognised_exits_4_and_says_what_is_missing(files):
    result = run(files, files["vet-1"])
    assert result.exit_code == 4, result.output
    assert "5 of 10 ECTS" in result.output
    assert "no assessed outcome covering ESCO skill use databases" in result.output


def test_not_recognised_exits_1_and_says_why_a_credential_was_left_out(files):
    result = run(files, files["stranger"])
    assert result.exit_code == 1, result.output
    assert "left out   " in result.output and "[unconfirmed]" in result.output
    assert "was left out: its verdict is unconfirmed" in result.output


def test_json(files):
    result = run(files, "--json", files["vet-1"], files["stranger"])
    assert result.exit_code == 4
    decision = json.loads(result.output)
    assert decision["type"] == "RecognitionDecision"
    assert decision["decision"] == "partly_recognised"
    assert [c["verdict"] for c in decision["credentials"]] == ["verified", "unconfirmed"]
    assert decision["credentials"][0]["credential"]["id"].startswith("urn:uuid:")


def test_a_rule_from_the_rules_directory(files, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "df-1.yaml").write_bytes(VET_RULE.read_bytes())
    result = run(
        files, files["vet-1"], rule="df-1", env={"MICROCRED_RECOGNITION_RULES": str(rules)}
    )
    assert result.exit_code == 4, result.output


@pytest.mark.parametrize(
    ("rule_text", "expected"),
    [
        ('{"type": "RecognitionRule"}', "rule_invalid"),
        ("criteria: [", "rule_unreadable"),
    ],
)
def test_an_unusable_rule_exits_2_in_one_line(files, tmp_path, rule_text, expected):
    path = tmp_path / "rule.yaml"
    path.write_text(rule_text)
    result = run(files, files["vet-1"], rule=str(path))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and f"[{expected}]" in result.output
    assert "Traceback" not in result.output


def test_an_unusable_credential_or_setting_exits_2(files, tmp_path):
    (tmp_path / "list.json").write_text("[1]")
    assert run(files, str(tmp_path / "missing.json")).exit_code == 2
    assert run(files, str(tmp_path / "list.json")).exit_code == 2
    result = CliRunner().invoke(
        microcred,
        ["recognise", "--rule", str(VET_RULE), "--registry", files["registry"], files["vet-1"]],
        env={"MICROCRED_REGISTRY_AUTHORITY": ""},
    )
    assert result.exit_code == 2
    assert "MICROCRED_REGISTRY_AUTHORITY" in result.output
