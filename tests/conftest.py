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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long fuzzing runs (``@pytest.mark.fuzz``) run only when ``-m`` names them
    (``make fuzz``); every other run skips them, whatever else it selects."""
    if "fuzz" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="a long fuzzing run: make fuzz (pytest -m fuzz)")
    for item in items:
        if item.get_closest_marker("fuzz") is not None:
            item.add_marker(skip)
