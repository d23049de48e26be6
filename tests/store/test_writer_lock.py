"""SQLite writers queue on one lock across threads and processes, and give up in time."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from referral_api.store.db import Database, WriterLock


def hold(path: str, taken: multiprocessing.synchronize.Event, go: multiprocessing.synchronize.Event) -> None:  # fmt: skip
    """In another process: take the lock, say so, hold it until told to let go."""
    lock = WriterLock(Path(path))
    assert lock.acquire(timeout=5)
    taken.set()
    go.wait(10)
    lock.release()


@pytest.fixture
def context() -> multiprocessing.context.SpawnContext:
    return multiprocessing.get_context("spawn")  # as uvicorn starts its workers


def holder(
    context: multiprocessing.context.SpawnContext, path: Path
) -> tuple[multiprocessing.process.BaseProcess, multiprocessing.synchronize.Event]:
    """Another process that has taken the lock at ``path``; set the event to let it go."""
    taken, go = context.Event(), context.Event()
    other = context.Process(target=hold, args=(str(path), taken, go))
    other.start()
    assert taken.wait(30)
    return other, go


def test_a_writer_in_another_process_holds_off_this_one_until_it_lets_go(
    tmp_path: Path, context: multiprocessing.context.SpawnContext
) -> None:
    path = tmp_path / "db.sqlite-writer.lock"
    other, go = holder(context, path)
    try:
        lock = WriterLock(path)
        started = time.monotonic()
        assert not lock.acquire(timeout=0.2)  # held elsewhere: refused after the timeout …
        assert time.monotonic() - started >= 0.2
        go.set()
        assert lock.acquire(timeout=5)  # … and taken as soon as the other lets go
        lock.release()
    finally:
        go.set()
        other.join(10)


def test_a_dead_holder_leaves_the_lock_free(
    tmp_path: Path, context: multiprocessing.context.SpawnContext
) -> None:
    path = tmp_path / "db.sqlite-writer.lock"
    other, _ = holder(context, path)
    other.kill()  # SIGKILL while holding it
    other.join(10)
    lock = WriterLock(path)
    assert lock.acquire(timeout=2)
    lock.release()


def test_threads_of_one_process_take_turns_and_a_timeout_frees_the_thread_lock(
    tmp_path: Path,
) -> None:
    lock = WriterLock(tmp_path / "db.sqlite-writer.lock")
    assert lock.acquire(timeout=1)
    refused: list[bool] = []
    waiter = threading.Thread(target=lambda: refused.append(lock.acquire(timeout=0.1)))
    waiter.start()
    waiter.join()
    assert refused == [False]
    lock.release()
    assert lock.acquire(timeout=1)  # the refused waiter left nothing behind
    lock.release()


def test_concurrent_writers_of_a_sqlite_file_all_commit(tmp_path: Path) -> None:
    """Many threads of two engines (as two processes would) write: none is refused."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    first, second = Database.from_url(url), Database.from_url(url)
    with first.session() as session:
        session.execute(text("CREATE TABLE hits (n INTEGER)"))
    errors: list[BaseException] = []

    def write(database: Database, n: int) -> None:
        try:
            for i in range(25):
                with database.session() as session:
                    session.execute(text("INSERT INTO hits VALUES (:n)"), {"n": n * 100 + i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(db, n)) for n, db in
               enumerate([first, second] * 4)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with first.session(write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM hits")) == 8 * 25
    assert (tmp_path / "db.sqlite-writer.lock").exists()
    first.dispose()
    second.dispose()
