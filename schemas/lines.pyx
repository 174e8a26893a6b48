# cython: language_level=3
"""The compiled twin of ``schemas/lines.py``: the same three functions, the same answers (see
there for what each promises), over CPython's C API. Each value's UTF-8 is read where CPython
keeps it (an ASCII ``str`` is its own UTF-8); every line is written once into one buffer, the
lines sorted there by ``qsort`` over ``memcmp`` (Python's order of bytes) and the duplicates
dropped as they are copied out; literal text is checked for escapes sixteen bytes at a time
(SSE2), else eight."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_Check
from libc.stdint cimport uint64_t
from libc.stdlib cimport qsort
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


cdef struct Line:
    const char* start
    Py_ssize_t size


cdef int _compare(const void* first, const void* second) noexcept nogil:
    """Python's order of bytes: unsigned bytes, then the shorter first."""
    cdef const Line* a = <const Line*> first
    cdef const Line* b = <const Line*> second
    cdef int order = memcmp(a.start, b.start, a.size if a.size < b.size else b.size)
    if order:
        return order
    return (a.size > b.size) - (a.size < b.size)


def sorted_distinct_lines(list values, plan, Py_ssize_t limit):
    cdef tuple consts = plan.consts
    cdef const int[::1] ops = plan.ops
    cdef Py_ssize_t count = ops.shape[0]
    cdef Py_ssize_t at, part, parts, size, total = 0, lines = 0, line, length, distinct
    cdef int op
    cdef const char* text
    cdef char* buffer = NULL
    cdef char* out
    cdef Line* made = NULL
    at = 0
    while at < count:  # how many lines
        at += 1 + ops[at]
        lines += 1
    made = <Line*> PyMem_Malloc((lines + 1) * sizeof(Line))
    if made == NULL:
        raise MemoryError()
    try:
        at = 0
        for line in range(lines):  # each line's size, and the whole (newlines included)
            parts = ops[at]
            at += 1
            length = 0
            for part in range(at, at + parts):
                op = ops[part]
                if op >= 0:
                    length += PyBytes_GET_SIZE(consts[op])
                else:
                    _utf8(values[-1 - op], &size)
                    length += size
            at += parts
            made[line].size = length
            total += length + 1
        if total > limit:
            return None
        buffer = <char*> PyMem_Malloc(total + 1)
        if buffer == NULL:
            raise MemoryError()
        out = buffer
        at = 0
        for line in range(lines):  # every line, one after the other in one buffer
            parts = ops[at]
            at += 1
            made[line].start = out
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
        qsort(made, lines, sizeof(Line), _compare)
        distinct = 0
        for line in range(lines):
            if line == 0 or _compare(&made[line - 1], &made[line]) != 0:
                distinct += made[line].size + 1
        result = PyBytes_FromStringAndSize(NULL, distinct)
        out = PyBytes_AS_STRING(result)
        for line in range(lines):
            if line == 0 or _compare(&made[line - 1], &made[line]) != 0:
                memcpy(out, made[line].start, made[line].size)
                out[made[line].size] = b"\n"
                out += made[line].size + 1
        return result
    finally:
        PyMem_Free(made)
        PyMem_Free(buffer)


cdef extern from *:
    """
    #if defined(__SSE2__)
    #include <emmintrin.h>
    /* Bytes of data that a 16-byte SSE2 scan cleared: none of them is below 0x20 or equal to
       0x22, 0x5C or 0x7F. Stops at the first 16 bytes holding one (the rest is then scanned
       one byte at a time by the caller, which finds it). */
    static Py_ssize_t microcred_clean_prefix(const unsigned char* data, Py_ssize_t size) {
        const __m128i below = _mm_set1_epi8(0x1F), quote = _mm_set1_epi8(0x22);
        const __m128i backslash = _mm_set1_epi8(0x5C), delete = _mm_set1_epi8(0x7F);
        Py_ssize_t index = 0;
        for (; index + 16 <= size; index += 16) {
            __m128i chunk = _mm_loadu_si128((const __m128i*)(data + index));
            __m128i found = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(chunk, below), below),
                             _mm_cmpeq_epi8(chunk, quote)),
                _mm_or_si128(_mm_cmpeq_epi8(chunk, backslash), _mm_cmpeq_epi8(chunk, delete)));
            if (_mm_movemask_epi8(found)) break;
        }
        return index;
    }
    #else
    static Py_ssize_t microcred_clean_prefix(const unsigned char* data, Py_ssize_t size) {
        (void)data; (void)size;
        return 0;
    }
    #endif
    """
    Py_ssize_t microcred_clean_prefix(const unsigned char* data, Py_ssize_t size) nogil


cdef inline bint _clean(const unsigned char* data, Py_ssize_t size) noexcept nogil:
    """No byte of ``data`` is escaped: sixteen at a time with SSE2 where the machine has it,
    then eight at a time (a byte below 0x20, or equal to 0x22, 0x5C or 0x7F, found exactly in a
    word by the classic bit tricks), then one at a time."""
    cdef uint64_t word, ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL
    cdef Py_ssize_t index = microcred_clean_prefix(data, size)
    while index + 8 <= size:
        memcpy(&word, data + index, 8)
        if (
            ((word - ones * 0x20) & ~word & highs)
            | (((word ^ (ones * 0x22)) - ones) & ~(word ^ (ones * 0x22)) & highs)
            | (((word ^ (ones * 0x5C)) - ones) & ~(word ^ (ones * 0x5C)) & highs)
            | (((word ^ (ones * 0x7F)) - ones) & ~(word ^ (ones * 0x7F)) & highs)
        ):
            return False
        index += 8
    while index < size:
        if _ESCAPED[data[index]]:
            return False
        index += 1
    return True


def nothing_to_escape(texts):
    cdef const unsigned char* data
    cdef Py_ssize_t size
    for text in texts:
        if not PyUnicode_Check(text):
            raise TypeError("a literal is not text")
        if PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND:
            data = <const unsigned char*> PyUnicode_DATA(text)
            size = PyUnicode_GET_LENGTH(text)
        else:  # UTF-8 (a lone surrogate raises UnicodeEncodeError, as in lines.py)
            data = <const unsigned char*> PyUnicode_AsUTF8AndSize(text, &size)
        if not _clean(data, size):
            return False
    return True
