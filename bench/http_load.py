"""Benchmark: the verifier's HTTP throughput and latency under a local load generator (issue #6).

Starts the verifier under gunicorn with 2 sync workers on 127.0.0.1 (a free port; the flags of
the Procfile, control socket off), waits for ``/healthz``, then POSTs the signed reference
credential (``demo.reference.reference_credential`` signed with
``demo.reference.reference_keypair()``: a did:key, so verifying it touches no network) to
``/api/verify`` for a fixed time with 8 connections:

* with ``wrk`` (Debian package ``wrk``) when it is on the PATH:
  ``wrk -t2 -c8 -d<seconds>s --latency -s post.lua``; requests/s, p50/p75/p90/p99 are read from
  its ``--latency`` output;
* else with a bounded Python generator (8 threads, ``http.client``, keep-alive, same duration).

A few responses are checked to say ``"verified": true`` before and after the load, and any
non-2xx answer or socket error is counted. gunicorn's whole process group is terminated at the
end, even on error.

``path`` "ours" serves ``verifier.app:create_app()`` as deployed (fast path); "plain" serves
``bench.http_load:plain_app()``, the same app with the cryptosuites switched to
``schemas.jsonld.canonicalize_plain`` (as ``bench/run.py`` does).

The load generator runs on the same machine as the two workers and competes with them for the
cores: the figures are a lower bound for a dedicated server.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = 2
CONNECTIONS = 8
WRK_THREADS = 2
SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
APPS = {"ours": "verifier.app:create_app()", "plain": "bench.http_load:plain_app()"}

LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open("{body}", "rb"))
wrk.body = file:read("*a")
file:close()
"""


def plain_app():  # type: ignore[no-untyped-def]
    """The verifier app with the plain canonicalization (for gunicorn)."""
    import keys.cryptosuites.base as suite_base
    from schemas.jsonld import canonicalize_plain
    from verifier.app import create_app

    suite_base.canonicalize = canonicalize_plain  # type: ignore[attr-defined]
    try:  # issue #15: the seal takes the canonical form the format check prepared
        import verifier.verify as verify
        from schemas.jsonld import PreparedDocument
    except ImportError:
        return create_app()

    class PlainPrepared(PreparedDocument):  # type: ignore[misc,valid-type]
        def canonical_unsecured(self, hash_algorithm: str = "sha256") -> str:
            bare = {k: v for k, v in self.document.items() if k != "proof"}
            return canonicalize_plain(bare, loader=self.loader, hash_algorithm=hash_algorithm)

    verify.PreparedDocument = PlainPrepared  # type: ignore[misc]
    return create_app()


