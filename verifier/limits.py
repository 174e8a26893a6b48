"""What the verifier accepts and how long it may work on it: every input is answered within a
bounded time, with a clear refusal where it must refuse.

Four layers, cheapest first, each with a stable code:

1. **Reading** (every door: JSON bodies, pasted and uploaded files, fetched credentials,
   ``microcred verify FILE``, a JAdES seal's payload): :func:`read_document` reads the text with
   :func:`schemas.json_text.load_json` — size first (:attr:`Limits.max_bytes`, ``too_large``,
   HTTP 413), then a scan before parsing for nesting (``too_deep``) and the number of JSON
   values (``too_many_nodes``, 413), then parsing (``not_json``, ``not_utf8``, ``empty``,
   ``invalid_input`` for lone surrogates and NUL).
2. **Structure** (:func:`check_structure`, run by ``verify_credential`` on every document, however
   it arrived): JSON values, the longest string or member name (:attr:`Limits.max_string`: an
   embedded image as a ``data:`` URI fits, a document-sized blob does not), the number of
   proofs and of status entries. A document beyond them is a ``format`` error with that code
   and nothing else is checked. A document read by :func:`read_bounded` comes with what its
   text proves (:class:`schemas.json_text.TextBounds`: at most so many values, no string longer
   than the text); where that proves the values and strings within the limits, they are not
   walked again (the answer is the same, tested so).
3. **Canonicalization** (``schemas.rdfc``): the RDF of a document is refused (``too_large``)
   above :data:`schemas.rdfc.MAX_QUADS` quads or :data:`schemas.rdfc.MAX_NQUADS_BYTES` bytes,
   before it is written out, and pyld's duplicate checks are indexed
   (:mod:`schemas.pyld_index`), so JSON-LD work grows linearly with the values allowed by 2.
4. **Time** (:class:`Budget`): a wall-clock budget for one verification
   (``MICROCRED_VERIFY_BUDGET``, default :data:`DEFAULT_BUDGET` seconds), checked between
   checks, between proofs and between status lists. Once spent, what is left is ``unchecked``
   with the code ``time_budget_exceeded``: a seal not finished is not shown to be genuine, so
   the verdict is ``not_verified``; a genuine seal with later checks left open is
   ``unconfirmed`` (never ``verified``: unchecked never counts as passed).

Layers 1 to 3 bound the work of any single step; 4 bounds how many steps run. What a step may
wait for on the network is bounded by the guarded fetcher's deadline (``verifier.fetch.client``,
``MICROCRED_FETCH_DEADLINE``, default 10 s a fetch): the worst case of one verification is the
budget plus one such step.

A web verifier also keeps large documents from crowding out the rest (:class:`HeavyLane`):
documents over :data:`HEAVY_BYTES` bytes or :data:`HEAVY_VALUES` JSON values (a credential
with a hundred learning outcomes is neither; the values are counted only when the text's bounds
do not already say there are few enough) are verified one at a time per process; the others
wait for their turn up to :data:`HEAVY_WAIT` seconds, then get ``busy`` (503). Ordinary
credentials never wait, and the CPU one process spends on large ones at any moment is that of
one verification.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from schemas.json_text import JsonInputError, TextBounds, read_json
from schemas.value_walk import count_values, first_past
from verifier.cpu_turn import shared

DEFAULT_BUDGET: Final = 5.0
BUDGET_EXCEEDED: Final = "time_budget_exceeded"
HEAVY_BYTES: Final = 128 * 1024
HEAVY_VALUES: Final = 2_000
HEAVY_WAIT: Final = 10.0


@dataclass(frozen=True)
class Limits:
    """The bounds a verifier applies (the defaults are the deployed ones)."""

    #: Bytes of JSON text (a credential with logos is ~150 KB).
    max_bytes: int = 2 * 1024 * 1024
    #: Nesting the reader accepts; JSON-LD itself stops at 64 (a ``format`` error between).
    max_depth: int = 256
    #: JSON values (objects, arrays, strings, numbers, booleans, nulls) in one document: the
    #: reference micro-credential with 1,000 learning outcomes has 11,210.
    max_nodes: int = 20_000
    #: Characters in one string or member name (an image as a ``data:`` URI: the EU's own
    #: sample embeds one of 42 KB).
    max_string: int = 1024 * 1024
    #: Proofs in one proof set (one per awarding body of a joint award).
    max_proofs: int = 32
    #: ``credentialStatus`` entries (revocation and suspension are two).
    max_status_entries: int = 8


LIMITS: Final = Limits()


class LimitExceeded(ValueError):
    """A document beyond the verifier's limits; ``code`` is stable, ``status`` the HTTP status
    an edge maps it to, ``message`` says what was found and what is allowed."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def read_document(data: bytes | str, limits: Limits = LIMITS) -> Any:
    """The JSON value in ``data``, read with bounded work (layer 1); :class:`LimitExceeded`
    with the reader's code otherwise (``too_large``/``too_many_nodes`` with status 413)."""
    return read_bounded(data, limits)[0]


