"""HTTP throughput: POST /v1/recommendations against GET /healthz, same server, same run.

Starts ``referral serve`` (uvicorn, 1 worker) on a fresh SQLite database with the bundled
catalogue, then drives each endpoint for a fixed time with the same number of concurrent
clients. The figure is the ratio recommend/healthz: how much of the server's request budget a
recommendation costs (engine, record write, redaction, auth and rate limit included).
Results go to ``bench/results/http.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
APP_FACTORY = "referral_api.api.app:app_from_environment"
NEEDS = [
    "I need to send invoices and accept card payments, on my iPhone",
    "payroll for a small team in Germany, GDPR compliant",
    "simple bookkeeping for a freelancer, no subscription",
    "expense tracking and receipts for a mid-size company under $100 a month",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _referral(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "referral"), *args],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


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


async def _run(base: str, key: str, seconds: float, concurrency: int) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as c:
        warm = {"method": "POST", "url": "/v1/recommendations", "json": "needs"}
        await _drive(c, warm, 2, concurrency)
        recommend = await _drive(c, warm, seconds, concurrency)
        health = await _drive(c, {"method": "GET", "url": "/healthz"}, seconds, concurrency)
    return {
        "recommend": recommend,
        "healthz": health,
        "ratio": recommend["rps"] / health["rps"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--catalog", default=str(ROOT / "catalog"))
    args = parser.parse_args(argv)

    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "REFERRAL_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "REFERRAL_CATALOG_DIR": args.catalog,
            "REFERRAL_RULES_DIR": str(ROOT / "rules"),
            "REFERRAL_RATE_LIMIT_PER_MINUTE": "100000000",
            "REFERRAL_PORT": str(port),
        }
        _referral("db", "upgrade", env=env)
        _referral("catalog", "load", env=env)
        key = _referral("keys", "create", "--name", "bench", "--scopes", "admin", env=env)
        key = key.strip().splitlines()[-1]
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY, "--port", str(port),
             "--workers", "1", "--log-level", "warning", "--no-access-log"],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            else:
                print("server did not become ready", file=sys.stderr)
                return 1
            result = asyncio.run(_run(base, key, args.seconds, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=10)
    result |= {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "workers": 1,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "http.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rec, health = result["recommend"], result["healthz"]
    print(
        f"POST /v1/recommendations: {rec['rps']:.0f} req/s (p50 {rec['p50_ms']:.1f} ms, "  # type: ignore[index]
        f"p99 {rec['p99_ms']:.1f} ms, errors {rec['errors']})\n"  # type: ignore[index]
        f"GET /healthz:             {health['rps']:.0f} req/s (p50 {health['p50_ms']:.1f} ms)\n"  # type: ignore[index]
        f"ratio recommend/healthz:  {result['ratio']:.3f}"
    )
    return 0
