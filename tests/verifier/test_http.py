"""verifier.fetch.client: the guarded client against a real local server, its refusals and its
overall deadline (timings are sanity bounds only: generous, never speed targets)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import httpx
import pytest

from verifier.deadline import Deadline, DeadlineBackend
from verifier.fetch.client import FetchError, FetchPolicy, GuardedFetcher, is_public
from verifier.settings import SettingsError, fetch_policy_from

ORIGIN = "https://issuer.test"
DRIP = 0.3  # seconds between the bytes a slow server sends (below the per-read timeout)
DRIPS = 20  # bytes it drips before giving up: a fetch without a deadline would take 6 s
STOP = threading.Event()  # set at teardown: dripping servers stop at once


class Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}  # noqa: RUF012 - shared counter for the tests

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        if self.path == "/doc":
            self._send(200, b'{"ok": true}', {"Cache-Control": "public, max-age=60"})
        elif self.path == "/nostore":
            self._send(200, b"{}", {"Cache-Control": "no-store"})
        elif self.path == "/host":
            self._send(200, self.headers["Host"].encode(), {})
        elif self.path == "/big":
            self._send(200, b"x" * 5000, {})
        elif self.path == "/big-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(10):
                self.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/slow":
            time.sleep(1.5)
            self._send(200, b"{}", {})
        elif self.path.startswith("/hop/"):
            n = int(self.path.rsplit("/", 1)[1])
            target = "/doc" if n == 0 else f"/hop/{n - 1}"
            self._send(302, b"", {"Location": target})
        elif self.path == "/to-private":
            self._send(302, b"", {"Location": "http://10.0.0.1/secret"})
        elif self.path == "/missing":
            self._send(404, b"no", {})
        elif self.path == "/drip-body":
            self._drip(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % DRIPS, b"", b"x")
        elif self.path == "/drip-headers":
            self._drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"\r\nContent-Length: 2\r\n\r\n{}", b"y")
        elif self.path.startswith("/slow-hop/"):
            n = int(self.path.rsplit("/", 1)[1])
            STOP.wait(0.35)  # each hop answers within the per-read timeout
            self._send(302, b"", {"Location": "/doc" if n == 0 else f"/slow-hop/{n - 1}"})
        else:
            self._send(500, b"?", {})

    def _drip(self, head: bytes, tail: bytes, byte: bytes) -> None:
        """``head``, then ``byte`` every ``DRIP`` seconds, ``DRIPS`` times, then ``tail``."""
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(head)
            for _ in range(DRIPS):
                if STOP.wait(DRIP):
                    return
                self.wfile.write(byte)
            self.wfile.write(tail)
        self.close_connection = True

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        # the client may have given up already (the timeout and deadline tests)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    STOP.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def slow_tls() -> Iterator[int]:
    """A port whose server accepts TCP and then sends a TLS handshake record one byte every
    ``DRIP`` seconds: a handshake that never finishes in time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB...
                while not stop.wait(DRIP):
                    conn.sendall(b"\x00")  # ...that arrives a byte at a time

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(timeout=5)


def fetcher(server: str, **policy: object) -> GuardedFetcher:
    settings = {"allow_private": True, "rewrites": {ORIGIN: server}, "timeout": 0.5}
    settings.update(policy)
    return GuardedFetcher(FetchPolicy(**settings))  # type: ignore[arg-type]


def code_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchError) as caught:
        call()
    return caught.value.code


class TestFetching:
    def test_fetches_through_a_rewrite_keeping_the_host_name(self, server):
        client = fetcher(server)
        assert client(f"{ORIGIN}/doc") == b'{"ok": true}'
        assert client.fetch(f"{ORIGIN}/host").content.startswith(b"127.0.0.1:")

    def test_follows_redirects_up_to_the_limit(self, server):
        assert fetcher(server, max_redirects=3)(f"{ORIGIN}/hop/2") == b'{"ok": true}'
        assert code_of(lambda: fetcher(server, max_redirects=3)(f"{ORIGIN}/hop/5")) == (
            "fetch_too_many_redirects"
        )

    def test_error_status(self, server):
        assert code_of(lambda: fetcher(server)(f"{ORIGIN}/missing")) == "fetch_bad_status"

    @pytest.mark.parametrize("path", ["/big", "/big-chunked"])
    def test_size_limit(self, server, path):
        assert code_of(lambda: fetcher(server, max_bytes=1024)(f"{ORIGIN}{path}")) == (
            "fetch_too_large"
        )

    def test_timeout(self, server):
        assert code_of(lambda: fetcher(server, timeout=0.2)(f"{ORIGIN}/slow")) == "fetch_timeout"

    def test_cache_honours_max_age(self, server):
        now = [1000.0]
        client = GuardedFetcher(
            FetchPolicy(allow_private=True, rewrites={ORIGIN: server}), clock=lambda: now[0]
        )
        before = Handler.hits.get("/doc", 0)
        client(f"{ORIGIN}/doc")
        client(f"{ORIGIN}/doc")
        assert Handler.hits["/doc"] == before + 1
        now[0] += 61
        client(f"{ORIGIN}/doc")
        assert Handler.hits["/doc"] == before + 2

    def test_no_store_is_not_cached(self, server):
        client = fetcher(server)
        before = Handler.hits.get("/nostore", 0)
        client(f"{ORIGIN}/nostore")
        client(f"{ORIGIN}/nostore")
        assert Handler.hits["/nostore"] == before + 2


