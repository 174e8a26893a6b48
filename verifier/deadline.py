"""One overall deadline for an outbound fetch, enforced at the socket.

httpx's timeouts are per operation: a read timeout of 5 s lets a server that sends one byte
every 4 s hold a fetch for as long as it likes. Here a :class:`Deadline` (a point on the
monotonic clock) is made active for the whole fetch (:meth:`Deadline.active`, a context
variable, so threads never see each other's), and :class:`DeadlineTransport` — httpx's own
transport over a :class:`DeadlineBackend` — gives every socket operation at most the time left:

- the TCP connect, the TLS handshake (CPython bounds a whole handshake by the socket timeout),
  every write of the request and every read of the status line, headers and body each get
  ``min(their own timeout, time left)``;
- when no time is left the operation is not started: it fails at once with httpcore's
  timeout of its kind (which httpx raises as ``httpx.ConnectTimeout`` / ``ReadTimeout`` /
  ``WriteTimeout``);
- a kept-alive connection reads the deadline of the fetch using it, not the one that opened it.

:func:`resolve_within` bounds name resolution by the same deadline (``getaddrinfo`` takes no
timeout: the lookup runs in a daemon thread that is abandoned when the deadline passes).
So a fetch ends within its deadline plus the scheduling slack of one operation.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import threading
import time
import typing
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import httpcore
import httpx

# Below this many seconds an operation is not started: a socket timeout of 0 would mean
# "non-blocking" (an error of another kind), not "no time left".
MINIMUM = 0.001

_ACTIVE: ContextVar[Deadline | None] = ContextVar("microcred_fetch_deadline", default=None)


@dataclass(frozen=True)
class Deadline:
    """The monotonic time ``at`` which a fetch must be over."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds)

    def left(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.monotonic()

    def expired(self) -> bool:
        """True once less than :data:`MINIMUM` seconds are left."""
        return self.left() < MINIMUM

    def timeout(self, per_operation: float) -> httpx.Timeout:
        """httpx timeouts no longer than ``per_operation`` nor than the time left."""
        limit = max(min(per_operation, self.left()), MINIMUM)
        return httpx.Timeout(limit)

    @contextlib.contextmanager
    def active(self) -> Iterator[Deadline]:
        """Make this the deadline every :class:`DeadlineBackend` socket obeys, in this
        context (thread or task), until the block ends."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


def bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before the active deadline (unchanged when none is
    active); raises ``expired`` when no time is left."""
    deadline = _ACTIVE.get()
    if deadline is None:
        return timeout
    left = deadline.left()
    if left < MINIMUM:
        raise expired("the fetch deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads, writes and TLS handshake never outlast the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        limit = bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, limit))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend (``inner``, the synchronous one by default) with every
    connect and every stream operation cut to the active :class:`Deadline`."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        limit = bounded(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, limit, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        limit = bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.connect_unix_socket(path, limit, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's HTTP transport (verified TLS, no proxies from the environment) whose
    connection pool dials through a :class:`DeadlineBackend`."""

    def __init__(self, backend: httpcore.NetworkBackend | None = None) -> None:
        context = _tls_context()
        super().__init__(verify=context, trust_env=False)
        # httpx builds its pool without a backend parameter; this one differs only in that.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=DeadlineBackend(backend),
        )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certificates verified against certifi's roots), made once
    per process: loading the roots is the slow part of making a transport."""
    return httpx.create_ssl_context(trust_env=False)


def resolve_within(
    resolve: Callable[[str, int], list[str]], host: str, port: int, deadline: Deadline
) -> list[str]:
    """``resolve(host, port)``, or ``TimeoutError`` when it has not answered by ``deadline``
    (the lookup then finishes, unheeded, in its daemon thread). Its own errors are raised."""
    outcome: list[list[str] | BaseException] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome.append(resolve(host, port))
        except BaseException as error:  # handed to the caller, not lost in the thread
            outcome.append(error)
        finally:
            done.set()

    if deadline.expired():
        raise TimeoutError(f"no time left to resolve {host}")
    threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    if not done.wait(max(deadline.left(), 0.0)):
        raise TimeoutError(f"resolving {host} outlasted the fetch deadline")
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result
