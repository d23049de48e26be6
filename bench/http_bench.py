"""HTTP throughput: POST /v1/recommendations against GET /healthz, same server, same run.

For 1 and then 2 uvicorn workers, starts ``referral serve`` on a fresh SQLite database with the
bundled catalogue, then drives each endpoint for a fixed time with the same number of
connections from a second local process on loopback: ``wrk`` when it is installed (Debian
package ``wrk``), otherwise an httpx client in this process. Reported per worker count:
requests/s, p50/p99 latency and errors of each endpoint, the ratio recommend/healthz (how much
of the server's request budget a recommendation costs: engine, record write, redaction, auth
and rate limit included), and the scaling of recommend from 1 to 2 workers next to that of
healthz (what the machine itself lent the second worker). On Linux it also
reports the server processes' CPU time per request of each endpoint and their ratio, which,
unlike requests/s, does not move with whatever else the machine is doing.
``--database postgresql`` runs the same against a fresh database on the local PostgreSQL
server. Results go to ``bench/results/http-<database>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.support import demo_database, free_port, run_database

ROOT = Path(__file__).resolve().parent.parent
NEEDS = [
    "I need to send invoices and accept card payments, on my iPhone",
    "payroll for a small team in Germany, GDPR compliant",
    "simple bookkeeping for a freelancer, no subscription",
    "expense tracking and receipts for a mid-size company under $100 a month",
]
WRK_SCRIPT = """
local needs = {%(needs)s}
local turn = 0
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(key)s"}
request = function()
  turn = turn + 1
  local body = '{"need": "' .. needs[(turn %% #needs) + 1] .. '"}'
  return wrk.format("POST", "/v1/recommendations", headers, body)
end
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


async def _drive(
    client: httpx.AsyncClient, request: dict[str, object], seconds: float, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        turn = index
        while time.perf_counter() < deadline:
            body = request.get("json")
            if body == "needs":
                body = {"need": NEEDS[turn % len(NEEDS)]}
            turn += 1
            started = time.perf_counter()
            response = await client.request(str(request["method"]), str(request["url"]), json=body)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


async def _httpx_load(
    base: str, key: str, seconds: float, concurrency: int, recommend: bool
) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as c:
        if recommend:
            request: dict[str, object] = {"method": "POST", "url": "/v1/recommendations"}
            return await _drive(c, request | {"json": "needs"}, seconds, concurrency)
        return await _drive(c, {"method": "GET", "url": "/healthz"}, seconds, concurrency)


def _wrk_load(
    wrk: str, base: str, key: str, seconds: float, concurrency: int, recommend: bool
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        needs = ", ".join(json.dumps(n) for n in NEEDS)
        script.write(WRK_SCRIPT % {"needs": needs, "key": key})
        script.flush()
        command = [wrk, "-t2", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency"]
        if recommend:
            command += ["-s", script.name]
        done = subprocess.run(
            [*command, f"{base}/healthz" if not recommend else base],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    out = done.stdout

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            raise RuntimeError(f"no {percent}% latency in wrk output:\n{out}")
        return float(found[1]) * UNITS[found[2]]

    requests = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not (requests and rps):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(bad[1]) if bad else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    return {
        "requests": int(requests[1]),
        "errors": errors,
        "rps": float(rps[1]),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
    }


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by ``pid`` and its children's threads, from /proc
    (Linux); None elsewhere. The server's CPU per request does not depend on what else the
    machine is doing, as requests/s does."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids = [pid, *(int(child) for child in children)]
        for each in pids:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError):
        return None
    return total / ticks


def _serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "referral"), "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("server did not become ready")


def _measure(
    env: dict[str, str], key: str, workers: int, seconds: float, concurrency: int
) -> dict[str, object]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(env, port, workers)
    wrk = shutil.which("wrk")
    try:
        if workers > 1:  # every worker answers /readyz before the clock starts
            seen: set[int] = set()
            for _ in range(200):
                seen.add(httpx.get(f"{base}/readyz", timeout=5).json()["worker"])
                if len(seen) == workers:
                    break

        def load(what: str, secs: float) -> dict[str, float]:
            recommend = what == "recommend"
            before = _cpu_seconds(server.pid)
            if wrk:
                result = _wrk_load(wrk, base, key, secs, concurrency, recommend)
            else:
                result = asyncio.run(_httpx_load(base, key, secs, concurrency, recommend))
            after = _cpu_seconds(server.pid)
            if before is not None and after is not None and result["requests"]:
                result["server_cpu_ms_per_request"] = 1000 * (after - before) / result["requests"]
            return result

        load("recommend", 3)  # warm: caches, connection pools, first records
        recommend = load("recommend", seconds)
        health = load("healthz", seconds)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    cost = [run.get("server_cpu_ms_per_request") for run in (recommend, health)]
    return {
        "workers": workers,
        "loader": "wrk" if wrk else "httpx (in the benchmark process)",
        "recommend": recommend,
        "healthz": health,
        "ratio": recommend["rps"] / health["rps"],
        "cpu_ratio": cost[1] / cost[0] if cost[0] and cost[1] else None,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--catalog", default=str(ROOT / "catalog"))
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="sqlite: a temporary file; postgresql: a fresh database on 127.0.0.1:5432",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = run_database(args.database, "referral_bench_http", tmp)
        if url is None:
            return 1
        env, key = demo_database(url, args.catalog)
        runs = [_measure(env, key, n, args.seconds, args.concurrency) for n in (1, 2)]
    one, two = runs
    result = {
        "runs": runs,
        "scaling_2_over_1": two["recommend"]["rps"] / one["recommend"]["rps"],  # type: ignore[index]
        # what the machine itself gave a second worker: a shared VM does not always lend both
        # cores, and recommend cannot scale further than a health check does
        "healthz_scaling_2_over_1": two["healthz"]["rps"] / one["healthz"]["rps"],  # type: ignore[index]
        "database": args.database,
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    report = json.dumps(result, indent=2) + "\n"
    (out / f"http-{args.database}.json").write_text(report, encoding="utf-8")
    print(
        f"{args.database}; loader: {one['loader']}, {args.concurrency} connections, "
        f"{args.seconds:.0f} s each"
    )
    for run in runs:
        rec, health = run["recommend"], run["healthz"]
        print(
            f"{run['workers']} worker(s): POST /v1/recommendations {rec['rps']:.0f} req/s "  # type: ignore[index]
            f"(p50 {rec['p50_ms']:.1f} ms, p99 {rec['p99_ms']:.1f} ms, errors {rec['errors']}); "  # type: ignore[index]
            f"GET /healthz {health['rps']:.0f} req/s (p50 {health['p50_ms']:.1f} ms); "  # type: ignore[index]
            f"ratio {run['ratio']:.3f}"
        )
        if run["cpu_ratio"] is not None:
            print(
                f"  server CPU per request: recommend {rec['server_cpu_ms_per_request']:.2f} ms, "  # type: ignore[index]
                f"healthz {health['server_cpu_ms_per_request']:.2f} ms; "  # type: ignore[index]
                f"ratio {run['cpu_ratio']:.3f}"
            )
    print(
        f"recommend scaling 2 workers / 1 worker: {result['scaling_2_over_1']:.2f} "
        f"(healthz on the same machine: {result['healthz_scaling_2_over_1']:.2f})"
    )
    return 0
