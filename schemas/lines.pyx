# cython: language_level=3
"""The compiled twin of ``schemas/lines.py``: the same three functions, the same answers (see
there for what each promises), over CPython's C API. Each value's UTF-8 is read where CPython
keeps it (an ASCII ``str`` is its own UTF-8); each line is built once, in one allocation; the
lines are sorted by ``list.sort`` and the duplicates dropped as they are copied out."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_Check
from libc.string cimport memcmp, memcpy


cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object text, Py_ssize_t* size) except NULL
    int PyUnicode_KIND(object text)
    void* PyUnicode_DATA(object text)
    Py_ssize_t PyUnicode_GET_LENGTH(object text)
    int PyUnicode_1BYTE_KIND


cdef inline const char* _utf8(object value, Py_ssize_t* size) except NULL:
    if not PyUnicode_Check(value):
        raise TypeError("a rendered value is not text")
    return PyUnicode_AsUTF8AndSize(value, size)


# 1 for the bytes an N-Quads literal escapes (as ESCAPED_BYTES in lines.py).
cdef unsigned char _ESCAPED[256]
for _code in range(256):
    _ESCAPED[_code] = 1 if _code < 0x20 or _code == 0x7F or _code == 0x22 or _code == 0x5C else 0


def utf8_size(list values, plan):
    cdef tuple refs = plan.refs
    cdef Py_ssize_t total = plan.constant_size
    cdef Py_ssize_t size
    for ref in refs:
        _utf8(values[ref], &size)
        total += size
    return total


def sorted_distinct_lines(list values, plan, Py_ssize_t limit):
    cdef tuple consts = plan.consts
    cdef const int[::1] ops = plan.ops
    cdef Py_ssize_t count = ops.shape[0]
    cdef Py_ssize_t at, part, parts, size, total = 0, lines = 0, line, length
    cdef int op
    cdef const char* text
    cdef char* out
    cdef Py_ssize_t* lengths
    at = 0
    while at < count:  # how many lines, each how long, and the whole
        parts = ops[at]
        at += 1 + parts
        lines += 1
    lengths = <Py_ssize_t*> PyMem_Malloc((lines + 1) * sizeof(Py_ssize_t))
    if lengths == NULL:
        raise MemoryError()
    try:
        at = 0
        line = 0
        while at < count:
            parts = ops[at]
            at += 1
            length = 1  # the newline
            for part in range(at, at + parts):
                op = ops[part]
                if op >= 0:
                    length += PyBytes_GET_SIZE(consts[op])
                else:
                    _utf8(values[-1 - op], &size)
                    length += size
            at += parts
            lengths[line] = length
            line += 1
            total += length
        if total > limit:
            return None
        made = [None] * lines
        at = 0
        for line in range(lines):  # each line, in one allocation
            parts = ops[at]
            at += 1
            item = PyBytes_FromStringAndSize(NULL, lengths[line] - 1)
            out = PyBytes_AS_STRING(item)
            for part in range(at, at + parts):
                op = ops[part]
                if op >= 0:
                    text = PyBytes_AS_STRING(consts[op])
                    size = PyBytes_GET_SIZE(consts[op])
                else:
                    text = _utf8(values[-1 - op], &size)
                memcpy(out, text, size)
                out += size
            at += parts
            made[line] = item
    finally:
        PyMem_Free(lengths)
    made.sort()
    total = 0
    previous = None
    for item in made:  # the distinct lines' size
        if previous is None or not _same(previous, item):
            total += PyBytes_GET_SIZE(item) + 1
        previous = item
    result = PyBytes_FromStringAndSize(NULL, total)
    out = PyBytes_AS_STRING(result)
    previous = None
    for item in made:
        if previous is None or not _same(previous, item):
            size = PyBytes_GET_SIZE(item)
            memcpy(out, PyBytes_AS_STRING(item), size)
            out[size] = b"\n"
            out += size + 1
        previous = item
    return result


cdef inline bint _same(bytes first, bytes second):
    cdef Py_ssize_t size = PyBytes_GET_SIZE(first)
    return size == PyBytes_GET_SIZE(second) and memcmp(
        PyBytes_AS_STRING(first), PyBytes_AS_STRING(second), size
    ) == 0


def nothing_to_escape(texts):
    cdef const unsigned char* data
    cdef Py_ssize_t size, index
    for text in texts:
        if not PyUnicode_Check(text):
            raise TypeError("a literal is not text")
        if PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND:
            data = <const unsigned char*> PyUnicode_DATA(text)
            size = PyUnicode_GET_LENGTH(text)
        else:  # UTF-8 (a lone surrogate raises UnicodeEncodeError, as in lines.py)
            data = <const unsigned char*> PyUnicode_AsUTF8AndSize(text, &size)
        for index in range(size):
            if _ESCAPED[data[index]]:
                return False
    return True
