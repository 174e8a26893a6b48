"""The verifier's only way out to the network: a guarded HTTP client.

It fetches just two kinds of things — did:web documents and status lists — and refuses to be
turned against the verifier's own network:
- https only (plain http only for origins listed in ``rewrites``, a development aid);
- every address a host resolves to must be public (:func:`verifier.fetch.addresses.is_public`: no
  special-purpose block, no IPv6 form of an IPv4 address, no zone id), unless
  ``allow_private`` is set; the connection goes to the address that was checked (no DNS
  rebinding between check and use), and a refusal comes before any connection is tried;
- redirects are followed by hand, at most ``max_redirects``, each hop checked again;
- a size limit enforced while streaming;
- **one overall deadline** (``FetchPolicy.deadline``, ``MICROCRED_FETCH_DEADLINE``): a fetch —
  name lookups, every redirect hop, connects, TLS handshakes, the request, the status line,
  headers and body, together — is over within ``deadline`` seconds (plus the scheduling slack
  of one socket operation), or fails ``fetch_timeout``. Every socket operation gets at most
  ``min(FetchPolicy.timeout, time left)`` (:mod:`verifier.deadline`), and the body is checked
  against the deadline after every chunk, so a server dripping a byte at a time, or sending
  its headers or its TLS handshake slowly, is cut at the deadline. (With an injected
  ``transport`` the per-chunk check and the per-request timeouts still hold; the socket-level
  cut is the default transport's.)
Every failure is a ``FetchError`` with a stable code; callers report it as ``unchecked``.

Answers are kept in a :class:`~verifier.fetch.cache.FetchCache` (in memory by default; a directory
or Redis that every worker of a verifier shares, see :mod:`verifier.fetch.cache`), which sits behind
the guard: the scheme check and the rewrites run before the cache is read, and every request to an
origin, revalidations included, goes through the guard.

- **Key**: the URL *after* the rewrites (what is really fetched), the ``Accept`` header and
  ``allow_private``. A verifier that rewrites ``https://issuer.example`` to a local server
  therefore never shares an entry with one that fetches the real origin, even over one Redis,
  and an entry fetched under a laxer policy is never read under a stricter one.
- **Age**: ``fetched_at`` is when the request that last confirmed the content was sent (less
  the answer's ``Age`` header, if a cache on the way held it), on the wall clock. An entry may
  be used for min(the answer's ``max-age``, ``FetchPolicy.max_cache_seconds``) seconds;
  ``no-cache``, ``private`` or no ``max-age`` → 0 (asked again every time, kept only for its
  validators); ``no-store`` → not kept. ``Expires`` and heuristic freshness are not used.
- **Revalidation**: an entry past its age is asked for again with ``If-None-Match`` /
  ``If-Modified-Since``; a ``304`` renews its ``fetched_at`` without downloading the body. An
  origin that does not answer is a ``FetchError`` (a stale entry is never served instead).
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from verifier.cpu_turn import released
from verifier.deadline import Deadline, DeadlineTransport, resolve_within
from verifier.fetch.addresses import is_public, refusal
from verifier.fetch.cache import DEFAULT_MAX_AGE, CacheEntry, FetchCache, MemoryCache

__all__ = [
    "FetchError",
    "FetchPolicy",
    "Fetched",
    "GuardedFetcher",
    "allowed_age",
    "is_public",
    "system_resolve",
]

Resolve = Callable[[str, int], list[str]]

KEPT_HEADERS = ("content-type", "cache-control", "etag", "last-modified")
REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A fetch that did not give a usable answer; ``code`` is stable. ``status`` is the HTTP
    status the server answered with, for ``fetch_bad_status`` (else None)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class FetchPolicy:
    """What the client may do. ``rewrites`` maps an origin as a DID or credential names it
    (``https://localhost:5000``) to where to fetch it instead (``http://127.0.0.1:5000``).
    ``max_cache_seconds`` caps how long any answer is used without asking its origin again
    (``MICROCRED_STATUS_MAX_AGE``); ``cache_entries`` bounds the default in-memory cache.
    ``timeout`` bounds each socket operation (connect, TLS handshake, one read or write);
    ``deadline`` bounds a whole fetch, every hop included (``MICROCRED_FETCH_DEADLINE``)."""

    timeout: float = 5.0
    deadline: float = 10.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3
    allow_private: bool = False
    rewrites: Mapping[str, str] = field(default_factory=dict)
    cache_entries: int = 256
    max_cache_seconds: float = DEFAULT_MAX_AGE


@dataclass(frozen=True)
class Fetched:
    """A successful answer: the final URL, status, body and headers; ``fetched_at`` is when
    its content was last confirmed with the origin (UTC; None when the source cannot say) and
    ``max_age`` how many seconds it may be used for from then."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]
    fetched_at: datetime | None = None
    max_age: float | None = None


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError("fetch_failed", f"cannot resolve {host}: {error}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedFetcher:
    """Fetch documents under a ``FetchPolicy``; callable as ``fetch(url) -> bytes``.

    ``cache`` is where answers are kept (a :class:`~verifier.fetch.cache.MemoryCache` by default);
    ``clock`` gives wall-clock seconds since the epoch (entries are compared across processes).
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolve: Resolve = system_resolve,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        cache: FetchCache | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._resolve = resolve
        self._clock = clock
        self._client = httpx.Client(
            transport=transport if transport is not None else DeadlineTransport(),
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,
            trust_env=False,
        )
        self.cache: FetchCache = (
            cache if cache is not None else MemoryCache(self.policy.cache_entries, clock=clock)
        )

    def __call__(self, url: str) -> bytes:
        """The body at ``url`` (for ``keys.resolver.DidResolver``); ``FetchError`` otherwise."""
        return self.fetch(url).content

    def fetch_entry(self, url: str) -> Fetched:
        """The answer at ``url`` (asking for JSON) with ``fetched_at`` — when its content was
        last confirmed with the origin — and ``max_age``: what the revocation check reports."""
        return self.fetch(url)

    def fetch(self, url: str, *, accept: str = "application/json") -> Fetched:
        """GET ``url`` under the policy: from the cache while its entry is fresh, otherwise
        from the origin, revalidating a held entry with its validators (a ``304`` renews it).
        Never answers an entry confirmed earlier than one another worker already stored."""
        target, _host, _scheme, _port = self._target(url)  # refused before the cache is read
        key = self._key(target, accept)
        held = self.cache.get(key)
        if held is not None and len(held.body) > self.policy.max_bytes:
            held = None  # kept under a laxer size limit: fetched again under this one
        if held is not None and held.is_fresh(self._clock()):
            return _as_fetched(held)
        started = self._clock()
        with released():  # the network: other requests take the CPU turn meanwhile
            response = self._follow(url, accept, held)
        confirmed = started - _age_header(response.headers)
        if response.status == 304:
            assert held is not None  # _follow accepts a 304 only to a conditional request
            headers = {**held.headers, **_kept(response.headers)}
            body, final_url = held.body, held.url
        else:
            headers, body, final_url = _kept(response.headers), response.content, response.url
        allowed = allowed_age(headers.get("cache-control", ""), self.policy.max_cache_seconds)
        entry = CacheEntry(
            url=final_url,
            body=body,
            fetched_at=confirmed,
            max_age=allowed or 0.0,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            headers=headers,
        )
        if allowed is None or (allowed <= 0 and not (entry.etag or entry.last_modified)):
            return _as_fetched(entry)  # no-store, or nothing to revalidate with: not kept
        return _as_fetched(self.cache.put(key, entry))

    def _key(self, target: str, accept: str) -> str:
        """The cache key: the URL after rewrites, what was asked for, and the address rule."""
        material = f"{int(self.policy.allow_private)}\n{accept}\n{target}"
        return hashlib.sha256(material.encode()).hexdigest()

    def _follow(self, url: str, accept: str, held: CacheEntry | None) -> Fetched:
        """The origin's answer to ``url``, redirects followed by hand (each hop guarded), all
        within one ``policy.deadline``: a 200, or a 304 when ``held`` gave validators to ask
        with; ``fetch_timeout`` when the deadline passes first."""
        deadline = Deadline.after(self.policy.deadline)
        with deadline.active():
            return self._hops(url, accept, held, deadline)

    def _hops(self, url: str, accept: str, held: CacheEntry | None, deadline: Deadline) -> Fetched:
        conditional: dict[str, str] = {}
        if held is not None and held.etag:
            conditional["If-None-Match"] = held.etag
        if held is not None and held.last_modified:
            conditional["If-Modified-Since"] = held.last_modified
        current = url
        for _ in range(self.policy.max_redirects + 1):
            response = self._get_once(current, accept, conditional, deadline)
            if response.status in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError("fetch_bad_status", f"{current} redirects nowhere")
                current = urljoin(current, location)
                continue
            if response.status == 200 or (response.status == 304 and conditional):
                return response
            raise FetchError(
                "fetch_bad_status", f"{current} answered {response.status}", response.status
            )
        raise FetchError("fetch_too_many_redirects", f"{url} redirects more than allowed")

    def _target(self, url: str) -> tuple[str, str, str, int]:
        """(URL to request, host name, scheme, port) after rewrites and scheme checks."""
        for origin, replacement in self.policy.rewrites.items():
            if url == origin or url.startswith(origin.rstrip("/") + "/"):
                url = replacement.rstrip("/") + url[len(origin.rstrip("/")) :]
                break
        else:
            if not url.startswith("https://"):
                raise FetchError("fetch_bad_scheme", f"only https URLs are fetched: {url}")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise FetchError("fetch_bad_scheme", f"cannot fetch {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return url, parts.hostname, parts.scheme, port

    def _get_once(
        self, url: str, accept: str, conditional: Mapping[str, str], deadline: Deadline
    ) -> Fetched:
        target, host, scheme, port = self._target(url)
        late = FetchError(
            "fetch_timeout",
            f"{url} did not answer in time (per operation {self.policy.timeout:g} s, "
            f"the whole fetch {self.policy.deadline:g} s)",
        )
        try:
            addresses = resolve_within(self._resolve, host, port, deadline)
        except TimeoutError:
            raise late from None
        if not addresses:
            raise FetchError("fetch_failed", f"{host} has no address")
        if not self.policy.allow_private:
            for candidate in addresses:
                reason = refusal(candidate)
                if reason is not None:
                    raise FetchError(
                        "fetch_forbidden_address",
                        f"{host} resolves to an address that is not public ({candidate}: {reason})",
                    )
        address = addresses[0]  # checked above; the connection goes here and nowhere else
        parts = urlsplit(target)
        netloc = f"[{address}]" if ":" in address else address
        pinned = urlunsplit((scheme, f"{netloc}:{port}", parts.path or "/", parts.query, ""))
        headers = {
            "Host": parts.netloc,
            "Accept": accept,
            "User-Agent": "microcred-verifier",
            **conditional,
        }
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        if deadline.expired():
            raise late
        try:
            with self._client.stream(
                "GET",
                pinned,
                headers=headers,
                extensions=extensions,
                timeout=deadline.timeout(self.policy.timeout),
            ) as response:
                body = bytearray()
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
                    raise FetchError("fetch_too_large", f"{url} is larger than allowed")
                for chunk in response.iter_bytes():
                    if deadline.expired():
                        raise late
                    body += chunk
                    if len(body) > self.policy.max_bytes:
                        raise FetchError("fetch_too_large", f"{url} is larger than allowed")
                return Fetched(url, response.status_code, bytes(body), dict(response.headers))
        except httpx.TimeoutException:
            raise late from None
        except httpx.HTTPError as error:
            raise FetchError("fetch_failed", f"{url} could not be fetched: {error}") from None


def allowed_age(cache_control: str, cap: float) -> float | None:
    """How many seconds an answer with this ``Cache-Control`` may be used without asking its
    origin again: min(``max-age``, ``cap``); 0 for ``no-cache``, ``private`` or no ``max-age``
    (kept for revalidation only); None for ``no-store`` (not kept at all)."""
    directives = [d.strip().lower() for d in cache_control.split(",")]
    if "no-store" in directives:
        return None
    if any(d in ("no-cache", "private") for d in directives):
        return 0.0
    for directive in directives:
        if directive.startswith("max-age="):
            value = directive.removeprefix("max-age=").strip('"')
            return float(min(int(value), cap)) if value.isdigit() else 0.0
    return 0.0


def _age_header(headers: Mapping[str, str]) -> float:
    value = str(headers.get("age", "")).strip()
    return float(value) if value.isdigit() else 0.0


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    return {name: lowered[name] for name in KEPT_HEADERS if name in lowered}


def _as_fetched(entry: CacheEntry) -> Fetched:
    return Fetched(
        entry.url,
        200,
        entry.body,
        dict(entry.headers),
        fetched_at=datetime.fromtimestamp(entry.fetched_at, UTC),
        max_age=entry.max_age,
    )
