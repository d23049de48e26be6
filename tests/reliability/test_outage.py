"""PostgreSQL goes away: answers keep coming from memory, records wait and are written later.

The outage is a cut cable (a TCP proxy between the server and PostgreSQL), so the shared
database server itself never stops.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from referral_api.schemas import OfferingUpdate
from referral_api.store.db import Database
from referral_api.store.models import RecommendationRecord
from tests.reliability.harness import Cable, Server, Target, database, new_key

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def cable() -> Iterator[Cable]:
    wire = Cable()
    yield wire
    wire.close()


@pytest.fixture
def target(cable: Cable, tmp_path: Path) -> Iterator[Target]:
    with database("postgresql", tmp_path, port=cable.port) as made:
        yield made


def stored_ids(target: Target, ids: list[str]) -> set[str]:
    db = Database.from_url(target.direct_url)
    try:
        with db.session(write=False) as session:
            query = select(RecommendationRecord.id).where(RecommendationRecord.id.in_(ids))
            return set(session.scalars(query))
    finally:
        db.dispose()


def recommend(
    base: str, key: str, need: str = "send invoices", timeout: float = 10
) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/recommendations",
        headers={"Authorization": f"Bearer {key}"},
        json={"need": need, "limit": 3},
        timeout=timeout,
    )


def test_outage_buffers_records_and_writes_them_when_the_database_returns(
    cable: Cable, target: Target
) -> None:
    """Served from memory while PostgreSQL is away; nothing acknowledged is lost."""
    key = new_key(target.direct_env, "recommend")
    curator = new_key(target.direct_env, "curator")
    server = Server(target.env, extra={"REFERRAL_RECORD_RETRY_SECONDS": "0.5"})
    try:
        server.wait_ready()
        assert recommend(server.base, key).headers["X-Record"] == "stored"  # key now known
        books = httpx.get(
            f"{server.base}/v1/offerings/ledgerly-books",
            headers={"Authorization": f"Bearer {curator}"},
        ).json()
        edit = {k: v for k, v in books.items() if k in OfferingUpdate.model_fields}

        cable.cut()
        answers = [recommend(server.base, key, f"send invoices number {i}") for i in range(12)]
        assert [a.status_code for a in answers] == [201] * 12
        assert {a.headers["X-Record"] for a in answers} == {"buffered"}
        ready = httpx.get(f"{server.base}/readyz").json()
        assert ready["status"] == "degraded"
        assert ready["database"] == "unreachable"
        assert ready["records_buffered"] == 12
        put = httpx.put(
            f"{server.base}/v1/offerings/ledgerly-books",
            headers={"Authorization": f"Bearer {curator}"},
            json={**edit, "summary": "edited while the database is away"},
        )
        assert put.status_code == 503
        assert "Retry-After" in put.headers
        assert put.headers["content-type"] == "application/problem+json"
        unknown = recommend(server.base, "rk_unknownid_" + "x" * 43)
        assert unknown.status_code == 503  # a key this worker never saw cannot be checked

        cable.restore()
        deadline = time.monotonic() + 15
        while httpx.get(f"{server.base}/readyz").json()["status"] != "ready":
            assert time.monotonic() < deadline, "buffered records were not written"
            time.sleep(0.2)
        ids = [a.json()["id"] for a in answers]
        assert stored_ids(target, ids) == set(ids)
    finally:
        server.terminate()


def test_a_full_buffer_drops_records_and_says_so(cable: Cable, target: Target) -> None:
    """Beyond the buffer's size records are dropped — counted, logged, reported; never silent."""
    key = new_key(target.direct_env, "recommend")
    server = Server(target.env, extra={"REFERRAL_RECORD_BUFFER_SIZE": "5"})
    try:
        server.wait_ready()
        recommend(server.base, key)
        cable.cut()
        statuses = [recommend(server.base, key).headers["X-Record"] for _ in range(8)]
        assert statuses == ["buffered"] * 5 + ["dropped"] * 3
        ready = httpx.get(f"{server.base}/readyz").json()
        assert (ready["records_buffered"], ready["records_dropped"]) == (5, 3)
        cable.restore()
        insights = new_key(target.direct_env, "insights")
        metrics = httpx.get(
            f"{server.base}/metrics", headers={"Authorization": f"Bearer {insights}"}
        ).text
        assert "referral_records_dropped 3.0" in metrics
    finally:
        server.terminate()
    assert server.log().count("record buffer full") == 3


def test_shutdown_lets_requests_in_flight_finish(cable: Cable, target: Target) -> None:
    """SIGTERM while requests wait on a slow database: each still gets its answer, and is stored."""
    key = new_key(target.direct_env, "recommend")
    server = Server(target.env)
    server.wait_ready()
    recommend(server.base, key)
    # every database answer now comes 0.3 s late: a request (key check, record and gap facts,
    # commit: several round trips) stays in flight for seconds
    cable.lag = 0.3
    with ThreadPoolExecutor(4) as pool:
        pending = [
            pool.submit(recommend, server.base, key, f"payroll {i}", timeout=120) for i in range(4)
        ]
        time.sleep(0.3)
        assert not any(p.done() for p in pending)
        server.terminate()
        answers = [p.result() for p in pending]
    assert [a.status_code for a in answers] == [201] * 4
    assert {a.headers["X-Record"] for a in answers} == {"stored"}
    cable.lag = 0
    ids = [a.json()["id"] for a in answers]
    assert stored_ids(target, ids) == set(ids)


def test_shutdown_flushes_buffered_records(cable: Cable, target: Target) -> None:
    """SIGTERM: records still buffered are written before the process exits."""
    key = new_key(target.direct_env, "recommend")
    server = Server(target.env, extra={"REFERRAL_RECORD_RETRY_SECONDS": "60"})
    server.wait_ready()
    recommend(server.base, key)
    cable.cut()
    ids = [recommend(server.base, key).json()["id"] for _ in range(6)]
    cable.restore()  # back, but the next retry is a minute away: only shutdown writes them
    server.terminate()  # uvicorn shuts down gracefully, then re-raises SIGTERM
    assert "Application shutdown complete" in server.log()
    assert stored_ids(target, ids) == set(ids)
