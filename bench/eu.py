"""Benchmark parts of issue #15: the EU sample against the floor, joint awards, the whole report.

* **EU sample** (``../shared/reference/elm/Sample-MC-Annex1-unsigned.jsonld`` plus the Data
  Integrity v2 context; issuer and awarding body made the reference key's did:key so that the
  whole report is offline): sign (``add_proof``), verify the proof (``verify_proofs``) on the plain
  path and ours, the whole report (``verifier.verify.verify_credential``, offline), and the
  **floor**: the same work given the canonical N-Quads (sort the lines, SHA-256 the document and
  the proof configuration, Ed25519 sign or verify). Ours, the whole report and the floor are
  measured in turns (:func:`rates`), so that the ratios hold while the machine's speed drifts.
* **Joint award**: the reference credential awarded by 1 and by 3 bodies (each signs: a proof
  set); issuing = what the issuer does to the document (strict check, the Annex I profile, one
  proof per body), verifying = the whole report.
* **Report** per credential size for the outcome curve (``report_per_s`` in each row of
  ``bench/run.py``).

Every function works on the commit this issue started from too (``PreparedDocument`` and
``add_proofs`` are used when they exist), so the same bench runs on both trees.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from demo.reference import (
    demo_award,
    demo_organisation,
    reference_keypair,
)
from keys.keypairs import KeyPair
from keys.proof import add_proof, proof_configuration, unsecured
from keys.proof_set import verify_proofs
from keys.resolver import DidResolver
from schemas.elm.build import build_microcredential
from schemas.elm.profile import validate_microcredential
from schemas.jsonld import canonicalize, check_strict
from verifier.verify import VerifierOptions, verify_credential

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "reference"
    / "elm"
    / "Sample-MC-Annex1-unsigned.jsonld"
)
DI_V2 = "https://w3id.org/security/data-integrity/v2"
CREATED = datetime(2026, 7, 1, tzinfo=UTC)
NOW = datetime(2026, 8, 1, tzinfo=UTC)


def rate(seconds: float, run: Callable[[int], Any]) -> float:
    """Calls of ``run(i)`` per second over about ``seconds`` (after one warm-up call)."""
    return rates(seconds, {"run": run})["run"]


def rates(seconds: float, runs: dict[str, Callable[[int], Any]]) -> dict[str, float]:
    """Calls per second of each of ``runs``, measured *interleaved*: in turns of at most a tenth
    of ``seconds`` each, until each has run about ``seconds`` in all (after one warm-up call
    each). Whatever slows the machine meanwhile slows all of them alike, so the ratios between
    them hold better than rates measured one after another."""
    turn = min(0.1, seconds / 10)
    counts = dict.fromkeys(runs, 0)
    spent = dict.fromkeys(runs, 0.0)
    for run in runs.values():
        run(0)
    while min(spent.values()) < seconds:
        for name, run in runs.items():
            count = counts[name]
            started = time.perf_counter()
            deadline = started + turn
            while True:
                run(count)
                count += 1
                if count % 8 == 0 and time.perf_counter() >= deadline:
                    break
            spent[name] += time.perf_counter() - started
            counts[name] = count
    return {name: counts[name] / spent[name] for name in runs}


def eu_sample(keypair: KeyPair, count: int = 16) -> list[dict[str, Any]]:
    """``count`` copies of the EU sample (own ids and subjects), issued and awarded by
    ``keypair``'s DID, with the Data Integrity v2 context."""
    text = SAMPLE.read_text(encoding="utf-8").replace(
        '"urn:epass:org:1"', json.dumps(keypair.controller)
    )
    base = json.loads(text)
    base["@context"] = [*base["@context"], DI_V2]
    pool = []
    for number in range(count):
        item = copy.deepcopy(base)
        item["id"] = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
        item["credentialSubject"]["id"] = f"urn:microcred:learner:{number}"
        pool.append(item)
    return pool


def floor_runs(signed: dict[str, Any], keypair: KeyPair) -> dict[str, Callable[[int], Any]]:
    """The floor's sign and verify, given the canonical N-Quads (the lines shuffled, to be
    sorted): sort, SHA-256 the document and the proof configuration, Ed25519."""
    document = canonicalize(unsecured(signed))
    config = canonicalize(proof_configuration(unsecured(signed), signed["proof"]))
    shuffled = document.splitlines(keepends=True)
    random.Random(15).shuffle(shuffled)
    config_lines = config.splitlines(keepends=True)
    secret = keypair.private_key
    public = keypair.public_key
    assert secret is not None

    def hashed() -> bytes:
        text = "".join(sorted(shuffled))
        options = "".join(sorted(config_lines))
        return hashlib.sha256(options.encode()).digest() + hashlib.sha256(text.encode()).digest()

    def sign(_: int) -> None:
        secret.sign(hashed())

    signature = secret.sign(hashed())

    def verify(_: int) -> None:
        public.verify(signature, hashed())  # raises if it were wrong

    return {"floor_sign_per_s": sign, "floor_verify_per_s": verify}


