"""Under load, and with a worker killed mid-load, no acknowledged write is lost.

Two worker processes, 16 concurrent clients, 20,000 recommendations and 5,000 outcomes, on
SQLite (WAL) and on PostgreSQL. A third of the way in, one worker is killed with SIGKILL; the
other keeps serving and the supervisor starts a new one. Afterwards every acknowledged record
and outcome is in the database with the content that was sent, no response was a 5xx, and a
SQLite file passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from referral_api.store.db import Database
from referral_api.store.models import Outcome, RecommendationRecord
from tests.conftest import BACKENDS
from tests.reliability.harness import Server, Target, database, new_key

pytestmark = [pytest.mark.slow]

RECOMMENDATIONS = 20_000  # acknowledged recommendations to reach
OUTCOMES_WANTED = 5_000  # acknowledged outcomes to reach: one for every fourth recommendation
CEILING = 22_000  # recommendations sent at most (the crash costs a few in flight)
CLIENTS = 16
NEEDS = [
    "send invoices", "payroll for a small team", "bookkeeping for a freelancer",
    "card payments on my iPhone", "expense receipts", "point of sale for a cafe",
    "sales tax filing in the US", "a business bank account in Germany",
]  # fmt: skip
OUTCOMES = ["accepted", "referred_elsewhere", "declined", "no_answer"]


class Load:
    """What the clients sent and what the server acknowledged."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}  # acknowledged record id → need text sent
        self.outcomes: dict[str, str] = {}  # record id → outcome acknowledged
        self.statuses: Counter[int] = Counter()
        self.refused = 0  # transport errors (the killed worker's connections): not acknowledged
        self.sent = 0
        self.outcomes_sent = 0

    def done(self) -> bool:
        enough = len(self.records) >= RECOMMENDATIONS and len(self.outcomes) >= OUTCOMES_WANTED
        return enough or self.sent >= CEILING

    def wants_outcome(self) -> bool:
        """Every fourth acknowledged recommendation gets an outcome, whichever client made it."""
        return self.outcomes_sent < len(self.records) // 4


async def _client(base: str, key: str, load: Load) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while not load.done():
            turn = load.sent  # single-threaded event loop: no two clients read the same turn
            load.sent += 1
            need = f"{NEEDS[turn % len(NEEDS)]} #{turn}"
            try:
                response = await client.post("/v1/recommendations", json={"need": need, "limit": 3})
            except httpx.TransportError:
                load.refused += 1
                continue
            load.statuses[response.status_code] += 1
            if response.status_code != 201:
                continue
            body = response.json()
            load.records[body["id"]] = need
            if not load.wants_outcome():
                continue
            outcome = OUTCOMES[load.outcomes_sent % len(OUTCOMES)]
            load.outcomes_sent += 1
            chosen = body["results"][0]["offering"]["id"] if body["results"] else None
            try:
                answer = await client.post(
                    f"/v1/recommendations/{body['id']}/outcome",
                    json={"outcome": outcome, "offering_id": chosen, "note": f"note {turn}"},
                )
            except httpx.TransportError:
                load.refused += 1
                continue
            load.statuses[answer.status_code] += 1
            if answer.status_code == 201:
                load.outcomes[body["id"]] = outcome


async def _run(server: Server, key: str, load: Load) -> dict[str, object]:
    clients = [asyncio.create_task(_client(server.base, key, load)) for _ in range(CLIENTS)]
    killed: dict[str, object] = {}
    while not all(c.done() for c in clients):
        if not killed and load.sent >= RECOMMENDATIONS // 3:
            victim = next(iter(server.workers(tries=5)))
            os.kill(victim, signal.SIGKILL)
            killed = {"pid": victim, "at": load.sent, "time": time.monotonic()}
        await asyncio.sleep(0.05)
    await asyncio.gather(*clients)
    return killed


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_acknowledged_write_is_lost_under_load_and_a_crash(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as target:
        key = new_key(target.direct_env, "advocate")
        server = Server(target.env, workers=2)
        try:
            server.wait_ready()
            before = server.workers()
            assert len(before) == 2
            load = Load()
            started = time.monotonic()
            killed = asyncio.run(_run(server, key, load))
            elapsed = time.monotonic() - started
            assert killed, "the crash did not happen"
            survivors = server.workers()
            assert killed["pid"] not in survivors
            assert len(survivors) == 2, "the killed worker was not replaced"
            assert survivors - before, "the restarted worker does not answer"
        finally:
            server.terminate()
        print(f"\n{backend}: {load.sent} sent in {elapsed:.0f} s, statuses {dict(load.statuses)}, "
              f"refused {load.refused}")  # fmt: skip
        assert not [s for s in load.statuses if s >= 500], load.statuses
        assert len(load.records) >= RECOMMENDATIONS
        assert len(load.outcomes) >= OUTCOMES_WANTED
        assert load.refused < 100  # only what was in flight on the killed worker
        _check_database(target, load)


def _check_database(target: Target, load: Load) -> None:
    db = Database.from_url(target.direct_url)
    try:
        with db.session(write=False) as session:
            records = select(RecommendationRecord.id, RecommendationRecord.need_text)
            stored: dict[str, str] = dict(session.execute(records).all())
            answers = select(Outcome.recommendation_id, Outcome.outcome)
            outcomes: dict[str, str] = dict(session.execute(answers).all())
            count = session.scalar(select(func.count()).select_from(RecommendationRecord)) or 0
            assert count >= len(load.records)
            if target.backend == "sqlite":
                assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        db.dispose()
    missing = set(load.records) - set(stored)
    assert not missing, f"{len(missing)} acknowledged records lost"
    assert all(stored[i] == need for i, need in load.records.items())
    assert {i: outcomes.get(i) for i in load.outcomes} == load.outcomes
