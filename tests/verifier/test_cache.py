"""verifier.fetch.cache and the guarded fetcher over it: every backend (memory, a directory, Redis
when 127.0.0.1:6379 answers) keeps the same promises — ages capped, ETag revalidation, never back in
time — and the directory is safe with several processes writing at once."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from verifier.fetch.cache import (
    DEFAULT_MAX_AGE,
    CacheEntry,
    FetchCache,
    FileCache,
    MemoryCache,
    RedisCache,
    max_age_setting,
    open_cache,
)
from verifier.fetch.client import FetchError, FetchPolicy, GuardedFetcher, allowed_age
from verifier.settings import fetch_cache_from, fetch_policy_from

ORIGIN = "https://issuer.test"
REDIS_URL = "redis://127.0.0.1:6379/7"  # never database 0: shared with other work
PROJECT_ROOT = Path(__file__).resolve().parents[2]


# --- an origin whose answers the tests set ----------------------------------------------------


@dataclass
class Page:
    body: bytes
    etag: str | None = '"v1"'
    cache_control: str = "public, max-age=60"
    last_modified: str | None = None


@dataclass
class Origin:
    pages: dict[str, Page] = field(default_factory=dict)
    full: dict[str, int] = field(default_factory=dict)  # 200 answers per path
    not_modified: dict[str, int] = field(default_factory=dict)  # 304 answers per path
    conditions: list[tuple[str | None, str | None]] = field(default_factory=list)


def handler_for(origin: Origin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            page = origin.pages.get(self.path)
            if page is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            asked = self.headers.get("If-None-Match")
            since = self.headers.get("If-Modified-Since")
            origin.conditions.append((asked, since))
            matches = (asked is not None and asked == page.etag) or (
                asked is None and since is not None and since == page.last_modified
            )
            status = 304 if matches else 200
            counter = origin.not_modified if matches else origin.full
            counter[self.path] = counter.get(self.path, 0) + 1
            self.send_response(status)
            self.send_header("Cache-Control", page.cache_control)
            if page.etag:
                self.send_header("ETag", page.etag)
            if page.last_modified:
                self.send_header("Last-Modified", page.last_modified)
            body = b"" if matches else page.body
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def origin() -> Iterator[tuple[Origin, str]]:
    state = Origin()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# --- the backends -----------------------------------------------------------------------------


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as probe:
            probe.sendall(b"PING\r\n")
            return probe.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "file", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[FetchCache]:
    if request.param == "memory":
        yield MemoryCache(clock=clock)
    elif request.param == "file":
        yield FileCache(tmp_path / "cache", clock=clock)
    else:
        if not redis_answers():
            pytest.skip(
                "REDIS NOT TESTED: nothing answers at 127.0.0.1:6379 — start redis-server to "
                "run the Redis backend's tests"
            )
        prefix = f"microcred-test:{uuid.uuid4().hex}:"
        cache = RedisCache(REDIS_URL, prefix=prefix, clock=clock)
        yield cache
        keys = list(cache._redis.scan_iter(match=f"{prefix}*"))
        if keys:
            cache._redis.delete(*keys)
        cache._redis.close()


def entry(at: float, body: bytes = b"{}", max_age: float = 10.0, etag: str = '"e"') -> CacheEntry:
    return CacheEntry(
        url=f"{ORIGIN}/doc",
        body=body,
        fetched_at=at,
        max_age=max_age,
        etag=etag,
        last_modified=None,
        headers={"content-type": "application/json", "etag": etag},
    )


class TestBackends:
    def test_round_trip(self, backend: FetchCache, clock: Clock) -> None:
        stored = replace(entry(clock.now, b'line one\nline two\x00\xff'), last_modified="x")
        assert backend.get("k") is None
        assert backend.put("k", stored) == stored
        assert backend.get("k") == stored

    def test_never_replaced_by_an_entry_confirmed_earlier(self, backend, clock) -> None:
        newer = entry(clock.now, b"revoked")
        backend.put("k", newer)
        older = entry(clock.now - 5, b"not revoked")
        assert backend.put("k", older) == newer  # the answer is what is held
        assert backend.get("k") == newer
        same_time = entry(clock.now, b"renewed")
        assert backend.put("k", same_time) == same_time
        later = entry(clock.now + 1, b"later")
        assert backend.put("k", later) == later
        assert backend.get("k") == later

    def test_an_entry_from_a_clock_far_ahead_does_not_block(self, backend, clock) -> None:
        backend.put("k", entry(clock.now + 3600, b"from a wrong clock"))
        mine = entry(clock.now, b"mine")
        assert backend.put("k", mine) == mine

    def test_keys_are_separate(self, backend, clock) -> None:
        backend.put("a", entry(clock.now, b"a"))
        backend.put("b", entry(clock.now - 10, b"b"))
        assert backend.get("a").body == b"a"
        assert backend.get("b").body == b"b"


# --- the fetcher over each backend ------------------------------------------------------------


def fetcher(server: str, cache: FetchCache, clock: Clock, **policy: object) -> GuardedFetcher:
    settings: dict[str, object] = {"allow_private": True, "rewrites": {ORIGIN: server}}
    settings.update(policy)
    return GuardedFetcher(FetchPolicy(**settings), cache=cache, clock=clock)  # type: ignore[arg-type]


class TestFetcherOverTheCache:
    def test_the_configured_maximum_caps_the_origins_max_age(self, backend, clock, origin):
        state, server = origin
        state.pages["/list"] = Page(b"v1", cache_control="public, max-age=60")
        client = fetcher(server, backend, clock, max_cache_seconds=2)
        first = client.fetch_entry(f"{ORIGIN}/list")
        assert first.max_age == 2
        assert first.fetched_at == datetime.fromtimestamp(clock.now, UTC)
        clock.now += 1.9
        assert client(f"{ORIGIN}/list") == b"v1"
        assert state.full["/list"] == 1 and not state.not_modified  # still fresh: not asked
        clock.now += 0.2
        client(f"{ORIGIN}/list")
        assert state.not_modified["/list"] == 1  # 2.1 s old: asked again, well before 60 s

    def test_a_shorter_origin_max_age_wins(self, backend, clock, origin):
        state, server = origin
        state.pages["/list"] = Page(b"v1", cache_control="max-age=1")
        client = fetcher(server, backend, clock, max_cache_seconds=10)
        assert client.fetch_entry(f"{ORIGIN}/list").max_age == 1
        clock.now += 1.5
        client(f"{ORIGIN}/list")
        assert state.not_modified["/list"] == 1

    def test_a_304_renews_fetched_at_without_downloading(self, backend, clock, origin):
        state, server = origin
        state.pages["/list"] = Page(b"the list", etag='"abc"', last_modified="Tue, 01 Dec 2026")
        client = fetcher(server, backend, clock, max_cache_seconds=2)
        client(f"{ORIGIN}/list")
        start = clock.now
        clock.now += 5
        renewed = client.fetch_entry(f"{ORIGIN}/list")
        assert renewed.content == b"the list"
        assert renewed.fetched_at == datetime.fromtimestamp(start + 5, UTC)
        assert state.full["/list"] == 1 and state.not_modified["/list"] == 1
        assert state.conditions[-1] == ('"abc"', "Tue, 01 Dec 2026")
        assert backend.get(next(iter(keys_of(client, "/list")))).fetched_at == start + 5
        clock.now += 1  # renewed: fresh again, no request
        client(f"{ORIGIN}/list")
        assert len(state.conditions) == 2

    def test_a_changed_list_is_downloaded_again(self, backend, clock, origin):
        state, server = origin
        state.pages["/list"] = Page(b"not revoked", etag='"1"')
        client = fetcher(server, backend, clock, max_cache_seconds=2)
        assert client(f"{ORIGIN}/list") == b"not revoked"
        state.pages["/list"] = Page(b"revoked", etag='"2"')
        clock.now += 1
        assert client(f"{ORIGIN}/list") == b"not revoked"  # within its age
        clock.now += 1.5
        assert client(f"{ORIGIN}/list") == b"revoked"
        assert state.full["/list"] == 2

    def test_no_cache_revalidates_every_time_and_no_store_is_not_kept(
        self, backend, clock, origin
    ):
        state, server = origin
        state.pages["/nc"] = Page(b"nc", cache_control="no-cache")
        state.pages["/ns"] = Page(b"ns", cache_control="no-store")
        client = fetcher(server, backend, clock)
        for _ in range(3):
            assert client(f"{ORIGIN}/nc") == b"nc"
            assert client(f"{ORIGIN}/ns") == b"ns"
        assert (state.full["/nc"], state.not_modified["/nc"]) == (1, 2)
        assert state.full["/ns"] == 3 and "/ns" not in state.not_modified

    def test_workers_share_entries(self, backend, clock, origin):
        state, server = origin
        state.pages["/list"] = Page(b"v1")
        one, two = fetcher(server, backend, clock), fetcher(server, backend, clock)
        one(f"{ORIGIN}/list")
        assert two(f"{ORIGIN}/list") == b"v1"
        assert state.full["/list"] == 1

    def test_a_worker_whose_answer_is_older_gets_the_newer_entry(self, backend, clock, origin):
        """Worker one asked the origin before worker two but stores after it: the cache keeps
        two's (later) answer and one answers it too — nobody goes back in time."""
        state, server = origin
        state.pages["/list"] = Page(b"revoked", etag='"2"', cache_control="max-age=1")
        two = fetcher(server, backend, clock)
        assert two(f"{ORIGIN}/list") == b"revoked"
        state.pages["/list"] = Page(b"not revoked", etag='"1"', cache_control="max-age=1")
        lagging = Clock(clock.now - 0.5)  # one's request went out half a second earlier
        one = fetcher(server, HidingCache(backend), lagging)
        answer = one.fetch_entry(f"{ORIGIN}/list")
        assert answer.content == b"revoked"
        assert answer.fetched_at == datetime.fromtimestamp(clock.now, UTC)
        assert state.full["/list"] == 2  # one did ask the origin

    def test_the_guard_comes_before_the_cache(self, backend, clock, origin):
        state, server = origin
        state.pages["/list"] = Page(b"v1")
        fetcher(server, backend, clock)(f"{ORIGIN}/list")
        strict = GuardedFetcher(
            FetchPolicy(rewrites={ORIGIN: server}), cache=backend, clock=clock
        )
        with pytest.raises(FetchError) as refused:
            strict(f"{ORIGIN}/list")  # same URL, but private addresses are not allowed here
        assert refused.value.code == "fetch_forbidden_address"
        plain = GuardedFetcher(FetchPolicy(allow_private=True), cache=backend, clock=clock)
        with pytest.raises(FetchError) as refused:
            plain(f"{server}/list")  # the same target without the rewrite: http is refused
        assert refused.value.code == "fetch_bad_scheme"

    def test_an_origin_that_does_not_answer_is_an_error_not_a_stale_entry(
        self, backend, clock, origin
    ):
        state, server = origin
        state.pages["/list"] = Page(b"v1")
        client = fetcher(server, backend, clock, max_cache_seconds=2)
        client(f"{ORIGIN}/list")
        del state.pages["/list"]
        clock.now += 3
        with pytest.raises(FetchError) as failed:
            client(f"{ORIGIN}/list")
        assert failed.value.code == "fetch_bad_status"


