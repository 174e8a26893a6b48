"""One request's Python work at a time per process, handed on in order: the verifier's CPU turn.

A verification is ~1 ms of pure Python under the process's one GIL. When a gunicorn ``gthread``
worker runs several requests' threads at once, they share the GIL in slices of up to
``sys.getswitchinterval()`` (5 ms), every request is woken and put to sleep again several
times, and the slowest requests wait for all the others' slices: that, not the CPU, made the
verifier's p99 (docs/performance.md). One thread per worker would answer in order, but one
slow client, one did:web document or one large upload would then hold the whole worker.

:class:`TurnPool` keeps the threads and takes away the contention. It is a thread pool
(``submit`` answers a ``concurrent.futures.Future``, as gunicorn's ``gthread`` worker expects)
in which a thread runs Python only while it holds the process's one **turn**:

- The thread holding the turn runs its request to the end and then takes the next waiting
  request itself, without waking another thread — as one thread would, in arrival order.
- A request that must wait (a socket that has nothing to read or no room to write, a guarded
  fetch, a photo or PDF being decoded) waits inside :func:`released`: the turn passes on
  meanwhile, and the request takes it back, after the requests already waiting for it.
- Long work (a document in the heavy lane, a large request body) runs inside :func:`shared`:
  meanwhile every request of the process runs without the turn, side by side under the GIL as
  in a plain thread pool, so that the long one takes one share of the CPU among them rather
  than half against them all.
- A thread waiting for the turn while it has not moved for :attr:`TurnPool.patience` seconds
  runs without it (counted in :attr:`TurnPool.overtime`, and logged): a step that blocks while
  holding the turn somewhere :func:`released` does not cover costs the others at most that
  delay, never a deadlock. The turn orders work; nothing's correctness depends on it.

Code outside a pool's threads (tests, the CLI, the Flask development server) holds no turn, and
:func:`released` and :func:`shared` are then no-ops.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, Final

#: Seconds a thread waits for the turn before it runs without it (see the module).
DEFAULT_PATIENCE: Final = 0.25

_held = threading.local()  # .member: this thread's TurnPool; .pool: set while it holds the turn
log = logging.getLogger(__name__)


class TurnPool:
    """A pool of ``threads`` threads that run submitted calls one turn at a time (see the
    module). ``submit``/``shutdown`` as ``concurrent.futures.ThreadPoolExecutor``."""

    def __init__(self, threads: int, *, patience: float = DEFAULT_PATIENCE) -> None:
        if threads < 1:
            raise ValueError("a TurnPool needs at least one thread")
        self.patience = patience
        self.overtime = 0  # turns not waited for to the end (see the module)
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._taken = False  # a thread holds the turn (or it is being handed to one)
        self._progress = 0  # counts calls finished and turns handed on (a stall: no change)
        self._returning: collections.deque[threading.Lock] = collections.deque()
        self._work: collections.deque[Callable[[], None]] = collections.deque()
        self._idle = 0
        self._watching = 0  # idle threads waiting with a deadline (a stall's witnesses)
        self._stopping = False
        self._sharing = 0  # calls inside shared(): meanwhile every call runs without the turn
        self._threads = [
            threading.Thread(target=self._serve, name=f"turn-pool-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Queue ``fn(*args)``; its future. Calls start in the order submitted."""
        future: Future[Any] = Future()

        def call() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args)
            except BaseException as error:  # handed to the future, as an executor does
                future.set_exception(error)
            else:
                future.set_result(result)

        with self._lock:
            if self._stopping:
                raise RuntimeError("cannot submit to a TurnPool after shutdown")
            self._work.append(call)
            if self._idle and (not self._taken or self._sharing or not self._watching):
                self._work_ready.notify()  # to take the turn, to run beside, or to watch
        return future

    def shutdown(self, wait: bool = True) -> None:
        """Accept no call after this (queued ones still run); with ``wait``, return once every
        thread has finished."""
        with self._lock:
            self._stopping = True
            self._work_ready.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()

    def holds_turn(self) -> bool:
        """True when the calling thread holds this pool's turn."""
        return getattr(_held, "pool", None) is self

    # -- the threads ---------------------------------------------------------------------

    def _serve(self) -> None:
        _held.member = self
        while True:
            call, with_turn = self._wait_for_work()
            if call is None:
                return
            if with_turn:
                _held.pool = self
            while call is not None:
                call()
                call = self._next_or_pass()

    def _wait_for_work(self) -> tuple[Callable[[], None] | None, bool]:
        """The next queued call and whether this thread took the turn for it: with the turn
        once it is free; without it (overtime) when the turn has not moved for
        :attr:`patience` seconds while work waits; (None, False) when the pool stops."""
        with self._lock:
            stalled: tuple[int, float] | None = None  # (progress seen, since when)
            while True:
                if self._work and not self._taken:
                    self._taken = True
                    self._progress += 1
                    return self._work.popleft(), True
                if self._work and self._sharing:
                    return self._work.popleft(), False
                if self._stopping and not self._work:
                    return None, False
                timeout = None
                if self._work:
                    now = time.monotonic()
                    if stalled is None or stalled[0] != self._progress:
                        stalled = (self._progress, now)
                    elif now - stalled[1] >= self.patience:
                        self._overtime()
                        return self._work.popleft(), False
                    timeout = self.patience - (now - stalled[1])
                watching = timeout is not None
                self._idle += 1
                self._watching += watching
                self._work_ready.wait(timeout)
                self._watching -= watching
                self._idle -= 1

    def _next_or_pass(self) -> Callable[[], None] | None:
        """After a call: the next queued call when this thread still holds the turn and no
        waiting request is older; otherwise the turn is passed on and None answered."""
        if _held.__dict__.pop("pool", None) is not self:
            return None  # ran in overtime: there is no turn to pass
        with self._lock:
            self._progress += 1
            if not self._returning and self._work:
                _held.pool = self
                return self._work.popleft()
            self._pass_on()
        return None

    def _pass_on(self) -> None:
        """Hand the turn to the request that has waited longest for it, else to an idle
        thread for queued work, else leave it free. Called with ``_lock`` held."""
        self._progress += 1
        if self._returning:
            self._returning.popleft().release()  # ``_taken`` stays: it is theirs now
            return
        self._taken = False
        if self._work and self._idle:
            self._work_ready.notify()

    def _take_back(self) -> None:
        """Take the turn again after a wait: at once when it is free, else after the requests
        already waiting, else in overtime once the turn has not moved for :attr:`patience`
        seconds."""
        with self._lock:
            if not self._taken:
                self._taken = True
                self._progress += 1
                _held.pool = self
                return
            if self._sharing:
                return  # shared(): run beside the others, under the GIL alone
            gate = threading.Lock()
            gate.acquire()
            self._returning.append(gate)
            seen = self._progress
        while not gate.acquire(timeout=self.patience):
            with self._lock:
                if self._progress != seen:
                    seen = self._progress  # the turn moves: wait on, in order
                    continue
                try:
                    self._returning.remove(gate)
                except ValueError:
                    break  # handed over just now: it is ours after all
                self._overtime()
                return
        _held.pool = self

    def _overtime(self) -> None:
        """Count and log a call that runs without the turn. Called with ``_lock`` held."""
        self.overtime += 1
        log.warning(
            "verifier: the CPU turn has not moved for %.2f s (a long step, or a wait outside"
            " verifier.cpu_turn.released); a request runs without it",
            self.patience,
        )

    def _let_go(self) -> None:
        _held.__dict__.pop("pool", None)
        with self._lock:
            self._pass_on()

    def _share(self, more: int) -> None:
        with self._lock:
            self._sharing += more
            if self._sharing:
                self._work_ready.notify_all()  # queued calls need not wait for the turn now


