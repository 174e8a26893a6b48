"""Benchmark: sign and verify micro-credentials on one core, plain path against ours.

For the reference micro-credential (``demo.reference.reference_credential``: every Annex I element)
with 1, 3, 10 and 100 learning outcomes, measures credentials per second for signing
(``keys.proof.add_proof``, Ed25519 / eddsa-rdfc-2022) and verifying (``keys.proof_set.
verify_proofs``), once with the plain canonicalization (pyld expansion + pyoxigraph RDFC-1.0,
``schemas.jsonld.canonicalize_plain``) and once with ours (``schemas.jsonld.canonicalize``: shape
templates, see ``schemas/fastpath.py``). Every credential signed in a run has its own id and
subject, and each signature is checked to be byte-identical on both paths. Prints a table and
writes ``bench/results.json``.

Then the parts of issue #15 (``bench/eu.py``): the EU sample (plain, ours, the whole report and
the floor — the same work given the canonical N-Quads — side by side), a 3-body joint award
against a 1-body one (issue and verify), and the whole report (``verify_credential``, offline)
for every size of the outcome curve.

Then (unless ``--quick``) bulk issuance end to end on the task queue (``bench/bulk.py``:
PostgreSQL + Redis and SQLite embedded, at each of ``--bulk`` sizes (default 10,000 and
100,000 rows), with main's path beside: rows/s, peak memory of web, workers and broker)
and the verifier's HTTP throughput and p50/p99 latency, and the issuer's single-credential
issuance API (issues/s, p50/p99), under wrk with gunicorn on 2 workers for ``--http`` seconds
(``bench/http_load.py``).

Usage: ``python bench/run.py [--seconds S] [--outcomes 1,3,10,100] [--bulk ROWS]
[--bulk-main ROWS] [--http SECONDS] [--quick]``.

``python bench/run.py hostile [--hostile-seconds S]`` runs only the hostile part (issue #11):
the worst inputs the verifier's limits allow, each verified in this process
(``bench/hostile.py``), then twenty hostile clients against the verifier under gunicorn while
one client verifies valid credentials (``bench/hostile_load.py``); it writes
``results.json["hostile_load"]`` and leaves every other key as it was (and a full run keeps the
``hostile_load`` key it does not measure).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keys.cryptosuites.base as suite_base
from demo.reference import reference_credential, reference_keypair
from keys.proof import add_proof
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver
from schemas import fastpath
from schemas.jsonld import canonicalize, canonicalize_plain

RESULTS = Path(__file__).with_name("results.json")
CREATED = datetime(2026, 7, 1, tzinfo=UTC)
PATHS: dict[str, Callable[..., str]] = {"plain": canonicalize_plain, "ours": canonicalize}


def use_path(name: str) -> None:
    """Make the cryptosuites canonicalize with the named path ("plain" or "ours")."""
    suite_base.canonicalize = PATHS[name]  # type: ignore[attr-defined]


def variants(credential: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` copies of ``credential``, each with its own id and subject id."""
    result = []
    for number in range(count):
        item = copy.deepcopy(credential)
        item["id"] = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
        item["credentialSubject"]["id"] = f"urn:microcred:learner:{number}"
        result.append(item)
    return result


def measure(outcomes: int, seconds: float) -> dict[str, Any]:
    """Sign and verify rates for one credential size, plain and ours side by side."""
    import eu  # bench/eu.py
    keypair = reference_keypair()
    resolver = DidResolver()
    pool = variants(reference_credential(keypair, outcomes=outcomes), 64)
    row: dict[str, Any] = {"learning_outcomes": outcomes}
    signed: dict[str, list[dict[str, Any]]] = {}
    for name in PATHS:
        use_path(name)
        signed[name] = [add_proof(c, keypair, created=CREATED) for c in pool]
    if signed["plain"] != signed["ours"]:
        raise SystemExit(f"{outcomes} outcomes: plain and ours signed different bytes")
    row["bytes"] = len(json.dumps(signed["ours"][0]))
    for name in PATHS:
        use_path(name)

        def sign(i: int) -> None:
            add_proof(pool[i % len(pool)], keypair, created=CREATED)

        documents = signed[name]

        def verify(i: int, documents: list[dict[str, Any]] = documents) -> None:
            result = verify_proofs(
                documents[i % len(pool)], resolver=resolver, controllers={keypair.controller}
            )
            if not result.verified:
                raise SystemExit(f"verification failed: {result}")

        row[f"sign_{name}"] = round(eu.rate(seconds, sign), 1)
        row[f"verify_{name}"] = round(eu.rate(seconds, verify), 1)
    use_path("ours")
    row["report_ours"] = round(eu.report_rate(signed["ours"], seconds), 1)
    row["sign_ratio"] = round(row["sign_ours"] / row["sign_plain"], 1)
    row["verify_ratio"] = round(row["verify_ours"] / row["verify_plain"], 1)
    return row


