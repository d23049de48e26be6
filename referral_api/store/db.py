"""Engines and sessions: one :class:`Database` per process, one unit of work per request.

SQLite (the embedded default) runs in WAL mode with a busy timeout so that several readers and
one writer at a time share the file; transactions are begun explicitly so that SAVEPOINTs work
(pysqlite's own transaction handling does not support them). PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

try:
    import fcntl
except ImportError:  # not POSIX: this process's writers still queue; other processes poll
    fcntl = None  # type: ignore[assignment]
from sqlalchemy import Connection, Engine, Executable, Row, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 16  # connections kept open per worker process …
POOL_OVERFLOW = 16  # … and opened beyond those for bursts (closed when returned)
READ_POOL_SIZE = 8  # connections for single reads (the key check), see make_engine
IMMEDIATE = "referral_sqlite_immediate"
_HOLDS_LOCK = "referral_holds_write_lock"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _plain_file(database: str | None) -> bool:
    """Whether a SQLite database name is a file of its own (not in memory, not a URI)."""
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


def _lock_path(database: str | None) -> Path | None:
    """The file that queues writers of a SQLite database file across processes, if any."""
    return Path(f"{database}-writer.lock") if _plain_file(database) else None


class WriterLock:
    """One writer at a time: a thread lock for this process, and an advisory lock on a file
    beside the database for the other processes that write it (uvicorn workers, the CLI).

    Without the file lock, a writer that finds another process writing falls into SQLite's
    busy handler, which sleeps 1, 2, 5 … up to 100 ms between attempts, and two busy workers
    keep each other waiting far longer than their writes take. Here a waiting writer retries
    every fraction of a millisecond, and gives up after ``timeout`` as SQLite would. The file
    lock belongs to the process that took it (a fork opens its own); the kernel releases it
    when a process dies.
    """

    POLL_FROM = 0.00005  # seconds between attempts, doubling …
    POLL_TO = 0.001  # … up to this

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def acquire(self, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        if self.path is None or fcntl is None:
            return True
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        pause = self.POLL_FROM
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._threads.release()
                    return False
                time.sleep(pause)
                pause = min(pause * 2, self.POLL_TO)

    def release(self) -> None:
        if self._fd is not None and fcntl is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


def make_engine(url: str, *, autocommit: bool = False, **options: Any) -> Engine:
    """An engine for ``url``; a SQLite file's directory is created when missing.

    JSON columns go through orjson: a 100,000-offering catalogue snapshot is ~70 MB of JSON,
    which the standard library parses in seconds and orjson in a fraction of one.
    ``autocommit``: an engine for single reads only (:meth:`Database.read_row`): each statement
    is its own transaction, no BEGIN or COMMIT is sent, and connections are not pinged on
    checkout (a dropped one is replaced when a read finds it so).
    """
    options.setdefault("json_serializer", _dumps)
    options.setdefault("json_deserializer", orjson.loads)
    if autocommit:
        options.update(isolation_level="AUTOCOMMIT", pool_pre_ping=False)
    # Connections are held by the request threads (units of work), the record writer and the
    # catalogue poller at once: a pool smaller than that opens and closes an overflow
    # connection per request (SQLite runs its PRAGMAs again; PostgreSQL a new session), which
    # under load costs more than the request itself. Single reads hold theirs for a fraction of
    # a millisecond: a few, and a read waits for one rather than open another.
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database not in (None, "", ":memory:"):
        options.setdefault("pool_size", READ_POOL_SIZE if autocommit else POOL_SIZE)
        options.setdefault("max_overflow", 0 if autocommit else POOL_OVERFLOW)
    if parsed.get_backend_name() != "sqlite":
        options.setdefault("pool_pre_ping", True)
        return create_engine(url, **options)
    database = parsed.database
    if _plain_file(database):
        Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
    _configure_sqlite(engine, database, writes=not autocommit)
    return engine


def _configure_sqlite(engine: Engine, database: str | None, *, writes: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # the WAL default: no fsync per commit
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    if not writes:  # single reads in autocommit: nothing to begin, nothing to lock
        return
    # SQLite has one writer at a time and makes waiting writers poll with sleeps of up to 100 ms;
    # writers queue on a lock first — across this process's threads and across the processes
    # (workers, CLI) that share the file — taken when a write transaction begins (not when a
    # unit of work opens, so that work before the first write — a recommendation being
    # computed — never holds it) and released when it ends.
    write_lock = WriterLock(_lock_path(database))

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A transaction that will write takes SQLite's write lock up front: upgrading a read
        # transaction to a write one fails at once (no busy wait) when another writer
        # committed in between, which under load turns into spurious "database is locked".
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        if immediate and write_lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            connection.info[_HOLDS_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _release(connection.info)
            raise

    def _release(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_LOCK, False):
            write_lock.release()

    for name in ("commit", "rollback"):
        event.listen(engine, name, lambda connection: _release(connection.info))
    event.listen(engine, "checkin", lambda _dbapi, record: _release(record.info))


class Database:
    """The process's engine and session factory.

    :meth:`session` is the unit of work: it commits when the block succeeds and rolls back
    when it raises. Repositories only flush; they never commit.
    """

    def __init__(
        self,
        engine: Engine,
        sessions: sessionmaker[Session],
        write_sessions: sessionmaker[Session] | None = None,
        reader: Engine | None = None,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.write_sessions = write_sessions or sessions
        self.reader = reader

    @classmethod
    def from_url(cls, url: str) -> Database:
        engine = make_engine(url)
        writer = engine.execution_options(**{IMMEDIATE: True})
        # an in-memory SQLite database exists once per connection: no separate reader for it
        separate = engine.dialect.name != "sqlite" or _plain_file(make_url(url).database)
        return cls(
            engine,
            sessionmaker(engine, expire_on_commit=False),
            sessionmaker(writer, expire_on_commit=False),
            make_engine(url, autocommit=True) if separate else None,
        )

    @classmethod
    def for_connection(cls, connection: Connection) -> Database:
        """Sessions that join ``connection``'s transaction through SAVEPOINTs (tests)."""
        sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        return cls(connection.engine, sessions)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error, always close.

        ``write=False`` declares a read-only unit, which on SQLite does not take the write lock.
        """
        with (self.write_sessions if write else self.sessions)() as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()

    def read_row(self, statement: Executable, parameters: dict[str, Any]) -> Row[Any] | None:
        """The first row of one read-only statement, outside any unit of work.

        For the reads every request makes (the key check): on the reader engine, the statement
        is the only thing sent — in autocommit, on a connection not pinged first — one round
        trip to PostgreSQL instead of four (ping, BEGIN, SELECT, COMMIT). A pooled connection
        the database has dropped meanwhile fails the read, is replaced, and the read is tried
        once more. Without a reader (sessions joined to a test's transaction) it runs in a
        read-only unit of work.
        """
        if self.reader is None:
            with self.session(write=False) as session:
                return session.execute(statement, parameters).first()
        try:
            with self.reader.connect() as connection:
                return connection.execute(statement, parameters).first()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self.reader.connect() as connection:
            return connection.execute(statement, parameters).first()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader is not None:
            self.reader.dispose()
