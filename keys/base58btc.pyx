# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled twin of ``keys/base58btc.py``: the same two functions, the same answers (see
there for what each promises), over CPython's C API. The number is held in 32-bit limbs and
converted in groups of five base-58 digits (58**5 < 2**30, so every step fits in a uint64);
leading zero bytes and leading ``"1"``s are counted apart. ``decode`` refuses with
``ValueError`` any character outside the alphabet."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memset


cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    bint PyUnicode_IS_ASCII(object text)
    void* PyUnicode_DATA(object text)
    Py_ssize_t PyUnicode_GET_LENGTH(object text)


cdef const char* _DIGITS = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
cdef uint64_t _GROUP = 656356768  # 58**5: five digits
cdef uint64_t _POWERS[6]
_POWERS[:] = [1, 58, 58**2, 58**3, 58**4, 58**5]

# The value of each ASCII digit; 255 for every other byte.
cdef unsigned char _VALUES[256]
memset(_VALUES, 255, 256)
for _value in range(58):
    _VALUES[<unsigned char> _DIGITS[_value]] = _value


def encode(bytes data not None):
    cdef const unsigned char* raw = <const unsigned char*> PyBytes_AS_STRING(data)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(data), zeros = 0, rest, count, start, at, index
    cdef Py_ssize_t groups = 0, length, top_digits, step
    cdef uint64_t remainder, word
    cdef uint32_t* limbs
    cdef uint32_t* digits
    cdef unsigned char* out
    while zeros < size and raw[zeros] == 0:
        zeros += 1
    rest = size - zeros
    count = (rest + 3) // 4
    # rest bytes are below 2**(29 * ceil(8 * rest / 29)) < 58**(5 * that): so many groups.
    limbs = <uint32_t*> PyMem_Malloc((count + (8 * rest + 28) // 29 + 1) * sizeof(uint32_t))
    if limbs == NULL:
        raise MemoryError()
    digits = limbs + count
    try:
        at = zeros
        for index in range(count):  # big-endian limbs, the first one maybe short
            word = 0
            while True:
                word = (word << 8) | raw[at]
                at += 1
                if (size - at) % 4 == 0:
                    break
            limbs[index] = <uint32_t> word
        start = 0
        while start < count:  # divide by 58**5 until nothing is left: groups, lowest first
            remainder = 0
            for index in range(start, count):
                word = (remainder << 32) | limbs[index]
                limbs[index] = <uint32_t> (word // _GROUP)
                remainder = word - limbs[index] * _GROUP
            digits[groups] = <uint32_t> remainder
            groups += 1
            while start < count and limbs[start] == 0:
                start += 1
        top_digits = 0
        if groups:
            while top_digits < 5 and digits[groups - 1] >= _POWERS[top_digits]:
                top_digits += 1
        length = zeros + (5 * (groups - 1) + top_digits if groups else 0)
        result = PyUnicode_New(length, 127)
        out = <unsigned char*> PyUnicode_DATA(result)
        memset(out, 0x31, zeros)  # "1"
        at = length
        for index in range(groups):
            word = digits[index]
            for step in range(5 if index < groups - 1 else top_digits):
                at -= 1
                out[at] = _DIGITS[word % 58]
                word //= 58
        return result
    finally:
        PyMem_Free(limbs)


def decode(str text not None):
    cdef const unsigned char* chars
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text), zeros = 0, count = 0, at, index, size
    cdef Py_ssize_t group_size, top_bytes, step
    cdef uint64_t group, carry, word
    cdef uint32_t* limbs
    cdef char* out
    if not PyUnicode_IS_ASCII(text):
        raise ValueError(f"Invalid character {next(c for c in text if ord(c) > 127)!r}")
    chars = <const unsigned char*> PyUnicode_DATA(text)
    for at in range(length):
        if _VALUES[chars[at]] == 255:
            raise ValueError(f"Invalid character {chr(chars[at])!r}")
    while zeros < length and chars[zeros] == 0x31:  # "1"
        zeros += 1
    # Each group of five digits is below 58**5 < 2**32: no more limbs than groups.
    limbs = <uint32_t*> PyMem_Malloc(((length - zeros) // 5 + 1) * sizeof(uint32_t))
    if limbs == NULL:
        raise MemoryError()
    try:
        at = zeros
        group_size = (length - zeros) % 5 or 5
        while at < length:  # number = number * 58**group_size + group; limbs lowest first
            group = 0
            for index in range(at, at + group_size):
                group = group * 58 + _VALUES[chars[index]]
            carry = group
            for index in range(count):
                word = limbs[index] * _POWERS[group_size] + carry
                limbs[index] = <uint32_t> word
                carry = word >> 32
            if carry:
                limbs[count] = <uint32_t> carry
                count += 1
            at += group_size
            group_size = 5
        top_bytes = 0
        if count:
            while top_bytes < 4 and limbs[count - 1] >> (8 * top_bytes):
                top_bytes += 1
        size = zeros + (4 * (count - 1) + top_bytes if count else 0)
        result = PyBytes_FromStringAndSize(NULL, size)
        out = PyBytes_AS_STRING(result)
        memset(out, 0, zeros)
        at = size
        for index in range(count):
            word = limbs[index]
            for step in range(4 if index < count - 1 else top_bytes):
                at -= 1
                out[at] = <char> (word & 0xFF)
                word >>= 8
        return result
    finally:
        PyMem_Free(limbs)
