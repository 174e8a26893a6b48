"""SQLite's writers queue on a lock file (issuer.sqlite_writers): a writer of another process
waits for the transaction before it to end, instead of SQLite's busy handler; the lock is given
back at commit, rollback and close; readers never queue; threads of one process give up after
the busy timeout as SQLite does."""

from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from issuer.sqlite_writers import SUFFIX, QueuedWriters, opens_write

# Another process writes one row: it waits its turn in the queue (at most its busy timeout,
# then "database is locked"), and writes once the transaction before it has ended.
WRITER = """
import sqlite3, sys
from issuer.sqlite_writers import QueuedWriters
db = sqlite3.connect(sys.argv[1], timeout=10, factory=QueuedWriters, isolation_level="IMMEDIATE")
print("ready", flush=True)
sys.stdin.readline()
db.execute("INSERT INTO t (v) VALUES ('other')")
db.commit()
print("done", flush=True)
"""


def _connect(path: Path, timeout: float = 30) -> QueuedWriters:
    connection = sqlite3.connect(
        path,
        timeout=timeout,
        factory=QueuedWriters,
        isolation_level="IMMEDIATE",
        check_same_thread=False,
    )
    assert isinstance(connection, QueuedWriters)
    return connection


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "queue.sqlite3"
    connection = _connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    connection.commit()
    connection.close()
    return path


def _other_writer(path: Path) -> subprocess.Popen[str]:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def _values(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT v FROM t ORDER BY id")]


@pytest.mark.parametrize("end", ["commit", "rollback", "close", "failed statement"])
def test_another_process_writes_when_the_transaction_before_it_ends(database, end):
    mine = _connect(database)
    mine.execute("INSERT INTO t (v) VALUES ('mine')")  # holds the write lock from here
    other = _other_writer(database)
    assert other.stdin is not None and other.stdout is not None
    other.stdin.write("go\n")
    other.stdin.flush()
    if end == "failed statement":  # the transaction stays open: the lock is held to its end
        with pytest.raises(sqlite3.IntegrityError):
            mine.execute("INSERT INTO t (v) VALUES ('mine')")
        end = "commit"
    try:
        assert other.poll() is None  # waiting its turn, not failed
        getattr(mine, end)()
        out, _ = other.communicate(timeout=30)
        assert (out.strip(), other.returncode) == ("done", 0)
    finally:
        other.kill()
        other.communicate()
        mine.close()
    expected = {"commit": ["mine", "other"], "rollback": ["other"], "close": ["other"]}
    assert _values(database) == expected[end]


def test_reading_does_not_queue(database):
    writer = _connect(database)
    writer.execute("INSERT INTO t (v) VALUES ('pending')")
    reader = _connect(database, timeout=0)
    try:
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
        assert not reader.in_transaction
    finally:
        writer.rollback()
        writer.close()
        reader.close()


def test_a_thread_gives_up_after_the_busy_timeout(database):
    holder = _connect(database)
    holder.execute("BEGIN IMMEDIATE")
    waiter = _connect(database, timeout=0.05)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            waiter.execute("INSERT INTO t (v) VALUES ('late')")
        except sqlite3.OperationalError as error:
            failures.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(30)
    holder.rollback()
    assert [str(error) for error in failures] == ["database is locked"]
    waiter.execute("INSERT INTO t (v) VALUES ('next')")  # the queue is free again
    waiter.commit()
    holder.close()
    waiter.close()
    assert _values(database) == ["next"]


def test_a_writer_gives_up_when_another_process_holds_the_queue_past_the_busy_timeout(database):
    """Another process stuck inside a write transaction holds no thread of this one forever:
    the lock file is waited for no longer than the busy timeout, as SQLite's own lock."""
    with open(str(database) + SUFFIX, "a+b") as stuck:  # another open file: another holder
        fcntl.flock(stuck.fileno(), fcntl.LOCK_EX)
        waiter = _connect(database, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            waiter.execute("INSERT INTO t (v) VALUES ('late')")
        assert 0.2 <= time.monotonic() - started < 10
        fcntl.flock(stuck.fileno(), fcntl.LOCK_UN)
    waiter.execute("INSERT INTO t (v) VALUES ('next')")  # nothing left held
    waiter.commit()
    waiter.close()
    assert _values(database) == ["next"]


def test_a_lock_file_beside_the_database_only(tmp_path):
    path = tmp_path / "file.sqlite3"
    _connect(path).close()
    assert (tmp_path / f"file.sqlite3{SUFFIX}").exists()
    memory = _connect(Path(":memory:"))
    memory.execute("CREATE TABLE t (v TEXT)")
    memory.execute("INSERT INTO t VALUES ('x')")  # no lock file, no queue
    memory.commit()
    memory.close()


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("INSERT INTO t VALUES (1)", True),
        ("  update t SET v = 1", True),
        ("-- note\nDELETE FROM t", True),
        ("/* x */ REPLACE INTO t VALUES (1)", True),
        ("BEGIN IMMEDIATE", True),
        ("begin exclusive", True),
        ("BEGIN", False),
        ("SELECT * FROM t", False),
        ("PRAGMA foreign_keys=ON", False),
        ("INSERTED", False),
    ],
)
def test_which_statements_open_a_write(statement, writes):
    assert opens_write(statement) is writes
