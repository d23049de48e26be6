"""The gap report over a large history: ``GET /v1/insights/gaps`` with 1,000,000 records stored.

Seeds a fresh SQLite file and a fresh PostgreSQL database with the demo catalogue, an insights
key and ``--records`` recommendation records spread over the last year, each with its gap
facts (about two per record) and an outcome for one in ten — with bulk inserts (SQLite
``executemany``, PostgreSQL ``COPY``), not through the API. Then starts ``referral serve``
(one uvicorn worker) and times the report: the default 28-day window, a whole year, one
capability over the year, the CSV, and the clusters. Reported per database and call: the
median seconds of ``--runs`` calls after one warm-up, and the worker's peak RSS (VmHWM).

    python -m bench insights [--records 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.support import free_port, fresh_postgres_database, peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_DATABASE = "referral_bench_insights"
BATCH = 20_000
SEED = 20261123

KINDS = ["served", "served_elsewhere", "partly_served", "unserved"]
KIND_WEIGHTS = [50, 25, 15, 10]
OTHERS = [(f"rival-{n}", "competitor") for n in range(40)] + [
    (f"partner-{n}", "partner") for n in range(10)
]
MISSES = ["region", "platforms", "budget", "compliance", "price_model"]
PHRASES = [
    "payroll for contractors in {place}",
    "pay our contractors in {place} every month",
    "{place} contractor payroll with tax forms",
    "timesheets for remote staff in {place}",
    "blockchain ledger for a shop in {place}",
    "an app to book rooms in {place}",
]
PLACES = ["Mexico", "Brazil", "Kenya", "Vietnam", "Poland", "Chile", "Egypt", "Peru"]
NOT_UNDERSTOOD = ["blockchain", "llamas", "quantum ledger", "metaverse shop", "nft invoices"]
CALLS = {
    "gaps_28_days": ("/v1/insights/gaps", {}),
    "gaps_one_year": ("/v1/insights/gaps", {"since": "{year_ago}"}),
    "gaps_one_year_payroll_widget": (
        "/v1/insights/gaps",
        {"since": "{year_ago}", "capability": "payroll", "channel": "widget"},
    ),
    "gaps_csv_one_year": ("/v1/insights/gaps.csv", {"since": "{year_ago}"}),
    "clusters_28_days": ("/v1/insights/clusters", {}),
}


def _history(
    records: int, version_id: int, now: dt.datetime
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], tuple[Any, ...] | None]]:
    """(record row, its fact rows, its outcome row or None), seeded: the same every run."""
    rnd = random.Random(SEED)
    capabilities = ["invoicing", "payroll", "accounting", "card-payments", "time-tracking",
                    "bank-feeds", "expenses", "crm", "inventory", "tax-filing",
                    "contractor-payments", "workplace-pensions"]  # fmt: skip
    channels = ["api", "widget", "advocate"]
    segments = [None, "small", "mid", "enterprise"]
    regions = [None, "US", "DE", "GB", "MX", "BR", "FR"]
    outcomes = ["accepted", "referred_elsewhere", "declined", "no_answer"]
    span = 365 * 24 * 3600
    # oldest first, as a service writes them
    moments = sorted(rnd.randrange(span) for _ in range(records))
    for number, seconds in enumerate(reversed(moments)):
        created = now - dt.timedelta(seconds=seconds)
        week = created.date() - dt.timedelta(days=created.weekday())
        record_id = f"rec_{number:024x}"
        channel = rnd.choice(channels)
        segment, region = rnd.choice(segments), rnd.choice(regions)
        text = rnd.choice(PHRASES).format(place=rnd.choice(PLACES))
        record = (record_id, created, channel, text, version_id)
        outcome = (record_id, rnd.choice(outcomes), created) if rnd.random() < 0.1 else None
        ended = outcome[1] if outcome else None
        facts: list[tuple[Any, ...]] = []
        kinds: set[str] = set()  # kind_lead: 1 on a record's first fact of each kind
        for capability in rnd.sample(capabilities, rnd.choice([1, 1, 2, 3])):
            kind = rnd.choices(KINDS, KIND_WEIGHTS)[0]
            other = rnd.choice(OTHERS) if kind == "served_elsewhere" else None
            miss = rnd.choice(MISSES) if kind in ("served_elsewhere", "unserved") else None
            facts.append((record_id, created, week, channel, segment, region, version_id, kind,
                          capability, None, other[0] if other else None,
                          other[1] if other else None, miss, 0 if facts else 1,
                          int(kind not in kinds), ended))  # fmt: skip
            kinds.add(kind)
        if rnd.random() < 0.2:
            facts.append((record_id, created, week, channel, segment, region, version_id,
                          "not_understood", None, rnd.choice(NOT_UNDERSTOOD),
                          None, None, None, 0 if facts else 1, 1, ended))  # fmt: skip
        yield record, facts, outcome


RECORD_COLUMNS = ("id, created_at, channel, need_text, catalog_version_id, request,"
                  " interpretation, ranking, unmet, response, catalog_version, rules_version,"
                  " engine_version")  # fmt: skip
FACT_COLUMNS = ("recommendation_id, created_at, week, channel, segment, region,"
                " catalog_version_id, kind, capability, term, other_offering_id,"
                " other_relationship, missed_constraint, lead, kind_lead, outcome")  # fmt: skip
OUTCOME_COLUMNS = "recommendation_id, outcome, recorded_at, recorded_by"
CONSTANTS = ("{}", "{}", "[]", "[]", "{}", "bench", "bench", "bench")


def _seed_sqlite(path: str, records: int, version_id: int, now: dt.datetime) -> None:
    import sqlite3

    def stamp(moment: dt.datetime) -> str:  # SQLAlchemy's SQLite format, in UTC
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    rows: list[tuple[Any, ...]] = []
    facts: list[tuple[Any, ...]] = []
    outcomes: list[tuple[Any, ...]] = []

    def flush() -> None:
        connection.executemany(
            f"INSERT INTO recommendations ({RECORD_COLUMNS}) VALUES ({', '.join('?' * 13)})", rows
        )
        connection.executemany(
            f"INSERT INTO gap_facts ({FACT_COLUMNS}) VALUES ({', '.join('?' * 16)})", facts
        )
        connection.executemany(
            f"INSERT INTO outcomes ({OUTCOME_COLUMNS}) VALUES (?, ?, ?, 'bench')", outcomes
        )
        connection.commit()
        for batch in (rows, facts, outcomes):
            batch.clear()

    for (rid, created, channel, text, version), fact_rows, outcome in _history(
        records, version_id, now
    ):
        rows.append((rid, stamp(created), channel, text, version, *CONSTANTS))
        facts.extend((f[0], stamp(f[1]), f[2].isoformat(), *f[3:]) for f in fact_rows)
        if outcome:
            outcomes.append((outcome[0], outcome[1], stamp(outcome[2])))
        if len(rows) >= BATCH:
            flush()
    flush()
    connection.execute("ANALYZE")
    connection.close()


def _seed_postgres(url: str, records: int, version_id: int, now: dt.datetime) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        history = list(_history(records, version_id, now))
        with cursor.copy(f"COPY recommendations ({RECORD_COLUMNS}) FROM STDIN") as copy:
            for (rid, created, channel, text, version), _, _ in history:
                copy.write_row((rid, created, channel, text, version, *CONSTANTS))
        with cursor.copy(f"COPY gap_facts ({FACT_COLUMNS}) FROM STDIN") as copy:
            for _, fact_rows, _ in history:
                for fact in fact_rows:
                    copy.write_row(fact)
        with cursor.copy(f"COPY outcomes ({OUTCOME_COLUMNS}) FROM STDIN") as copy:
            for _, _, outcome in history:
                if outcome:
                    copy.write_row((*outcome, "bench"))
        connection.commit()
        cursor.execute("ANALYZE")
        connection.commit()


def _prepare(url: str) -> tuple[int, str]:
    """Migrate, store the demo catalogue as the active version, create an insights key."""
    from referral_api.curation.snapshot import snapshot_from_dirs
    from referral_api.service.keys import create_key
    from referral_api.store.catalogs import store_snapshot
    from referral_api.store.db import Database
    from referral_api.store.migrate import upgrade

    database = Database.from_url(url)
    upgrade(database.engine)
    snapshot = snapshot_from_dirs(ROOT / "catalog", ROOT / "rules")
    with database.session() as session:
        version = store_snapshot(session, snapshot, actor="bench", action="load")
        version_id = version.id
        secret = create_key(session, name="bench", scopes=["insights"]).secret
    database.dispose()
    return version_id, secret


def _measure(url: str, secret: str, runs: int, now: dt.datetime) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "REFERRAL_DATABASE_URL": url, "REFERRAL_PORT": str(port),
           "REFERRAL_RATE_LIMIT_PER_MINUTE": "100000"}  # fmt: skip
    referral = str(Path(sys.executable).parent / "referral")
    server = subprocess.Popen(
        [referral, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    year_ago = (now - dt.timedelta(days=365)).isoformat()
    results: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=120.0) as client:
            deadline = time.perf_counter() + 120
            while True:
                try:
                    if client.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() > deadline:
                    raise RuntimeError("the server did not get ready in 120 s")
                time.sleep(0.1)
            headers = {"Authorization": f"Bearer {secret}"}
            for name, (path, params) in CALLS.items():
                query = {k: v.format(year_ago=year_ago) for k, v in params.items()}
                times = []
                for run in range(runs + 1):
                    started = time.perf_counter()
                    response = client.get(f"{base}{path}", params=query, headers=headers)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise RuntimeError(f"{path}: {response.status_code} {response.text}")
                    if run:  # the first call warms the caches
                        times.append(elapsed)
                body = response.json() if path.endswith(("gaps", "clusters")) else None
                results[name] = {
                    "median_s": round(statistics.median(times), 3),
                    "max_s": round(max(times), 3),
                    "needs": body.get("needs") if body else None,
                }
        results["peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench insights")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {"records": args.records, "runs": args.runs}
    with tempfile.TemporaryDirectory() as scratch:
        targets: dict[str, str] = {}
        if args.only in (None, "sqlite"):
            targets["sqlite"] = f"sqlite:///{scratch}/insights.db"
        if args.only in (None, "postgresql"):
            postgres = fresh_postgres_database(BENCH_DATABASE)
            if postgres is not None:
                targets["postgresql"] = postgres
            else:
                print("PostgreSQL unreachable at 127.0.0.1:5432: measuring SQLite only")
        for name, url in targets.items():
            started = time.perf_counter()
            version_id, secret = _prepare(url)
            if name == "sqlite":
                _seed_sqlite(url.removeprefix("sqlite:///"), args.records, version_id, now)
            else:
                _seed_postgres(url, args.records, version_id, now)
            seeded = time.perf_counter() - started
            print(f"{name}: seeded {args.records} records in {seeded:.0f} s", flush=True)
            report[name] = {"seed_s": round(seeded, 1), **_measure(url, secret, args.runs, now)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "insights.json").write_text(json.dumps(report, indent=2))
    for name in ("sqlite", "postgresql"):
        if name in report:
            row = report[name]
            calls = ", ".join(f"{call} {row[call]['median_s']} s" for call in CALLS)
            print(f"{name:<10} {args.records} records: {calls}; peak RSS {row['peak_rss_mb']} MB")
    print(f"results: {RESULTS / 'insights.json'}")
    return 0
