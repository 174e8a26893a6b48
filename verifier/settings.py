"""What a running verifier is configured to trust: the accreditation registry and the trust
anchors for EU (JAdES) seals. Both are read from files named in the configuration.

The registry is loaded (its signatures and chain verified) on first use and again whenever
its file changes, so a renewed registry is picked up without a restart.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from keys.resolver import DidResolver
from verifier.accreditation import AccreditationRegistry, load_registry_file

SETTINGS = "microcred.settings"


def load_trust_anchors(path: str | None) -> list[x509.Certificate]:
    """The certificates in a PEM file (none when no file is configured); a configured file
    that cannot be read is an error at start-up, not a silent empty list."""
    if not path:
        return []
    return list(x509.load_pem_x509_certificates(Path(path).read_bytes()))


@dataclass
class AppSettings:
    """The verifier app's trust configuration."""

    registry_path: str | None = None
    registry_authority: str | None = None
    trust_anchors: list[x509.Certificate] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _loaded: tuple[float, AccreditationRegistry] | None = field(default=None, repr=False)

    def registry(self, fetch: Callable[[str], bytes]) -> AccreditationRegistry | None:
        """The accreditation registry, (re)loaded when its file changed; None if none is set."""
        if not self.registry_path:
            return None
        if not self.registry_authority:
            return AccreditationRegistry.unusable(
                "", "registry_malformed", "no registry authority DID is configured"
            )
        try:
            stamp = os.stat(self.registry_path).st_mtime
        except OSError:
            stamp = -1.0
        with self._lock:
            if self._loaded is None or self._loaded[0] != stamp:
                registry = load_registry_file(
                    self.registry_path,
                    authority=self.registry_authority,
                    resolver=DidResolver(fetch=fetch),
                )
                self._loaded = (stamp, registry)
            return self._loaded[1]
