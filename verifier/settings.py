"""What a verifier trusts and how it reaches the network — one settings module for the web
verifier and ``microcred verify``, read from the same environment variables:

- ``MICROCRED_REGISTRY`` and ``MICROCRED_REGISTRY_AUTHORITY``: the signed accreditation
  registry file and the DID of the authority whose signature it must carry;
- ``MICROCRED_TRUSTED_ISSUERS``: a trusted-issuers file (``verifier.trust``);
- ``MICROCRED_TRUST_ANCHORS``: a PEM file of the certificates EU (JAdES) seals must chain to
  (and time-stamping authorities too);
- ``MICROCRED_SEAL_CRLS``: a PEM or DER file of certificate revocation lists for those chains;
- ``MICROCRED_FETCH_ALLOW_PRIVATE=1``: the guarded client may reach private and loopback
  addresses (development only);
- ``MICROCRED_FETCH_REWRITES``: a JSON object mapping origins to where to fetch them, e.g.
  ``{"https://localhost:5000": "http://127.0.0.1:5000"}`` (did:web always means https);
- ``MICROCRED_FETCH_DEADLINE``: seconds a whole outbound fetch (every redirect hop, connect,
  TLS, headers and body together) may take before it fails ``fetch_timeout`` (default 10);
- ``MICROCRED_STATUS_MAX_AGE``: seconds a fetched status list (or did:web document) is used
  before its origin is asked again, at most (default 10; an origin's shorter ``max-age`` wins);
- ``MICROCRED_CACHE_URL`` (``redis://host:port/db``) or ``MICROCRED_CACHE_DIR``: where fetched
  documents are kept so that every worker shares them (``verifier.fetch.cache``);
- ``MICROCRED_VERIFY_BUDGET``: seconds one verification may take (default 5;
  ``verifier.limits``).

A file that is configured but cannot be read is an error when the settings are loaded (the web
verifier refuses to start, the CLI exits 2), never a silently empty trust source. The registry
is loaded (its signatures and chain verified) on first use and again whenever its file changes,
and so is the trusted-issuers file, so renewed sources are picked up without a restart.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from keys.resolver import DidResolver
from verifier.fetch.cache import FetchCache, max_age_setting, open_cache
from verifier.fetch.client import FetchPolicy
from verifier.limits import budget_setting
from verifier.registry.load import load_registry_file
from verifier.registry.model import AccreditationRegistry
from verifier.trust import TrustedIssuers, TrustListError, load_trusted_issuers

SETTINGS = "microcred.settings"
ENVIRONMENT = {
    "registry_path": "MICROCRED_REGISTRY",
    "registry_authority": "MICROCRED_REGISTRY_AUTHORITY",
    "trusted_issuers_path": "MICROCRED_TRUSTED_ISSUERS",
    "trust_anchors_path": "MICROCRED_TRUST_ANCHORS",
    "crls_path": "MICROCRED_SEAL_CRLS",
}


class SettingsError(ValueError):
    """A configured trust file that cannot be used; the message names the setting and file."""


def load_trust_anchors(path: str | None) -> list[x509.Certificate]:
    """The certificates in a PEM file (none when no file is configured); raises
    :class:`SettingsError` for a configured file that cannot be read or holds none."""
    if not path:
        return []
    try:
        return list(x509.load_pem_x509_certificates(Path(path).read_bytes()))
    except (OSError, ValueError) as error:
        raise SettingsError(f"MICROCRED_TRUST_ANCHORS: cannot read {path} ({error})") from None


def load_crls(path: str | None) -> list[x509.CertificateRevocationList]:
    """The CRLs in a PEM (one or more) or DER file; raises :class:`SettingsError` when a
    configured file cannot be read."""
    if not path:
        return []
    try:
        raw = Path(path).read_bytes()
        if b"-----BEGIN X509 CRL-----" not in raw:
            return [x509.load_der_x509_crl(raw)]
        blocks = raw.split(b"-----END X509 CRL-----")
        return [
            x509.load_pem_x509_crl(block + b"-----END X509 CRL-----\n")
            for block in blocks
            if b"-----BEGIN X509 CRL-----" in block
        ]
    except (OSError, ValueError) as error:
        raise SettingsError(f"MICROCRED_SEAL_CRLS: cannot read {path} ({error})") from None


def fetch_deadline_setting(value: str | None) -> float:
    """``MICROCRED_FETCH_DEADLINE`` as seconds: ``FetchPolicy.deadline`` when unset or empty;
    :class:`SettingsError` for anything but a positive, finite number."""
    if value is None or not value.strip():
        return FetchPolicy.deadline
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise SettingsError(f"MICROCRED_FETCH_DEADLINE must be seconds above 0, not {value!r}")
    return seconds


def fetch_policy_from(environ: Mapping[str, str]) -> FetchPolicy:
    """The guarded client's policy from ``MICROCRED_FETCH_ALLOW_PRIVATE``,
    ``MICROCRED_FETCH_REWRITES``, ``MICROCRED_FETCH_DEADLINE`` and
    ``MICROCRED_STATUS_MAX_AGE``; raises :class:`SettingsError` for rewrites that are not a
    JSON object of strings, a deadline or a maximum age that is not a number of seconds."""
    raw = environ.get("MICROCRED_FETCH_REWRITES", "") or "{}"
    try:
        rewrites = json.loads(raw)
    except ValueError:
        rewrites = None
    if not isinstance(rewrites, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in rewrites.items()
    ):
        raise SettingsError("MICROCRED_FETCH_REWRITES must be a JSON object of origin → origin")
    try:
        max_age = max_age_setting(environ.get("MICROCRED_STATUS_MAX_AGE"))
    except ValueError as error:
        raise SettingsError(str(error)) from None
    return FetchPolicy(
        allow_private=environ.get("MICROCRED_FETCH_ALLOW_PRIVATE") == "1",
        rewrites=rewrites,
        max_cache_seconds=max_age,
        deadline=fetch_deadline_setting(environ.get("MICROCRED_FETCH_DEADLINE")),
    )


def verify_budget_from(environ: Mapping[str, str]) -> float:
    """``MICROCRED_VERIFY_BUDGET`` in seconds (default 5); :class:`SettingsError` for a value
    that is not a positive number of at most 600."""
    try:
        return budget_setting(environ.get("MICROCRED_VERIFY_BUDGET"))
    except ValueError as error:
        raise SettingsError(
            f"MICROCRED_VERIFY_BUDGET={environ.get('MICROCRED_VERIFY_BUDGET')!r}: {error}"
        ) from None


def fetch_cache_from(environ: Mapping[str, str]) -> FetchCache:
    """The guarded client's cache: Redis at ``MICROCRED_CACHE_URL``, else the directory
    ``MICROCRED_CACHE_DIR``, else one in memory; raises :class:`SettingsError` for a URL that
    is not Redis's or a directory that cannot be made."""
    try:
        return open_cache(
            url=environ.get("MICROCRED_CACHE_URL"), directory=environ.get("MICROCRED_CACHE_DIR")
        )
    except (ValueError, OSError) as error:
        raise SettingsError(f"verifier cache: {error}") from None


