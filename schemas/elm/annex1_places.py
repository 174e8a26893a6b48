# cython: annotation_typing=False
"""The places of the Annex I table, read once per credential.

The table (:data:`schemas.elm.profile.ELEMENTS`) puts each element at places such as
``specification.creditPoint``: a root of the credential (``credential``, ``subject``, ``claim``,
``specification``, ``assessment``; see :data:`Roots`) and the steps below it. An Annex I report
asks for the same places many times (to find an element, to judge its shape, to read its value
to show); :class:`Places` walks each place once and answers every later question from what it
found.
"""

from __future__ import annotations

import functools
from typing import Any

from schemas.compiled import adopt_twin
from schemas.elm.read import Located, walk, walk_values

#: Where each root of the table's places is: ``credential``, ``subject``, ``claim``,
#: ``specification``, ``assessment``. An absent root is one ``(None, the path it would have)``.
Roots = dict[str, list[Located]]


@functools.cache
def split_place(place: str) -> tuple[str, tuple[str, ...]]:
    """A place of the table (``specification.creditPoint``): its root and the steps below it
    (``("specification", ("creditPoint",))``; a root alone has no steps)."""
    root, *steps = place.split(".")
    return root, tuple(steps)


class Places:
    """The values at places below a credential's :data:`Roots`, each place walked at most once.

    Answers are those of :func:`schemas.elm.read.walk` from every present root, in the roots'
    order (an absent root gives nothing); the lists returned are shared: do not change them.
    The credential must not change while this is in use.
    """

    __slots__ = ("_located", "_values", "roots")

    def __init__(self, roots: Roots) -> None:
        self.roots = roots
        self._located: dict[str, list[Located]] = {}
        self._values: dict[str, list[Any]] = {}

    def located(self, place: str) -> list[Located]:
        """Every value at ``place`` with its path in the document, in document order (a list
        found there is given item by item)."""
        found = self._located.get(place)
        if found is None:
            root, steps = split_place(place)
            found = []
            for start in self.roots[root]:
                if start[0] is not None:
                    found += walk(start, steps)
            self._located[place] = found
        return found

    def values(self, place: str) -> list[Any]:
        """The values of :meth:`located` without their paths."""
        found = self._values.get(place)
        if found is None:
            located = self._located.get(place)
            if located is not None:
                found = [value for value, _ in located]
            else:
                root, steps = split_place(place)
                found = []
                for start, _ in self.roots[root]:
                    if start is not None:
                        found += walk_values(start, steps)
            self._values[place] = found
        return found


#: The functions above as written here (the tests hold the twin to them).
python_functions = (split_place,)

# The compiled twin of this very source, when built (schemas.compiled): its class too, so that
# every caller sees one Places.
adopt_twin(globals(), ("Places", "split_place"))
