"""Backlog import: ``referral batch --record`` against plain ``referral batch``, same needs.

Builds a seeded backlog of ``--needs`` needs (10,000 by default) from the labelled customer
needs of ``tests/data/`` (each with a ticket number appended, a time spread over the last year
and a channel), as JSONL and as CSV, in a scratch directory; migrates a fresh database (SQLite
file, or ``--database postgresql``) with the demo catalogue. Then, in the same run and
alternating which goes first, it times whole ``referral`` processes (start-up and catalogue
load included, as a user runs them): ``batch`` (answers only) and ``batch --record`` (answers,
records and gap facts written to the database), each ``--runs`` times, and reports the median
wall seconds of each and their ratio (the target: at most 2), and the same for the processes'
CPU seconds (which move less with what else a shared machine runs; on PostgreSQL the server's
own CPU is not in them). The CSV import is timed once
more on its own. Results in ``bench/results/backlog-<database>.json``.

    python -m bench backlog [--needs 10000] [--runs 2] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.support import ROOT, run_database

RESULTS = ROOT / "bench" / "results"
SEED = 20261207
SOURCES = ("customer_needs.jsonl", "check_needs.jsonl", "demo_needs.jsonl")
CHANNELS = ("api", "advocate", "widget")


def backlog(count: int, now: dt.datetime) -> list[dict[str, Any]]:
    """``count`` needs in customers' words, seeded: the labelled needs, each with a ticket
    number (so no two texts are equal), a time in the last year and a channel."""
    texts = [
        json.loads(line)["need"]
        for name in SOURCES
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    draw = random.Random(SEED)
    needs = []
    for number in range(count):
        seconds = draw.randrange(365 * 24 * 3600)
        needs.append(
            {
                "id": f"t{number}",
                "need": f"{draw.choice(texts)} (ticket {number})",
                "created_at": (now - dt.timedelta(seconds=seconds)).isoformat(),
                "channel": draw.choice(CHANNELS),
            }
        )
    return needs


def _timed(args: list[str], env_url: str | None) -> tuple[float, float]:
    """Run one ``referral`` process: its wall seconds, and its CPU seconds (user + system),
    which move less with what else the machine runs."""
    command = [str(Path(sys.executable).parent / "referral"), *args]
    if env_url is not None:
        command += ["--database-url", env_url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def _count_records(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        count = int(connection.execute(text("SELECT count(*) FROM recommendations")).scalar_one())
    engine.dispose()
    return count


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench backlog")
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as scratch:
        url = run_database(args.database, "referral_bench_backlog", scratch)
        if url is None:
            return 1
        needs = backlog(args.needs, now)
        jsonl = Path(scratch) / "backlog.jsonl"
        jsonl.write_text("".join(json.dumps(n) + "\n" for n in needs), encoding="utf-8")
        table = Path(scratch) / "backlog.csv"
        with table.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "need", "created_at", "channel"])
            writer.writeheader()
            writer.writerows(needs)
        referral = str(Path(sys.executable).parent / "referral")
        for setup in (["db", "upgrade"], ["catalog", "load", "--note", "backlog bench"]):
            subprocess.run([referral, *setup, "--database-url", url], check=True,
                           capture_output=True)  # fmt: skip
        times: dict[str, list[tuple[float, float]]] = {"plain": [], "record": []}
        commands = {
            "plain": (["batch", "--input", str(jsonl)], None),
            "record": (["batch", "--record", "--input", str(jsonl)], url),
        }
        for run in range(args.runs):
            for which in ("plain", "record") if run % 2 == 0 else ("record", "plain"):
                wall, cpu = _timed(*commands[which])
                times[which].append((wall, cpu))
                print(f"run {run + 1} {which}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
        csv_wall, csv_cpu = _timed(["batch", "--record", "--input", str(table)], url)
        stored = _count_records(url)

    def median(which: str, part: int) -> float:
        return round(statistics.median(t[part] for t in times[which]), 2)

    report = {
        "database": args.database,
        "needs": args.needs,
        "runs": args.runs,
        "batch_s": [round(t[0], 2) for t in times["plain"]],
        "batch_record_s": [round(t[0], 2) for t in times["record"]],
        "batch_median_s": median("plain", 0),
        "batch_record_median_s": median("record", 0),
        "ratio": round(median("record", 0) / median("plain", 0), 2),
        "batch_cpu_median_s": median("plain", 1),
        "batch_record_cpu_median_s": median("record", 1),
        "cpu_ratio": round(median("record", 1) / median("plain", 1), 2),
        "csv_record_s": round(csv_wall, 2),
        "csv_record_cpu_s": round(csv_cpu, 2),
        "records_stored": stored,
        "target_ratio": 2.0,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"backlog-{args.database}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"{args.database}: {args.needs} needs — batch {report['batch_median_s']} s, "
        f"batch --record {report['batch_record_median_s']} s, ratio {report['ratio']} "
        f"(target ≤ 2); CPU {report['batch_cpu_median_s']} / "
        f"{report['batch_record_cpu_median_s']} s, ratio {report['cpu_ratio']}; CSV import "
        f"{report['csv_record_s']} s ({report['csv_record_cpu_s']} s CPU); {stored} records"
    )
    print(f"results: {path}")
    return 0 if report["ratio"] <= 2.0 else 1