def report_run(documents: list[dict[str, Any]]) -> Callable[[int], Any]:
    """One whole report (``verify_credential``, offline) of the ``i``-th document, in turn;
    each document must have a genuine seal and a well-formed document."""
    options = VerifierOptions(now=NOW)
    for document in documents[:2]:
        checks = {c.check: c for c in verify_credential(document, options).checks}
        if checks["seal"].outcome.value != "ok" or checks["format"].outcome.value != "ok":
            raise SystemExit(f"report: {checks['format']} / {checks['seal']}")

    def run(i: int) -> None:
        verify_credential(documents[i % len(documents)], options)

    return run


def report_rate(documents: list[dict[str, Any]], seconds: float) -> float:
    """Whole reports (:func:`report_run`) per second."""
    return rate(seconds, report_run(documents))


def measure_eu(seconds: float, use_path: Callable[[str], None]) -> dict[str, Any]:
    """The EU sample row: plain and ours, the whole report, the floor, the ratios."""
    keypair = reference_keypair()
    resolver = DidResolver()
    pool = eu_sample(keypair)
    row: dict[str, Any] = {"bytes": len(json.dumps(pool[0]))}
    signed: dict[str, list[dict[str, Any]]] = {}
    for name in ("plain", "ours"):
        use_path(name)
        signed[name] = [add_proof(c, keypair, created=CREATED) for c in pool]
        row["quads"] = canonicalize(unsecured(signed[name][0])).count("\n")
    if signed["plain"] != signed["ours"]:
        raise SystemExit("EU sample: plain and ours signed different bytes")
    for name in ("plain", "ours"):
        use_path(name)
        documents = signed[name]

        def sign(i: int) -> None:
            add_proof(pool[i % len(pool)], keypair, created=CREATED)

        def verify(i: int, documents: list[dict[str, Any]] = documents) -> None:
            if not verify_proofs(
                documents[i % len(pool)], resolver=resolver, controllers={keypair.controller}
            ).verified:
                raise SystemExit("EU sample: verification failed")

        runs = {"sign_per_s": sign, "verify_per_s": verify}
        if name == "ours":  # ours, the whole report and the floor in turns: the ratios
            runs["report_per_s"] = report_run(documents)
            runs.update(floor_runs(documents[0], keypair))
        suffix = "" if name == "ours" else "_plain"
        for measured, per_s in rates(seconds, runs).items():
            row[measured.replace("_per_s", f"_per_s{suffix}", 1)] = round(per_s, 1)
    row["sign_of_floor"] = round(row["sign_per_s"] / row["floor_sign_per_s"], 3)
    row["verify_of_floor"] = round(row["verify_per_s"] / row["floor_verify_per_s"], 3)
    row["report_of_verify_floor"] = round(row["report_per_s"] / row["floor_verify_per_s"], 3)
    return row


def _issue(document: dict[str, Any], keypairs: list[KeyPair]) -> dict[str, Any]:
    """What issuance does to a built document: strict check, the profile, one proof per body
    (with one canonicalization where this tree can)."""
    try:
        from keys.proof import add_proofs
        from schemas.jsonld import PreparedDocument
    except ImportError:  # the tree before issue #15
        check_strict(document)
        validate_microcredential(document)
        for keypair in keypairs:
            document = add_proof(document, keypair, created=CREATED)
        return document
    prepared = PreparedDocument(document)
    prepared.check_strict()
    # As issuer.credentials.issuance.check_document does: the profile is told what the shape
    # read.
    validate_microcredential(document, plain=prepared.plain_json())
    return add_proofs(document, keypairs, created=CREATED, prepared=prepared)


def measure_joint(seconds: float) -> dict[str, Any]:
    """Issue and verify (whole report) a 1-body and a 3-body award; the ratios."""
    keypairs = [reference_keypair(seed) for seed in (1, 2, 3)]
    bodies = [
        demo_organisation(str(k.controller), f"Demo University {n}", "DNK", "Denmark")
        for n, k in enumerate(keypairs, 1)
    ]
    result: dict[str, Any] = {}
    runs: dict[str, Callable[[int], Any]] = {}
    for count in (1, 3):
        built = [
            build_microcredential(demo_award(bodies[0], bodies[:count], number=n))
            for n in range(16)
        ]
        signers = keypairs[:count]
        issued = [_issue(d, signers) for d in built]

        def issue(i: int, built: list[dict[str, Any]] = built, signers: list[KeyPair] = signers):
            _issue(built[i % len(built)], signers)

        runs[f"{count}_body issue_per_s"] = issue
        runs[f"{count}_body report_per_s"] = report_run(issued)
    for measured, per_s in rates(seconds, runs).items():  # in turns: the ratios
        bodies_count, figure = measured.split()
        result.setdefault(bodies_count, {})[figure] = round(per_s, 1)
    one, three = result["1_body"], result["3_body"]
    result["issue_cost_ratio"] = round(one["issue_per_s"] / three["issue_per_s"], 2)
    result["verify_cost_ratio"] = round(one["report_per_s"] / three["report_per_s"], 2)
    return result
