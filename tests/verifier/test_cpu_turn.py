"""verifier.cpu_turn: one call's Python at a time, in order, the turn given up while waiting,
and no deadlock when something waits holding it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from verifier.app import LargeBodiesShared
from verifier.cpu_turn import TurnPool, released, shared
from verifier.fetch.cache import CacheEntry, RedisCache
from verifier.gunicorn_worker import TurnSocket
from verifier.limits import HEAVY_BYTES, HeavyLane

WAIT = 10.0  # seconds any step of these tests may take before it counts as stuck


@pytest.fixture
def pool() -> Iterator[TurnPool]:
    made = TurnPool(8, patience=WAIT)  # no overtime unless a test asks for it
    yield made
    made.shutdown(wait=False)


class Running:
    """Counts the calls running Python at once (outside ``released``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *_: object) -> None:
        with self.lock:
            self.now -= 1


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_calls_run_one_at_a_time_in_the_order_submitted(pool: TurnPool) -> None:
    running, started = Running(), []

    def call(number: int) -> int:
        with running:
            started.append(number)
            busy(0.002)  # long enough for a thread switch (5 ms slices) to interleave calls
        return number * 2

    futures = [pool.submit(call, n) for n in range(40)]
    assert [f.result(WAIT) for f in futures] == [n * 2 for n in range(40)]
    assert started == list(range(40))
    assert running.most == 1
    assert pool.overtime == 0


def test_a_waiting_call_lets_the_next_one_run(pool: TurnPool) -> None:
    answered = threading.Event()
    order: list[str] = []

    def waits() -> bool:
        assert pool.holds_turn()
        with released():
            assert not pool.holds_turn()
            got = answered.wait(WAIT)  # set by the call submitted after this one
        assert pool.holds_turn()
        order.append("waited")
        return got

    def answers() -> None:
        order.append("answers")
        answered.set()

    first, second = pool.submit(waits), pool.submit(answers)
    assert first.result(WAIT) is True
    second.result(WAIT)
    assert order == ["answers", "waited"]
    assert pool.overtime == 0


def test_a_call_back_from_waiting_goes_before_calls_not_started(pool: TurnPool) -> None:
    back = threading.Event()
    order: list[str] = []
    gate = threading.Event()

    def waits() -> None:
        with released():
            back.wait(WAIT)
        order.append("back")

    def frees_it() -> None:
        back.set()
        time.sleep(0.05)  # the waiting call is back and queued for the turn by now
        order.append("freed")

    def later() -> None:
        order.append("later")

    gate_holder = pool.submit(gate.wait, WAIT)  # holds the turn until the rest is queued
    futures = [pool.submit(waits), pool.submit(frees_it), pool.submit(later)]
    gate.set()
    gate_holder.result(WAIT)
    for future in futures:
        future.result(WAIT)
    assert order == ["freed", "back", "later"]


def test_a_call_blocked_holding_the_turn_costs_the_others_only_the_patience() -> None:
    pool = TurnPool(4, patience=0.05)
    try:
        unblocked = threading.Event()
        holder = pool.submit(unblocked.wait, WAIT)  # waits without released(): a mistake
        time.sleep(0.02)
        rescuer = pool.submit(unblocked.set)  # runs in overtime, not never
        assert rescuer.result(WAIT) is None
        assert holder.result(WAIT) is True
        assert pool.overtime == 1
    finally:
        pool.shutdown(wait=False)


def test_a_call_back_from_waiting_runs_in_overtime_rather_than_deadlock() -> None:
    pool = TurnPool(4, patience=0.05)
    try:
        go, done = threading.Event(), threading.Event()

        def comes_back() -> None:
            with released():
                go.wait(WAIT)
            done.set()  # the turn is held by a call waiting for this: only overtime gets here

        def blocks_holding_the_turn() -> bool:
            go.set()
            return done.wait(WAIT)

        first = pool.submit(comes_back)
        time.sleep(0.02)
        second = pool.submit(blocks_holding_the_turn)
        assert second.result(WAIT) is True
        first.result(WAIT)
        assert pool.overtime == 1
    finally:
        pool.shutdown(wait=False)


