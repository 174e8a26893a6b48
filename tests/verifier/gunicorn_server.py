"""The verifier served by a real gunicorn for a test: started, waited for, always stopped."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_WITHIN = 30.0  # seconds gunicorn may take to answer /healthz


def gunicorn_extra() -> list[str]:
    """``--no-control-socket`` where this gunicorn has it (its default path is shared by every
    gunicorn of the user)."""
    from gunicorn.config import KNOWN_SETTINGS

    known = any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS)
    return ["--no-control-socket"] if known else []


@contextlib.contextmanager
def serving(
    port: int, arguments: list[str], environment: Mapping[str, str], stderr: Path
) -> Iterator[str]:
    """``python -m gunicorn --bind 127.0.0.1:<port> <arguments>`` in the project with
    ``environment``, its stderr (gunicorn's error log) written to ``stderr``; the URL once
    ``/healthz`` answers 200 (the test fails with the log if it exits or takes longer than
    :data:`START_WITHIN`). The whole server is stopped afterwards, killed if it lingers."""
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *gunicorn_extra(),
        *arguments,
    ]  # fmt: skip
    with stderr.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=dict(environment), stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WITHIN
        while True:
            assert process.poll() is None, stderr.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"the verifier did not start: {stderr.read_text()}"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
