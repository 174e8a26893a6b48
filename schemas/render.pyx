# cython: language_level=3
"""The compiled twin of ``schemas/render.py``: :func:`undecided_iris`, the same answer (see
there for what it promises), over CPython's C API: one dictionary lookup and one set lookup a
leaf (a value's hash is kept by its ``str``), without the Python loop."""

from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject
from cpython.set cimport PySet_Contains

cdef frozenset _NOTHING = frozenset()


def undecided_iris(list values not None, list iris not None, dict same not None):
    cdef list undecided = []
    cdef Py_ssize_t position
    cdef PyObject* known
    for position in range(PyList_GET_SIZE(iris)):
        index = <object> PyList_GET_ITEM(iris, position)
        value = values[index]
        known = PyDict_GetItem(same, index)
        if not PySet_Contains(<object> known if known is not NULL else _NOTHING, value):
            undecided.append(index)
    return undecided
