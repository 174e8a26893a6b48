"""base58btc (the Bitcoin alphabet): the text of every multibase ``'z'`` value, proofs included.

Every proof signed or verified encodes or decodes its signature here, and every key read from
a Multikey decodes its bytes here. The ``base58`` package below is the reference; a compiled
twin written against CPython's C API (``keys/base58btc.pyx``: base conversion over 32-bit limbs
in groups of five digits) takes over when built from its current source
(:mod:`schemas.compiled`), and ``tests/keys/test_base58btc.py`` holds the two to the same answers.
"""

from __future__ import annotations

from typing import Final

import base58

from schemas.compiled import adopt_twin

#: The 58 digits, in order: ``"1"`` is zero.
ALPHABET: Final = base58.BITCOIN_ALPHABET.decode("ascii")


def encode(data: bytes) -> str:
    """The base58btc text of ``data``: a ``"1"`` for each leading zero byte, then the rest read
    as one big-endian number, in base 58 without leading zeros (``""`` for ``b""``)."""
    return base58.b58encode(data).decode("ascii")


def decode(text: str) -> bytes:
    """The bytes whose base58btc text is ``text`` (the inverse of :func:`encode`; ``b""`` for
    ``""``). ``text`` must hold only :data:`ALPHABET` characters: the caller checks (as
    :func:`keys.multikey.decode_multibase` does). Outside that, the twin refuses any other
    character with ``ValueError``; the Python here drops trailing whitespace first."""
    return base58.b58decode(text)


#: The functions above as written here (the tests hold the twin to them).
python_functions = (encode, decode)

adopt_twin(globals(), ("encode", "decode"))
