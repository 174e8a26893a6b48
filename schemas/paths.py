# cython: annotation_typing=False
"""How the schemas package names a place in a JSON document.

A path is the document's own keys and list indices from the top, joined by ``/`` with no leading
slash (``credentialSubject/hasClaim/0/title``); the top-level object is the empty string. As in
JSON Pointer (RFC 6901), ``~`` in a key is written ``~0`` and ``/`` is written ``~1``, so a key
that is an IRI stays one segment.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.compiled import adopt_twin


def format_path(parts: Iterable[str | int]) -> str:
    """Join keys and list indices into a path string, escaping ``~`` and ``/`` in keys."""
    return "/".join(
        [
            str(part)
            if isinstance(part, int)
            else part
            if "/" not in part and "~" not in part
            else part.replace("~", "~0").replace("/", "~1")
            for part in parts
        ]
    )


#: The function above as written here (the tests hold the twin to it).
python_functions = (format_path,)

# Compiled (schemas.compiled): the Annex I report names a place for each element it finds.
adopt_twin(globals(), ("format_path",))
