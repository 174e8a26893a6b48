# cython: language_level=3
"""The compiled twin of ``schemas/shape.py``: :func:`read_shape`, the same answers (the same
tokens, leaves, proof place and refusals, in the same order; see there for what it promises),
over CPython's C API. An object's members are read by ``PyDict_Next``, a list's items in place,
and tokens and leaves are appended as C calls; the classes (``Shape``, ``ShapeKey``,
``Unsupported``) are the ``.py``'s own, so every caller sees one of each."""

from libc.math cimport fabs, floor, isfinite

from cpython.dict cimport PyDict_CheckExact, PyDict_Contains, PyDict_Next, PyDict_Size
from cpython.list cimport PyList_CheckExact, PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.ref cimport Py_INCREF
from cpython.unicode cimport PyUnicode_Check, PyUnicode_CheckExact

# The .py is being executed when its twin is imported (at its end): these are defined by then.
from schemas.shape import (
    CLOSE,
    CONSTANT_KEYS,
    FALSE,
    FLOAT,
    INT,
    MAX_DEPTH,
    NULL as NULL_TOKEN,
    OPEN_LIST,
    OPEN_OBJECT,
    STR,
    TRUE,
    Shape,
    Unsupported,
)


cdef extern from "Python.h":
    bint PyLong_CheckExact(object value)
    bint PyFloat_CheckExact(object value)
    double PyFloat_AS_DOUBLE(object value)


cdef object _OPEN_OBJECT = OPEN_OBJECT, _CLOSE = CLOSE, _OPEN_LIST = OPEN_LIST, _STR = STR
cdef object _INT = INT, _FLOAT = FLOAT, _TRUE = TRUE, _FALSE = FALSE, _NULL = NULL_TOKEN
cdef frozenset _CONSTANT_KEYS = CONSTANT_KEYS
cdef Py_ssize_t _MAX_DEPTH = MAX_DEPTH


def read_shape(document):
    cdef list tokens = []
    cdef list leaves = []
    cdef Py_ssize_t first, leaf_first
    context = document.get("@context")
    if isinstance(context, str):
        tokens.append(context)
    elif isinstance(context, list) and context and all(isinstance(c, str) for c in context):
        tokens.append(tuple(context))
    else:
        raise Unsupported("@context")
    tokens.append(_OPEN_OBJECT)
    proof = None
    for key, item in document.items():
        if type(key) is not str:
            raise Unsupported("key")
        if key == "@context":
            continue
        first = len(tokens)
        leaf_first = len(leaves)
        tokens.append((key,))  # the keys of {key: item}, as the .py walks it
        _member(key, item, 2, tokens, leaves)
        if key == "proof":
            proof = (first, len(tokens), leaf_first, len(leaves))
    tokens.append(_CLOSE)
    return Shape(tokens, leaves, proof)


cdef inline void _leaf(object value, list tokens, list leaves):
    tokens.append(_STR)
    leaves.append(value)


cdef int _member(object key, object item, Py_ssize_t depth, list tokens, list leaves) except -1:
    """One member of an object at nesting ``depth`` (the body of the .py's ``_members`` loop)."""
    if PyUnicode_CheckExact(item):
        if key in _CONSTANT_KEYS:
            tokens.append(item)
        else:
            _leaf(item, tokens, leaves)
    elif PyDict_CheckExact(item):
        if depth > _MAX_DEPTH:
            raise Unsupported("depth")
        tokens.append(_OPEN_OBJECT)
        _members(item, depth + 1, tokens, leaves)
        tokens.append(_CLOSE)
    elif PyList_CheckExact(item):
        _items(item, depth, key in _CONSTANT_KEYS, tokens, leaves)
    else:
        _scalar(item, tokens, leaves)
    return 0


cdef int _members(dict value, Py_ssize_t depth, list tokens, list leaves) except -1:
    """An object's keys and members (at nesting ``depth``)."""
    cdef Py_ssize_t position = 0, index = 0
    cdef PyObject* key
    cdef PyObject* item
    if PyDict_Contains(value, "@context"):
        raise Unsupported("nested @context")
    cdef tuple names = PyTuple_New(PyDict_Size(value))
    while PyDict_Next(value, &position, &key, &item):
        Py_INCREF(<object> key)
        PyTuple_SET_ITEM(names, index, <object> key)
        index += 1
    tokens.append(names)
    position = 0
    while PyDict_Next(value, &position, &key, &item):
        if not PyUnicode_CheckExact(<object> key):
            raise Unsupported("key")
        _member(<object> key, <object> item, depth, tokens, leaves)
    return 0


cdef int _items(
    list value, Py_ssize_t depth, bint constant, list tokens, list leaves
) except -1:
    """An array's items (strings as constants when ``constant``: a ``type`` list)."""
    cdef Py_ssize_t index
    if depth > _MAX_DEPTH:
        raise Unsupported("depth")
    tokens.append(_OPEN_LIST)
    index = 0
    while index < PyList_GET_SIZE(value):  # read again each time: the list may not change
        item = <object> PyList_GET_ITEM(value, index)
        index += 1
        if PyUnicode_CheckExact(item):
            if constant:
                tokens.append(item)
            else:
                _leaf(item, tokens, leaves)
        elif PyDict_CheckExact(item):
            if depth >= _MAX_DEPTH:
                raise Unsupported("depth")
            tokens.append(_OPEN_OBJECT)
            _members(item, depth + 2, tokens, leaves)
            tokens.append(_CLOSE)
        elif PyList_CheckExact(item):
            _items(item, depth + 1, constant, tokens, leaves)
        else:
            _scalar(item, tokens, leaves)
    tokens.append(_CLOSE)
    return 0


cdef int _scalar(object value, list tokens, list leaves) except -1:
    """A boolean, null or number (numbers as leaves too)."""
    cdef int overflow
    cdef long long number
    cdef double real
    if value is True:
        tokens.append(_TRUE)
    elif value is False:
        tokens.append(_FALSE)
    elif value is None:
        tokens.append(_NULL)
    elif PyLong_CheckExact(value):
        number = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow:  # past 64 bits (no such integer is within 1e21): decided exactly
            if abs(value) >= 1e21:
                raise Unsupported("large integer")
        tokens.append(_INT)
        leaves.append(value)
    elif PyFloat_CheckExact(value):
        real = PyFloat_AS_DOUBLE(value)
        if not isfinite(real) or fabs(real) >= 1e21:
            raise Unsupported("float")
        tokens.append(_INT if floor(real) == real else _FLOAT)  # pyld's _is_double
        leaves.append(value)
    else:
        raise Unsupported("not JSON")
    return 0