def test_a_long_queue_that_moves_is_waited_for_in_order() -> None:
    """Six calls back from one wait queue for the turn; the last waits five others' 30 ms, more
    than the patience, but the turn moves all along: no overtime, and one call at a time."""
    pool = TurnPool(8, patience=0.05)
    try:
        running, back = Running(), threading.Event()

        def comes_back() -> None:
            with released():
                back.wait(WAIT)
            with running:
                busy(0.03)

        futures = [pool.submit(comes_back) for _ in range(6)]
        time.sleep(0.05)  # all six are waiting, without the turn
        back.set()
        for future in futures:
            future.result(WAIT)
        assert running.most == 1
        assert pool.overtime == 0
    finally:
        pool.shutdown(wait=False)


def test_errors_reach_the_future_and_the_pool_goes_on(pool: TurnPool) -> None:
    def fails() -> None:
        raise ValueError("no")

    failed = pool.submit(fails)
    with pytest.raises(ValueError, match="no"):
        failed.result(WAIT)
    assert pool.submit(lambda: 7).result(WAIT) == 7


def test_no_call_is_taken_after_shutdown() -> None:
    pool = TurnPool(2)
    queued = pool.submit(time.sleep, 0.01)
    pool.shutdown(wait=True)
    assert queued.done()
    with pytest.raises(RuntimeError):
        pool.submit(print)


def test_released_is_a_no_op_without_a_turn() -> None:
    with released():
        pass  # the CLI, tests and the development server hold no turn
    with pytest.raises(ValueError):
        TurnPool(0)


def test_a_socket_with_no_room_sends_without_the_turn(pool: TurnPool) -> None:
    """``TurnSocket.sendall`` to a reader that reads nothing yet: the rest is sent without the
    turn, so the next call runs meanwhile (and is the one that starts reading)."""
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    payload = b"x" * (4 * 1024 * 1024)
    received = bytearray()

    def reader() -> None:
        while len(received) < len(payload):
            received.extend(theirs.recv(65536))

    def sends() -> None:
        TurnSocket(ours).sendall(payload)
    reading = threading.Thread(target=reader, daemon=True)
    try:
        sent = pool.submit(sends)
        pool.submit(reading.start).result(WAIT)
        sent.result(WAIT)
        reading.join(WAIT)  # sent means in the kernel's buffers; read means all of it arrived
        assert bytes(received) == payload
        assert pool.overtime == 0
    finally:
        ours.close()
        theirs.close()


def test_a_socket_with_nothing_to_read_waits_without_the_turn(pool: TurnPool) -> None:
    ours, theirs = socket.socketpair()
    try:
        read = pool.submit(lambda: TurnSocket(ours).recv(5))
        pool.submit(theirs.sendall, b"hello").result(WAIT)
        assert read.result(WAIT) == b"hello"
        assert pool.overtime == 0
    finally:
        ours.close()
        theirs.close()


class HeldRedis:
    """A Redis client whose answers wait for :attr:`answer`: a round trip that takes its time."""

    def __init__(self) -> None:
        self.answer = threading.Event()

    def register_script(self, _script: str) -> Callable[..., bytes | None]:
        def run(**_: object) -> bytes | None:
            self.answer.wait(WAIT)
            return None

        return run

    def hget(self, _key: str, _field: str) -> bytes | None:
        self.answer.wait(WAIT)
        return None


@pytest.mark.parametrize("operation", ["get", "put"])
def test_a_redis_round_trip_waits_without_the_turn(pool: TurnPool, operation: str) -> None:
    redis = HeldRedis()
    cache = RedisCache("redis://127.0.0.1:1/0", client=redis)
    entry = CacheEntry(url="https://x.example/", body=b"{}", fetched_at=1.0, max_age=10.0)
    asking = pool.submit(
        (lambda: cache.get("k")) if operation == "get" else (lambda: cache.put("k", entry))
    )
    pool.submit(redis.answer.set).result(WAIT)  # runs while the round trip waits
    asking.result(WAIT)
    assert pool.overtime == 0


