"""The Bitstring Status List encoding (W3C): GZIP, then multibase base64url without padding.

Index 0 is the most significant bit of the first byte. Shared by the issuer (which encodes)
and the verifier (which decodes), so both read the published format the same way.
"""

from __future__ import annotations

import base64
import gzip
import io
from collections.abc import Iterable

MINIMUM_ENTRIES = 131_072  # the spec's minimum, for herd privacy
MAX_DECODED_BYTES = 16 * 1024 * 1024  # refuse gzip bombs: 134 million entries is plenty


def encode_list(set_indices: Iterable[int], size: int = MINIMUM_ENTRIES) -> str:
    """The ``encodedList`` of ``size`` bits with ``set_indices`` set (``u`` + base64url)."""
    if size % 8:
        raise ValueError("a status list size must be a multiple of 8")
    bits = bytearray(size // 8)
    for index in set_indices:
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a list of {size}")
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_list(encoded: object, *, minimum_size: int = MINIMUM_ENTRIES) -> bytes:
    """The bitstring of an ``encodedList``; ``ValueError`` if it is not multibase base64url
    GZIP, decompresses to more than ``MAX_DECODED_BYTES``, or holds fewer than
    ``minimum_size`` entries."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u' prefix)")
    body = encoded[1:]
    if len(body) % 4 == 1 or not body.replace("-", "").replace("_", "").isalnum():
        raise ValueError("encodedList is not valid base64url")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        decompressor = gzip.GzipFile(fileobj=io.BytesIO(compressed))
        bits = decompressor.read(MAX_DECODED_BYTES + 1)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"encodedList does not decode: {error}") from None
    if len(bits) > MAX_DECODED_BYTES:
        raise ValueError("encodedList decompresses to more than allowed")
    if len(bits) * 8 < minimum_size:
        raise ValueError(f"the list has {len(bits) * 8} entries; at least {minimum_size} needed")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """The bit at ``index`` of a decoded list; ``IndexError`` beyond its end."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"index {index} is outside a list of {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
