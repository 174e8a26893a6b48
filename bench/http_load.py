"""Benchmark: the verifier's and the issuer's HTTP throughput and latency under a local load
generator (issues #6 and #15).

**Verifier.** Starts the verifier as ``make run`` does (the Procfile's line, read by
``demo.procfile``: gunicorn with 2 workers and ``verifier/gunicorn_conf.py``, threaded workers
with HTTP keep-alive) on 127.0.0.1 (a free port), waits for ``/healthz``, then POSTs the signed
reference credential (``demo.reference.reference_credential`` signed with
``demo.reference.reference_keypair()``: a did:key, so verifying it touches no network) to
``/api/verify`` for a fixed time with 8 connections:

* with ``wrk`` (Debian package ``wrk``) when it is on the PATH:
  ``wrk -t2 -c8 -d<seconds>s --latency -s post.lua``; requests/s, p50/p75/p90/p99 are read from
  its ``--latency`` output;
* else with a bounded Python generator (8 threads, ``http.client``, keep-alive, same duration).

A few responses are checked to say ``"verified": true`` before and after the load, and any
non-2xx answer or socket error is counted. gunicorn's whole process group is terminated at the
end, even on error.

``path`` "ours" serves ``verifier.wsgi:create_server()`` as deployed (fast path); "plain" serves
``bench.http_load:plain_app()``, the same app with the cryptosuites switched to
``schemas.jsonld.canonicalize_plain`` (as ``bench/run.py`` does).

**Issuer** (:func:`measure_issuer`, ``results.json["http"]["issuer"]``): the issuer as the
Procfile runs it (2 workers) on a fresh database with the demo partnership (a temporary SQLite
file, or the PostgreSQL database named by ``MICROCRED_BENCH_ISSUER_DATABASE``, which the
benchmark empties first), then ``wrk`` POSTs ``/api/v1/credentials`` with the first
organisation's issuer token, each request for a learner of its own (a Lua script numbers them
per wrk thread), for the same time and with the same 8 connections: issues/s, p50/p99. Every
answer must be 201; the credentials stored afterwards are counted and must be at least the
requests wrk saw answered. Needs wrk.

The load generator runs on the same machine as the two workers (and the issuer's database) and
competes with them for the cores: the figures are a lower bound for a dedicated server.
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
import string
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
APPS = {"ours": "verifier.wsgi:create_server()", "plain": "bench.http_load:plain_app()"}
ISSUER_APP = "issuer.wsgi:create_server()"
ISSUER_BASE_URL = "https://issuer.example"
ISSUER_PASSPHRASE = "bench-http-passphrase"
ISSUER_DATABASE_ENV = "MICROCRED_BENCH_ISSUER_DATABASE"
ISSUE_PATH = "/api/v1/credentials"

LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open("{body}", "rb"))
wrk.body = file:read("*a")
file:close()
"""

# One issuance per request, each for a learner of its own: "<run>-<wrk thread>-<n>".
ISSUE_LUA = string.Template("""\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
local counter = 0
function request()
  counter = counter + 1
  local reference = string.format("$run-%d-%d", thread_number, counter)
  local body = string.format(
    '{"specification":"$specification","learner":{"reference":"%s",' ..
    '"givenName":"Bench","familyName":"Learner %s"}}', reference, reference)
  return wrk.format(nil, "$path", nil, body)
end
""")


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


