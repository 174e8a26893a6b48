"""SQLite's writers queue on a lock file instead of polling the database's lock (issue #15).

SQLite lets one transaction write at a time. A writer that finds the database locked waits in
SQLite's busy handler, which sleeps and looks again, in steps growing to 100 ms: under load
the lock is free most of the time the waiters sleep, issuance crawls and the slowest answers
take a second. Here every connection to a SQLite file takes an exclusive ``flock`` on a file
beside it (``<database>-writers``) just before its transaction's first write and gives it
back when the transaction ends (commit, rollback, close): a writer of this process waits on a
lock and wakes the moment the previous one is done; a writer of another process (the web
workers, the queue worker, the command line) tries the file again within 2 ms.

The lock file only orders writers; SQLite's own lock still decides, so a program that does
not take it (the ``sqlite3`` shell) is waited for as before (the busy timeout). The threads of
one process queue first on a process lock, which gives up after the busy timeout with
``sqlite3.OperationalError("database is locked")`` as SQLite does; only the thread at its head
waits on the lock file, and it too gives up after the busy timeout.

Which statements write is the driver's rule (Python's ``sqlite3``, legacy transaction
control): it opens a transaction before ``INSERT``, ``UPDATE``, ``DELETE`` and ``REPLACE``;
``BEGIN IMMEDIATE`` / ``BEGIN EXCLUSIVE`` (sent by :mod:`issuer.db` and the audit chain) take
the write lock at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import threading
import time
import weakref
from typing import Any

#: The longest pause between two tries of another process's lock file (seconds).
MAX_PAUSE = 0.002
#: The suffix of the lock file beside the database (SQLite's own are ``-wal`` and ``-shm``).
SUFFIX = "-writers"
# What opens a write transaction: the driver's implicit BEGIN, or an explicit write BEGIN,
# after any leading blanks and comments.
_WRITES = re.compile(
    r"(?:\s|--[^\n]*\n|/\*.*?\*/)*(?:INSERT|UPDATE|DELETE|REPLACE|BEGIN\s+(?:IMMEDIATE|EXCLUSIVE))\b",
    re.IGNORECASE | re.DOTALL,
)
_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(path: str) -> threading.Lock:
    """The lock this process's connections to ``path`` queue on before the lock file."""
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(path, threading.Lock())


def opens_write(statement: str) -> bool:
    """True when ``statement`` starts a write transaction if none is open (see the module)."""
    return _WRITES.match(statement) is not None


def _lock_file(descriptor: int, deadline: float) -> None:
    """Take the lock file, waiting until ``deadline`` (``time.monotonic``) at most, then
    ``sqlite3.OperationalError("database is locked")`` as SQLite's busy timeout does: a process
    stuck in a transaction holds no other process's thread for longer than the busy timeout.
    Tried again after 0.25 ms, doubling to 2 ms at most (SQLite's own handler reaches 100 ms)."""
    pause = 0.00025
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError("database is locked") from None
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)


class QueuedWriters(sqlite3.Connection):
    """A ``sqlite3`` connection whose write transactions hold the lock file (see the module):
    the ``factory`` of ``sqlite3.connect``. A database that is not a plain file (``:memory:``,
    a ``file:`` URI) or whose folder takes no lock file is used without the queue."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._writers_fd: int | None = None
        self._writing = False
        self._wait = float(kwargs.get("timeout", args[0] if args else 5.0))
        path = os.fsdecode(database)
        if path and path != ":memory:" and not path.startswith("file:"):
            with contextlib.suppress(OSError):
                self._writers_fd = os.open(path + SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
                weakref.finalize(self, os.close, self._writers_fd)
                self._process = _process_lock(os.path.realpath(path))

    def _before(self, statement: str) -> None:
        """Take the write locks if ``statement`` opens a write transaction."""
        if self._writers_fd is None or self._writing or self.in_transaction:
            return
        if not opens_write(statement):
            return
        deadline = time.monotonic() + self._wait
        if not self._process.acquire(timeout=self._wait):
            raise sqlite3.OperationalError("database is locked")
        try:
            _lock_file(self._writers_fd, deadline)
        except BaseException:
            self._process.release()
            raise
        self._writing = True

    def _after(self) -> None:
        """Give the write locks back once no transaction is open."""
        if self._writing and not self.in_transaction:
            self._give_back()

    def _give_back(self) -> None:
        """Let the next writer in: this process's first (it queues on the lock file while this
        thread releases it), then the other processes'. Giving up the lock file releases the
        GIL, and taking it back can wait for another thread's turn: the process lock is not
        held through that wait."""
        self._writing = False
        self._process.release()
        fcntl.flock(self._writers_fd, fcntl.LOCK_UN)  # type: ignore[arg-type]

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        """A cursor whose statements go through the queue."""
        return super().cursor(factory or QueuedCursor)

    def execute(self, sql: str, *parameters: Any) -> sqlite3.Cursor:  # type: ignore[override]
        """``sqlite3.Connection.execute`` through the queue."""
        self._before(sql)
        try:
            return super().execute(sql, *parameters)
        finally:
            self._after()

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self._after()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._after()

    def close(self) -> None:
        """Close (which ends any transaction), then let the next writer in."""
        try:
            super().close()
        finally:
            if self._writing:
                self._give_back()


class QueuedCursor(sqlite3.Cursor):
    """A cursor of :class:`QueuedWriters`: its statements take the write locks as needed."""

    connection: QueuedWriters

    def execute(self, sql: str, *parameters: Any) -> sqlite3.Cursor:  # type: ignore[override]
        """``sqlite3.Cursor.execute`` through the queue."""
        self.connection._before(sql)
        try:
            return super().execute(sql, *parameters)
        finally:
            self.connection._after()

    def executemany(self, sql: str, *parameters: Any) -> sqlite3.Cursor:  # type: ignore[override]
        """``sqlite3.Cursor.executemany`` through the queue."""
        self.connection._before(sql)
        try:
            return super().executemany(sql, *parameters)
        finally:
            self.connection._after()
