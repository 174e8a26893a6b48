"""Benchmark: bulk issuance of a CSV file end to end through the issuer (issue #6).

A fresh temporary SQLite database is migrated (``issuer.db.upgrade``) and given the demo
partnership (``demo.partnership.create_demo``); a CSV of ``rows`` learners (columns
reference, given_name, family_name, email) is built in memory, stored as a job
(``issuer.bulk.jobs.create_job``: parsing and checking every row) and issued
(``issuer.bulk.jobs.run_job``: one transaction per row, each credential signed, its status entry and
audit event written), exactly as the issuer's inline bulk worker does. Every row must end up
issued.

Each measurement runs in its own child process (``python bench/bulk.py --rows N --path P``),
so the peak memory is that of the bulk job alone and not of whatever ran before it:

* ``peak_rss_mib``: the child's ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end
  (the whole process: interpreter, libraries, app, job);
* ``rss_growth_mib``: that peak minus ``ru_maxrss`` just before ``create_job`` (what the job
  added on top of a ready issuer);
* ``tracemalloc_peak_mib`` (only with ``--tracemalloc``, off by default since it slows the
  run): the peak of Python allocations during create_job + run_job.

``path`` "ours" signs with ``schemas.jsonld.canonicalize`` (the fast path), "plain" with
``schemas.jsonld.canonicalize_plain``, switched the same way as ``bench/run.py`` does
(``keys.cryptosuites.base.canonicalize``). Note that the issuer's SQLite worker deliberately
pauses 0.12 s after each second of work (``issuer.bulk.jobs.PAUSE_EVERY``/``PAUSE_FOR``, to let web
requests write): it is part of the end-to-end figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "bench-passphrase"
BASE_URL = "https://issuer.example"


def cohort_csv(rows: int) -> bytes:
    """A CSV file of ``rows`` distinct learners, built in memory."""
    lines = ["reference,given_name,family_name,email\n"]
    lines.extend(f"B-{n:06d},Given{n},Family{n},learner{n}@example.org\n" for n in range(rows))
    return "".join(lines).encode()


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_bulk(rows: int, path: str = "ours", *, trace: bool = False) -> dict[str, Any]:
    """Issue ``rows`` CSV rows through a fresh issuer in this process; the figures."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    import keys.cryptosuites.base as suite_base
    from demo.partnership import create_demo
    from issuer.app import create_app
    from issuer.bulk.jobs import create_job, run_job
    from issuer.db import make_engine, session_factory, transaction, upgrade
    from issuer.models import BulkJob, IssuedCredential, JobState, Organisation, Specification
    from schemas import fastpath
    from schemas.jsonld import canonicalize, canonicalize_plain

    suite_base.canonicalize = {"ours": canonicalize, "plain": canonicalize_plain}[path]  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="microcred-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'issuer.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        with sessionmaker(bind=engine).begin() as session:
            demo = create_demo(session, base_url=BASE_URL, passphrase=PASSPHRASE.encode())
            issuer_id = demo.organisations[0].id
            specification_id = demo.specification.id
        engine.dispose()
        app = create_app(
            {
                "DATABASE_URL": url,
                "ISSUER_BASE_URL": BASE_URL,
                "VERIFIER_BASE_URL": "https://verifier.example",
                "KEY_PASSPHRASE": PASSPHRASE,
                "BULK_WORKER": "inline",
                "SECRET_KEY": "bench",
            }
        )
        app.instance_path = str(Path(folder) / "instance")
        content = cohort_csv(rows)
        fastpath.stats.reset()
        rss_before = _maxrss_mib()
        if trace:
            import tracemalloc

            tracemalloc.start()
        started = time.perf_counter()
        with transaction(app) as session:
            issuer = session.get(Organisation, issuer_id)
            job = create_job(
                session,
                issuer=issuer,
                specification=session.get(Specification, specification_id),
                awarding_bodies=[issuer],
                filename="cohort.csv",
                content=content,
                actor="bench",
            )
            job_id = job.id
        created = time.perf_counter()
        run_job(app, job_id)
        finished = time.perf_counter()
        traced = None
        if trace:
            traced = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        with transaction(app) as session:
            job = session.get(BulkJob, job_id)
            state, issued, errors = job.state, job.issued_rows, job.error_rows
            stored = session.scalar(
                select(func.count())
                .select_from(IssuedCredential)
                .where(IssuedCredential.bulk_job_id == job_id)
            )
        session_factory(app).kw["bind"].dispose()
    if state is not JobState.DONE or issued != rows or errors or stored != rows:
        raise SystemExit(
            f"bulk ({path}): job {state}, {issued} issued, {errors} errors, "
            f"{stored} credentials stored, of {rows} rows"
        )
    wall = finished - started
    result: dict[str, Any] = {
        "path": path,
        "rows": rows,
        "issued": issued,
        "csv_bytes": len(content),
        "create_job_seconds": round(created - started, 3),
        "run_job_seconds": round(finished - created, 3),
        "wall_seconds": round(wall, 3),
        "rows_per_second": round(rows / wall, 1),
        "peak_rss_mib": round(_maxrss_mib(), 1),
        "rss_growth_mib": round(_maxrss_mib() - rss_before, 1),
        "fastpath": {
            "hits": fastpath.stats.hits,
            "compiled": fastpath.stats.compiled,
            "fallbacks": fastpath.stats.fallbacks,
        },
    }
    if traced is not None:
        result["tracemalloc_peak_mib"] = round(traced, 1)
    return result


def run_child(
    rows: int, path: str, *, trace: bool = False, timeout: float = 1800
) -> dict[str, Any]:
    """``run_bulk`` in a fresh child process (own peak memory); its result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--rows", str(rows), "--path", path]
    if trace:
        command.append("--tracemalloc")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bulk benchmark ({path}, {rows} rows) failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(rows: int = 10_000, plain_rows: int | None = 1_000) -> dict[str, Any]:
    """Bulk issuance of ``rows`` rows on our path, and of ``plain_rows`` (0/None: skipped) on
    the plain path, whose rows/s is extrapolated to ``rows`` (labelled so)."""
    result: dict[str, Any] = {
        "unit": "rows per second end to end (create_job + run_job); peak memory in MiB",
        "memory": "ru_maxrss of a child process running only this job (peak_rss_mib), and "
        "its growth from just before create_job (rss_growth_mib)",
        "ours": run_child(rows, "ours"),
    }
    if plain_rows:
        plain = run_child(plain_rows, "plain")
        plain["extrapolated_wall_seconds_for_rows"] = round(rows / plain["rows_per_second"], 1)
        plain["note"] = (
            f"measured on {plain_rows} rows; wall time for {rows} rows extrapolated "
            "at the same rate"
            if plain_rows != rows
            else "measured on the full row count"
        )
        result["plain"] = plain
        result["ratio"] = round(result["ours"]["rows_per_second"] / plain["rows_per_second"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--path", choices=("ours", "plain"), default="ours")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run_bulk(args.rows, args.path, trace=args.tracemalloc)))


if __name__ == "__main__":
    main()