def main() -> None:
    """Measure every size; print a table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "part",
        nargs="?",
        choices=["all", "hostile"],
        default="all",
        help="hostile: only the hostile inputs and the load test under them",
    )
    parser.add_argument(
        "--hostile-seconds", type=float, default=30.0, help="seconds of hostile load"
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--outcomes", default="1,3,10,100,300", help="learning outcomes per size")
    parser.add_argument(
        "--bulk",
        default="10000,100000",
        metavar="ROWS,ROWS",
        help="CSV rows of each bulk issuance run on the queue (0: skip)",
    )
    parser.add_argument(
        "--bulk-main",
        type=int,
        default=10_000,
        metavar="ROWS",
        help="CSV rows for main's bulk path (0: skip)",
    )
    parser.add_argument(
        "--http",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds of HTTP load per path on the verifier (0: skip)",
    )
    parser.add_argument("--quick", action="store_true", help="sign/verify only: no bulk, no HTTP")
    args = parser.parse_args()
    if args.part == "hostile":
        measure_hostile(args.hostile_seconds)
        return
    if args.quick:
        args.bulk, args.http = "0", 0

    fastpath.stats.reset()
    load_at_start = list(os.getloadavg())
    rows = [measure(int(n), args.seconds) for n in args.outcomes.split(",")]
    header = (
        f"{'outcomes':>8} {'bytes':>7} | {'sign plain':>10} {'sign ours':>10} {'x':>5} | "
        f"{'verify plain':>12} {'verify ours':>11} {'x':>5} | {'report':>7}"
        "   (credentials/s, one core)"
    )
    print(header)
    for row in rows:
        print(
            f"{row['learning_outcomes']:>8} {row['bytes']:>7} | {row['sign_plain']:>10} "
            f"{row['sign_ours']:>10} {row['sign_ratio']:>5} | {row['verify_plain']:>12} "
            f"{row['verify_ours']:>11} {row['verify_ratio']:>5} | {row['report_ours']:>7}"
        )
    import eu  # bench/eu.py

    eu_row = eu.measure_eu(args.seconds, use_path)
    print_eu(eu_row)
    joint = eu.measure_joint(args.seconds)
    print_joint(joint)
    print(
        f"fast path: {fastpath.stats.hits} hits, {fastpath.stats.compiled} shapes compiled, "
        f"{fastpath.stats.fallbacks} fallbacks"
    )
    results: dict[str, Any] = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "unit": "credentials per second, one core",
        "seconds_per_measurement": args.seconds,
        "load_average_at_start": load_at_start,
        "load_average_at_end": list(os.getloadavg()),
        "results": rows,
        "eu_sample": eu_row,
        "joint_award": joint,
    }
    sizes = tuple(int(n) for n in str(args.bulk).split(",") if int(n))
    if sizes:
        import bulk  # bench/bulk.py

        results["bulk"] = bulk.measure(sizes, main_rows=args.bulk_main)
        print_bulk(results["bulk"])
    if args.http:
        import http_load  # bench/http_load.py

        results["http"] = http_load.measure(args.http)
        print_http(results["http"])
    kept = _read_results()
    if "hostile_load" in kept:
        results["hostile_load"] = kept["hostile_load"]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {RESULTS}")


def _read_results() -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}
    return loaded


def measure_hostile(seconds: float) -> None:
    """The hostile part: worst inputs in process, then the load test; written under
    ``results.json["hostile_load"]``, every other key left as it was."""
    import hostile  # bench/hostile.py
    import hostile_load  # bench/hostile_load.py

    worst = hostile.measure()
    print(f"{'worst input':<26} {'bytes':>9} {'values':>7} {'seconds':>8}  outcome")
    for name, row in worst.items():
        outcome = row.get("refused") or f"{row['verdict']} {row['checks'].get('format', '')}"
        print(
            f"{name:<26} {row['bytes']:>9} {row.get('values', '-'):>7} {row['seconds']:>8}  "
            f"{outcome}"
        )
    load = hostile_load.measure(seconds)
    valid = load["valid_client"]
    print()
    print(
        f"valid client under {load['hostile_clients']} hostile clients for {seconds:g} s: "
        f"{valid['requests']} requests, {valid['errors']} errors, p50 {valid['p50_ms']} ms, "
        f"p90 {valid['p90_ms']} ms, p99 {valid['p99_ms']} ms, max {valid['max_ms']} ms; "
        f"worker restarts {load['worker_restarts']}"
    )
    for kind, answers in load["hostile_answers"].items():
        print(f"  {kind:<16} {answers}")
    results = _read_results()
    results["hostile_load"] = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "note": (
            "load generator on the same machine as the two workers; a shared developer "
            "machine: figures are an upper bound for latency"
        ),
        "worst_inputs": {
            "unit": "seconds to verify in one process (python bench/hostile.py)",
            **worst,
        },
        "load": load,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {RESULTS} (hostile_load)")


def print_eu(row: dict[str, Any]) -> None:
    """The EU sample table: plain, ours, the floor, ours / floor."""
    print()
    print(f"EU sample ({row['bytes']:,} bytes, {row['quads']} quads), one core, per second")
    print(f"{'':<34} {'plain':>8} {'ours':>8} {'floor':>8} {'ours/floor':>10}")
    lines = [
        ("sign (add a proof)", row["sign_per_s_plain"], row["sign_per_s"],
         row["floor_sign_per_s"], row["sign_of_floor"]),
        ("verify the proof", row["verify_per_s_plain"], row["verify_per_s"],
         row["floor_verify_per_s"], row["verify_of_floor"]),
        ("whole report (verify_credential)", "-", row["report_per_s"],
         row["floor_verify_per_s"], row["report_of_verify_floor"]),
    ]  # fmt: skip
    for label, plain, ours, floor, share in lines:
        print(f"{label:<34} {plain:>8} {ours:>8} {floor:>8} {share:>10.1%}")


def print_joint(result: dict[str, Any]) -> None:
    """The joint award table: 1 and 3 awarding bodies."""
    print()
    print(f"{'joint award':<12} {'issue/s':>8} {'report/s':>9}   (reference credential)")
    for count in (1, 3):
        row = result[f"{count}_body"]
        print(f"{count} bod{'y' if count == 1 else 'ies':<9} {row['issue_per_s']:>8} "
              f"{row['report_per_s']:>9}")  # fmt: skip
    print(
        f"3 bodies cost {result['issue_cost_ratio']}x to issue, "
        f"{result['verify_cost_ratio']}x to verify"
    )


def print_bulk(runs: list[dict[str, Any]]) -> None:
    """The bulk issuance table: every run on the queue, and main's path."""
    print()
    print(
        f"{'bulk issuance':<40} {'rows':>7} {'rows/s':>8} {'peak RSS MiB':>12} "
        "(CSV upload to every credential stored)"
    )
    for run in runs:
        label = f"{run['database']} + {run['queue']} ({run['path']})"
        rate = "-" if run["rows_per_second"] is None else run["rows_per_second"]
        peak = "-" if run["peak_rss_mib"] is None else run["peak_rss_mib"]
        print(f"{label:<40} {run['rows']:>7} {rate:>8} {peak:>12} {run.get('note', '')}")


