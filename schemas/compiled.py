"""Compiled twins: a module's rules compiled by Cython, used only when built from its source.

A few modules loop over every value of a document or every proof (the list is
``pyproject.toml``'s ``tool.microcred.compiled-twins``). ``pip install`` (``make install``)
compiles each into an extension module beside it, its *twin* ``<package>._<module>_compiled``
(``setup.py``): from the module's own ``.py``, unchanged, or from a ``.pyx`` beside it written
against CPython's C API; stamped with the SHA-256 of that source (``COMPILED_FROM``). The module
ends with :func:`adopt_twin`, which takes the twin's functions when the stamp matches.

The Python stays the one place each rule is written, and the reference the tests hold each twin
to (``tests/schemas/test_compiled.py``, ``test_lines.py``, ``test_render.py``, ``test_paths.py``,
``tests/schemas/elm/test_read_compiled.py``, ``test_annex1_reference.py``,
``tests/keys/test_base58btc.py``). A ``.py`` compiled unchanged asks Cython, in its first line, to
read no C type from its annotations (``# cython: annotation_typing=False``: Python's semantics),
and recurses only with a bound (a twin has no recursion guard; see ``docs/decisions.md``):

- an edited module whose twin has not been rebuilt runs as Python (``make`` rebuilds it);
- a machine without a C compiler or Cython runs the Python (the build says so; nothing fails);
- ``MICROCRED_PURE_PYTHON=1`` refuses every twin (to measure or debug the Python).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

#: Set to refuse compiled twins (any non-empty value but ``0``).
PURE_PYTHON_VARIABLE = "MICROCRED_PURE_PYTHON"

#: Module name → why its twin is not used (``make test`` prints it; the tests read it); a
#: module whose twin is in use is absent.
not_used: dict[str, str] = {}
#: Names of the modules running their compiled twin.
in_use: set[str] = set()


def twin_name(module: str) -> str:
    """The name of ``module``'s compiled twin: ``schemas.shape`` → ``schemas._shape_compiled``."""
    package, _, name = module.rpartition(".")
    return f"{package}._{name}_compiled" if package else f"_{name}_compiled"


def is_twin(module: str) -> bool:
    """True when ``module`` is itself a compiled twin (its source asks for no twin of its own)."""
    name = module.rpartition(".")[2]
    return name.startswith("_") and name.endswith("_compiled")


def twin(module: str, source_file: str) -> ModuleType | None:
    """The compiled twin of ``module`` (whose source is ``source_file``) when it is installed and
    was compiled from exactly that source; else None, with the reason in :data:`not_used`.
    Never raises."""
    if is_twin(module):
        return None
    if os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"):
        not_used[module] = f"{PURE_PYTHON_VARIABLE} is set"
        return None
    try:
        compiled = importlib.import_module(twin_name(module))
    except ImportError:
        not_used[module] = "not built (no C compiler or Cython when installed: make install)"
        return None
    try:
        digest = hashlib.sha256(Path(source_file).read_bytes()).hexdigest()
    except OSError as error:
        not_used[module] = f"its source cannot be read ({error.strerror})"
        return None
    if getattr(compiled, "COMPILED_FROM", None) != digest:
        not_used[module] = "built from another version of its source (make install rebuilds it)"
        return None
    not_used.pop(module, None)
    in_use.add(module)
    return compiled


def adopt_twin(namespace: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Replace ``names`` in a module's ``namespace`` (its ``globals()``) with its compiled
    twin's, when :func:`twin` finds a current one; True when it did. The twin is compiled from
    the module's ``.pyx`` beside it when there is one (a twin written against the C API), else
    from the module's own ``.py``. A module keeps its own functions (``python_functions``) to
    test the twin against them."""
    source = Path(namespace["__file__"])
    if source.with_suffix(".pyx").exists():
        source = source.with_suffix(".pyx")
    compiled = twin(namespace["__name__"], str(source))
    if compiled is None:
        return False
    for name in names:
        namespace[name] = getattr(compiled, name)
    return True


def not_in_use(sources: list[str]) -> list[str]:
    """Import the module of each source path (``schemas/shape.py``) and say, one line each,
    which of them run as Python and why (``make test`` prints these loudly)."""
    lines = []
    for source in sources:
        module = str(Path(source).with_suffix("")).replace("/", ".")
        importlib.import_module(module)
        if module not in in_use:
            lines.append(f"{module}: its compiled twin is NOT in use ({not_used.get(module)})")
    return lines