@dataclass
class TrustSettings:
    """The verifier's trust configuration: file paths, with the trust anchors and CRLs read
    at construction (:meth:`load`) and the registry and trusted-issuers list read on use."""

    registry_path: str | None = None
    registry_authority: str | None = None
    trusted_issuers_path: str | None = None
    trust_anchors_path: str | None = None
    crls_path: str | None = None
    trust_anchors: list[x509.Certificate] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _registry: tuple[float, AccreditationRegistry] | None = field(default=None, repr=False)
    _trusted: tuple[float, TrustedIssuers] | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, **overrides: str | None
    ) -> TrustSettings:
        """Settings from ``environ`` (default ``os.environ``) with ``overrides`` (the CLI's
        flags; None means "not given") taking precedence. Reads the trust anchors, CRLs and
        trusted-issuers file now; raises :class:`SettingsError` naming what cannot be used."""
        environ = os.environ if environ is None else environ
        values: dict[str, str | None] = {
            name: environ.get(variable) or None for name, variable in ENVIRONMENT.items()
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if settings.registry_path and not settings.registry_authority:
            raise SettingsError(
                "MICROCRED_REGISTRY is set but MICROCRED_REGISTRY_AUTHORITY (the DID whose "
                "signature the registry must carry) is not"
            )
        settings.trust_anchors = load_trust_anchors(settings.trust_anchors_path)
        settings.crls = load_crls(settings.crls_path)
        settings.trusted_issuers()  # fail now, not at the first verification
        return settings

    def registry(self, fetch: Callable[[str], bytes] | None) -> AccreditationRegistry | None:
        """The accreditation registry, (re)loaded when its file changed; None if none is set."""
        if not self.registry_path:
            return None
        if not self.registry_authority:
            return AccreditationRegistry.unusable(
                "", "registry_malformed", "no registry authority DID is configured"
            )
        stamp = _stamp(self.registry_path)
        with self._lock:
            if self._registry is None or self._registry[0] != stamp:
                registry = load_registry_file(
                    self.registry_path,
                    authority=self.registry_authority,
                    resolver=DidResolver(fetch=fetch),
                )
                self._registry = (stamp, registry)
            return self._registry[1]

    def trusted_issuers(self) -> TrustedIssuers | None:
        """The trusted-issuers list, (re)read when its file changed; None if none is set.
        Raises :class:`SettingsError` when the file cannot be used."""
        if not self.trusted_issuers_path:
            return None
        stamp = _stamp(self.trusted_issuers_path)
        with self._lock:
            if self._trusted is None or self._trusted[0] != stamp:
                try:
                    self._trusted = (stamp, load_trusted_issuers(self.trusted_issuers_path))
                except TrustListError as error:
                    raise SettingsError(f"MICROCRED_TRUSTED_ISSUERS: {error.message}") from None
            return self._trusted[1]

    def describe(self) -> list[dict[str, Any]]:
        """The trust sources in use, for the home page and reports: kind, name or file."""
        sources: list[dict[str, Any]] = []
        if self.registry_path:
            sources.append(
                {
                    "kind": "registry",
                    "path": self.registry_path,
                    "authority": self.registry_authority,
                }
            )
        trusted = self._trusted[1] if self._trusted else None
        if self.trusted_issuers_path:
            sources.append(
                {
                    "kind": "trusted_issuers",
                    "path": self.trusted_issuers_path,
                    "name": trusted.name if trusted else None,
                    "issuers": len(trusted.issuers) if trusted else None,
                }
            )
        if self.trust_anchors:
            sources.append(
                {
                    "kind": "trust_anchors",
                    "path": self.trust_anchors_path,
                    "subjects": [c.subject.rfc4514_string() for c in self.trust_anchors],
                }
            )
        return sources


def _stamp(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0
