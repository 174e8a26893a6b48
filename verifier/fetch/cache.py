"""The guarded fetcher's cache: one store that every verifier worker reads and writes.

An entry is one answer of an origin: its body, the validators to ask again with (ETag,
Last-Modified), when its content was last confirmed with the origin (``fetched_at``, seconds
since the epoch on the wall clock, so that several processes agree on it) and how long it may
be used without asking again (``max_age``). Deciding freshness and asking the origin is the
fetcher's job (:mod:`verifier.fetch.client`); this module only keeps entries.

Three backends keep one contract, :class:`FetchCache`:

- :class:`MemoryCache`: one process (``microcred verify``, tests), bounded in count;
- :class:`FileCache`: a directory several processes share; writes go to a temporary file that
  ``os.replace`` puts in place (a reader sees the old entry or the new one, never half), and
  the compare-and-replace runs under the directory's ``flock`` (readers take no lock);
- :class:`RedisCache`: a Redis database; the compare-and-replace is one Lua script.

The rule they all keep: an entry is never replaced by one confirmed earlier, so no worker can
take the cache back in time; ``put`` answers the entry held afterwards. An entry stamped more
than :data:`MAX_CLOCK_SKEW` ahead of the writer's clock (another host's clock gone wrong) does
not block a replacement. A backend that fails (disk full, Redis down) never fails a fetch:
``get`` answers nothing and ``put`` answers the caller's entry, so the fetcher asks the origin —
slower, never staler.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from verifier.cpu_turn import released

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 10.0  # seconds an answer is used before its origin is asked again, at most
MAX_CLOCK_SKEW = 60.0  # seconds another writer's clock may run ahead of ours
KEEP_SECONDS = 86_400  # how long an entry is kept past its freshness, for ETag revalidation
FORMAT = 1  # the serialized entry's version; any other is a miss


@dataclass(frozen=True)
class CacheEntry:
    """One cached answer. ``headers`` are the few response headers worth keeping
    (content type, cache control, validators), lower-case names."""

    url: str
    body: bytes
    fetched_at: float
    max_age: float
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def age(self, now: float) -> float:
        """Seconds since the content was last confirmed with the origin (never negative)."""
        return max(0.0, now - self.fetched_at)

    def is_fresh(self, now: float) -> bool:
        """True while the entry may be used without asking the origin again."""
        return self.age(now) < self.max_age

    def encode(self) -> bytes:
        """The entry as bytes: one line of JSON metadata, then the body as it is."""
        meta = {
            "v": FORMAT,
            "url": self.url,
            "fetched_at": self.fetched_at,
            "max_age": self.max_age,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "headers": dict(self.headers),
        }
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, data: bytes) -> CacheEntry | None:
        """The entry ``encode`` wrote; None for anything else (read as a miss)."""
        head, newline, body = data.partition(b"\n")
        if not newline:
            return None
        try:
            meta = json.loads(head)
            if not isinstance(meta, dict) or meta.get("v") != FORMAT:
                return None
            return cls(
                url=str(meta["url"]),
                body=body,
                fetched_at=float(meta["fetched_at"]),
                max_age=float(meta["max_age"]),
                etag=meta.get("etag"),
                last_modified=meta.get("last_modified"),
                headers={str(k): str(v) for k, v in dict(meta.get("headers") or {}).items()},
            )
        except (ValueError, KeyError, TypeError):
            return None


def may_replace(held: CacheEntry | None, new: CacheEntry, now: float) -> bool:
    """True when ``new`` may take the place of ``held``: nothing is held, ``new`` was confirmed
    no earlier, or ``held`` claims a time too far ahead of ``now`` to be believed."""
    return (
        held is None
        or new.fetched_at >= held.fetched_at
        or held.fetched_at > now + MAX_CLOCK_SKEW
    )


class FetchCache(Protocol):
    """Where the guarded fetcher keeps answers. Keys are opaque strings (the fetcher hashes
    what identifies a request)."""

    def get(self, key: str) -> CacheEntry | None:
        """The entry under ``key``, or None."""
        ...

    def put(self, key: str, entry: CacheEntry) -> CacheEntry:
        """Store ``entry`` unless the held one was confirmed later; the entry held afterwards."""
        ...


class MemoryCache:
    """A cache for one process: at most ``max_entries``, the least recently used dropped."""

    def __init__(self, max_entries: int = 256, *, clock: Callable[[], float] = time.time) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CacheEntry | None:
        """The entry under ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CacheEntry) -> CacheEntry:
        """Store ``entry`` unless the held one was confirmed later; the entry held afterwards."""
        with self._lock:
            held = self._entries.get(key)
            if not may_replace(held, entry, self._clock()):
                assert held is not None
                return held
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return entry


