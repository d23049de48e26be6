"""Where a recommendation's server time goes: its parts, one at a time, in CPU milliseconds.

The HTTP benchmark (``python -m bench http``) measures a recommendation against a health check
on a live server. This one takes the same request apart, in one process, on a fresh database
with the bundled catalogue (SQLite by default; ``--database postgresql`` for a fresh database
on the local server) and the same needs:

- the whole app, called as ASGI without a server or a socket: ``GET /healthz``, and
  ``POST /v1/recommendations`` from 8 concurrent callers (``--callers``), so that the record
  writer batches as it does under load; their difference is what a recommendation costs the
  app beyond a health check;
- then each part of a recommendation alone: reading and validating the body, the key check
  and rate limit, ranking (``Engine.recommend``), building the answer and its record, writing
  the record in a unit of work of its own and in units of 8 (the writer's batches under load),
  and serialising the answer.

A part alone runs with warm caches, so it costs less than it does inside a request, where it
takes turns with the rest of the app (and with its other threads): the parts add up to less
than the whole app's difference, which is the figure to budget with.

Each figure is process CPU time (``time.process_time``: every thread, SQLite's own work
included) per call, the median of ``--repeats`` runs. With ``bench/results/http-<database>.json``
present (from ``python -m bench http``), it also prints the budget that the HTTP target
(recommend ≥ 0.30 × healthz requests/s, 1 worker) leaves a recommendation beyond a health
check, next to what the parts cost. Results go to ``bench/results/parts-<database>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.http_bench import NEEDS
from bench.support import demo_database, run_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_RATIO = 0.30
CALLERS = 8  # concurrent callers of the whole app, as in the HTTP benchmark


def _cpu_ms(calls: int, run: Callable[[], object]) -> float:
    """Process CPU milliseconds per call of ``run``, which makes ``calls`` calls."""
    started = time.process_time()
    run()
    return 1000 * (time.process_time() - started) / calls


def _median(repeats: int, measure: Callable[[], float]) -> float:
    return round(statistics.median(measure() for _ in range(repeats)), 3)


async def _asgi(app: Any, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
    """Call ``app`` as a server would, without one; the response status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (k.lower().encode(), v.encode()) for k, v in {"host": "127.0.0.1", **headers}.items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # nothing more: the client waits for the answer
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _whole(app: Any, key: str, calls: int, repeats: int, callers: int) -> dict[str, float]:
    """The app's CPU per health check and per recommendation (``callers`` at once)."""
    auth = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    bodies = [orjson.dumps({"need": need}) for need in NEEDS]

    async def healthz() -> None:
        for _ in range(calls):
            if await _asgi(app, "GET", "/healthz", {}, b"") != 200:
                raise RuntimeError("healthz did not answer 200")

    async def caller(index: int) -> None:
        for turn in range(calls // callers):
            body = bodies[(index + turn) % len(bodies)]
            status = await _asgi(app, "POST", "/v1/recommendations", auth, body)
            if status != 201:
                raise RuntimeError(f"a recommendation answered {status}, not 201")

    async def recommend() -> None:
        await asyncio.gather(*(caller(i) for i in range(callers)))

    async def timed(run: Callable[[], Any], count: int) -> float:
        started = time.process_time()
        await run()
        return 1000 * (time.process_time() - started) / count

    await recommend()  # warm: pools, caches, the writer thread
    per_health, per_recommend = [], []
    for _ in range(repeats):
        per_health.append(await timed(healthz, calls))
        per_recommend.append(await timed(recommend, calls // callers * callers))
    return {
        "healthz": round(statistics.median(per_health), 3),
        "recommend": round(statistics.median(per_recommend), 3),
    }


def _parts(app: Any, key: str, calls: int, repeats: int) -> dict[str, float]:
    """Each part of a recommendation alone: CPU milliseconds per call."""
    from referral_api.domain import Catalog, Need, Recommendation, Rules
    from referral_api.schemas import RecommendationCreate
    from referral_api.service.engines import LoadedEngine
    from referral_api.service.keys import Admission, authenticate
    from referral_api.service.recommendations import (
        Recorded,
        make_recommendation,
        store_records,
    )

    settings, database = app.state.settings, app.state.database
    loaded: LoadedEngine = app.state.engines.current
    bodies = [orjson.dumps({"need": need}) for need in NEEDS]
    creates = [RecommendationCreate.model_validate_json(body) for body in bodies]
    needs = [Need(text=need) for need in NEEDS]
    admission = Admission()
    ranked: dict[str, Recommendation] = {
        need.text: loaded.engine.recommend(need, limit=5) for need in needs
    }

    class Ranked:
        """The engine's answers made already: what the rest of a recommendation costs."""

        catalog: Catalog = loaded.engine.catalog
        rules: Rules = loaded.engine.rules

        def recommend(self, need: Need, *, limit: int = 5) -> Recommendation:
            return ranked[need.text]

    answered = LoadedEngine(loaded.version_id, Ranked())

    def each(action: Callable[[int], object]) -> Callable[[], None]:
        def run() -> None:
            for turn in range(calls):
                action(turn)

        return run

    def made(turn: int) -> Recorded:
        return make_recommendation(
            answered,
            creates[turn % len(creates)],
            channel="api",
            key_id=None,
            redact_needs=settings.redact_needs,
        )

    def records(count: int) -> list[list[Recorded]]:
        return [[made(turn + i) for i in range(count)] for turn in range(calls)]

    def write(batches: list[list[Recorded]]) -> Callable[[], None]:
        def run() -> None:
            for batch in batches:
                with database.session() as session:
                    store_records(session, batch)

        return run

    answers = [made(turn).body for turn in range(len(creates))]
    measured = {
        "validate body": each(lambda t: RecommendationCreate.model_validate_json(bodies[t % 4])),
        "key check and rate limit": each(
            lambda _: authenticate(
                database,
                key,
                origin=None,
                default_rate_limit=settings.rate_limit_per_minute,
                admission=admission,
            )
        ),
        "ranking (Engine.recommend)": each(
            lambda t: loaded.engine.recommend(needs[t % len(needs)], limit=5)
        ),
        "answer and record built": each(made),
        "serialise the answer": each(lambda t: orjson.dumps(answers[t % len(answers)])),
    }
    out = {}
    for name, run in measured.items():
        out[name] = _median(repeats, lambda: _cpu_ms(calls, run))  # noqa: B023 - called here
    out["record write, alone"] = _median(repeats, lambda: _cpu_ms(calls, write(records(1))))
    out[f"record write, in units of {CALLERS}"] = _median(
        repeats, lambda: _cpu_ms(calls * CALLERS, write(records(CALLERS)))
    )
    return out


async def _measure(url: str, key: str, calls: int, repeats: int, callers: int) -> dict[str, Any]:
    from referral_api.config import load_settings
    from referral_api.server import create_app

    settings = load_settings(
        database_url=url,
        catalog_dir=ROOT / "catalog",
        rules_dir=ROOT / "rules",
        rate_limit_per_minute=100_000_000,
    )
    app = create_app(settings, poll=False)
    async with app.router.lifespan_context(app):
        whole = await _whole(app, key, calls, repeats, callers)
        parts = _parts(app, key, calls, repeats)
    return {"whole": whole, "parts": parts}


def _budget(database: str) -> dict[str, float] | None:
    """What the HTTP target leaves a recommendation beyond a health check, from the last
    ``python -m bench http`` of this database (server CPU per request, 1 worker)."""
    path = RESULTS / f"http-{database}.json"
    if not path.exists():
        return None
    one = json.loads(path.read_text())["runs"][0]
    healthz = one["healthz"].get("server_cpu_ms_per_request")
    recommend = one["recommend"].get("server_cpu_ms_per_request")
    if not healthz or not recommend:
        return None
    return {
        "healthz_ms": round(healthz, 3),
        "recommend_ms": round(recommend, 3),
        "allowed_recommend_ms": round(healthz / TARGET_RATIO, 3),
        "allowed_beyond_healthz_ms": round(healthz / TARGET_RATIO - healthz, 3),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench parts", description=__doc__)
    parser.add_argument("--calls", type=int, default=400, help="calls per measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--callers", type=int, default=CALLERS, help="concurrent callers")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = run_database(args.database, "referral_bench_parts", tmp)
        if url is None:
            return 1
        _, key = demo_database(url)
        result = asyncio.run(_measure(url, key, args.calls, args.repeats, args.callers))
    result |= {
        "database": args.database,
        "calls": args.calls,
        "repeats": args.repeats,
        "callers": args.callers,
    }
    budget = _budget(args.database)
    if budget is not None:
        result["http_budget"] = budget
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"parts-{args.database}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    whole, parts = result["whole"], result["parts"]
    print(f"{args.database}: CPU ms per call, median of {args.repeats} × {args.calls} calls")
    print(f"  in-process app: GET /healthz {whole['healthz']:.3f}, "
          f"POST /v1/recommendations {whole['recommend']:.3f} ({args.callers} callers); "
          f"difference {whole['recommend'] - whole['healthz']:.3f}")  # fmt: skip
    for name, cost in parts.items():
        print(f"  {name:<34} {cost:7.3f}")
    if budget is not None:
        print(
            f"  HTTP target (last `python -m bench http`, 1 worker): healthz costs "
            f"{budget['healthz_ms']:.3f} ms of server CPU, so recommend ≥ {TARGET_RATIO} × "
            f"healthz allows {budget['allowed_recommend_ms']:.3f} ms a recommendation, "
            f"{budget['allowed_beyond_healthz_ms']:.3f} ms beyond a health check; "
            f"it costs {budget['recommend_ms']:.3f} ms"
        )
    return 0