def print_http(result: dict[str, Any]) -> None:
    """The verifier HTTP table."""
    print()
    print(
        f"{'verifier HTTP':<14} {'req/s':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'requests':>8} {'errors':>6}   (POST /api/verify, {result['server']}, "
        f"{result['generator']} -c8)"
    )
    for name in ("plain", "ours"):
        if name not in result:
            continue
        row = result[name]
        print(
            f"{name:<14} {row['requests_per_second']:>7} {row['p50_ms']:>8} "
            f"{row.get('p90_ms', '-'):>8} {row['p99_ms']:>8} {row['requests']:>8} "
            f"{row['socket_errors'] + row['non_2xx']:>6}"
        )
    if "eu_sample" in result:
        row = result["eu_sample"]
        print(
            f"{'ours EU':<14} {row['requests_per_second']:>7} {row['p50_ms']:>8} "
            f"{row.get('p90_ms', '-'):>8} {row['p99_ms']:>8} {row['requests']:>8} "
            f"{row['socket_errors'] + row['non_2xx']:>6}   (the EU sample, "
            f"{row['request_bytes']:,} bytes)"
        )
    if "ratio" in result:
        print(f"ours / plain req/s: {result['ratio']}x")
    if "issuer" in result:
        row = result["issuer"]
        print(
            f"{'issuer API':<14} {row['issues_per_second']:>7} {row['p50_ms']:>8} "
            f"{row.get('p90_ms', '-'):>8} {row['p99_ms']:>8} {row['requests']:>8} "
            f"{row['socket_errors'] + row['non_2xx']:>6}   (POST /api/v1/credentials, issues/s, "
            f"{row['database']}, a new learner per request)"
        )


if __name__ == "__main__":
    main()