def gunicorn_command(port: int, app: str, service: str = "verifier") -> list[str]:
    """The Procfile's line for ``service`` as ``make run`` runs it (its gunicorn settings
    included) on ``port``, serving ``app``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from demo.procfile import services

    base = port - 1 if service == "verifier" else port  # the verifier runs on the next port
    found = next(s for s in services(HOST, base, WORKERS) if s.name == service)
    command = found.argv({})
    return [*command[:-1], app]


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
    """Wait until the server answers ``/healthz`` and every one of its :data:`WORKERS` workers
    is accepting connections (:func:`listening_workers`): wrk's connections are kept alive, so
    those opened while one worker is still loading the app all stay on the other (on a busy
    machine, one run in two or three measured a single worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before answering")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        raise RuntimeError(f"the verifier did not answer /healthz within {timeout} s")
    while time.monotonic() < deadline:
        found = listening_workers(server.pid, port)
        if found is None or found >= WORKERS:
            return
        time.sleep(0.1)
    raise RuntimeError(f"fewer than {WORKERS} workers accept connections after {timeout} s")


def listening_workers(arbiter: int, port: int) -> int | None:
    """How many child processes of ``arbiter`` watch the socket listening on ``port`` (it is in
    their epoll set: their loop runs); None where ``/proc`` cannot tell (not Linux)."""
    try:
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(FileNotFoundError):
                for row in Path(table).read_text().splitlines()[1:]:
                    fields = row.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fields[9])  # a listening socket's inode
        children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    except OSError:
        return None
    return sum(1 for child in children if _watches(child, {f"socket:[{i}]" for i in inodes}))


def _watches(pid: str, sockets: set[str]) -> bool:
    """Whether process ``pid`` has one of ``sockets`` in an epoll set."""
    with contextlib.suppress(OSError):
        fds = Path(f"/proc/{pid}/fd")
        listening = {fd.name for fd in fds.iterdir() if os.readlink(fd) in sockets}
        for fd in fds.iterdir():
            if os.readlink(fd) != "anon_inode:[eventpoll]":
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().splitlines()
            if any(row.split()[1] in listening for row in info if row.startswith("tfd:")):
                return True
    return False


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
    """``wrk`` POSTing ``body`` to ``/api/verify`` for ``seconds``; its figures."""
    with tempfile.TemporaryDirectory(prefix="microcred-wrk-") as folder:
        body_path = Path(folder) / "body.json"
        body_path.write_bytes(body)
        return wrk_script(port, "/api/verify", LUA.format(body=str(body_path)), seconds)