class HidingCache:
    """A view of a cache whose reads find nothing: what a worker sees when another worker
    stores an entry between its read and its write."""

    def __init__(self, inner: FetchCache) -> None:
        self.inner = inner

    def get(self, key: str) -> CacheEntry | None:
        return None

    def put(self, key: str, entry: CacheEntry) -> CacheEntry:
        return self.inner.put(key, entry)


def keys_of(client: GuardedFetcher, path: str) -> list[str]:
    target = client._target(f"{ORIGIN}{path}")[0]
    return [client._key(target, "application/json")]


# --- the directory backend with several processes -------------------------------------------

WRITER = """
import os, sys, time
from verifier.fetch.cache import CacheEntry, FileCache
directory, parity, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cache = FileCache(directory, clock=lambda: 1e9)
while not os.path.exists(go):  # start together
    time.sleep(0.001)
refused = 0
for i in range(count):
    at = float(2 * i + parity)
    body = (b"%d:" % (2 * i + parity)) * 2000
    held = cache.put("shared", CacheEntry(url="u", body=body, fetched_at=at, max_age=10.0))
    refused += held.fetched_at != at
print(refused)
"""


def test_two_processes_writing_one_entry_never_take_it_back_in_time(tmp_path: Path) -> None:
    directory, go = tmp_path / "shared-cache", tmp_path / "go"
    FileCache(directory)
    count = 150
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(directory), str(parity), str(count), str(go)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
        )
        for parity in (0, 1)
    ]
    reader = FileCache(directory, clock=lambda: 1e9)
    seen: list[float] = []
    go.touch()
    while any(w.poll() is None for w in writers):
        found = reader.get("shared")
        if found is not None:
            stamp = int(found.fetched_at)
            assert found.body == (b"%d:" % stamp) * 2000  # never a torn or mixed entry
            seen.append(found.fetched_at)
    assert [w.wait() for w in writers] == [0, 0]
    refused = [int(w.communicate()[0]) for w in writers]
    assert sum(refused) > 0, "the writers did not overlap: the test proved nothing"
    final = reader.get("shared")
    assert final is not None and final.fetched_at == 2 * count - 1
    assert seen == sorted(seen), "a reader saw the entry go back in time"
    assert not list(directory.glob(".tmp-*"))  # no temporary file left behind


