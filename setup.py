"""How the package is built: pyproject.toml says what it is; this file adds its compiled twins.

A *twin* of module ``<package>.<module>`` is an extension ``<package>._<module>_compiled``,
compiled by Cython from ``<module>.py`` unchanged or, for a twin written against CPython's C
API, from ``<module>.pyx`` (the ``.py`` then stays the reference the tests hold it to), and
stamped with its source's SHA-256 (``COMPILED_FROM``). The module switches to its twin only
when the twin was compiled from its current source (``schemas.compiled.twin``), so an edited
module never runs stale compiled code, and a machine without a C compiler runs the Python as it
is (the extensions are optional: a failed build is a warning, not an error).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent
#: The modules compiled into twins (pyproject.toml's ``tool.microcred.compiled-twins``).
TWINS: list[str] = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "microcred"
]["compiled-twins"]
STAGING = HERE / "build" / "twins"


def twin_extensions() -> list[Extension]:
    """One optional extension per module of :data:`TWINS`, from a stamped copy of its source;
    none when Cython is not installed."""
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("!! Cython is not installed: the compiled twins are not built (pure Python)")
        return []
    extensions = []
    for name in TWINS:
        source = HERE / name
        package, module = source.parent.relative_to(HERE), source.stem
        # the name schemas.compiled.twin_name gives (this file cannot import the package)
        staged = STAGING / package / f"_{module}_compiled{source.suffix}"
        staged.parent.mkdir(parents=True, exist_ok=True)
        (staged.parent / "__init__.py").touch()
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        text = source.read_text(encoding="utf-8") + f'\nCOMPILED_FROM = "{digest}"\n'
        if not staged.exists() or staged.read_text(encoding="utf-8") != text:
            staged.write_text(text, encoding="utf-8")
        extension = Extension(
            ".".join([*package.parts, staged.stem]),
            [str(staged.relative_to(HERE))],
            optional=True,  # a failed C compile is a warning
        )
        try:  # and so is a source Cython cannot translate: that module runs as Python
            extensions += cythonize(
                [extension],
                compiler_directives={"language_level": 3},
                build_dir=str(STAGING / "c"),
                quiet=True,
            )
        except Exception as error:
            print(f"!! {name}: Cython could not translate it ({error}); it runs as Python")
    return extensions

setup(ext_modules=twin_extensions())
