"""``make run`` and its services with the secrets: outside demo mode gunicorn (each Procfile
service) and the run script stop with one line naming the setting; ``make run`` is a demo that
keeps its own random secret in ``instance/``."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from demo import run
from demo.procfile import services
from issuer import server_secrets
from issuer.app import create_app
from issuer.db import session_factory
from issuer.server_secrets import DEMO_NOTICE, DEMO_PASSPHRASE, PASSPHRASE_ENV, SECRET_ENV
from tests.issuer.conftest import SECRET_SETTINGS
from tests.ports import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def build(tmp_path: Path, **config: object):  # type: ignore[no-untyped-def]
    """An issuer app over a throwaway SQLite file (its engine disposed at once)."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", **config})
    session_factory(app).kw["bind"].dispose()
    return app


def test_the_makefile_runs_a_demo_with_the_demo_passphrase():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^RUN_PASSPHRASE\s*\?=\s*{re.escape(DEMO_PASSPHRASE)}$", makefile, re.M)
    assert re.search(r"^run: export MICROCRED_DEMO \?= 1$", makefile, re.M)


# --- servers: gunicorn and make run's script --------------------------------------------------


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in SECRET_SETTINGS}
    environment |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", **extra}
    return environment


@pytest.mark.parametrize("name", ["issuer", "verifier"])
def test_gunicorn_stops_with_one_line_and_no_traceback(tmp_path, name):
    service = next(s for s in services("127.0.0.1", 5000, 1) if s.name == name)
    service = replace(service, port=free_port())
    done = subprocess.run(  # the Procfile's line, through the shell, as honcho runs it
        service.command,
        shell=True,
        cwd=PROJECT_ROOT,
        env=service.environment(server_env(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4  # gunicorn: "App failed to load", it does not restart workers
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors and all(line.startswith(f"error: {SECRET_ENV} is not set") for line in errors)
    assert "Traceback" not in done.stderr


def test_the_run_script_refuses_to_start_outside_demo_mode(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "demo.run", "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=server_env(tmp_path, **{PASSPHRASE_ENV: DEMO_PASSPHRASE, SECRET_ENV: "s3cret-x"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {PASSPHRASE_ENV} is the demo passphrase ('{DEMO_PASSPHRASE}'): set your own "
        f"secret passphrase (or {server_secrets.DEMO_ENV}=1 for a demo)"
    ]


def test_demo_mode_keeps_one_random_secret_in_the_instance_folder(clean_env, tmp_path, capsys):
    app = build(tmp_path, DEMO=True, CHECK_SECRETS=False)
    app.instance_path = str(tmp_path / "instance")
    run.prepare_secrets(app)
    secret = os.environ[SECRET_ENV]  # what both services inherit
    stored = tmp_path / "instance" / "secret_key"
    assert stored.read_text().strip() == secret == app.config["SECRET_KEY"]
    assert len(secret) == 64 and secret not in server_secrets.KNOWN_DEFAULT_SECRETS
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert capsys.readouterr().err.splitlines() == [DEMO_NOTICE]

    clean_env.delenv(SECRET_ENV)  # a later `make run`: the same secret again
    again = build(tmp_path, DEMO=True, CHECK_SECRETS=False)
    again.instance_path = app.instance_path
    run.prepare_secrets(again)
    assert os.environ[SECRET_ENV] == secret
