"""Hostile inputs for the verifier, and how long the worst of them take (issue #11).

Each builder makes a document at (or just past) one of the verifier's limits
(``verifier.limits``): the most JSON values, the longest strings, the deepest nesting, the most
proofs, the most status entries, values merging into one node, a long ``@id`` repeated on every
quad of its node, blank nodes too alike to canonicalize, a JAdES seal around the largest
payload, and a pixel bomb. Those meant to pass the limits are signed with the reference key
(a did:key), so every check runs on them, the seal included.

``python bench/hostile.py`` verifies each in this process (as ``microcred verify`` would, with
the status lists served from memory) and prints seconds and the first two checks' codes;
``bench/run.py hostile`` runs this and the load test (``bench/hostile_load.py``) and writes
``results.json["hostile_load"]``.
"""

from __future__ import annotations

import copy
import io
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo.reference import reference_credential, reference_keypair  # noqa: E402
from keys.keypairs import KeyPair  # noqa: E402
from keys.proof import add_proof  # noqa: E402
from schemas.bitstring import encode_list  # noqa: E402
from verifier.limits import LIMITS  # noqa: E402

SIGNED_AT = datetime(2026, 7, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
LISTS = "https://issuer.example/status"
STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"


def key() -> KeyPair:
    """The reference issuer's key (did:key: verifying touches no network)."""
    return reference_keypair()


def sign(document: dict[str, Any], proofs: int = 1) -> dict[str, Any]:
    """``document`` with ``proofs`` proofs by the reference key."""
    for number in range(proofs):
        document = add_proof(
            document, key(), created=SIGNED_AT.replace(second=number % 60, minute=number // 60)
        )
    return document


def with_foreign_proof(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` carrying the reference credential's proof (for documents that cannot be
    signed because canonicalization refuses them: verifying must refuse them as fast)."""
    return {**document, "proof": sign(reference_credential(key(), outcomes=1))["proof"]}


def count_values(value: Any) -> int:
    """JSON values in ``value`` (as ``verifier.limits`` counts them)."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _fill(document: dict[str, Any], put: Callable[[dict[str, Any], int], None]) -> dict[str, Any]:
    """``document`` with ``put(document, n)`` for the largest n that keeps it, signed, within
    the value limit (binary search)."""
    low, high = 0, LIMITS.max_nodes
    while low < high:
        middle = (low + high + 1) // 2
        trial = copy.deepcopy(document)
        put(trial, middle)
        if count_values(trial) + 40 <= LIMITS.max_nodes:  # + the proof's values
            low = middle
        else:
            high = middle - 1
    put(document, low)
    return document


def max_values_outcomes() -> dict[str, Any]:
    """As many learning outcomes (objects with titles) as the value limit allows."""

    def put(document: dict[str, Any], n: int) -> None:
        spec = document["credentialSubject"]["hasClaim"]["specifiedBy"]
        first = spec["learningOutcome"][0]
        outcomes = []
        for number in range(n // 8):
            outcome = copy.deepcopy(first)
            outcome["id"] = f"urn:microcred:outcome:{number}"
            outcome["title"] = {"en": f"Outcome {number}"}
            outcomes.append(outcome)
        spec["learningOutcome"] = outcomes or [first]

    return sign(_fill(reference_credential(key(), outcomes=1), put))


def max_values_one_property() -> dict[str, Any]:
    """Every value allowed in one property of one node (pyld compares each with the others)."""

    def put(document: dict[str, Any], n: int) -> None:
        document["credentialSubject"]["hasClaim"]["title"] = {"en": [f"t{i}" for i in range(n)]}

    return sign(_fill(reference_credential(key(), outcomes=1), put))


def merged_node() -> dict[str, Any]:
    """Thousands of objects with one ``@id``: pyld merges their values into one node."""

    def put(document: dict[str, Any], n: int) -> None:
        spec = document["credentialSubject"]["hasClaim"]["specifiedBy"]
        spec["learningOutcome"] = [
            {"id": "urn:microcred:outcome:same", "type": "LearningOutcome", "title": {"en": str(i)}}
            for i in range(n // 5)
        ]

    return sign(_fill(reference_credential(key(), outcomes=1), put))


def longest_strings() -> dict[str, Any]:
    """Two strings of the longest length allowed (an embedded image, a note) near 2 MB."""
    document = reference_credential(key(), outcomes=1)
    image = "data:image/png;base64," + "A" * (LIMITS.max_string - 22)
    document["credentialSubject"]["hasClaim"]["title"] = {"en": image}
    room = LIMITS.max_bytes - len(json.dumps(document)) - 2_000
    document["credentialSubject"]["hasClaim"]["description"] = {"en": "\\" * (room // 2)}
    return sign(document)


def max_proofs() -> dict[str, Any]:
    """The reference credential with as many proofs as allowed, every one valid."""
    return sign(reference_credential(key(), outcomes=10), proofs=LIMITS.max_proofs)


def status_entries() -> tuple[dict[str, Any], dict[str, bytes]]:
    """As many status entries as allowed, each naming its own list, and those lists (signed by
    the issuer, each a 131,072-entry list with every 97th bit set)."""
    document = reference_credential(key(), outcomes=1)
    document["@context"].insert(2, STATUS_CONTEXT)
    pages: dict[str, bytes] = {}
    entries = []
    for number in range(LIMITS.max_status_entries):
        url = f"{LISTS}/{number}"
        entries.append(
            {
                "id": f"{url}#7",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "7",
                "statusListCredential": url,
            }
        )
        status = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": key().controller,
            "validFrom": "2026-07-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encode_list(list(range(11, 131_072, 97))),
            },
        }
        pages[url] = json.dumps(add_proof(status, key(), created=SIGNED_AT)).encode()
    document["credentialStatus"] = entries
    return sign(document), pages


def long_id() -> dict[str, Any]:
    """A node whose ``@id`` is as long as a string may be, with many properties: written out as
    N-Quads it would repeat on every quad (hundreds of MB); refused as too_large."""
    document = reference_credential(key(), outcomes=1)
    claim = document["credentialSubject"]["hasClaim"]
    claim["id"] = "urn:x:" + "i" * (LIMITS.max_string - 10)
    claim["title"] = {"en": [str(i) for i in range(500)]}
    return with_foreign_proof(document)


def alike_blank_nodes() -> dict[str, Any]:
    """Learning outcomes without ids, all alike: RDFC-1.0 cannot tell their blank nodes apart
    at first degree."""
    document = reference_credential(key(), outcomes=1)
    outcome = {"type": "LearningOutcome", "title": {"en": "same"}}
    spec = document["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["learningOutcome"] = [dict(outcome) for _ in range(2_000)]
    return with_foreign_proof(document)


def deepest() -> dict[str, Any]:
    """Nesting as deep as the reader allows (JSON-LD stops at 64: a format error)."""
    document: Any = {"note": "bottom"}
    for _ in range(LIMITS.max_depth - 2):
        document = {"credentialSubject": document}
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], **document}


def jades_around(credential: dict[str, Any]) -> dict[str, Any]:
    """A JWS JSON serialization whose payload is ``credential`` (a made-up signature)."""
    return {
        "payload": json.dumps(credential),
        "signatures": [{"protected": "eyJhbGciOiJSUzI1NiJ9", "signature": "AAAA"}],
    }


def pixel_bomb() -> bytes:
    """A 13,000 x 13,000 one-bit PNG (about 40 kB; 169 megapixels decoded)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (13_000, 13_000), 1).save(buffer, format="PNG")
    return buffer.getvalue()


def cases() -> dict[str, Any]:
    """Every hostile document by name (status lists aside)."""
    outcomes = max_values_outcomes()
    return {
        "max_values_outcomes": outcomes,
        "max_values_one_property": max_values_one_property(),
        "merged_node": merged_node(),
        "longest_strings": longest_strings(),
        "max_proofs": max_proofs(),
        "long_id": long_id(),
        "alike_blank_nodes": alike_blank_nodes(),
        "deepest": deepest(),
        "jades_max_payload": jades_around(outcomes),
    }


def measure() -> dict[str, Any]:
    """Verify each hostile document in this process; seconds, size and outcome of each."""
    from verifier.verify import VerifierOptions, verify_credential

    results: dict[str, Any] = {}
    documents = cases()
    with_status, pages = status_entries()
    documents["max_status_entries"] = with_status

    def fetch(url: str) -> bytes:
        return pages[url]

    for name, document in documents.items():
        body = json.dumps(document).encode()
        options = VerifierOptions(now=NOW, fetch=fetch)
        started = time.perf_counter()
        report = verify_credential(json.loads(body), options)
        seconds = time.perf_counter() - started
        results[name] = {
            "bytes": len(body),
            "values": count_values(document),
            "seconds": round(seconds, 3),
            "checks": {c.check: f"{c.outcome.value}:{c.code}" for c in report.checks[:3]},
            "verdict": report.verdict.value,
        }
    from verifier.inputs import InputError, decode_qr

    bomb = pixel_bomb()
    started = time.perf_counter()
    try:
        decode_qr(bomb)
        code = "read"
    except InputError as error:
        code = error.code
    results["pixel_bomb_13000x13000"] = {
        "bytes": len(bomb),
        "seconds": round(time.perf_counter() - started, 4),
        "refused": code,
    }
    return results


if __name__ == "__main__":
    for case, figures in measure().items():
        print(f"{case:<26} {json.dumps(figures)}")
