"""Two verifier workers agree on a revocation: the verifier under gunicorn (2 sync workers, a
shared cache directory, ``MICROCRED_STATUS_MAX_AGE=2``) is polled across both workers while
the status list behind it flips to "revoked". Before the flip every answer is "not revoked";
from flip + max age + a margin on, every answer is "revoked"; and once any answer said
"revoked", no request sent after it is answered "not revoked" (no flapping). The list is served
with ``max-age=60``, as issuers did before: the verifier's own maximum must win."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from demo.reference import reference_credential, reference_keypair
from keys.proof import add_proof
from schemas.bitstring import encode_list
from tests.ports import free_port
from tests.verifier.gunicorn_server import serving
from tests.verifier.status_entry import with_revocation_entry

ISSUER = "https://issuer.example"
LIST_URL = f"{ISSUER}/status/1"
INDEX = 1234
MAX_AGE = 2.0  # MICROCRED_STATUS_MAX_AGE for the workers
MARGIN = 1.0  # a request's own time, a revalidation's round trip, scheduling
BEFORE = 1.0  # seconds of polling before the flip
AFTER_DEADLINE = 1.0  # seconds of polling after flip + max age + margin
PAUSE = 0.03  # between one client's requests (the machine is shared)
BOTH_WORKERS_WITHIN = 20.0  # seconds a phase may be extended until each worker has answered


def signed_list(revoked: bool) -> bytes:
    key = reference_keypair()
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.controller,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list([INDEX] if revoked else [5]),
        },
    }
    return json.dumps(add_proof(document, key)).encode()


def credential_with_status() -> dict:
    key = reference_keypair()
    return add_proof(with_revocation_entry(reference_credential(key), LIST_URL, INDEX), key)


class StatusSource:
    """The issuer's status list endpoint as the verifier sees it: max-age 60 and an ETag."""

    def __init__(self) -> None:
        self.lists = {False: signed_list(False), True: signed_list(True)}
        self.revoked = False
        source = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                revoked = source.revoked
                etag = f'"v{int(revoked)}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    body = b""
                else:
                    self.send_response(200)
                    body = source.lists[revoked]
                self.send_header("Cache-Control", "public, max-age=60")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@dataclass
class Verifier:
    url: str
    access_log: Path


@pytest.fixture
def source() -> Iterator[StatusSource]:
    served = StatusSource()
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
def verifier(source: StatusSource, tmp_path: Path) -> Iterator[Verifier]:
    port = free_port()
    access_log = tmp_path / "access.log"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MICROCRED_CACHE_URL", "MICROCRED_CACHE_DIR", "MICROCRED_STATUS_MAX_AGE")
    }
    environment.update(
        MICROCRED_FETCH_ALLOW_PRIVATE="1",
        MICROCRED_FETCH_REWRITES=json.dumps({ISSUER: source.origin}),
        MICROCRED_CACHE_DIR=str(tmp_path / "verifier-cache"),
        MICROCRED_STATUS_MAX_AGE=str(MAX_AGE),
        MICROCRED_SECRET_KEY=secrets.token_hex(16),
    )
    arguments = [
        "--workers", "2", "--worker-class", "sync",
        "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(q)s",
        "verifier.app:create_app()",
    ]  # fmt: skip
    with serving(port, arguments, environment, tmp_path / "error.log") as url:
        yield Verifier(url, access_log)


@dataclass(frozen=True)
class Answer:
    number: int
    sent: float
    received: float
    code: str
    read_at: str | None


def poll(
    verifier: Verifier, body: bytes, until: float, answers: list[Answer], counter: Iterator[int]
) -> None:
    """POST the credential again and again until ``until`` (wall clock), one at a time."""
    with httpx.Client(timeout=10) as client:
        while time.time() < until:
            number = next(counter)
            sent = time.time()
            response = client.post(
                f"{verifier.url}/api/verify?n={number}",
                content=body,
                headers={"Content-Type": "application/json", "Connection": "close"},
            )
            received = time.time()
            assert response.status_code == 200, response.text
            check = next(c for c in response.json()["checks"] if c["check"] == "revocation")
            read_at = (check.get("details") or {}).get("statusReadAt", {}).get(LIST_URL)
            answers.append(Answer(number, sent, received, check["code"], read_at))
            time.sleep(PAUSE)