def signed_reference() -> bytes:
    """The signed reference credential as a request body."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from demo.reference import reference_credential, reference_keypair
    from keys.proof import add_proof

    keypair = reference_keypair()
    return json.dumps(add_proof(reference_credential(keypair), keypair, created=SIGNED_AT)).encode()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def gunicorn_command(port: int, app: str) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--workers", str(WORKERS),
        "--bind", f"{HOST}:{port}",
        "--graceful-timeout", "10",
        "--name", "microcred-bench-verifier",
        "--no-control-socket",
        app,
    ]  # fmt: skip


def _request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_healthy(port: int, server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before answering")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the verifier did not answer /healthz within {timeout} s")


def check_verified(port: int, body: bytes, samples: int = 3) -> int:
    """POST ``samples`` times; every answer must be 200 with a genuine seal (``verified: true``
    for the reference credential; the EU sample names no trust source: ``unconfirmed``)."""
    for _ in range(samples):
        status, answer = _request(port, "POST", "/api/verify", body)
        report = json.loads(answer)
        seal = next((c for c in report.get("checks", []) if c.get("check") == "seal"), {})
        if status != 200 or seal.get("outcome") != "ok":
            raise RuntimeError(f"/api/verify answered {status}: {answer[:500]!r}")
    return samples


def signed_eu_sample() -> bytes:
    """The EU sample (``bench/eu.py``) signed by the reference key, as a request body."""
    import eu  # bench/eu.py

    from demo.reference import reference_keypair
    from keys.proof import add_proof

    keypair = reference_keypair()
    document = eu.eu_sample(keypair, 1)[0]
    return json.dumps(add_proof(document, keypair, created=SIGNED_AT)).encode()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return round(float(number) * _UNITS[unit], 3)


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests, requests/s, latency percentiles (ms) and errors from ``wrk --latency``."""
    result: dict[str, Any] = {}
    found = re.search(r"([\d.]+) requests in ([\d.]+)(us|ms|s|m)", output)
    if found is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    result["requests"] = int(found.group(1))
    per_second = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["requests_per_second"] = round(float(per_second.group(1)), 1) if per_second else 0.0
    distribution = re.findall(r"^\s+(\d+)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.M)
    latency = {f"p{p}_ms": _ms(v) for p, v in distribution}
    result.update(latency)
    mean = re.search(r"Latency\s+([\d.]+(?:us|ms|s|m))", output)
    if mean:
        result["mean_ms"] = _ms(mean.group(1))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result["socket_errors"] = sum(int(n) for n in errors.groups()) if errors else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    return result


def run_wrk(port: int, body: bytes, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="microcred-wrk-") as folder:
        body_path = Path(folder) / "body.json"
        body_path.write_bytes(body)
        script = Path(folder) / "post.lua"
        script.write_text(LUA.format(body=str(body_path)))
        command = [
            "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
            "--latency", "-s", str(script), f"http://{HOST}:{port}/api/verify",
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}")
    result = parse_wrk(done.stdout)
    result["generator"] = " ".join(["wrk", *command[1:5], "-s post.lua"])
    return result


def run_python(port: int, body: bytes, seconds: float) -> dict[str, Any]:
    """A bounded load generator: CONNECTIONS threads, keep-alive, for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    failures = [0] * CONNECTIONS
    started = time.perf_counter()
    deadline = started + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        headers = {"Content-Type": "application/json"}
        while time.perf_counter() < deadline:
            begin = time.perf_counter()
            try:
                connection.request("POST", "/api/verify", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures[index] += 1
            except (OSError, http.client.HTTPException):
                failures[index] += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            latencies[index].append((time.perf_counter() - begin) * 1000)
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 15)
    elapsed = time.perf_counter() - started
    every = sorted(x for chunk in latencies for x in chunk)
    if not every:
        raise RuntimeError("no request succeeded")

    def pct(p: float) -> float:
        return round(every[min(len(every) - 1, int(p / 100 * len(every)))], 3)

    return {
        "requests": len(every),
        "requests_per_second": round(len(every) / elapsed, 1),
        "mean_ms": round(sum(every) / len(every), 3),
        "p50_ms": pct(50), "p75_ms": pct(75), "p90_ms": pct(90), "p99_ms": pct(99),
        "socket_errors": 0,
        "non_2xx": sum(failures),
        "generator": f"python http.client, {CONNECTIONS} threads (wrk not found)",
    }  # fmt: skip


def run_server(path: str, seconds: float, body: bytes) -> dict[str, Any]:
    """Serve the verifier (``path``) under gunicorn, load it for ``seconds``; the figures."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MICROCRED_SECRET_KEY": secrets.token_hex(32)}
    for name in ("MICROCRED_FETCH_REWRITES", "MICROCRED_FETCH_ALLOW_PRIVATE"):
        env.pop(name, None)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally)
    server = subprocess.Popen(
        gunicorn_command(port, APPS[path]),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,  # its own process group, terminated as a whole below
    )
    try:
        wait_healthy(port, server)
        checked = check_verified(port, body)  # also warms both workers' shape caches, mostly
        for _ in range(2 * WORKERS):
            _request(port, "POST", "/api/verify", body)
        if shutil.which("wrk"):
            result = run_wrk(port, body, seconds)
        else:
            result = run_python(port, body, seconds)
        checked += check_verified(port, body)
        result.update(path=path, app=APPS[path], workers=WORKERS, connections=CONNECTIONS,
                      seconds=seconds, verified_samples=checked)  # fmt: skip
        return result
    except Exception:
        log.seek(0)
        sys.stderr.write(log.read()[-4000:].decode(errors="replace"))
        raise
    finally:
        stop(server)
        log.close()


def stop(server: subprocess.Popen[bytes]) -> None:
    """Terminate gunicorn's process group; kill it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def measure(seconds: float = 10.0, paths: tuple[str, ...] = ("plain", "ours")) -> dict[str, Any]:
    """Verifier HTTP throughput and latency, for each path; the results."""
    body = signed_reference()
    result: dict[str, Any] = {
        "unit": "requests per second (each request verifies one credential); latency in ms",
        "endpoint": "POST /api/verify",
        "request_bytes": len(body),
        "server": f"gunicorn, {WORKERS} sync workers, {HOST}",
        "generator": "wrk" if shutil.which("wrk") else "python",
    }
    for path in paths:
        result[path] = run_server(path, seconds, body)
    eu_body = signed_eu_sample()
    result["eu_sample"] = {"request_bytes": len(eu_body), **run_server("ours", seconds, eu_body)}
    if "plain" in result and "ours" in result:
        result["ratio"] = round(
            result["ours"]["requests_per_second"] / result["plain"]["requests_per_second"], 1
        )
    return result


if __name__ == "__main__":
    print(json.dumps(measure(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0), indent=2))