def read_bounded(data: bytes | str, limits: Limits = LIMITS) -> tuple[Any, TextBounds]:
    """What :func:`read_document` reads (the same value, the same refusals), with what its
    text bounds about it, for :func:`check_structure` and :meth:`HeavyLane.turn`."""
    try:
        return read_json(
            data, max_bytes=limits.max_bytes, max_depth=limits.max_depth, max_nodes=limits.max_nodes
        )
    except JsonInputError as error:
        raise LimitExceeded(error.code, error.message, error.status) from None


class Busy(Exception):
    """No turn in the heavy lane within its wait (``code`` ``busy``, HTTP 503)."""

    code = "busy"
    status = 503
    message = "The verifier is busy with large credentials; try again in a moment."


class HeavyLane:
    """One large verification at a time per process (see the module)."""

    def __init__(self, slots: int = 1, wait: float = HEAVY_WAIT) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self.wait = wait

    @staticmethod
    def is_heavy(document: Any, size: int, bounds: TextBounds | None = None) -> bool:
        """Whether a document of ``size`` bytes takes the heavy lane; ``bounds``, when given,
        must be those of the text ``document`` was read from (or of a text holding it)."""
        if size > HEAVY_BYTES:
            return True
        if bounds is not None and bounds.values <= HEAVY_VALUES:
            return False  # it holds no more values than its text
        return count_values(document, HEAVY_VALUES) > HEAVY_VALUES

    @contextlib.contextmanager
    def turn(
        self, document: Any, size: int, bounds: TextBounds | None = None
    ) -> Iterator[None]:
        """Run the block at once for an ordinary document; for a heavy one, in its turn, or
        raise :class:`Busy` after :attr:`wait` seconds (``bounds`` as for :meth:`is_heavy`)."""
        if not self.is_heavy(document, size, bounds):
            yield
            return
        with shared():  # a heavy one takes its share of the CPU beside the others, no more
            if not self._slots.acquire(timeout=self.wait):
                raise Busy(Busy.message)
            try:
                yield
            finally:
                self._slots.release()


def check_structure(
    document: Any, limits: Limits = LIMITS, bounds: TextBounds | None = None
) -> None:
    """Raise :class:`LimitExceeded` when ``document`` (parsed JSON) has more values, a longer
    string or member name, more proofs or more status entries than ``limits`` allow (layer 2).
    Iterative and linear, stopping at the first value past the limit. ``bounds``, when given,
    must be those of the text ``document`` was read from (or of a text holding it): when they
    prove the values and strings within the limits, those are not walked."""
    if (
        bounds is None
        or bounds.values > limits.max_nodes
        or bounds.chars > limits.max_string
    ):
        _check_values(document, limits)
    if isinstance(document, Mapping):
        _check_count(document.get("proof"), limits.max_proofs, "too_many_proofs", "proofs")
        _check_count(
            document.get("credentialStatus"),
            limits.max_status_entries,
            "too_many_status_entries",
            "status entries",
        )


def _check_values(document: Any, limits: Limits) -> None:
    """:class:`LimitExceeded` at the first value past :attr:`Limits.max_nodes` or string or
    member name longer than :attr:`Limits.max_string` (one walk: :func:`schemas.value_walk.
    first_past`)."""
    past = first_past(document, limits.max_nodes, limits.max_string)
    if past is None:
        return
    what, size = past
    if what == "values":
        raise LimitExceeded(
            "too_many_nodes",
            f"The document holds more than {limits.max_nodes:,} JSON values; this verifier "
            "checks documents up to that size.",
            413,
        )
    raise LimitExceeded(
        "string_too_long",
        f"A string in the document is {size:,} characters long; this verifier accepts "
        f"strings (embedded images included) up to {limits.max_string:,}.",
        413,
    )


def _check_count(value: Any, limit: int, code: str, what: str) -> None:
    count = len(value) if isinstance(value, list) else 0 if value is None else 1
    if count > limit:
        raise LimitExceeded(
            code, f"The document carries {count} {what}; this verifier checks at most {limit}."
        )


class Budget:
    """A wall-clock budget for one verification (monotonic clock)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.deadline = clock() + seconds

    def spent(self) -> bool:
        """True once the budget is used up."""
        return self._clock() >= self.deadline

    def message(self) -> str:
        """Why a check was left unchecked."""
        return (
            f"Not checked: the verification used up its time budget of {self.seconds:g} s "
            "(MICROCRED_VERIFY_BUDGET) before reaching this check."
        )


def budget_setting(raw: str | None) -> float:
    """``MICROCRED_VERIFY_BUDGET`` as seconds (default :data:`DEFAULT_BUDGET`); ValueError for
    anything that is not a positive number of at most 600 seconds."""
    if raw is None or not raw.strip():
        return DEFAULT_BUDGET
    seconds = float(raw)
    if not 0 < seconds <= 600:
        raise ValueError("MICROCRED_VERIFY_BUDGET must be a number of seconds in (0, 600]")
    return seconds
