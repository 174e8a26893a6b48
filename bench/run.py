"""Benchmark: sign and verify the reference micro-credential N times on one core.

Prints credentials per second for each and writes ``bench/results.json``. The reference
credential carries every Annex I element and three learning outcomes (``issuer.demo``).
Usage: ``python bench/run.py [--count N] [--outcomes K]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from issuer.demo import reference_credential, reference_keypair
from keys.proof import add_proof
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver

RESULTS = Path(__file__).with_name("results.json")
CREATED = datetime(2026, 7, 1, tzinfo=UTC)


def measure(label: str, count: int, run) -> dict:
    """Run ``run`` ``count`` times (after one warm-up call); return the rate per second."""
    run()
    started = time.perf_counter()
    for _ in range(count):
        run()
    elapsed = time.perf_counter() - started
    return {
        "operation": label,
        "count": count,
        "seconds": round(elapsed, 4),
        "credentials_per_second": round(count / elapsed, 1),
    }


def main() -> None:
    """Measure signing and verifying; print a table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--outcomes", type=int, default=3)
    args = parser.parse_args()

    keypair = reference_keypair()
    credential = reference_credential(keypair, outcomes=args.outcomes)
    signed = add_proof(credential, keypair, created=CREATED)
    resolver = DidResolver()

    def verify_once() -> None:
        result = verify_proofs(signed, resolver=resolver, controllers={keypair.controller})
        assert result.verified, result

    rows = [
        measure(
            "sign",
            args.count,
            lambda: add_proof(credential, keypair, created=CREATED),
        ),
        measure("verify", args.count, verify_once),
    ]
    print(f"{'operation':<28} {'count':>6} {'seconds':>9} {'credentials/s':>14}")
    for row in rows:
        print(
            f"{row['operation']:<28} {row['count']:>6} {row['seconds']:>9} "
            f"{row['credentials_per_second']:>14}"
        )
    RESULTS.write_text(
        json.dumps(
            {
                "measured": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "credential": {
                    "learning_outcomes": args.outcomes,
                    "bytes": len(json.dumps(signed)),
                },
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
