"""``make run`` (``demo/run.py``): the Procfile it runs, and a service that cannot start.

The whole run (three lines, both services answering, a clean stop on SIGTERM) is
``tests/issuer/test_cli.py::test_run_script_serves_the_issuer_until_stopped``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from demo.procfile import PROCFILE, procfile, services, worker_service

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_the_procfile_at_the_root_names_the_two_services_and_the_worker():
    assert PROCFILE == PROJECT_ROOT / "Procfile"
    assert sorted(procfile()) == ["issuer", "verifier", "worker"]
    name, command = worker_service()
    assert name == "worker" and "-m issuer.bulk.cli" in command


def test_make_run_gives_each_service_its_port_and_the_gunicorn_flags():
    issuer, verifier = services("127.0.0.1", 5600, workers=3)
    assert (issuer.name, issuer.url, verifier.name, verifier.url) == (
        "issuer",
        "http://127.0.0.1:5600",
        "verifier",
        "http://127.0.0.1:5601",
    )
    for service in (issuer, verifier):
        argv = service.argv({})
        assert argv[:3] == [sys.executable, "-m", "gunicorn"]
        assert argv[argv.index("--bind") + 1] == f"127.0.0.1:{service.port}"
        assert argv[argv.index("--workers") + 1] == "3"
        assert "--no-control-socket" in argv
        assert argv[-1] == f"{service.name}.wsgi:create_server()"
    for service in (issuer, verifier):  # each with its own gunicorn settings
        argv = service.argv({})
        assert argv[argv.index("--config") + 1] == f"python:{service.name}.gunicorn_conf"
    assert issuer.env["MICROCRED_BULK_WORKER"] == "queue"
    assert verifier.env["MICROCRED_FETCH_ALLOW_PRIVATE"] == "1"
    assert "https://localhost:5600" in verifier.env["MICROCRED_FETCH_REWRITES"]


SERVE_VERIFIER = """
import sys
from dataclasses import replace
from demo.procfile import services
from demo.run import run_services
verifier = next(s for s in services("127.0.0.1", 5000, 1) if s.name == "verifier")
sys.exit(run_services([replace(verifier, port=int(sys.argv[1]))], "mc_x", 60))
"""


def test_a_service_that_cannot_start_stops_everything_with_one_error_line(tmp_path):
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {
            **os.environ,
            "MICROCRED_DEMO": "1",
            "MICROCRED_SECRET_KEY": "demo-run-test-secret",
            "MICROCRED_CACHE_DIR": str(tmp_path / "cache"),
        }
        done = subprocess.run(
            [sys.executable, "-c", SERVE_VERIFIER, str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""  # never the URLs
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("error: verifier stopped while starting (exit status 1;")
    assert str(port) in errors[0]
    assert done.stderr.splitlines()[-1] == errors[0]