def test_an_unreadable_entry_file_is_a_miss(tmp_path: Path, clock: Clock) -> None:
    cache = FileCache(tmp_path, clock=clock)
    cache.put("k", entry(clock.now))
    (path,) = tmp_path.glob("*.entry")
    path.write_bytes(b"garbage without a header")
    assert cache.get("k") is None
    assert cache.put("k", entry(clock.now - 100)).fetched_at == clock.now - 100


def test_entries_not_written_for_long_are_pruned(tmp_path: Path, clock: Clock) -> None:
    cache = FileCache(tmp_path, keep_seconds=100, clock=clock)
    cache.put("old", entry(clock.now))
    cache.put("new", entry(clock.now))
    assert cache.get("old") is not None and cache.get("new") is not None
    written = max(p.stat().st_mtime for p in tmp_path.glob("*.entry"))
    old = tmp_path / f"{hashlib.sha256(b'old').hexdigest()}.entry"
    os.utime(old, (written - 500, written - 500))
    assert cache.prune(written) == 1
    assert cache.get("old") is None and cache.get("new") is not None


# --- settings and failures --------------------------------------------------------------------


def test_open_cache_follows_the_settings(tmp_path: Path) -> None:
    assert isinstance(open_cache(), MemoryCache)
    assert isinstance(open_cache(directory=tmp_path / "c"), FileCache)
    assert isinstance(open_cache(url=REDIS_URL, directory=tmp_path), RedisCache)
    with pytest.raises(ValueError, match="redis://"):
        open_cache(url="memcached://127.0.0.1")


