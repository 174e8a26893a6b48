"""Helpers for running ``microcred issuer …`` in tests: the result of a command, reading its
``key: value`` lines, issuing with it, and a bulk CSV with bad rows. The fixtures that run it
(``env``, ``cli``, ``partnership``) are in tests/issuer/conftest.py.

Shared by tests/issuer/test_cli.py and tests/integration/test_cli_round_trip.py; imports no
verifier."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from demo.partnership import DEMO_SPECIFICATION

SPEC = DEMO_SPECIFICATION["slug"]

#: ``cli(*args, code=0, **env_overrides)``: the ``cli`` fixture.
Run = Callable[..., Result]


def lines(result: Result) -> dict[str, str]:
    """``key: value`` lines of stdout as a dict."""
    found = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            found[key] = value
    return found


def issue(cli: Run, reference: str = "s-1", *extra: str) -> dict[str, str]:
    """``microcred issuer issue`` in partnership ``p`` (the ``partnership`` fixture) by ``uni``,
    to learner ``reference``; the ``key: value`` lines it printed."""
    result = cli(
        "issue",
        "p",
        "--organisation",
        "uni",
        "--specification",
        SPEC,
        "--reference",
        reference,
        "--given-name",
        "Ana",
        "--family-name",
        "Berg",
        *extra,
    )
    return lines(result)


BAD_ROWS = {  # line → (row, error code)
    5: ("r-5,,Jensen,r5@example.org,", "invalid_learner"),  # no given name
    9: ("r-9,Eva,Holm,not-an-email,", "invalid_learner"),
    14: ("r-3,Per,Dahl,,", "duplicate_learner"),  # r-3 is on line 4 already
    20: ("r-20,Ida,Kro,,1999-02-31", "invalid_learner"),  # no such date
    27: ("r-27,Ole,Bak,,,surplus", "extra_cells"),
}


def bulk_csv(rows: int = 30) -> str:
    """A CSV of ``rows`` data rows (lines 2 …), with ``BAD_ROWS`` where they fall."""
    text = ["reference,given_name,family_name,email,date_of_birth"]
    for line in range(2, rows + 2):
        row = BAD_ROWS.get(line, (f"r-{line},Given {line},Family {line},r{line}@example.org,",))
        text.append(row[0])
    return "\n".join(text) + "\n"
