"""Each part's imports are declared in pyproject.toml: ``schemas``, ``keys`` and the ``cli``
shell need only the base dependencies; the verifier the base plus the ``verifier`` extra; the
issuer the base plus the ``issuer`` extra; the demo everything its extra pulls in. So
``pip install 'microcred[verifier]'`` gives a verifier that runs.

Cheap and offline: the modules are read with ``ast`` (never imported), and import names are
mapped to distributions with ``importlib.metadata.packages_distributions()``."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"issuer", "verifier", "keys", "schemas", "demo", "cli"}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# part → the extras (besides the base dependencies) it may rely on
PARTS = {
    "schemas": [],
    "keys": [],
    "cli": [],
    "verifier": ["verifier"],
    "issuer": ["issuer"],
    "demo": ["demo"],
}

# module → the extras it may rely on beyond its part's: modules only a part with that extra
# imports (schemas.elm.shacl runs pySHACL; only the issuer calls it)
OPTIONAL_MODULES = {
    "schemas/elm/shacl.py": ["issuer"],
}


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(extras: list[str]) -> set[str]:
    """The distributions the base dependencies and ``extras`` name, following this project's
    own extras (``microcred[issuer,verifier]``)."""
    names: set[str] = set()
    todo = [*PROJECT["dependencies"], *(f"{PROJECT['name']}[{extra}]" for extra in extras)]
    seen: set[str] = set()
    while todo:
        requirement = Requirement(todo.pop())
        if normalise(requirement.name) == normalise(PROJECT["name"]):
            for extra in sorted(requirement.extras - seen):
                seen.add(extra)
                todo.extend(PROJECT["optional-dependencies"][extra])
            continue
        names.add(normalise(requirement.name))
    return names


def third_party_imports(package: str) -> dict[str, set[str]]:
    """Every third-party top-level name the modules of ``package`` import (anywhere in a
    module, function-level imports included) → the files that import it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top in sys.stdlib_module_names or top in FIRST_PARTY or top == "__future__":
                    continue
                found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("part", sorted(PARTS))
def test_every_import_is_declared_for_its_part(part):
    allowed = declared(PARTS[part])
    providers = packages_distributions()
    imports = third_party_imports(part)
    assert imports, f"found no third-party imports in {part}/"
    missing = {
        name: sorted(unmet)
        for name, files in imports.items()
        if (
            unmet := {
                file
                for file in files
                if not {normalise(d) for d in providers.get(name, [])}
                & (allowed | declared(OPTIONAL_MODULES.get(file, [])))
            }
        )
    }
    assert not missing, f"{part}/ imports what its dependencies do not declare: {missing}"


def test_the_base_installs_no_web_stack():
    base = declared([])
    assert not base & {"flask", "sqlalchemy", "httpx", "gunicorn", "honcho"}
    assert "sqlalchemy" not in declared(["verifier"])


def test_dev_installs_every_extra():
    assert declared(["dev"]) >= declared(["issuer", "verifier", "demo"])