def poll_together(
    verifier: Verifier, body: bytes, until: float, counter: Iterator[int]
) -> list[Answer]:
    """Two clients polling at once, so both workers are kept busy."""
    answers: list[Answer] = []
    threads = [
        threading.Thread(target=poll, args=(verifier, body, until, answers, counter))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(answers, key=lambda a: a.sent)


def workers_of(verifier: Verifier) -> dict[int, str]:
    """Which worker (pid) answered each numbered request, from the access log."""
    served: dict[int, str] = {}
    for line in verifier.access_log.read_text().splitlines():
        pid, _, query = line.partition(" ")
        if query.startswith("n="):
            served[int(query.removeprefix("n="))] = pid
    return served


def poll_until_both_workers_answer(
    verifier: Verifier,
    body: bytes,
    until: float,
    counter: Iterator[int],
    counts: Callable[[Answer], bool] = lambda answer: True,
) -> list[Answer]:
    """:func:`poll_together` until ``until``, then on (a second at a time, for at most
    :data:`BOTH_WORKERS_WITHIN` seconds) until each worker has answered at least one request
    that ``counts``: on a loaded machine one sync worker may win every ``accept`` for a while,
    and the test is about two workers."""
    answers = poll_together(verifier, body, until, counter)
    give_up = time.time() + BOTH_WORKERS_WITHIN
    while time.time() < give_up:
        workers = workers_of(verifier)
        if len({workers.get(a.number) for a in answers if counts(a)} - {None}) >= 2:
            break
        answers += poll_together(verifier, body, time.time() + 1.0, counter)
    return sorted(answers, key=lambda a: a.sent)


def test_two_workers_agree_on_a_revocation_within_the_max_age(
    verifier: Verifier, source: StatusSource
) -> None:
    counter = itertools.count()
    body = json.dumps(credential_with_status()).encode()

    before = poll_until_both_workers_answer(verifier, body, time.time() + BEFORE, counter)
    source.revoked = True
    flipped = time.time()
    deadline = flipped + MAX_AGE + MARGIN
    after = poll_until_both_workers_answer(
        verifier,
        body,
        deadline + AFTER_DEADLINE,
        counter,
        counts=lambda answer: answer.code == "revoked",
    )

    # On a loaded machine an answer can take a second or more: poll on (a second at a time,
    # for at most BOTH_WORKERS_WITHIN) until enough answers were asked for after the deadline.
    give_up = time.time() + BOTH_WORKERS_WITHIN
    while sum(a.sent >= deadline for a in after) < 4 and time.time() < give_up:
        after = sorted(
            after + poll_together(verifier, body, time.time() + 1.0, counter),
            key=lambda a: a.sent,
        )

    assert before and all(a.code == "not_revoked" for a in before), [a.code for a in before]
    assert {a.code for a in after} <= {"not_revoked", "revoked"}
    late = [a for a in after if a.sent >= deadline]
    assert len(late) >= 4
    assert all(a.code == "revoked" for a in late), "not revoked after flip + max age + margin"
    first_revoked = min(a.received for a in after if a.code == "revoked")
    flapped = [a for a in after if a.sent > first_revoked and a.code != "revoked"]
    assert not flapped, f"went back to not revoked after a revoked answer: {flapped}"
    for answer in after:
        if answer.code == "revoked":  # read from the origin after the flip
            assert answer.read_at is not None
            assert datetime.fromisoformat(answer.read_at).timestamp() >= int(flipped)

    workers = workers_of(verifier)
    for phase in (before, [a for a in after if a.code == "revoked"]):
        answered_by = {workers.get(a.number) for a in phase} - {None}
        assert len(answered_by) == 2, f"one worker answered all: {answered_by}"
