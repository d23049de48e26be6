"""Records survive a database outage: written at once when the database answers, otherwise
kept in a bounded buffer and written, in order, when it answers again.

A recommendation is served from the worker's in-memory index whether or not the database
answers; what needs the database is its record. ``RecordBuffer.record`` writes it in a unit of
work of its own and reports ``stored``; when the database does not answer it queues the record
(``buffered``) for a background thread that retries every few seconds; when the queue is full
the record is dropped — counted, logged and reported by ``/readyz`` and ``/metrics``, never
silently. On shutdown the buffer is flushed for as long as the database lets it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from referral_api.store.db import Database

log = logging.getLogger("referral_api.recording")

Writer = Callable[[Session, dict[str, Any]], None]
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
    """Writes records now, or later when the database is away (see the module docstring)."""

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
        self._queue: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one writer of buffered records at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.flushed = 0
        self.database_ok = True

    def record(self, record: dict[str, Any]) -> str:
        """Store ``record``; ``stored``, ``buffered`` (written later) or ``dropped``."""
        if not self._queue:  # keep order: while records wait, new ones queue behind them
            try:
                with self.database.session() as session:
                    self.write(session, record)
            except (OperationalError, DBAPIError) as exc:
                if not _unreachable(exc):
                    raise
                self._mark(ok=False)
            else:
                self._mark(ok=True)
                return "stored"
        return self._enqueue(record)

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
                        for record in batch:
                            self.write(session, record)
                except (OperationalError, DBAPIError) as exc:
                    if not _unreachable(exc):
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

    def stop(self, *, flush_seconds: float = 10.0) -> None:
        """Stop retrying; first flush what is buffered, if the database answers in time."""
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

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.retry_seconds)
            self._wake.clear()
            if self._queue:
                try:
                    self.flush()
                except Exception:  # keep retrying; the next attempt may succeed
                    log.exception("flushing buffered records failed")

    def _enqueue(self, record: dict[str, Any]) -> str:
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
                self.capacity, record.get("id"),
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


def _unreachable(exc: DBAPIError) -> bool:
    """Whether the database is away (or busy), as opposed to refusing this record."""
    return isinstance(exc, OperationalError) or bool(exc.connection_invalidated)
