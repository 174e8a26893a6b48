"""A trusted-issuers file: the plainest trust source — the DIDs a verifier's operator vouches for.

Where no accreditation registry exists (or beside one), an operator lists the issuers and
awarding bodies they trust, each with the name to show and, optionally, the scope they are
trusted for (the same limits an accreditation record carries)::

    {
      "type": "TrustedIssuers",
      "version": 1,
      "name": "Green Data Alliance partners",
      "issuers": [
        {"id": "did:web:uni.example", "name": "Example University",
         "scope": {"limitEQFLevel": [5, 6, 7], "limitField": ["06"],
                   "limitJurisdiction": ["DNK"]}}
      ]
    }

``scope`` members (all optional): ``limitEQFLevel`` (1..8), ``limitField`` (ISCED-F codes, a
tree: ``06`` covers ``0688``), ``limitJurisdiction`` (alpha-3 countries or NUTS regions) and
``limitQualification`` (qualification IRIs). A party listed without a scope is trusted for
anything it awards. The file is the operator's own configuration: it is read as it is, not
signed (an accreditation registry is the signed, delegable source).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from verifier.registry.model import Limits, limits_from
from verifier.registry.vocabulary import RegistryFormatError

LIST_TYPE: Final = "TrustedIssuers"
LIST_VERSION: Final = 1
SCOPE_MEMBERS: Final = ("limitEQFLevel", "limitField", "limitJurisdiction", "limitQualification")


class TrustListError(ValueError):
    """A trusted-issuers file that cannot be used; the message names the file and the fault.

    ``code`` is stable: ``trust_list_unreadable`` or ``trust_list_malformed``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TrustedIssuer:
    """One party the operator vouches for: its DID, the name to show and its scope."""

    id: str
    name: str
    scope: Limits | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form shown in reports."""
        data: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.scope is not None:
            data["scope"] = self.scope.to_dict()
        return data


@dataclass(frozen=True)
class TrustedIssuers:
    """A loaded trusted-issuers file."""

    name: str
    path: str
    issuers: Mapping[str, TrustedIssuer]

    def get(self, did: str | None) -> TrustedIssuer | None:
        """The entry for ``did``, or None when the list does not name it."""
        return self.issuers.get(did) if did else None

    def summary(self) -> dict[str, Any]:
        """A short description: name, file and how many parties it lists."""
        return {"name": self.name, "path": self.path, "issuers": len(self.issuers)}


def parse_trusted_issuers(document: Any, *, path: str = "") -> TrustedIssuers:
    """The trusted-issuers list in ``document`` (parsed JSON); raises :class:`TrustListError`
    (``trust_list_malformed``) naming the first fault: wrong type or version, an entry
    without a DID ``id`` or a ``name``, a DID listed twice, an invalid scope value."""

    def fault(message: str) -> TrustListError:
        return TrustListError("trust_list_malformed", f"{path or 'trusted issuers'}: {message}")

    if not isinstance(document, Mapping):
        raise fault("not a JSON object")
    if document.get("type") != LIST_TYPE or document.get("version") != LIST_VERSION:
        raise fault(f'expected "type": "{LIST_TYPE}" and "version": {LIST_VERSION}')
    entries = document.get("issuers")
    if not isinstance(entries, list):
        raise fault('"issuers" must be a list')
    issuers: dict[str, TrustedIssuer] = {}
    for index, entry in enumerate(entries):
        where = f"issuers[{index}]"
        if not isinstance(entry, Mapping):
            raise fault(f"{where} is not an object")
        did, name = entry.get("id"), entry.get("name")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise fault(f"{where}.id must be a DID")
        if not isinstance(name, str) or not name.strip():
            raise fault(f"{where}.name must be the name to show")
        if did in issuers:
            raise fault(f"{where}: {did} is listed twice")
        issuers[did] = TrustedIssuer(did, name.strip(), _scope(entry.get("scope"), where, fault))
    title = document.get("name")
    return TrustedIssuers(
        name=title if isinstance(title, str) and title.strip() else Path(path).name or LIST_TYPE,
        path=path,
        issuers=issuers,
    )


def load_trusted_issuers(path: str | Path) -> TrustedIssuers:
    """Read and parse the trusted-issuers file at ``path``; raises :class:`TrustListError`
    (``trust_list_unreadable`` when the file cannot be read or is not JSON)."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise TrustListError(
            "trust_list_unreadable", f"{path}: cannot read the trusted-issuers file ({error})"
        ) from None
    return parse_trusted_issuers(document, path=str(path))


def _scope(value: Any, where: str, fault: Any) -> Limits | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - set(SCOPE_MEMBERS):
        raise fault(f"{where}.scope may only hold {', '.join(SCOPE_MEMBERS)}")
    try:
        return limits_from(value, agency=False)
    except RegistryFormatError as error:
        raise fault(f"{where}.scope: {error}") from None


def trusted_issuers_document(
    issuers: list[tuple[str, str]] | list[dict[str, Any]], *, name: str
) -> dict[str, Any]:
    """A trusted-issuers file's content for ``issuers`` — ``(did, name)`` pairs or entries
    ``{"id", "name", "scope"?}`` — checked by :func:`parse_trusted_issuers` before it is
    returned (raises :class:`TrustListError` for an entry that would not load)."""
    entries = [
        {"id": entry[0], "name": entry[1]} if isinstance(entry, tuple) else dict(entry)
        for entry in issuers
    ]
    document = {"type": LIST_TYPE, "version": LIST_VERSION, "name": name, "issuers": entries}
    parse_trusted_issuers(document)
    return document
