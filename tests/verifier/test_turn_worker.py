"""The verifier under gunicorn as deployed (``verifier/gunicorn_conf.py``: the TurnWorker, here
with one worker): requests that wait — on a status list that takes its time, on clients that
send their request slowly — give up the CPU turn while they wait. The others are answered
meanwhile, the waiting ones are answered once their wait ends, and no request ever had to run
without its turn (the worker logs each such overtime: ``verifier.cpu_turn``)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from demo.reference import reference_credential, reference_keypair
from keys.proof import add_proof
from tests.ports import free_port
from tests.verifier.gunicorn_server import serving
from tests.verifier.test_two_workers import ISSUER, credential_with_status, signed_list

WAIT = 20.0  # seconds any step may take before the test counts it as stuck
OVERTIME = "runs without it"  # the worker's warning for a request that ran without its turn


class HeldStatusSource:
    """The status list endpoint, answering only once :attr:`release` is set."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        body = signed_list(False)
        source = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                source.asked.set()
                source.release.wait(WAIT)
                self.send_response(200)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@dataclass
class Verifier:
    url: str
    port: int
    stderr: Path


@pytest.fixture
def source() -> Iterator[HeldStatusSource]:
    served = HeldStatusSource()
    served.thread.start()
    yield served
    served.release.set()
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
def verifier(source: HeldStatusSource, tmp_path: Path) -> Iterator[Verifier]:
    port = free_port()
    stderr = tmp_path / "stderr.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_CACHE")}
    environment.update(
        MICROCRED_FETCH_ALLOW_PRIVATE="1",
        MICROCRED_FETCH_REWRITES=json.dumps(
            {ISSUER: f"http://127.0.0.1:{source.server.server_address[1]}"}
        ),
        MICROCRED_SECRET_KEY=secrets.token_hex(16),
    )
    arguments = [
        "--workers", "1", "--config", "python:verifier.gunicorn_conf",
        "verifier.wsgi:create_server()",
    ]  # fmt: skip
    with serving(port, arguments, environment, stderr) as url:
        yield Verifier(url, port, stderr)


def plain_credential() -> bytes:
    key = reference_keypair()
    return json.dumps(add_proof(reference_credential(key), key)).encode()


def verified(url: str, body: bytes) -> bool:
    """True when the verifier found the credential genuine (verified, or unconfirmed: no
    trust source is configured here)."""
    answer = httpx.post(
        f"{url}/api/verify",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=WAIT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["verdict"] in ("verified", "unconfirmed")


def test_a_request_waiting_on_a_status_list_lets_the_others_through(
    verifier: Verifier, source: HeldStatusSource
) -> None:
    with ThreadPoolExecutor(1) as background:
        waiting = background.submit(
            verified, verifier.url, json.dumps(credential_with_status()).encode()
        )
        assert source.asked.wait(WAIT), "the verifier never asked for the status list"
        for _ in range(5):
            assert verified(verifier.url, plain_credential())
        assert not waiting.done()  # still waiting for the list, without the turn
        source.release.set()
        assert waiting.result(WAIT) is True
    assert OVERTIME not in verifier.stderr.read_text()


def test_slow_clients_hold_threads_never_the_turn(verifier: Verifier) -> None:
    body = plain_credential()
    head = (
        f"POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    slow = [socket.create_connection(("127.0.0.1", verifier.port), timeout=WAIT) for _ in range(8)]
    try:
        for client in slow:  # half the head, then half the body: each holds a thread, waiting
            client.sendall(head[:20])
        time.sleep(0.2)
        for client in slow:
            client.sendall(head[20:] + body[: len(body) // 2])
        time.sleep(0.2)
        for _ in range(5):
            assert verified(verifier.url, body)
        for client in slow:
            client.sendall(body[len(body) // 2 :])
        for client in slow:
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += client.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    finally:
        for client in slow:
            client.close()
    assert OVERTIME not in verifier.stderr.read_text()
