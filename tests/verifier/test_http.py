"""verifier.http: the guarded client against a real local server, and its refusals."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from verifier.http import FetchError, FetchPolicy, GuardedFetcher, is_public

ORIGIN = "https://issuer.test"


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
        else:
            self._send(500, b"?", {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up (the timeout test)
            self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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