@pytest.mark.parametrize(
    ("value", "seconds"), [(None, DEFAULT_MAX_AGE), ("", DEFAULT_MAX_AGE), ("2", 2), ("0.5", 0.5)]
)
def test_max_age_setting(value: str | None, seconds: float) -> None:
    assert max_age_setting(value) == seconds


@pytest.mark.parametrize("value", ["ten", "-1", "nan", "inf"])
def test_max_age_setting_refuses_nonsense(value: str) -> None:
    with pytest.raises(ValueError, match="MICROCRED_STATUS_MAX_AGE"):
        max_age_setting(value)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("public, max-age=60", 10),
        ("max-age=3", 3),
        ('max-age="4"', 4),
        ("no-cache", 0),
        ("private, max-age=60", 0),
        ("", 0),
        ("max-age=soon", 0),
        ("no-store", None),
    ],
)
def test_allowed_age(header: str, seconds: float | None) -> None:
    assert allowed_age(header, 10) == seconds


def test_a_redis_that_does_not_answer_costs_speed_not_answers(clock: Clock, origin) -> None:
    state, server = origin
    state.pages["/list"] = Page(b"v1")
    down = RedisCache("redis://127.0.0.1:1/7", timeout=0.2, clock=clock)
    assert down.get("k") is None
    assert down.put("k", entry(clock.now)) == entry(clock.now)
    client = fetcher(server, down, clock)
    assert client(f"{ORIGIN}/list") == b"v1"
    assert client(f"{ORIGIN}/list") == b"v1"
    assert state.full["/list"] == 2


# --- the settings both the web verifier and microcred verify read ---------------------------


def test_the_cli_keeps_its_cache_in_memory_unless_one_is_configured(tmp_path: Path) -> None:
    assert isinstance(fetch_cache_from({}), MemoryCache)
    assert isinstance(fetch_cache_from({"MICROCRED_CACHE_DIR": str(tmp_path)}), FileCache)
    assert isinstance(
        fetch_cache_from({"MICROCRED_CACHE_URL": REDIS_URL, "MICROCRED_CACHE_DIR": "x"}),
        RedisCache,
    )
    assert fetch_policy_from({}).max_cache_seconds == DEFAULT_MAX_AGE
    assert fetch_policy_from({"MICROCRED_STATUS_MAX_AGE": "2"}).max_cache_seconds == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MICROCRED_STATUS_MAX_AGE", "ten"), ("MICROCRED_CACHE_URL", "memcached://127.0.0.1")],
)
def test_microcred_verify_refuses_unusable_cache_settings(
    tmp_path: Path, variable: str, value: str
) -> None:
    from click.testing import CliRunner

    from cli.main import main

    document = tmp_path / "credential.json"
    document.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["verify", str(document)], env={variable: value})
    assert result.exit_code == 2
    assert variable in result.output and "Traceback" not in result.output


def test_the_web_verifier_builds_its_cache_from_the_settings(tmp_path: Path, monkeypatch) -> None:
    from verifier.app import FETCHER, create_app

    monkeypatch.delenv("MICROCRED_CACHE_URL", raising=False)
    monkeypatch.setenv("MICROCRED_CACHE_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("MICROCRED_STATUS_MAX_AGE", "3")
    client = create_app({"TESTING": True, "SECRET_KEY": "test"}).extensions[FETCHER]
    assert isinstance(client.cache, FileCache)
    assert client.cache.directory == tmp_path / "shared"
    assert client.policy.max_cache_seconds == 3
