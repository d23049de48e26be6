"""Records are written in batches, and survive a database outage.

A recommendation is served from the worker's in-memory index whether or not the database
answers; what needs the database is its record. Requests hand their records to one writer
thread (:meth:`RecordBuffer.store`) and wait for it: the writer takes whatever has queued up
since its last write and writes it in one unit of work — a group commit, so that under load
the cost of a transaction (and SQLite's single write lock) is shared by a whole batch, while
a lone request still waits only for its own write. A request is answered ``stored`` only after
its record is committed.

When the database does not answer, records are queued (``buffered``) for a background thread
that retries every few seconds and writes them, in order, when it answers again; when that
queue is full the record is dropped — counted, logged and reported by ``/readyz`` and
``/metrics``, never silently. On shutdown both queues are flushed for as long as the
database lets them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from referral_api.service.recommendations import Recorded, Storable
from referral_api.store.db import Database

log = logging.getLogger("referral_api.recording")

Writer = Callable[[Session, Sequence[Storable]], None]
Outcome = str | BaseException  # a status, or why the record could not be written
BATCH = 200


@dataclass(frozen=True)
class BufferState:
    """What the buffer holds and has lost, for /readyz and /metrics."""

    buffered: int
    capacity: int
    dropped: int
    flushed: int
    database_ok: bool


class RecordBuffer:
    """Writes records in batches now, or later when the database is away (module docstring)."""

    def __init__(
        self,
        database: Database,
        write: Writer,
        *,
        capacity: int,
        retry_seconds: float,
        on_change: Callable[[BufferState], None] | None = None,
    ) -> None:
        self.database = database
        self.write = write
        self.capacity = capacity
        self.retry_seconds = retry_seconds
        self.on_change = on_change
        self._queue: deque[Storable] = deque()  # waiting for the database to answer
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one writer of buffered records at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # requests' records on their way to the writer thread, with whom to tell
        self._pending: deque[tuple[Storable, Callable[[Outcome], None]]] = deque()
        self._arrived = threading.Condition()
        self._closing = False
        self._writer: threading.Thread | None = None
        self.dropped = 0
        self.flushed = 0
        self.database_ok = True

    async def store(self, record: Storable) -> str:
        """Hand ``record`` to the writer thread and wait until it is written (or buffered, or
        dropped): ``stored``, ``buffered`` or ``dropped``. Without a running writer (an
        application that was never started, or one shutting down) it is written here, as
        :meth:`record` does."""
        if self._writer is None:
            return self.record(record)
        loop = asyncio.get_running_loop()
        written: asyncio.Future[str] = loop.create_future()

        def settle(outcome: Outcome) -> None:
            if written.done():  # the request went away meanwhile; its record was handled
                return
            if isinstance(outcome, BaseException):
                written.set_exception(outcome)
            else:
                written.set_result(outcome)

        def done(outcome: Outcome) -> None:
            loop.call_soon_threadsafe(settle, outcome)

        with self._arrived:
            queued = not self._closing  # while shutting down the writer may have finished
            if queued:
                self._pending.append((record, done))
                self._arrived.notify()
        return await written if queued else self.record(record)

    def record(self, record: Storable) -> str:
        """Store ``record`` in the calling thread; ``stored``, ``buffered`` or ``dropped``."""
        outcome = self._write([record])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def state(self) -> BufferState:
        return BufferState(
            len(self._queue), self.capacity, self.dropped, self.flushed, self.database_ok
        )

    def flush(self) -> int:
        """Write what is buffered, oldest first, until done or the database fails; how many."""
        written = 0
        with self._flush_lock:
            while True:
                with self._lock:
                    batch = list(self._queue)[:BATCH]
                if not batch:
                    break
                try:
                    with self.database.session() as session:
                        self.write(session, batch)
                except (OperationalError, DBAPIError) as exc:
                    if not _unreachable(exc):
                        if len(batch) > 1:  # find the record refused: write one at a time
                            self._flush_one_by_one(batch)
                            continue
                        log.exception("a buffered record could not be written; dropping it")
                        self._discard(1, dropped=True)
                        continue
                    self._mark(ok=False)
                    break
                self._discard(len(batch), dropped=False)
                written += len(batch)
                self._mark(ok=True)
        return written

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="record-buffer", daemon=True)
            self._thread.start()
        if self._writer is None:
            self._closing = False
            self._writer = threading.Thread(
                target=self._write_arrivals, name="record-writer", daemon=True
            )
            self._writer.start()

    def stop(self, *, flush_seconds: float = 10.0) -> None:
        """Stop writing and retrying; first write what has arrived, then flush what is
        buffered, if the database answers in time."""
        if self._writer is not None:
            with self._arrived:
                self._closing = True
                self._arrived.notify()
            self._writer.join(timeout=flush_seconds)
            self._writer = None
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=flush_seconds)
            self._thread = None
        if self._queue:
            self.flush()
        if self._queue:
            log.error("shutting down with %d records unwritten: the database does not answer",
                      len(self._queue))  # fmt: skip

    def _write_arrivals(self) -> None:
        """The writer thread: write everything that arrived since the last write, at once."""
        while True:
            with self._arrived:
                while not self._pending and not self._closing:
                    self._arrived.wait()
                if not self._pending:
                    return
                batch = [self._pending.popleft() for _ in range(min(BATCH, len(self._pending)))]
            try:
                outcomes = self._write([record for record, _ in batch])
            except BaseException as exc:  # every waiting request must hear back
                outcomes = [exc] * len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                done(outcome)

    def _write(self, records: list[Storable]) -> list[Outcome]:
        """Write ``records`` in one unit of work, or queue them while the database is away."""
        if not self._queue:  # keep order: while records wait, new ones queue behind them
            try:
                with self.database.session() as session:
                    self.write(session, records)
            except Exception as exc:
                if not isinstance(exc, DBAPIError) or not _unreachable(exc):
                    if len(records) == 1:
                        return [exc]
                    # one record is refused: the others must not fail with it
                    return [self._write([record])[0] for record in records]
                self._mark(ok=False)
            else:
                self._mark(ok=True)
                return ["stored"] * len(records)
        return [self._enqueue(record) for record in records]

    def _flush_one_by_one(self, batch: list[Storable]) -> None:
        for record in batch:
            try:
                with self.database.session() as session:
                    self.write(session, [record])
            except (OperationalError, DBAPIError) as exc:
                if _unreachable(exc):
                    self._mark(ok=False)
                    return
                log.exception("a buffered record could not be written; dropping it")
                self._discard(1, dropped=True)
            else:
                self._discard(1, dropped=False)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.retry_seconds)
            self._wake.clear()
            if self._queue:
                try:
                    self.flush()
                except Exception:  # keep retrying; the next attempt may succeed
                    log.exception("flushing buffered records failed")

    def _enqueue(self, record: Storable) -> str:
        with self._lock:
            if len(self._queue) >= self.capacity:
                self.dropped += 1
                dropped = True
            else:
                self._queue.append(record)
                dropped = False
        if dropped:
            log.error(
                "record buffer full (%d): recommendation %s served but its record dropped",
                self.capacity, _record_id(record),
            )  # fmt: skip
        self._notify()
        return "dropped" if dropped else "buffered"

    def _discard(self, count: int, *, dropped: bool) -> None:
        with self._lock:
            for _ in range(min(count, len(self._queue))):
                self._queue.popleft()
            if dropped:
                self.dropped += count
            else:
                self.flushed += count
        self._notify()

    def _mark(self, *, ok: bool) -> None:
        if ok != self.database_ok:
            self.database_ok = ok
            log.warning("database %s", "answers again" if ok else "does not answer")
        self._notify()

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change(self.state())


def _record_id(item: Storable) -> object:
    return item.record.id if isinstance(item, Recorded) else item.get("id")


def _unreachable(exc: DBAPIError) -> bool:
    """Whether the database is away (or busy), as opposed to refusing this record."""
    return isinstance(exc, OperationalError) or bool(exc.connection_invalidated)