@contextlib.contextmanager
def released() -> Iterator[None]:
    """Run the block without the calling thread's turn (see the module): around anything that
    waits — for a socket, the network, a slot, another thread. The turn is taken back
    afterwards. In :func:`shared` work, the wait does not count as sharing: the others go back
    to taking turns meanwhile, unless other long work runs. A no-op in a thread outside a pool."""
    pool: TurnPool | None = getattr(_held, "pool", None)
    if pool is not None:
        pool._let_go()
        try:
            yield
        finally:
            pool._take_back()
        return
    sharing: int = getattr(_held, "sharing", 0)
    member: TurnPool | None = getattr(_held, "member", None)
    if not sharing or member is None:
        yield
        return
    member._share(-sharing)
    try:
        yield
    finally:
        member._share(sharing)


@contextlib.contextmanager
def shared() -> Iterator[None]:
    """Run the block without the turn, and meanwhile let every request of the process run
    without it too, side by side under the GIL: for long work (a heavy document, a large
    body), which then takes one share of the CPU among the requests running, as it would
    without turns, rather than half of it against all of them together. Holds also for a call
    already running without the turn (started while another shared). A no-op outside a pool's
    threads."""
    pool: TurnPool | None = getattr(_held, "member", None)
    if pool is None:
        yield
        return
    holding = pool.holds_turn()
    if holding:
        pool._let_go()
    pool._share(1)
    _held.sharing = getattr(_held, "sharing", 0) + 1
    try:
        yield
    finally:
        _held.sharing -= 1
        pool._share(-1)
        if holding:
            pool._take_back()