class TestRefusals:
    def test_loopback_refused_by_default(self, server):
        client = GuardedFetcher(FetchPolicy(rewrites={ORIGIN: server}))
        assert code_of(lambda: client(f"{ORIGIN}/doc")) == "fetch_forbidden_address"

    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "::1",
            "fc00::1",
            "0.0.0.0",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ],
    )
    def test_private_and_reserved_addresses_refused_before_connecting(self, address):
        client = GuardedFetcher(FetchPolicy(), resolve=lambda host, port: [address])
        assert code_of(lambda: client("https://example.org/did.json")) == (
            "fetch_forbidden_address"
        )

    def test_one_private_address_among_public_ones_is_enough_to_refuse(self):
        client = GuardedFetcher(
            FetchPolicy(), resolve=lambda host, port: ["93.184.215.14", "10.0.0.1"]
        )
        assert code_of(lambda: client("https://example.org/")) == "fetch_forbidden_address"

    def test_redirect_to_a_private_plain_http_address(self, server):
        assert code_of(lambda: fetcher(server)(f"{ORIGIN}/to-private")) == "fetch_bad_scheme"

    @pytest.mark.parametrize(
        "url",
        ["http://example.org/x", "ftp://example.org/x", "file:///etc/passwd", "https:///nohost"],
    )
    def test_only_https(self, url):
        assert code_of(lambda: GuardedFetcher()(url)) == "fetch_bad_scheme"

    def test_unresolvable_host(self):
        assert code_of(lambda: GuardedFetcher()("https://does-not-exist.invalid/x")) == (
            "fetch_failed"
        )

    def test_public_addresses(self):
        assert is_public("93.184.215.14")
        assert not is_public("127.0.0.1")
        assert not is_public("::ffff:10.0.0.1")


def timed_code(call) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    code = code_of(call)
    return code, time.monotonic() - started


