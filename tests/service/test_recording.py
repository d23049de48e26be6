"""The record writer: requests' records are group-committed, and one refused record fails alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from referral_api.service.recommendations import store_records
from referral_api.service.recording import RecordBuffer
from referral_api.store import models
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.factories import make_snapshot


def record(record_id: str, version_id: int) -> dict[str, Any]:
    response = {
        "interpreted": {"capabilities": [{"id": "payroll"}], "constraints": {},
                        "not_understood": []},
        "results": [], "rejected": [], "best_own": None,
        "unmet": [{"capability": "payroll", "detail": "nobody offers it"}],
    }  # fmt: skip
    return {
        "id": record_id,
        "created_at": models.utcnow(),
        "channel": "api",
        "api_key_id": None,
        "need_text": f"need {record_id}",
        "request": {},
        "interpretation": response["interpreted"],
        "ranking": [],
        "best_own": None,
        "unmet": response["unmet"],
        "winner_offering_id": None,
        "winner_relationship": None,
        "response": response,
        "catalog_version_id": version_id,
        "catalog_version": "test-1",
        "rules_version": "r",
        "engine_version": "e",
    }


class GatedWriter:
    """``store_records``, holding its first write until the test opens the gate."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.writing = threading.Event()
        self.gate = threading.Event()

    def __call__(self, session: Session, records: Sequence[dict[str, Any]]) -> None:
        self.writing.set()
        assert self.gate.wait(10), "the test never opened the gate"
        self.batches.append([r["id"] for r in records])
        store_records(session, records)


@pytest.fixture
def version_id(database: Database) -> int:
    with database.session() as session:
        return store_snapshot(session, make_snapshot(), actor="test", action="load").id


@pytest.fixture
def writer() -> GatedWriter:
    return GatedWriter()


@pytest.fixture
def buffer(database: Database, writer: GatedWriter) -> Iterator[RecordBuffer]:
    buffer = RecordBuffer(database, writer, capacity=10, retry_seconds=60)
    buffer.start()
    yield buffer
    writer.gate.set()
    buffer.stop()


def stored_ids(database: Database) -> set[str]:
    with database.session(write=False) as session:
        return set(session.scalars(select(models.RecommendationRecord.id)))


def test_records_that_arrive_during_a_write_are_written_together(
    database: Database, buffer: RecordBuffer, writer: GatedWriter, version_id: int
) -> None:
    async def scenario() -> list[str]:
        first = asyncio.create_task(buffer.store(record("rec_first", version_id)))
        assert await asyncio.to_thread(writer.writing.wait, 10)  # the writer is busy …
        rest = [
            asyncio.create_task(buffer.store(record(f"rec_{n:02}", version_id))) for n in range(30)
        ]
        await asyncio.sleep(0.05)  # … while thirty more arrive
        writer.gate.set()
        return await asyncio.gather(first, *rest)

    statuses = asyncio.run(scenario())

    assert statuses == ["stored"] * 31
    assert writer.batches == [["rec_first"], [f"rec_{n:02}" for n in range(30)]]
    assert stored_ids(database) == {"rec_first", *(f"rec_{n:02}" for n in range(30))}
    with database.session(write=False) as session:
        facts = session.scalar(select(func.count()).select_from(models.GapFact))
    assert facts == 31  # each record's gap fact, written in the same unit of work


def test_a_refused_record_fails_its_own_request_only(
    database: Database, buffer: RecordBuffer, writer: GatedWriter, version_id: int
) -> None:
    writer.gate.set()
    assert buffer.record(record("rec_taken", version_id)) == "stored"

    async def scenario() -> list[str | BaseException]:
        writer.gate.clear()
        first = asyncio.create_task(buffer.store(record("rec_a", version_id)))
        assert await asyncio.to_thread(writer.writing.wait, 10)
        batch = [
            asyncio.create_task(buffer.store(record(record_id, version_id)))
            for record_id in ("rec_b", "rec_taken", "rec_c")
        ]
        await asyncio.sleep(0.05)
        writer.gate.set()
        return await asyncio.gather(first, *batch, return_exceptions=True)

    writer.writing.clear()
    first, b, taken, c = asyncio.run(scenario())

    assert (first, b, c) == ("stored", "stored", "stored")
    assert isinstance(taken, IntegrityError)  # the request answers 500; nothing else is lost
    assert stored_ids(database) == {"rec_taken", "rec_a", "rec_b", "rec_c"}
    assert buffer.state().dropped == 0


def test_without_a_running_writer_a_record_is_written_in_place(
    database: Database, writer: GatedWriter, version_id: int
) -> None:
    writer.gate.set()
    buffer = RecordBuffer(database, writer, capacity=10, retry_seconds=60)

    assert asyncio.run(buffer.store(record("rec_alone", version_id))) == "stored"
    assert stored_ids(database) == {"rec_alone"}


def test_a_record_that_arrives_while_shutting_down_is_still_written(
    database: Database, writer: GatedWriter, version_id: int
) -> None:
    writer.gate.set()
    buffer = RecordBuffer(database, writer, capacity=10, retry_seconds=60)
    buffer.start()
    with buffer._arrived:  # the moment stop() has begun and the writer may be gone
        buffer._closing = True
        buffer._arrived.notify()
    late = asyncio.wait_for(buffer.store(record("rec_late", version_id)), timeout=10)
    assert asyncio.run(late) == "stored"  # not left waiting for a writer that has gone
    buffer.stop()
    assert stored_ids(database) == {"rec_late"}
