"""What every RDFC-based cryptosuite has in common: canonicalize, hash, and which keys it takes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keys.errors import UnsupportedKeyType
from keys.keypairs import Algorithm
from schemas.jsonld import canonicalize
from schemas.loader import StaticDocumentLoader


@dataclass(frozen=True)
class Cryptosuite:
    """A Data Integrity cryptosuite built on RDFC-1.0 canonicalization.

    ``hash_names`` maps each key algorithm the suite accepts to the hash used both inside
    RDFC-1.0 and for the proof-configuration and document hashes (the ECDSA spec ties the
    hash to the curve: SHA-256 for P-256, SHA-384 for P-384).
    """

    name: str
    hash_names: Mapping[Algorithm, str]

    @property
    def algorithms(self) -> frozenset[Algorithm]:
        """The key algorithms this suite signs and verifies with."""
        return frozenset(self.hash_names)

    def hash_name(self, algorithm: Algorithm) -> str:
        """The hash for ``algorithm`` keys; ``UnsupportedKeyType`` if the suite refuses them."""
        try:
            return self.hash_names[algorithm]
        except KeyError:
            raise UnsupportedKeyType(
                f"{self.name} does not use {algorithm} keys; it needs "
                + " or ".join(sorted(a.value for a in self.hash_names))
            ) from None

    def canonize(
        self,
        document: Mapping[str, Any],
        *,
        algorithm: Algorithm,
        loader: StaticDocumentLoader | None = None,
    ) -> str:
        """RDFC-1.0 canonical N-Quads of ``document`` for this suite (strict: no dropped terms)."""
        return canonicalize(
            dict(document), loader=loader, strict=True, hash_algorithm=self.hash_name(algorithm)
        )

    def digest(self, data: str, *, algorithm: Algorithm) -> bytes:
        """Hash UTF-8 ``data`` with the suite's hash for keys of ``algorithm``."""
        return hashlib.new(self.hash_name(algorithm), data.encode("utf-8")).digest()
