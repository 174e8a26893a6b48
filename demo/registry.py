"""A demo accreditation registry for ``make run``: a demo authority recognises one agency,
which accredits the given organisations (Denmark and France, EQF up to 7, any field).

Run as ``python -m demo.registry OUT.json DID [DID ...]``; prints the authority's DID.
The keys are thrown away: the registry is for demonstration only.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from keys.did_key import keypair_with_did_key
from keys.keypairs import Algorithm, KeyPair
from verifier.registry.author import agencies_credential, bundle, record_credential, sign


def demo_registry(organisations: list[str], *, now: datetime | None = None) -> tuple[str, dict]:
    """(authority DID, registry document) accrediting ``organisations``."""
    now = now or datetime.now(UTC)
    authority = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
    agency = keypair_with_did_key(KeyPair.generate(Algorithm.ED25519))
    agencies = sign(
        agencies_credential(
            [
                {
                    "id": agency.controller,
                    "name": "Demo Accreditation Agency",
                    "jurisdictions": ["DNK", "FRA"],
                    "maxEQFLevel": 7,
                }
            ],
            authority=str(authority.controller),
            issued=now,
        ),
        authority,
        created=now,
    )
    records = [
        sign(
            record_credential(
                {
                    "organisation": did,
                    "title": "Institutional accreditation (demo)",
                    "issued": "2024-01-01",
                    "expiryDate": "2031-12-31",
                    "limitEQFLevel": [5, 6, 7],
                    "limitJurisdiction": ["DNK", "FRA"],
                },
                agency=str(agency.controller),
                issued=now,
            ),
            agency,
            created=now,
        )
        for did in organisations
    ]
    return str(authority.controller), bundle(agencies, records)


def main(argv: list[str]) -> int:
    """Write the registry to ``argv[0]`` for the DIDs that follow; print the authority DID."""
    if len(argv) < 2:
        print("usage: python -m demo.registry OUT.json DID [DID ...]", file=sys.stderr)
        return 2
    authority, registry = demo_registry(argv[1:])
    Path(argv[0]).write_text(json.dumps(registry, indent=2) + "\n", encoding="utf-8")
    print(authority)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
