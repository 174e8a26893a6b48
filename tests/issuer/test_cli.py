"""``microcred issuer …`` through the real ``microcred`` shell (its entry point), and the
``make run`` script (``demo/run.py``: the Procfile's services under honcho and gunicorn).

Every command runs with settings from the environment, against the fixture's database (SQLite,
or a PostgreSQL schema when ``DATABASE_URL`` names one); what it wrote is read back through the
app. The fixtures that run it are in conftest.py, its helpers in shell.py; that the credentials
it issues verify is checked in tests/integration/test_cli_round_trip.py.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from cli.main import main
from demo.partnership import DEMO_SPECIFICATION
from issuer.app import create_app
from issuer.auth.tokens import authenticate
from issuer.bulk import jobs as bulk
from issuer.bulk import runner
from issuer.db import session_factory, transaction
from issuer.models import (
    ApiToken,
    AuditEvent,
    BulkJob,
    CredentialState,
    IssuedCredential,
    JobState,
    Organisation,
    Partnership,
    Role,
    TokenScope,
)
from issuer.partnerships.services import get_organisation
from issuer.specifications.services import get_specification
from tests.ports import free_port

from .conftest import BASE_URL, PASSPHRASE
from .shell import SPEC, bulk_csv, issue, lines

PROJECT_ROOT = Path(__file__).resolve().parents[2]


# --- the shell and the database ---------------------------------------------------------------


def test_issuer_is_a_microcred_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "issuer" in result.stdout


def test_init_db_creates_a_fresh_database_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'issuer.sqlite3'}"
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(
            main, ["issuer", *args], env={"DATABASE_URL": url, "MICROCRED_ISSUER_URL": BASE_URL}
        )

    before = run("create-partnership", "p", "P")
    assert before.exit_code == 2
    assert "init-db" in before.stderr
    assert not (tmp_path / "new" / "folder" / "issuer.sqlite3").exists()
    for _ in range(2):
        result = run("init-db")
        assert result.exit_code == 0, result.output
        assert "newest migration" in result.stdout
    assert run("create-partnership", "p", "P").exit_code == 0


# --- partnerships, organisations, specifications, tokens --------------------------------------


def test_setup_commands(cli, app, partnership, tmp_path):
    with transaction(app) as session:
        p = session.scalar(select(Partnership).where(Partnership.slug == "p"))
        uni = get_organisation(session, p.id, "uni")
        firm = get_organisation(session, p.id, "firm")
        assert (uni.legal_name, uni.identifier, uni.homepage) == (
            "Test University",
            "DK UNI01",
            "https://uni.example",
        )
        assert [k.algorithm for k in uni.keys] == ["Ed25519"]
        assert [k.algorithm for k in firm.keys] == ["P-256"]
        assert get_specification(session, p.id, SPEC).eqf_level == 6

    result = cli("create-token", "p", "uni", "--role", "admin", "--name", "ci")
    secret = result.stdout.strip()
    assert secret.startswith("mc_") and "\n" not in secret
    with transaction(app) as session:
        caller = authenticate(session, f"Bearer {secret}")
        assert caller.role is Role.ADMIN and caller.token_name == "ci"

    conflict = cli("create-partnership", "p", "Again", code=2)
    assert "[conflict]" in conflict.stderr
    cli(
        "add-organisation",
        "p",
        "uni",
        "--name",
        "U",
        "--country",
        "DNK",
        "--country-label",
        "Denmark",
        code=2,
    )
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(DEMO_SPECIFICATION))
    cli("create-specification", "p", str(spec), code=2)


# --- issuing ----------------------------------------------------------------------------------


def test_issue_to_stdout(cli, partnership):
    result = cli(
        "issue",
        "p",
        "--organisation",
        "uni",
        "--specification",
        SPEC,
        "--reference",
        "s-2",
        "--given-name",
        "Bo",
        "--family-name",
        "Lund",
        "--output",
        "-",
    )
    document = json.loads(result.stdout)
    assert document["id"] in result.stderr
    assert "share: " in result.stderr


def test_issue_refuses_bad_input_naming_each_field(cli, partnership):
    result = cli(
        "issue",
        "p",
        "--organisation",
        "uni",
        "--specification",
        SPEC,
        "--reference",
        "s-3",
        "--given-name",
        "Bo",
        "--family-name",
        "Lund",
        "--email",
        "not-an-address",
        "--date-of-birth",
        "31.12.1999",
        code=2,
    )
    assert "  email: " in result.stderr
    assert "  dateOfBirth: " in result.stderr
    unknown = cli(
        "issue",
        "p",
        "--organisation",
        "uni",
        "--specification",
        "nope",
        "--reference",
        "s-3",
        "--given-name",
        "Bo",
        "--family-name",
        "Lund",
        code=2,
    )
    assert "unknown_specification" in unknown.stderr


# --- bulk -------------------------------------------------------------------------------------


def test_bulk_refuses_a_bad_file(cli, partnership, tmp_path):
    source = tmp_path / "learners.csv"
    source.write_text("reference,given_name\nr-1,Ana\n")
    result = cli("bulk", "p", "--organisation", "uni", "--specification", SPEC, str(source), code=2)
    assert "family_name" in result.stderr and "[missing_columns]" in result.stderr


def test_resume_finishes_an_interrupted_job(cli, app, partnership, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH_ROWS", 3)
    with transaction(app) as session:
        p = session.scalar(select(Partnership).where(Partnership.slug == "p"))
        uni = get_organisation(session, p.id, "uni")
        job = bulk.create_job(
            session,
            issuer=uni,
            specification=get_specification(session, p.id, SPEC),
            awarding_bodies=[uni],
            filename="learners.csv",
            content=bulk_csv(12).encode(),
            actor="test",
        )
        job_id = job.id
    runner.work_on_job(app, job_id, stop_after=1)  # as if the worker died after a batch
    with transaction(app) as session:
        job = session.get_one(BulkJob, job_id)
        assert (job.state, job.issued_rows) == (JobState.RUNNING, 3)

    errors = tmp_path / "errors.csv"
    shown = lines(cli("resume", str(job_id), "--errors-out", str(errors)))
    assert shown[f"job {job_id}"] == "done"
    assert (shown["issued"], shown["errors"]) == ("10", "2")
    assert len(errors.read_text().splitlines()) == 3
    with transaction(app) as session:
        count = session.scalar(
            select(func.count())
            .select_from(IssuedCredential)
            .where(IssuedCredential.bulk_job_id == job_id)
        )
        assert count == 10
    cli("resume", "999999", code=2)


# --- status and keys --------------------------------------------------------------------------


def test_suspend_reinstate_revoke(cli, app, partnership):
    credential = issue(cli)["credential"]
    cli("suspend", "p", credential, code=2)  # a reason is required
    assert cli("suspend", "p", credential, "--reason", "under review").stdout.strip() == (
        f"{credential}: suspended"
    )
    cli("reinstate", "p", credential)
    bare_uuid = credential.removeprefix("urn:uuid:")
    cli("revoke", "p", bare_uuid, "--reason", "issued in error")
    refused = cli("suspend", "p", credential, "--reason", "again", code=2)
    assert "[credential_revoked]" in refused.stderr
    unknown = cli(
        "revoke", "p", "urn:uuid:00000000-0000-4000-8000-000000000000", "--reason", "x", code=2
    )
    assert "[unknown_credential]" in unknown.stderr

    cli("create-partnership", "other", "Other")
    cli("revoke", "other", credential, "--reason", "x", code=2)  # scoped to its partnership

    with transaction(app) as session:
        stored = session.scalar(select(IssuedCredential))
        assert stored.state is CredentialState.REVOKED
        events = session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.reason)
            .where(AuditEvent.credential_id == stored.id)
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("issue", "cli", None),
        ("suspend", "cli", "under review"),
        ("reinstate", "cli", None),
        ("revoke", "cli", "issued in error"),
    ]


def test_rotate_key_keeps_the_suite_unless_told(cli, app, partnership):
    cli("rotate-key", "p", "firm")
    cli("rotate-key", "p", "uni", "--suite", "ecdsa-rdfc-2019")
    with transaction(app) as session:
        p = session.scalar(select(Partnership).where(Partnership.slug == "p"))
        firm = get_organisation(session, p.id, "firm")
        uni = get_organisation(session, p.id, "uni")
        assert [k.algorithm for k in firm.keys] == ["P-256", "P-256"]
        assert [k.algorithm for k in uni.keys] == ["Ed25519", "P-256"]


def test_an_unwritable_output_undoes_the_issuance(cli, app, partnership, tmp_path):
    target = tmp_path / "missing" / "credential.json"
    result = cli(
        "issue",
        "p",
        "--organisation",
        "uni",
        "--specification",
        SPEC,
        "--reference",
        "s-1",
        "--given-name",
        "Ana",
        "--family-name",
        "Berg",
        "--output",
        str(target),
        code=2,
    )
    assert "No such file or directory" in result.stderr
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 0


# --- the demo ---------------------------------------------------------------------------------


def test_demo_creates_everything_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'issuer.sqlite3'}"
    environment = {
        "DATABASE_URL": url,
        "MICROCRED_ISSUER_URL": BASE_URL,
        "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
    }
    runner = CliRunner()
    tokens = []
    for _ in range(2):
        result = runner.invoke(main, ["demo", "setup"], env=environment)
        assert result.exit_code == 0, (result.output, result.exception)
        tokens.append(lines(result)["token"])
    assert tokens[0] != tokens[1]
    assert "created" in result.stderr or "exists already" in result.stderr

    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test"})
    try:
        with transaction(app) as session:
            assert session.scalar(select(func.count()).select_from(Partnership)) == 1
            for token in tokens:
                caller = authenticate(session, f"Bearer {token}")
                assert caller.role is Role.ISSUER
                organisation = session.get_one(Organisation, caller.organisation_id)
                assert organisation.slug == "aarhus-demo-university"
            names = session.scalars(select(ApiToken.name)).all()
            assert len(names) == 10
            assert sum(name.startswith("demo-") for name in names) == 1
    finally:
        session_factory(app).kw["bind"].dispose()


# --- failures: one line, exit status 2, no traceback ------------------------------------------


def test_create_token_makes_each_scope(app, cli, partnership):
    narrow = cli("create-token", "p", "uni", "--role", "issuer", "--name", "narrow")
    wide = cli(
        "create-token", "p", "uni", "--role", "issuer", "--name", "wide", "--scope", "partnership"
    )
    assert "partnership scope" in wide.stderr and "partnership scope" not in narrow.stderr
    with transaction(app) as session:
        assert authenticate(session, f"Bearer {narrow.stdout.strip()}").scope is (
            TokenScope.ORGANISATION
        )
        caller = authenticate(session, f"Bearer {wide.stdout.strip()}")
        assert caller.scope is TokenScope.PARTNERSHIP and caller.partnership_wide
    refused = cli(
        "create-token",
        "p",
        "uni",
        "--role",
        "viewer",
        "--name",
        "v",
        "--scope",
        "partnership",
        code=2,
    )
    assert "[invalid_scope]" in refused.stderr


def test_unknown_partnership_or_organisation(cli, partnership):
    result = cli("create-token", "nope", "uni", "--role", "issuer", "--name", "x", code=2)
    assert "no partnership 'nope'" in result.stderr
    cli("create-token", "p", "nope", "--role", "issuer", "--name", "x", code=2)
    cli(
        "issue",
        "nope",
        "--organisation",
        "uni",
        "--specification",
        SPEC,
        "--reference",
        "r",
        "--given-name",
        "A",
        "--family-name",
        "B",
        code=2,
    )


@pytest.mark.parametrize(
    "args",
    [
        [
            "add-organisation",
            "p",
            "new",
            "--name",
            "N",
            "--country",
            "DNK",
            "--country-label",
            "Denmark",
        ],
        [
            "issue",
            "p",
            "--organisation",
            "uni",
            "--specification",
            SPEC,
            "--reference",
            "r",
            "--given-name",
            "A",
            "--family-name",
            "B",
        ],
        ["rotate-key", "p", "uni"],
        ["bulk", "p", "--organisation", "uni", "--specification", SPEC, "LEARNERS"],
    ],
    ids=["add-organisation", "issue", "rotate-key", "bulk"],
)
def test_commands_that_use_keys_need_the_passphrase(cli, partnership, tmp_path, args):
    source = tmp_path / "learners.csv"
    source.write_text(bulk_csv(3))
    args = [str(source) if a == "LEARNERS" else a for a in args]
    result = cli(*args, code=2, MICROCRED_KEY_PASSPHRASE=None)
    assert "set MICROCRED_KEY_PASSPHRASE" in result.stderr


def test_malformed_specification_files(cli, partnership, tmp_path):
    not_json = tmp_path / "broken.json"
    not_json.write_text("{ not json")
    assert "is not JSON" in cli("create-specification", "p", str(not_json), code=2).stderr

    bad = {**DEMO_SPECIFICATION, "slug": "other", "eqfLevel": 9, "ects": "-1"}
    del bad["learningOutcomes"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = cli("create-specification", "p", str(path), code=2)
    detail = result.stderr.splitlines()[1:]
    assert sorted(line.split(":")[0].strip() for line in detail) == [
        "ects",
        "eqfLevel",
        "learningOutcomes",
    ]

    missing = cli("create-specification", "p", str(tmp_path / "absent.json"), code=2)
    assert "cannot read" in missing.stderr


def test_usage_errors_are_one_line(cli):
    result = cli("create-token", "p", "uni", "--role", "owner", "--name", "x", code=2)
    assert "'owner' is not one of" in result.stderr
    cli("issue", "p", code=2)  # required options missing


# --- make run ---------------------------------------------------------------------------------


def stale_job(url: str, base_url: str) -> int:
    """The demo partnership with a bulk job left running by a 'crashed' worker."""
    result = CliRunner().invoke(
        main,
        ["demo", "setup"],
        env={
            "DATABASE_URL": url,
            "MICROCRED_ISSUER_URL": base_url,
            "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
        },
    )
    assert result.exit_code == 0, result.output
    app = create_app(
        {
            "DATABASE_URL": url,
            "ISSUER_BASE_URL": base_url,
            "KEY_PASSPHRASE": PASSPHRASE,
            "BULK_WORKER": "inline",
            "SECRET_KEY": "test",
            "BULK_LEASE_SECONDS": 2,
        }
    )
    try:
        with transaction(app) as session:
            p = session.scalar(select(Partnership))
            issuer = get_organisation(session, p.id, "aarhus-demo-university")
            job = bulk.create_job(
                session,
                issuer=issuer,
                specification=get_specification(session, p.id, SPEC),
                awarding_bodies=[issuer],
                filename="x.csv",
                content=bulk_csv(4).encode(),
                actor="test",
            )
            job_id = job.id
        runner.work_on_job(app, job_id, stop_after=1)  # the worker died holding a batch
        return job_id
    finally:
        session_factory(app).kw["bind"].dispose()


def job_state(url: str, job_id: int) -> JobState:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
    try:
        with transaction(app) as session:
            return session.get_one(BulkJob, job_id).state
    finally:
        session_factory(app).kw["bind"].dispose()


def test_run_script_serves_the_issuer_until_stopped(database_url):
    port = free_port(span=2)  # the run script puts the verifier on port + 1
    base_url = f"http://localhost:{port}"
    job_id = stale_job(database_url, base_url)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MICROCRED_KEY_PASSPHRASE": PASSPHRASE,
        "MICROCRED_DEMO": "1",  # as `make run` sets
        "MICROCRED_SECRET_KEY": "run-script-test-secret",  # not instance/secret_key of the repo
        "PYTHONUNBUFFERED": "1",
        "MICROCRED_BULK_SWEEP_SECONDS": "0.5",
        "MICROCRED_BULK_LEASE_SECONDS": "2",
    }
    for name in ("MICROCRED_ISSUER_URL", "MICROCRED_QUEUE_URL", "REDIS_URL"):
        environment.pop(name, None)  # the script's defaults: localhost:<port>, embedded queue
    with subprocess.Popen(
        [sys.executable, "-m", "demo.run", "--port", str(port), "--workers", "2"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        out: queue.Queue[str] = queue.Queue()
        err: list[str] = []
        readers = [
            threading.Thread(target=lambda: [out.put(x) for x in process.stdout], daemon=True),
            threading.Thread(target=lambda: err.extend(process.stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            shown = wait_for_token(process, out, err)
            assert shown["issuer"] == f"http://localhost:{port}"
            assert shown["verifier"] == f"http://localhost:{port + 1}"
            assert shown["token"].startswith("mc_")

            with urllib.request.urlopen(f"{shown['issuer']}/.well-known/did.json", timeout=10) as r:
                assert r.status == 200
                assert json.load(r)["id"] == f"did:web:localhost%3A{port}"

            # the job a stopped server left running was taken over by make run's worker
            deadline = time.monotonic() + 60
            while job_state(database_url, job_id) is not JobState.DONE:
                assert time.monotonic() < deadline, "".join(err)
                time.sleep(0.2)

            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, "".join(err)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            for reader in readers:
                reader.join(timeout=10)
    assert "worker: " in "".join(err) and "sqlite queue" in "".join(err)
    assert sum(line.startswith("demo mode (MICROCRED_DEMO=1)") for line in err) == 1
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/did.json", timeout=2)


def wait_for_token(
    process: subprocess.Popen[str], out: queue.Queue[str], err: list[str]
) -> dict[str, str]:
    """The ``key: value`` lines the script printed, up to its ``token:`` line."""
    shown: dict[str, str] = {}
    deadline = time.monotonic() + 90
    while "token" not in shown:
        assert time.monotonic() < deadline, "".join(err)
        assert process.poll() is None, "".join(err)
        try:
            key, _, value = out.get(timeout=0.5).rstrip("\n").partition(": ")
        except queue.Empty:
            continue
        shown[key] = value
    return shown
