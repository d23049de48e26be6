"""Single reads outside a unit of work: the key check every authenticated request makes.

These run against databases of their own (not the rolled-back test transaction), because the
reader is a separate engine that sees only what is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from referral_api.service.keys import create_key
from referral_api.store.db import Database
from referral_api.store.migrate import upgrade
from referral_api.store.models import utcnow
from referral_api.store.repositories import (
    ApiKeyRepository,
    AuthFailureRepository,
    read_key,
    read_key_and_failures,
)
from tests.conftest import BACKENDS, postgres_schema


@pytest.fixture(params=BACKENDS)
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database whose units of work really commit."""
    if request.param == "sqlite":
        database = Database.from_url(f"sqlite:///{tmp_path}/reads.db")
        upgrade(database.engine)
        yield database
        database.dispose()
        return
    with postgres_schema("reads") as url:
        database = Database.from_url(url)
        upgrade(database.engine)
        yield database
        database.dispose()


def new_key_id(database: Database) -> str:
    with database.session() as session:
        return create_key(session, name="reader", scopes=["recommend"]).key.id


class TestReadKey:
    def test_a_revocation_is_seen_by_the_very_next_read(self, committed: Database) -> None:
        key_id = new_key_id(committed)
        before = read_key(committed, key_id)
        assert before is not None
        assert before.revoked_at is None
        with committed.session() as session:
            repository = ApiKeyRepository(session)
            key = repository.get(key_id)
            assert key is not None
            repository.revoke(key, utcnow())
        after = read_key(committed, key_id)
        assert after is not None
        assert after.revoked_at is not None
        assert read_key(committed, "no-such-key") is None

    def test_the_read_is_one_statement_in_autocommit(self, committed: Database) -> None:
        key_id = new_key_id(committed)
        assert committed.reader is not None
        sent: list[str] = []
        event.listen(committed.reader, "before_cursor_execute", lambda *args: sent.append(args[2]))
        read_key(committed, key_id)
        assert len(sent) == 1, sent  # no ping, and none of our own BEGIN (SQLite)
        assert sent[0].lstrip().upper().startswith("SELECT")
        with committed.reader.connect() as connection:
            driver = connection.connection.dbapi_connection
            if committed.backend == "postgresql":
                assert driver.autocommit is True  # psycopg sends no BEGIN, needs no COMMIT
            else:
                assert driver.isolation_level is None  # pysqlite begins nothing either

    def test_the_key_and_its_failures_are_one_statement(self, committed: Database) -> None:
        """Failed authentications are read with the key (issue 16, defect 6): the success
        path of a bearer check still sends one statement."""
        key_id = new_key_id(committed)
        with committed.session() as session:
            AuthFailureRepository(session).hit(["addr:192.0.2.1", f"key:{key_id}"], 7)
            AuthFailureRepository(session).hit([f"key:{key_id}"], 7)
            AuthFailureRepository(session).hit(["addr:192.0.2.1"], 8)
        assert committed.reader is not None
        sent: list[str] = []
        event.listen(committed.reader, "before_cursor_execute", lambda *args: sent.append(args[2]))

        def read(key: str, window: int, address: str) -> tuple[str | None, int]:
            found, failures = read_key_and_failures(
                committed, key, window=window, address=address, key_subject=f"key:{key}"
            )
            return (found.id if found else None), failures

        assert read(key_id, 7, "addr:192.0.2.1") == (key_id, 2)
        assert len(sent) == 1
        assert read(key_id, 8, "addr:192.0.2.1") == (key_id, 1)
        assert read(key_id, 9, "addr:192.0.2.1") == (key_id, 0)
        assert read("no-such-key", 7, "addr:192.0.2.1") == (None, 1)
        assert read("no-such-key", 7, "addr:198.51.100.9") == (None, 0)

    @pytest.mark.postgres
    @pytest.mark.parametrize("committed", ["postgresql"], indirect=True)
    def test_a_connection_the_database_dropped_is_replaced(self, committed: Database) -> None:
        """Reader connections are not pinged before use: when the server has ended one (a
        restart, an idle timeout), the read that finds it so is made again on a new one."""
        key_id = new_key_id(committed)
        assert committed.reader is not None
        with committed.reader.connect() as connection:  # the pool's only idle connection now
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with committed.engine.begin() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        found = read_key(committed, key_id)
        assert found is not None
        assert found.id == key_id
        with committed.reader.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid


def test_an_in_memory_database_is_read_through_its_sessions() -> None:
    """A private in-memory SQLite database exists once per connection: a separate reader
    would see an empty one, so there is none and reads go through a unit of work."""
    database = Database.from_url("sqlite://")
    try:
        assert database.reader is None
        upgrade(database.engine)
        key_id = new_key_id(database)
        found = read_key(database, key_id)
        assert found is not None
        assert found.id == key_id
    finally:
        database.dispose()