def wrk_script(port: int, path: str, script: str, seconds: float) -> dict[str, Any]:
    """``wrk`` with the Lua ``script`` against ``path`` for ``seconds``; its figures."""
    with tempfile.TemporaryDirectory(prefix="microcred-wrk-") as folder:
        script_path = Path(folder) / "post.lua"
        script_path.write_text(script)
        command = [
            "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
            "--latency", "-s", str(script_path), f"http://{HOST}:{port}{path}",
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


def measure(
    seconds: float = 10.0, paths: tuple[str, ...] = ("plain", "ours"), *, issuer: bool = True
) -> dict[str, Any]:
    """Verifier HTTP throughput and latency, for each path, and (with ``issuer`` and wrk) the
    issuer's issuance API (:func:`measure_issuer`, under ``"issuer"``); the results."""
    body = signed_reference()
    result: dict[str, Any] = {
        "unit": "requests per second (each request verifies one credential); latency in ms",
        "endpoint": "POST /api/verify",
        "request_bytes": len(body),
        "server": f"gunicorn, {WORKERS} workers, verifier/gunicorn_conf.py, {HOST}",
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
    if issuer and shutil.which("wrk"):
        result["issuer"] = measure_issuer(seconds)
    elif issuer:
        print("!! wrk is not installed: the issuer's API was NOT measured", flush=True)
    return result


# --- the issuer's single-credential issuance API ----------------------------------------------


def issuer_database(folder: Path) -> str:
    """The issuer's database for a run: ``MICROCRED_BENCH_ISSUER_DATABASE`` (a PostgreSQL
    database, emptied here: its ``public`` schema is dropped and made anew), else a SQLite file
    in ``folder``."""
    url = os.environ.get(ISSUER_DATABASE_ENV)
    if not url:
        return f"sqlite:///{folder / 'issuer.sqlite3'}"
    from sqlalchemy import text

    from issuer.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def prepare_issuer(url: str) -> tuple[str, str]:
    """Migrate the database at ``url`` and create the demo partnership in it; (the first
    organisation's issuer token, the demo specification's slug)."""
    from sqlalchemy.orm import sessionmaker

    from demo.partnership import create_demo
    from issuer.db import make_engine, upgrade
    from issuer.models import Role

    engine = make_engine(url)
    upgrade(engine)
    with sessionmaker(bind=engine).begin() as session:
        demo = create_demo(session, base_url=ISSUER_BASE_URL, passphrase=ISSUER_PASSPHRASE.encode())
        token = demo.tokens[f"{demo.organisations[0].slug}:{Role.ISSUER.value}"]
        slug = demo.specification.slug
    engine.dispose()
    return token, slug


def count_credentials(url: str) -> int:
    """How many credentials the database at ``url`` holds."""
    from sqlalchemy import func, select

    from issuer.db import make_engine
    from issuer.models import IssuedCredential

    engine = make_engine(url)
    with engine.connect() as connection:
        count = int(connection.scalar(select(func.count()).select_from(IssuedCredential)) or 0)
    engine.dispose()
    return count


def issue_once(port: int, token: str, specification: str, reference: str) -> None:
    """One issuance over HTTP; RuntimeError unless it answers 201 with a signed document."""
    body = json.dumps(
        {
            "specification": specification,
            "learner": {"reference": reference, "givenName": "Bench", "familyName": "Check"},
        }
    ).encode()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        connection.request("POST", ISSUE_PATH, body=body, headers=headers)
        response = connection.getresponse()
        status, answer = response.status, response.read()
    finally:
        connection.close()
    if status != 201 or "proof" not in json.loads(answer).get("document", {}):
        raise RuntimeError(f"{ISSUE_PATH} answered {status}: {answer[:500]!r}")


def wait_issuer(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until the issuer answers its DID document (as ``make run`` does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the issuer exited with {server.returncode} before answering")
        try:
            if _request(port, "GET", "/.well-known/did.json")[0] < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the issuer did not answer within {timeout} s")


def measure_issuer(seconds: float) -> dict[str, Any]:
    """The issuer's ``POST /api/v1/credentials`` under wrk for ``seconds`` (see the module);
    issues/s, latency percentiles, errors and the credentials stored."""
    with tempfile.TemporaryDirectory(prefix="microcred-bench-issuer-") as name:
        folder = Path(name)
        url = issuer_database(folder)
        token, specification = prepare_issuer(url)
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": url,
            "MICROCRED_ISSUER_URL": ISSUER_BASE_URL,
            "MICROCRED_KEY_PASSPHRASE": ISSUER_PASSPHRASE,
            "MICROCRED_SECRET_KEY": secrets.token_hex(32),
        }
        env.pop("MICROCRED_DEMO", None)
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally)
        server = subprocess.Popen(
            gunicorn_command(port, ISSUER_APP, "issuer"),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        run = secrets.token_hex(4)
        try:
            wait_issuer(port, server)
            for number in range(2 * WORKERS):  # opens every worker's keys before the clock
                issue_once(port, token, specification, f"{run}-warm-{number}")
            before = count_credentials(url)
            script = ISSUE_LUA.substitute(
                token=token, run=run, specification=specification, path=ISSUE_PATH
            )
            result = wrk_script(port, ISSUE_PATH, script, seconds)
            issue_once(port, token, specification, f"{run}-after")
            stored = count_credentials(url) - before - 1
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:].decode(errors="replace"))
            raise
        finally:
            stop(server)
            log.close()
    if stored < result["requests"] - result["non_2xx"]:
        raise RuntimeError(f"wrk saw {result['requests']} answers; {stored} credentials stored")
    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    return {
        "unit": "issues per second (each request issues one credential to a new learner)",
        "endpoint": f"POST {ISSUE_PATH}",
        "server": f"gunicorn, {WORKERS} workers (the Procfile's issuer line), {HOST}",
        "database": database,
        "issues_per_second": result["requests_per_second"],
        "stored": stored,
        **result,
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "seconds": seconds,
    }


def main() -> None:
    """``python bench/http_load.py [SECONDS] [verifier|issuer]``: both by default; the JSON."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    part = sys.argv[2] if len(sys.argv) > 2 else "all"
    if part == "issuer":
        print(json.dumps({"issuer": measure_issuer(seconds)}, indent=2))
    elif part == "verifier":
        print(json.dumps({**measure(seconds, issuer=False)}, indent=2))
    else:
        print(json.dumps(measure(seconds), indent=2))


if __name__ == "__main__":
    main()