class FileCache:
    """A cache in ``directory`` that several processes share: one ``<sha256 of key>.entry``
    file per entry, replaced atomically while the writer holds the ``flock`` of the directory's
    ``.lock`` file (writes are rare — one per answer from an origin — so one lock is enough).
    Entries not written for ``keep_seconds`` are removed now and then (at most once a minute
    per process)."""

    PRUNE_EVERY = 60.0

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        keep_seconds: float = KEEP_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.keep_seconds = keep_seconds
        self._clock = clock
        self._pruned = 0.0

    def _path(self, key: str, suffix: str) -> Path:
        return self.directory / f"{_file_name(key)}{suffix}"

    def get(self, key: str) -> CacheEntry | None:
        """The entry under ``key``, or None (also when the file cannot be read)."""
        try:
            data = self._path(key, ".entry").read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("verifier cache: cannot read %s: %s", self.directory, error)
            return None
        return CacheEntry.decode(data)

    def put(self, key: str, entry: CacheEntry) -> CacheEntry:
        """Store ``entry`` unless the held one was confirmed later; the entry held afterwards.
        A write that fails is logged and answers ``entry`` (the cache is then only slower)."""
        try:
            with self._locked():
                held = self.get(key)
                if not may_replace(held, entry, self._clock()):
                    assert held is not None
                    return held
                self._write(self._path(key, ".entry"), entry.encode())
        except OSError as error:
            log.warning("verifier cache: cannot write %s: %s", self.directory, error)
            return entry
        self._maybe_prune()
        return entry

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # The lock file is never removed: removing it while another process waits on it would
        # let two writers hold "the" lock at once.
        with open(self.directory / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, path: Path, data: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _maybe_prune(self) -> None:
        now = time.time()  # file times are on the real clock, whatever clock entries use
        if now - self._pruned < self.PRUNE_EVERY:
            return
        self._pruned = now
        self.prune(now)

    def prune(self, now: float | None = None) -> int:
        """Remove entries (and leftover temporary files) not written for ``keep_seconds`` by
        the files' modification times (``now``: the real clock by default); the number
        removed."""
        limit = (time.time() if now is None else now) - self.keep_seconds
        removed = 0
        for path in self.directory.iterdir():
            if path.suffix != ".entry" and not path.name.startswith(".tmp-"):
                continue
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
        return removed


# KEYS[1] the entry's key; ARGV: fetched_at (µs), the encoded entry, the writer's clock (µs),
# the allowed clock skew (µs), seconds to keep the key. Answers the entry held afterwards.
_PUT_SCRIPT = """
local held = redis.call('HGET', KEYS[1], 'at')
if held then
  local at = tonumber(held)
  if at > tonumber(ARGV[1]) and at <= tonumber(ARGV[3]) + tonumber(ARGV[4]) then
    return redis.call('HGET', KEYS[1], 'entry')
  end
end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'entry', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return ARGV[2]
"""


class RedisCache:
    """A cache in a Redis database (``redis://host:port/db``): each entry a hash under
    ``prefix`` + key holding its confirmation time and the encoded entry, expiring
    ``keep_seconds`` after its last write."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "microcred:verifier:fetch:",
        keep_seconds: float = KEEP_SECONDS,
        timeout: float = 1.0,
        clock: Callable[[], float] = time.time,
        client: Any = None,
    ) -> None:
        import redis

        self.prefix = prefix
        self.keep_seconds = keep_seconds
        self._clock = clock
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._redis = client or redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._put = self._redis.register_script(_PUT_SCRIPT)

    def get(self, key: str) -> CacheEntry | None:
        """The entry under ``key``, or None (also when Redis does not answer)."""
        try:
            with released():  # a round trip to Redis: others take the CPU turn meanwhile
                data = self._redis.hget(self.prefix + key, "entry")
        except self._errors as error:
            log.warning("verifier cache: Redis get failed: %s", error)
            return None
        return CacheEntry.decode(data) if isinstance(data, bytes) else None

    def put(self, key: str, entry: CacheEntry) -> CacheEntry:
        """Store ``entry`` unless the held one was confirmed later; the entry held afterwards.
        When Redis does not answer, ``entry`` (the cache is then only slower)."""
        args = [
            _micros(entry.fetched_at),
            entry.encode(),
            _micros(self._clock()),
            _micros(MAX_CLOCK_SKEW),
            max(1, int(self.keep_seconds + entry.max_age)),
        ]
        try:
            with released():  # as in get
                held = self._put(keys=[self.prefix + key], args=args)
        except self._errors as error:
            log.warning("verifier cache: Redis put failed: %s", error)
            return entry
        decoded = CacheEntry.decode(held) if isinstance(held, bytes) else None
        return decoded or entry


def _micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


def _file_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open_cache(
    *,
    url: str | None = None,
    directory: str | os.PathLike[str] | None = None,
    max_entries: int = 256,
) -> FetchCache:
    """The cache the settings name: Redis when ``url`` is given (``redis://``, ``rediss://``
    or ``unix://``), else a directory when ``directory`` is given, else one in memory.
    ``ValueError`` for a URL of another kind (a misconfiguration is an error at start-up)."""
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"MICROCRED_CACHE_URL must be a redis:// URL, not {url!r}")
        return RedisCache(url)
    if directory:
        return FileCache(directory)
    return MemoryCache(max_entries)


def max_age_setting(value: str | None) -> float:
    """``MICROCRED_STATUS_MAX_AGE`` as seconds: :data:`DEFAULT_MAX_AGE` when unset or empty;
    ``ValueError`` for anything but a non-negative number (an error at start-up)."""
    if value is None or not value.strip():
        return DEFAULT_MAX_AGE
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"MICROCRED_STATUS_MAX_AGE must be seconds, not {value!r}") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"MICROCRED_STATUS_MAX_AGE must be seconds, not {value!r}")
    return seconds
