# cython: language_level=3
"""The compiled twin of ``schemas/value_walk.py``: the same three functions, the same answers (see
there for what each promises), over CPython's C API. The values ``json.loads`` makes (exact
``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``) are read in C, a dict's
members by ``PyDict_Next`` in one pass; anything else (a mapping or a ``str`` of another class,
a tuple) takes the Python calls the ``.py`` makes, in the same order."""

from collections.abc import Mapping

from cpython.dict cimport PyDict_CheckExact, PyDict_Next
from cpython.list cimport PyList_CheckExact, PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_Check, PyUnicode_CheckExact


cdef extern from "Python.h":
    Py_ssize_t PyUnicode_GET_LENGTH(object text)
    bint PyLong_CheckExact(object value)
    bint PyFloat_CheckExact(object value)
    bint PyBool_Check(object value)


# Counts and bounds past this are out of reach of any document: they stand for "no bound".
cdef Py_ssize_t _FAR = (<Py_ssize_t> 1) << 62


cdef inline Py_ssize_t _bound(object value):
    if value >= _FAR:
        return _FAR
    if value <= -_FAR:
        return -_FAR
    return value


cdef inline bint _plain_scalar(object value):
    """An exact ``int``, ``float``, ``bool`` or ``None``: nothing to walk into."""
    return value is None or PyLong_CheckExact(value) or PyFloat_CheckExact(value) or PyBool_Check(value)


cdef inline void _push_items(list stack, list items):
    cdef Py_ssize_t index
    for index in range(PyList_GET_SIZE(items)):
        stack.append(<object> PyList_GET_ITEM(items, index))


def count_values(document, stop_after=None):
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t limit = -1 if stop_after is None else _bound(stop_after)
    cdef list stack = [document]
    cdef Py_ssize_t position
    cdef PyObject* key
    cdef PyObject* item
    while stack:
        value = stack.pop()
        count += 1
        if limit >= 0 and count > limit:
            break
        if PyDict_CheckExact(value):
            position = 0
            while PyDict_Next(value, &position, &key, &item):
                stack.append(<object> item)
        elif PyList_CheckExact(value):
            _push_items(stack, value)
        elif PyUnicode_CheckExact(value) or _plain_scalar(value):
            continue
        elif isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return count


def first_past(document, max_values, max_string):
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t most_values = _bound(max_values)
    cdef Py_ssize_t longest = _bound(max_string)
    cdef list stack = [document]
    cdef Py_ssize_t position
    cdef Py_ssize_t size
    cdef PyObject* key
    cdef PyObject* item
    while stack:
        value = stack.pop()
        count += 1
        if count > most_values:
            return "values", count
        if PyUnicode_CheckExact(value):
            size = PyUnicode_GET_LENGTH(value)
            if size > longest:
                return "string", size
        elif PyDict_CheckExact(value):
            position = 0
            while PyDict_Next(value, &position, &key, &item):
                # a too long name ends the walk before any value is looked at, as in the .py
                if PyUnicode_CheckExact(<object> key):
                    size = PyUnicode_GET_LENGTH(<object> key)
                    if size > longest:
                        return "string", size
                elif PyUnicode_Check(<object> key) and len(<object> key) > longest:
                    return "string", len(<object> key)
                stack.append(<object> item)
        elif PyList_CheckExact(value):
            _push_items(stack, value)
        elif _plain_scalar(value):
            continue
        elif isinstance(value, str):
            if len(value) > longest:
                return "string", len(value)
        elif isinstance(value, Mapping):
            for key_object in value:
                if isinstance(key_object, str) and len(key_object) > longest:
                    return "string", len(key_object)
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return None


def holds_float(document):
    cdef list stack = [document]
    cdef Py_ssize_t position
    cdef PyObject* key
    cdef PyObject* item
    while stack:
        value = stack.pop()
        if PyFloat_CheckExact(value):
            return True
        if PyDict_CheckExact(value):
            position = 0
            while PyDict_Next(value, &position, &key, &item):
                stack.append(<object> item)
        elif PyList_CheckExact(value):
            _push_items(stack, value)
        elif PyUnicode_CheckExact(value) or _plain_scalar(value):
            continue
        elif isinstance(value, float):
            return True
        elif isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return False
