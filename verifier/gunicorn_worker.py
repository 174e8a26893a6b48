"""The verifier's gunicorn worker: gunicorn's ``gthread`` worker whose threads take turns
(``verifier.cpu_turn``). ``worker_class = "verifier.gunicorn_worker.TurnWorker"``
(``verifier/gunicorn_conf.py``).

Everything ``gthread`` does stays: the main thread accepts connections and keeps idle kept-alive
and not-yet-talking ones in its poller; a request is handled in a pool thread. Two things
change:

- The pool is a :class:`verifier.cpu_turn.TurnPool`: one request's Python work at a time, in
  arrival order, the next one taken by the thread that just finished.
- The connection's socket waits without the turn: a ``recv`` that would block (a client still
  sending) and a ``sendall`` that finds no room (a client not reading) are done inside
  :func:`verifier.cpu_turn.released`, as is gunicorn's wait for a new connection's first bytes.
  A slow client therefore holds one thread, as with ``gthread``, never the turn.

Responses are never sent with ``sendfile`` (``verifier/gunicorn_conf.py`` turns it off): it
would write from a file to a slow reader outside these waits. A TLS listener
(``certfile``) keeps gunicorn's own thread pool: the TLS socket's reads cannot be proxied.
"""

from __future__ import annotations

import socket
from concurrent.futures import Executor
from typing import Any

from gunicorn.workers import gthread

from verifier.cpu_turn import TurnPool, released

_NOWAIT = getattr(socket, "MSG_DONTWAIT", 0)


class TurnSocket:
    """A connected socket whose blocking reads and writes give up the turn while they wait;
    every other attribute is the socket's own."""

    __slots__ = ("_sock",)

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def fileno(self) -> int:
        """The socket's file descriptor (for selectors)."""
        return self._sock.fileno()

    def recv(self, size: int, flags: int = 0) -> bytes:
        """``socket.recv``: what is there at once, else waited for without the turn."""
        if _NOWAIT:
            try:
                return self._sock.recv(size, flags | _NOWAIT)
            except BlockingIOError:
                pass
        with released():
            return self._sock.recv(size, flags)

    def sendall(self, data: bytes | memoryview, flags: int = 0) -> None:
        """``socket.sendall``: what fits at once is sent, the rest without the turn."""
        view = memoryview(data).cast("B")
        sent = 0
        if _NOWAIT:
            try:
                sent = self._sock.send(view, flags | _NOWAIT)
            except BlockingIOError:
                sent = 0
            if sent == len(view):
                return
        with released():
            self._sock.sendall(view[sent:], flags)


class TurnWorker(gthread.ThreadWorker):
    """gunicorn's ``gthread`` worker with a :class:`TurnPool` (see the module)."""

    def get_thread_pool(self) -> Executor:
        """A :class:`TurnPool` of ``threads`` threads (gunicorn's own pool behind TLS)."""
        if self.cfg.is_ssl:
            return super().get_thread_pool()
        return TurnPool(self.cfg.threads)  # type: ignore[return-value]

    def handle(self, conn: Any) -> Any:
        """gunicorn's ``handle`` with the connection's socket behind a :class:`TurnSocket`;
        the wait for a new connection's first bytes is done without the turn."""
        if not self.cfg.is_ssl and not isinstance(conn.sock, TurnSocket):
            conn.sock = TurnSocket(conn.sock)
        if not conn.initialized and not conn.data_ready:
            with released():
                ready = conn.wait_for_data(gthread.DEFAULT_WORKER_DATA_TIMEOUT)
            if not ready:
                return gthread._DEFER
        return super().handle(conn)
