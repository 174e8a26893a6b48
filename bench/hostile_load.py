"""Load test: twenty hostile clients against the verifier while one client verifies valid
credentials (issue #11). The valid client must see no error and a p99 under one second.

The verifier runs under gunicorn with 2 workers and its own settings
(``verifier/gunicorn_conf.py``: threaded workers), on 127.0.0.1 at a free port, as
``make run`` starts it (the Procfile's verifier line). For ``seconds``:

- one **valid** client POSTs the signed reference credential to ``/api/verify`` over a kept-alive
  connection, one request after another, and records each latency and any answer that is not a
  200 report with a genuine seal;
- **twenty hostile** clients, four of each kind, each sending its kind again and again:

  * ``pixel``: the 13,000 x 13,000 one-bit PNG bomb (refused 413) and a 12 MP phone photo of a QR
    code (decoded; its link points at a private address, so the fetch is refused);
  * ``slow_drip``: a request that drips one byte a second — headers for two clients, a 1 MB body
    for the other two — holding its connection for the whole run;
  * ``deep_json``: 100,000 nested arrays (400 ``too_deep``) and 2 MB of small values
    (413 ``too_many_nodes``);
  * ``max_credential``: the largest credentials within the limits, signed (bench/hostile.py:
    20,000 JSON values as learning outcomes, in one property, merged into one node; two
    1 MiB strings; 32 proofs) — each is fully verified (about a second of CPU);
  * ``too_large``: a 25 MB body sent chunked (413 ``too_large``, read no further than 2 MB).

Every request loop is bounded in time; the server's process group is terminated at the end.
Figures: the valid client's requests, errors and latency percentiles; per hostile kind, the
answers by status; how many gunicorn workers were restarted and how many requests ran
without their CPU turn (``verifier.cpu_turn``'s overtime; none expected for either).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import hostile  # noqa: E402  (bench/hostile.py)
from http_load import free_port, signed_reference, stop, wait_healthy  # noqa: E402

HOST = "127.0.0.1"
WORKERS = 2
HOSTILE_CLIENTS = 20
KINDS = ("pixel", "slow_drip", "deep_json", "max_credential", "too_large")
TIMEOUT = 30.0


def gunicorn_command(port: int) -> list[str]:
    """The verifier as ``make run`` starts it (the Procfile's line: its gunicorn settings
    included), on ``port``."""
    from demo.procfile import services

    verifier = next(s for s in services(HOST, port - 1, WORKERS) if s.name == "verifier")
    return verifier.argv()


def _post(
    connection: http.client.HTTPConnection, path: str, body: bytes, content_type: str
) -> tuple[int, bytes]:
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one file field."""
    boundary = secrets.token_hex(12)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def phone_photo(text: str) -> bytes:
    """A 4032 x 3024 JPEG with a QR code of ``text`` on a cluttered, unevenly lit background."""
    import random

    import qrcode
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(11)
    size = (4032, 3024)
    photo = Image.new("RGB", size, (200, 190, 170))
    draw = ImageDraw.Draw(photo)
    for _ in range(60):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = tuple(rng.randrange(90, 255) for _ in range(3))
        draw.rectangle([x, y, x + rng.randrange(50, 600), y + rng.randrange(50, 400)], fill=colour)
    code = qrcode.make(text, border=4).convert("RGB").resize((900, 900), Image.Resampling.NEAREST)
    photo.paste(code.rotate(7, expand=True, fillcolor=(255, 255, 255)), (1500, 900))
    photo = photo.filter(ImageFilter.GaussianBlur(1.2))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


class Hostile:
    """The hostile payloads, built once."""

    def __init__(self) -> None:
        bomb, bomb_type = multipart("qr", "bomb.png", hostile.pixel_bomb())
        link = "https://verifier.example/verify?url=https://127.0.0.1/c/abc"
        photo, photo_type = multipart("qr", "photo.jpg", phone_photo(link))
        self.pixel = [(bomb, bomb_type, 413), (photo, photo_type, 400)]
        self.deep = [
            (b"[" * 100_000 + b"]" * 100_000, 400),
            (b"[" + b"1," * 1_000_000 + b"1]", 413),
        ]
        self.credentials = [
            json.dumps(build()).encode()
            for build in (
                hostile.max_values_outcomes,
                hostile.max_values_one_property,
                hostile.merged_node,
                hostile.longest_strings,
                hostile.max_proofs,
            )
        ]


