"""Cold start: from process start to ``/readyz`` 200, with a large active catalogue stored.

Stores the seeded synthetic catalogue (bench/synthetic.py, 100,000 offerings by default) as
the active version in a fresh SQLite file and in a fresh PostgreSQL database, then starts
``referral serve`` (one uvicorn worker) against each and polls ``/readyz`` until it answers 200.
Reported per database: the median of three starts, and the worker's peak RSS (VmHWM).

    python -m bench coldstart [--offerings 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.support import free_port, fresh_postgres_database, peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_DATABASE = "referral_bench_coldstart"


def _store(url: str, offerings: int) -> None:
    """Migrate ``url`` and store the synthetic catalogue as its active version."""
    from bench.synthetic import generate
    from referral_api.curation import catalog_documents, read_rules_texts
    from referral_api.curation.problems import ProblemLog
    from referral_api.curation.rules_loader import load_rules_texts
    from referral_api.curation.snapshot import Snapshot, _plain, catalog_from_snapshot
    from referral_api.store.catalogs import store_snapshot
    from referral_api.store.db import Database
    from referral_api.store.migrate import upgrade

    database = Database.from_url(url)
    upgrade(database.engine)
    texts = read_rules_texts(ROOT / "rules", ProblemLog())
    rules = load_rules_texts(texts).require()
    catalog = catalog_from_snapshot(generate(offerings, n_needs=1).documents)
    snapshot = Snapshot(catalog, rules, _plain(catalog_documents(catalog)), texts)
    with database.session() as session:
        store_snapshot(session, snapshot, actor="bench", action="load", note="cold start bench")
    database.dispose()


def _start(url: str, timeout: float = 120.0) -> tuple[float, float]:
    """Seconds from spawning ``referral serve`` to ``/readyz`` 200, and its peak RSS in MB."""
    port = free_port()
    env = {**os.environ, "REFERRAL_DATABASE_URL": url, "REFERRAL_PORT": str(port)}
    referral = str(Path(sys.executable).parent / "referral")
    started = time.perf_counter()
    server = subprocess.Popen(
        [referral, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(timeout=1.0) as client:
            while time.perf_counter() - started < timeout:
                try:
                    if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        ready = time.perf_counter() - started
                        return ready, peak_rss_mb(server.pid)
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"not ready within {timeout} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench coldstart")
    parser.add_argument("--offerings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"offerings": args.offerings}
    with tempfile.TemporaryDirectory() as scratch:
        targets = {"sqlite": f"sqlite:///{scratch}/coldstart.db"}
        postgres = fresh_postgres_database(BENCH_DATABASE)
        if postgres is not None:
            targets["postgresql"] = postgres
        else:
            print("PostgreSQL unreachable at 127.0.0.1:5432: measuring SQLite only")
        for name, url in targets.items():
            stored = time.perf_counter()
            _store(url, args.offerings)
            setup = time.perf_counter() - stored
            runs = [_start(url) for _ in range(args.runs)]
            report[name] = {
                "ready_s": [round(r, 2) for r, _ in runs],
                "median_ready_s": round(statistics.median(r for r, _ in runs), 2),
                "peak_rss_mb": max(m for _, m in runs),
                "store_s": round(setup, 1),
            }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "coldstart.json").write_text(json.dumps(report, indent=2))
    for name in ("sqlite", "postgresql"):
        if name in report:
            row = report[name]
            print(
                f"{name:<10} {args.offerings} offerings: ready in {row['median_ready_s']} s "
                f"(runs {row['ready_s']}), peak RSS {row['peak_rss_mb']} MB"
            )
    print(f"results: {RESULTS / 'coldstart.json'}")
    return 0
