"""Running a test's work in several threads at once (races against the database)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def run_together(
    work: Callable[[T], None], arguments: Sequence[T], *, timeout: float = 120
) -> None:
    """Run ``work(argument)`` in a thread per argument, all released at once; return when every
    thread has ended, raising the first exception one of them raised (an ``AssertionError`` if
    one is still running after ``timeout`` seconds)."""
    barrier = threading.Barrier(len(arguments))
    errors: list[BaseException] = []

    def run(argument: T) -> None:
        try:
            barrier.wait(timeout=30)
            work(argument)
        except BaseException as error:  # raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    if errors:
        raise errors[0]