def run_valid(port: int, body: bytes, deadline: float, out: dict[str, Any]) -> None:
    """One valid client, request after request, until ``deadline``."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            status, answer = _post(connection, "/api/verify", body, "application/json")
            report = json.loads(answer)
            seal = next(c for c in report["checks"] if c["check"] == "seal")
            if status != 200 or seal["outcome"] != "ok":
                errors[f"status {status}, seal {seal['outcome']}"] += 1
        except (OSError, http.client.HTTPException, ValueError, KeyError, StopIteration) as error:
            errors[type(error).__name__] += 1
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    connection.close()
    out["latencies"], out["errors"] = latencies, errors


def run_hostile(
    kind: str, number: int, port: int, payloads: Hostile, deadline: float, out: Counter[str]
) -> None:
    """One hostile client of ``kind`` until ``deadline``; counts its answers in ``out``."""
    if kind == "slow_drip":
        _drip(port, deadline, headers_only=number % 2 == 0, out=out)
        return
    turn = number
    while time.monotonic() < deadline:
        turn += 1
        connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
        try:
            if kind == "pixel":
                body, content_type, _ = payloads.pixel[turn % len(payloads.pixel)]
                status, _ = _post(connection, "/verify", body, content_type)
            elif kind == "deep_json":
                body, _ = payloads.deep[turn % len(payloads.deep)]
                status, _ = _post(connection, "/api/verify", body, "application/json")
            elif kind == "max_credential":
                body = payloads.credentials[turn % len(payloads.credentials)]
                status, _ = _post(connection, "/api/verify", body, "application/json")
            else:
                status = _chunked(connection, 25 * 1024 * 1024)
            out[str(status)] += 1
        except (OSError, http.client.HTTPException) as error:
            out[type(error).__name__] += 1
        finally:
            connection.close()


def _chunked(connection: http.client.HTTPConnection, size: int) -> int:
    """POST ``size`` bytes of a JSON string in 64 KiB chunks; the status (the server may answer
    and close before the whole body is sent)."""
    chunk = b"x" * 65536

    def body() -> Any:
        yield b'{"a": "'
        for _ in range(size // len(chunk)):
            yield chunk
        yield b'"}'

    connection.putrequest("POST", "/api/verify")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Accept", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    try:
        for part in body():
            connection.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # answered and closed early: read the answer
    return connection.getresponse().status


def _drip(port: int, deadline: float, *, headers_only: bool, out: Counter[str]) -> None:
    """Hold a connection by sending one byte a second until ``deadline``."""
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as sock:
        head = "POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if headers_only:
            sock.sendall(head.encode())
            drip = b"X-Slow: " + b"a" * 4000
        else:
            length = "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
            sock.sendall((head + length).encode())
            drip = b'{"a": "' + b"a" * 999_990
        sent = 0
        try:
            while time.monotonic() < deadline and sent < len(drip):
                sock.sendall(drip[sent : sent + 1])
                sent += 1
                time.sleep(1.0)
            out["held_seconds"] += int(sent)
        except OSError as error:
            out[f"closed by server: {type(error).__name__}"] += 1


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


def worker_class() -> str:
    """The verifier's gunicorn worker class, as its settings name it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from verifier import gunicorn_conf

    return str(gunicorn_conf.worker_class)


def measure(seconds: float = 30.0) -> dict[str, Any]:
    """Run the load test for ``seconds``; the figures."""
    payloads = Hostile()
    body = signed_reference()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MICROCRED_SECRET_KEY": secrets.token_hex(32)}
    for name in ("MICROCRED_FETCH_REWRITES", "MICROCRED_FETCH_ALLOW_PRIVATE"):
        env.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="microcred-hostile-") as folder:
        env["MICROCRED_CACHE_DIR"] = folder
        log_path = Path(folder) / "gunicorn.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                gunicorn_command(port), cwd=ROOT, env=env, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
            try:
                wait_healthy(port, server)
                for _ in range(4):  # warm both workers' caches
                    _post(http.client.HTTPConnection(HOST, port, timeout=TIMEOUT),
                          "/api/verify", body, "application/json")  # fmt: skip
                result = _load(port, payloads, body, seconds)
            finally:
                stop(server)
        text = log_path.read_text(errors="replace")
    booted = len(re.findall(r"Booting worker", text))
    result["worker_restarts"] = max(0, booted - WORKERS)
    result["worker_timeouts"] = len(re.findall(r"WORKER TIMEOUT", text))
    # verifier.cpu_turn's warning: a request ran without its CPU turn (none expected)
    result["turn_overtimes"] = len(re.findall(r"a request runs without it", text))
    return result


def _load(port: int, payloads: Hostile, body: bytes, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    valid: dict[str, Any] = {}
    answers: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    threads = [threading.Thread(target=run_valid, args=(port, body, deadline, valid))]
    for number in range(HOSTILE_CLIENTS):
        kind = KINDS[number % len(KINDS)]
        threads.append(
            threading.Thread(
                target=run_hostile,
                args=(kind, number // len(KINDS), port, payloads, deadline, answers[kind]),
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + TIMEOUT + 10)
    latencies: list[float] = valid.get("latencies", [])
    return {
        "server": (
            f"gunicorn, {WORKERS} workers, verifier/gunicorn_conf.py ({worker_class()}), {HOST}"
        ),
        "seconds": seconds,
        "hostile_clients": HOSTILE_CLIENTS,
        "valid_client": {
            "requests": len(latencies),
            "errors": sum(valid.get("errors", Counter()).values()),
            "error_kinds": dict(valid.get("errors", Counter())),
            "p50_ms": percentile(latencies, 50) if latencies else None,
            "p90_ms": percentile(latencies, 90) if latencies else None,
            "p99_ms": percentile(latencies, 99) if latencies else None,
            "max_ms": round(max(latencies), 1) if latencies else None,
        },
        "hostile_answers": {kind: dict(counts) for kind, counts in answers.items()},
    }


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        print(json.dumps(measure(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0), indent=2))
