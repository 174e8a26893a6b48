"""The Data Integrity cryptosuites this project implements, by name.

A cryptosuite here is a small immutable description: its name, the key algorithms it accepts,
the hash it uses for each, and how it canonicalizes. ``keys.proof`` does the rest, the same for all.
"""

from __future__ import annotations

from keys.cryptosuites import ecdsa_rdfc_2019, eddsa_rdfc_2022
from keys.cryptosuites.base import Cryptosuite
from keys.errors import UnsupportedCryptosuite

CRYPTOSUITES: dict[str, Cryptosuite] = {
    eddsa_rdfc_2022.SUITE.name: eddsa_rdfc_2022.SUITE,
    ecdsa_rdfc_2019.SUITE.name: ecdsa_rdfc_2019.SUITE,
}

DEFAULT_CRYPTOSUITE = eddsa_rdfc_2022.SUITE.name


def get_cryptosuite(name: object) -> Cryptosuite:
    """The cryptosuite called ``name``; ``UnsupportedCryptosuite`` for any other value."""
    if isinstance(name, str) and name in CRYPTOSUITES:
        return CRYPTOSUITES[name]
    raise UnsupportedCryptosuite(
        f"cryptosuite {name!r} is not supported; supported: {', '.join(sorted(CRYPTOSUITES))}"
    )


__all__ = ["CRYPTOSUITES", "DEFAULT_CRYPTOSUITE", "Cryptosuite", "get_cryptosuite"]