def test_while_one_call_shares_the_turn_the_others_run_side_by_side(pool: TurnPool) -> None:
    """Inside ``shared()`` (a heavy document) every call runs without the turn: two calls that
    each wait for the other to start both get through, which one turn at a time never lets."""
    sharing, over = threading.Event(), threading.Event()
    first_in, second_in = threading.Event(), threading.Event()

    def long_work() -> bool:
        with shared():
            assert not pool.holds_turn()
            sharing.set()
            return over.wait(WAIT)

    def meets(mine: threading.Event, theirs: threading.Event) -> bool:
        mine.set()
        return theirs.wait(WAIT)

    heavy = pool.submit(long_work)
    assert sharing.wait(WAIT)
    one = pool.submit(meets, first_in, second_in)
    two = pool.submit(meets, second_in, first_in)
    assert one.result(WAIT) and two.result(WAIT)
    over.set()
    assert heavy.result(WAIT)
    running = Running()

    def counted() -> None:
        with running:
            busy(0.002)

    for future in [pool.submit(counted) for _ in range(10)]:  # one at a time again
        future.result(WAIT)
    assert running.most == 1
    assert pool.overtime == 0


def test_sharing_lasts_while_any_long_work_runs(pool: TurnPool) -> None:
    """Two long calls overlap, the second started without the turn (while the first shared):
    when the first ends, the others still run side by side until the second ends too."""
    first_on, second_on = threading.Event(), threading.Event()
    first_over, second_over = threading.Event(), threading.Event()

    def long_work(on: threading.Event, over: threading.Event) -> bool:
        with shared():
            on.set()
            return over.wait(WAIT)

    first = pool.submit(long_work, first_on, first_over)
    assert first_on.wait(WAIT)
    second = pool.submit(long_work, second_on, second_over)
    assert second_on.wait(WAIT)
    first_over.set()
    assert first.result(WAIT)
    met = [threading.Event(), threading.Event()]

    def meets(mine: int) -> bool:
        met[mine].set()
        return met[1 - mine].wait(WAIT)

    one, two = pool.submit(meets, 0), pool.submit(meets, 1)
    assert one.result(WAIT) and two.result(WAIT)  # side by side: the second still shares
    second_over.set()
    assert second.result(WAIT)
    assert pool.overtime == 0


def test_long_work_waiting_does_not_count_as_sharing(pool: TurnPool) -> None:
    """A large body dripping in (shared work waiting on its socket) leaves the others taking
    turns: one at a time while it waits."""
    waiting, arrived = threading.Event(), threading.Event()

    def slow_upload() -> bool:
        with shared(), released():
            waiting.set()
            return arrived.wait(WAIT)

    upload = pool.submit(slow_upload)
    assert waiting.wait(WAIT)
    running = Running()

    def counted() -> None:
        with running:
            busy(0.002)

    for future in [pool.submit(counted) for _ in range(10)]:
        future.result(WAIT)
    assert running.most == 1
    arrived.set()
    assert upload.result(WAIT)


def test_a_heavy_document_runs_and_waits_without_the_turn(pool: TurnPool) -> None:
    lane, go = HeavyLane(), threading.Event()

    def heavy() -> bool:
        with lane.turn({}, HEAVY_BYTES + 1):
            assert not pool.holds_turn()
            return go.wait(WAIT)

    def ordinary() -> bool:
        with lane.turn({}, 10):
            assert pool.holds_turn()
        go.set()
        return True

    first = pool.submit(heavy)
    assert pool.submit(ordinary).result(WAIT)
    assert first.result(WAIT)
    assert pool.overtime == 0


@pytest.mark.parametrize(
    ("headers", "with_turn"),
    [
        ({"CONTENT_LENGTH": "12783"}, True),  # the reference credential
        ({"CONTENT_LENGTH": str(113_237)}, True),  # the EU sample
        ({}, True),  # a GET
        ({"CONTENT_LENGTH": str(HEAVY_BYTES + 1)}, False),
        ({"HTTP_TRANSFER_ENCODING": "chunked"}, False),  # its length is not known
    ],
)
def test_a_large_or_unknown_body_is_answered_in_shared_time(
    pool: TurnPool, headers: dict[str, str], with_turn: bool
) -> None:
    seen: list[bool] = []

    def app(environ: dict[str, str], start_response: object) -> list[bytes]:
        seen.append(pool.holds_turn())
        return [b""]

    middleware = LargeBodiesShared(app)  # type: ignore[arg-type]
    pool.submit(middleware, {"REQUEST_METHOD": "POST", **headers}, None).result(WAIT)
    assert seen == [with_turn]
