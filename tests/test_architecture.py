"""The shape of the house (docs/architecture.md), checked: the import contracts of
``pyproject.toml`` (import-linter) hold and bite, no two modules import each other (directly or
round a longer loop), and no module outgrows about 600 lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 600
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONFIG = PYPROJECT["tool"]["importlinter"]
#: The packages the application is made of (the contracts' root packages, minus the tests).
PACKAGES = [name for name in CONFIG["root_packages"] if name != "tests"]


def lint_imports(root: Path, contract: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` over the tree at ``root`` with its own ``pyproject.toml`` (only the
    contract whose id is ``contract``, when given)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *(["--contract", contract] if contract else [])],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's Python packages and tests, with its pyproject.toml, in a scratch folder."""
    target = tmp_path_factory.mktemp("tree")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.json", "*.jsonld", "*.mo", "*.po")
    for name in [*PACKAGES, "tests"]:
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


# (file, import added, the contract that must break)
VIOLATIONS = [
    ("issuer/errors.py", "import verifier.report", "layers"),
    ("verifier/report.py", "import issuer.models", "layers"),
    ("verifier/checks/seal.py", "import demo.reference", "layers"),
    ("keys/proof.py", "import issuer.db", "layers"),
    ("schemas/rdfc.py", "import keys.multikey", "layers"),
    ("schemas/rdfc.py", "import schemas.elm.read", "schemas-within"),
    ("issuer/credentials/issuance.py", "import issuer.api.common", "issuer-services"),
    ("issuer/models.py", "import issuer.staff.blueprint", "issuer-services"),
    ("issuer/staff/audit.py", "import issuer.sharing.views", "views-independent"),
    ("issuer/api/credentials.py", "import issuer.api.bulk_jobs", "views-independent"),
    ("cli/main.py", "import keys.proof", "cli-shell"),
    ("tests/issuer/test_scope.py", "import verifier.report", "issuer-tests"),
    ("tests/verifier/status_entry.py", "import issuer.models", "verifier-tests"),
    ("tests/schemas/test_rdfc.py", "import verifier.report", "library-tests"),
]


@pytest.mark.parametrize(("path", "statement", "contract"), VIOLATIONS)
def test_a_deliberate_violation_breaks_a_contract(
    copy_of_the_tree: Path, path: str, statement: str, contract: str
) -> None:
    target = copy_of_the_tree / path
    original = target.read_text(encoding="utf-8")
    target.write_text(f"{original}\n{statement}  # a deliberate violation\n", encoding="utf-8")
    try:
        result = lint_imports(copy_of_the_tree, contract)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    assert statement.split()[-1] in result.stdout  # the report names the offending import


def _cycles(graph: grimp.ImportGraph, modules: list[str]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for start in modules:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            for offset, child in enumerate(edges[node][position:], start=position):
                if child not in index:
                    work.append((node, offset + 1))
                    work.append((child, 0))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    assert _cycles(graph, modules) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z", "a.w"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.z")
    graph.add_import(importer="a.z", imported="a.x")
    graph.add_import(importer="a.w", imported="a.x")
    assert _cycles(graph, ["a.w", "a.x", "a.y", "a.z"]) == [["a.x", "a.y", "a.z"]]


def test_no_module_is_over_600_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
