"""The verifier's only way out to the network: a guarded HTTP client.

It fetches just two kinds of things — did:web documents and status lists — and refuses to be
turned against the verifier's own network:
- https only (plain http only for origins listed in ``rewrites``, a development aid);
- every address a host resolves to must be public, unless ``allow_private`` is set; the
  connection goes to the address that was checked (no DNS rebinding between check and use);
- redirects are followed by hand, at most ``max_redirects``, each hop checked again;
- a connect/read timeout, and a size limit enforced while streaming;
- answers are cached per their ``Cache-Control: max-age`` (bounded in count).
Every failure is a ``FetchError`` with a stable code; callers report it as ``unchecked``.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

Resolve = Callable[[str, int], list[str]]


class FetchError(Exception):
    """A fetch that did not give a usable answer; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FetchPolicy:
    """What the client may do. ``rewrites`` maps an origin as a DID or credential names it
    (``https://localhost:5000``) to where to fetch it instead (``http://127.0.0.1:5000``)."""

    timeout: float = 5.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3
    allow_private: bool = False
    rewrites: Mapping[str, str] = field(default_factory=dict)
    cache_entries: int = 256
    max_cache_seconds: int = 3600


@dataclass(frozen=True)
class Fetched:
    """A successful answer: the final URL, status, body and headers."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError("fetch_failed", f"cannot resolve {host}: {error}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class GuardedFetcher:
    """Fetch documents under a ``FetchPolicy``; callable as ``fetch(url) -> bytes``."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolve: Resolve = system_resolve,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._resolve = resolve
        self._clock = clock
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,
            trust_env=False,
        )
        self._cache: OrderedDict[str, tuple[float, Fetched]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        """The body at ``url`` (for ``keys.resolver.DidResolver``); ``FetchError`` otherwise."""
        return self.fetch(url).content

    def fetch(self, url: str, *, accept: str = "application/json") -> Fetched:
        """GET ``url`` under the policy, from the cache while its max-age lasts."""
        cached = self._cached(url)
        if cached is not None:
            return cached
        current = url
        for _ in range(self.policy.max_redirects + 1):
            response = self._get_once(current, accept)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError("fetch_bad_status", f"{current} redirects nowhere")
                current = urljoin(current, location)
                continue
            if response.status != 200:
                raise FetchError("fetch_bad_status", f"{current} answered {response.status}")
            self._store(url, response)
            return response
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

    def _get_once(self, url: str, accept: str) -> Fetched:
        target, host, scheme, port = self._target(url)
        addresses = self._resolve(host, port)
        if not addresses:
            raise FetchError("fetch_failed", f"{host} has no address")
        if not self.policy.allow_private:
            blocked = [a for a in addresses if not is_public(a)]
            if blocked:
                raise FetchError(
                    "fetch_forbidden_address",
                    f"{host} resolves to a private or reserved address ({blocked[0]})",
                )
        address = addresses[0]
        parts = urlsplit(target)
        netloc = f"[{address}]" if ":" in address else address
        pinned = urlunsplit((scheme, f"{netloc}:{port}", parts.path or "/", parts.query, ""))
        headers = {"Host": parts.netloc, "Accept": accept, "User-Agent": "microcred-verifier"}
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        try:
            with self._client.stream(
                "GET", pinned, headers=headers, extensions=extensions
            ) as response:
                body = bytearray()
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
                    raise FetchError("fetch_too_large", f"{url} is larger than allowed")
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.policy.max_bytes:
                        raise FetchError("fetch_too_large", f"{url} is larger than allowed")
                return Fetched(url, response.status_code, bytes(body), dict(response.headers))
        except httpx.TimeoutException:
            raise FetchError("fetch_timeout", f"{url} did not answer in time") from None
        except httpx.HTTPError as error:
            raise FetchError("fetch_failed", f"{url} could not be fetched: {error}") from None

    def _cached(self, url: str) -> Fetched | None:
        with self._lock:
            entry = self._cache.get(url)
            if entry is None:
                return None
            expires, fetched = entry
            if self._clock() >= expires:
                del self._cache[url]
                return None
            self._cache.move_to_end(url)
            return fetched

    def _store(self, url: str, fetched: Fetched) -> None:
        seconds = _max_age(fetched.headers.get("cache-control", ""))
        if seconds <= 0:
            return
        seconds = min(seconds, self.policy.max_cache_seconds)
        with self._lock:
            self._cache[url] = (self._clock() + seconds, fetched)
            self._cache.move_to_end(url)
            while len(self._cache) > self.policy.cache_entries:
                self._cache.popitem(last=False)


def _max_age(cache_control: str) -> int:
    directives = [d.strip().lower() for d in cache_control.split(",")]
    if any(d in ("no-store", "no-cache", "private") for d in directives):
        return 0
    for directive in directives:
        if directive.startswith("max-age="):
            value = directive.removeprefix("max-age=")
            return int(value) if value.isdigit() else 0
    return 0