class TestDeadline:
    """One deadline for the whole fetch; each test would pass the per-read timeout."""

    def policy(self, server: str, **overrides: object) -> GuardedFetcher:
        return fetcher(server, deadline=1.0, timeout=0.5, **overrides)

    def test_a_body_dripping_a_byte_at_a_time_is_cut_at_the_deadline(self, server):
        code, elapsed = timed_code(lambda: self.policy(server)(f"{ORIGIN}/drip-body"))
        assert code == "fetch_timeout"
        assert elapsed < 3.0  # sanity bound; without a deadline this takes DRIPS * DRIP = 6 s

    def test_headers_dripping_a_byte_at_a_time_are_cut_at_the_deadline(self, server):
        code, elapsed = timed_code(lambda: self.policy(server)(f"{ORIGIN}/drip-headers"))
        assert code == "fetch_timeout"
        assert elapsed < 3.0

    def test_the_deadline_covers_every_redirect_hop_together(self, server):
        client = self.policy(server, max_redirects=5)
        code, elapsed = timed_code(lambda: client(f"{ORIGIN}/slow-hop/4"))
        assert code == "fetch_timeout"  # five hops of 0.35 s: each in time, together not
        assert elapsed < 3.0

    def test_a_slow_tls_handshake_is_cut_at_the_deadline(self, slow_tls):
        client = GuardedFetcher(
            FetchPolicy(
                allow_private=True,
                rewrites={ORIGIN: f"https://127.0.0.1:{slow_tls}"},
                timeout=5.0,  # longer than the deadline: the deadline wins
                deadline=1.0,
            )
        )
        code, elapsed = timed_code(lambda: client(f"{ORIGIN}/did.json"))
        assert code == "fetch_timeout"
        assert elapsed < 3.0

    def test_a_slow_name_lookup_is_cut_at_the_deadline_before_connecting(self):
        released = threading.Event()
        requests: list[httpx.Request] = []

        def slow_resolve(host: str, port: int) -> list[str]:
            released.wait(10)
            return ["1.1.1.1"]

        def answer(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return httpx.Response(200, content=b"{}")

        client = GuardedFetcher(
            FetchPolicy(deadline=0.5),
            resolve=slow_resolve,
            transport=httpx.MockTransport(answer),
        )
        try:
            code, elapsed = timed_code(lambda: client("https://issuer.example/did.json"))
        finally:
            released.set()
        assert code == "fetch_timeout"
        assert requests == []
        assert elapsed < 3.0

    def test_a_fetch_in_time_is_unaffected(self, server):
        assert self.policy(server, max_redirects=3)(f"{ORIGIN}/hop/2") == b'{"ok": true}'


class RecordingBackend(httpcore.NetworkBackend):
    """Remembers the timeout of every operation; never touches the network."""

    def __init__(self) -> None:
        self.timeouts: list[tuple[str, float | None]] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        self.timeouts.append(("connect", timeout))
        return RecordingStream(self.timeouts)


class RecordingStream(httpcore.NetworkStream):
    def __init__(self, timeouts: list[tuple[str, float | None]]) -> None:
        self.timeouts = timeouts

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.timeouts.append(("read", timeout))
        return b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.timeouts.append(("write", timeout))

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # type: ignore[no-untyped-def]
        self.timeouts.append(("tls", timeout))
        return self

    def close(self) -> None:
        pass


class TestDeadlineBackend:
    def test_every_operation_gets_at_most_the_time_left(self):
        inner = RecordingBackend()
        backend = DeadlineBackend(inner)
        with Deadline.after(2.0).active():
            stream = backend.connect_tcp("192.0.2.1", 443, timeout=5.0)
            stream = stream.start_tls(None, "issuer.example", timeout=5.0)  # type: ignore[arg-type]
            stream.write(b"GET / HTTP/1.1\r\n\r\n", timeout=None)
            stream.read(4096, timeout=5.0)
        assert [kind for kind, _ in inner.timeouts] == ["connect", "tls", "write", "read"]
        assert all(t is not None and 0 < t <= 2.0 for _, t in inner.timeouts)

    def test_a_shorter_own_timeout_is_kept(self):
        inner = RecordingBackend()
        with Deadline.after(60.0).active():
            DeadlineBackend(inner).connect_tcp("192.0.2.1", 443, timeout=0.25)
        assert inner.timeouts == [("connect", 0.25)]

    @pytest.mark.parametrize(
        ("operation", "expected"),
        [
            ("connect", httpcore.ConnectTimeout),
            ("tls", httpcore.ConnectTimeout),
            ("read", httpcore.ReadTimeout),
            ("write", httpcore.WriteTimeout),
        ],
    )
    def test_nothing_starts_once_the_deadline_has_passed(self, operation, expected):
        inner = RecordingBackend()
        backend = DeadlineBackend(inner)
        stream = backend.connect_tcp("192.0.2.1", 443, timeout=5.0)  # no deadline active
        calls = {
            "connect": lambda: backend.connect_tcp("192.0.2.1", 443, timeout=5.0),
            "tls": lambda: stream.start_tls(None, "issuer.example", 5.0),  # type: ignore[arg-type]
            "read": lambda: stream.read(10, 5.0),
            "write": lambda: stream.write(b"x", 5.0),
        }
        with Deadline(time.monotonic() - 1).active(), pytest.raises(expected):
            calls[operation]()
        assert inner.timeouts == [("connect", 5.0)]  # only the call made before


class TestDeadlineSetting:
    def test_default_and_environment(self):
        assert fetch_policy_from({}).deadline == FetchPolicy().deadline == 10.0
        assert fetch_policy_from({"MICROCRED_FETCH_DEADLINE": "2.5"}).deadline == 2.5

    @pytest.mark.parametrize("value", ["0", "-1", "ten", "inf", "nan"])
    def test_unusable_values_are_refused(self, value):
        with pytest.raises(SettingsError, match="MICROCRED_FETCH_DEADLINE"):
            fetch_policy_from({"MICROCRED_FETCH_DEADLINE": value})

    def test_the_web_verifier_reads_it(self, monkeypatch, tmp_path):
        from verifier.app import FETCHER, create_app

        monkeypatch.setenv("MICROCRED_FETCH_DEADLINE", "4")
        monkeypatch.setenv("MICROCRED_CACHE_DIR", str(tmp_path))
        monkeypatch.delenv("MICROCRED_CACHE_URL", raising=False)
        client = create_app({"TESTING": True, "SECRET_KEY": "test"}).extensions[FETCHER]
        assert client.policy.deadline == 4.0
