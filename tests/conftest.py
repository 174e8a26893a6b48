"""Fixtures shared by the whole suite: where the published reference data lives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference() -> Path:
    """The folder of published vectors and samples beside the project (``../shared/reference``).

    Tests that need it skip, saying why, where it is absent; CI always has it.
    """
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"published reference data not found at {SHARED_REFERENCE}")
    return SHARED_REFERENCE


def read_json(path: Path) -> Any:
    """Parse a JSON file as UTF-8."""
    return json.loads(path.read_text(encoding="utf-8"))


#: Requests sent by the schemathesis tests (tests/issuer/test_fuzz_api.py, tests/verifier/
#: test_openapi.py): run → operation →
#: count; printed in the terminal summary.
FUZZ_TALLY: dict[str, dict[str, int]] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that runs on a database (asks for the ``database_url`` fixture of
    tests/issuer/conftest.py, in tests/issuer or tests/integration) is marked ``postgres``: CI
    runs those again on PostgreSQL (``make test`` with ``MICROCRED_TEST_POSTGRES`` set). Here,
    so that it holds whichever folders are collected.

    Tests marked ``fuzz`` (the long fuzzing runs) run only when ``-m`` names ``fuzz``."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    if "fuzz" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("fuzz") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker, hand the fuzzing tally to the controller, which prints it."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["fuzz_tally"] = json.dumps(FUZZ_TALLY)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """(pytest-xdist controller) Add a finished worker's fuzzing tally to this process's."""
    tally = json.loads(getattr(node, "workeroutput", {}).get("fuzz_tally", "{}"))
    for run, counts in tally.items():
        mine = FUZZ_TALLY.setdefault(run, {})
        for operation, count in counts.items():
            mine[operation] = mine.get(operation, 0) + count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many requests each fuzzing run sent, and to how many operations."""
    for run, counts in FUZZ_TALLY.items():
        terminalreporter.write_line(
            f"schemathesis ({run}): {sum(counts.values())} requests "
            f"over {len(counts)} operations"
        )
