"""Shared fixtures: catalogues and rules, and databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from referral_api.curation import load_catalog, load_rules
from referral_api.domain import Catalog, Rules
from referral_api.store.db import Database, make_engine
from referral_api.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "catalog"
RULES_DIR = ROOT / "rules"
EVAL_DIR = ROOT.parent / "shared" / "eval" / "selfhosted"


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules(RULES_DIR).require()


@pytest.fixture(scope="session")
def demo_catalog(rules: Rules) -> Catalog:
    return load_catalog(CATALOG_DIR, rules).require()


@pytest.fixture(scope="session")
def selfhosted_catalog(rules: Rules) -> Catalog:
    if not EVAL_DIR.is_dir():
        pytest.skip(f"shared evaluation data not found at {EVAL_DIR}")
    return load_catalog(EVAL_DIR / "catalog", rules).require()


# --- database fixtures: the same suite on SQLite and on PostgreSQL ---------------------------
# Schema once per run per backend (Alembic upgrade); each test runs inside an outer transaction
# that is rolled back, and its sessions join it through SAVEPOINTs.

POSTGRES_URL = os.environ.get(
    "REFERRAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL schema of its own, dropped afterwards: the URL whose connections use
    it, so that concurrent runs never meet. Skipped when the server is unreachable, failed
    under CI=true."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL unreachable at {POSTGRES_URL}: {exc.orig}"
        if IN_CI:
            pytest.fail(f"{reason} (mandatory under CI=true)")
        pytest.skip(reason)
    try:
        yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={name}')}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema("referral_test") as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def committed_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database whose units of work really commit, for tests of
    concurrency: each thread or simulated worker opens its own :class:`Database` on it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/committed.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    with postgres_schema("committed") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def connection(db_engine: Engine) -> Iterator[Connection]:
    with db_engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def database(connection: Connection) -> Database:
    return Database.for_connection(connection)


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.sessions() as session:
        yield session


# --- slow tests: load, crash and multi-process tests run under CI=true (or when asked) ---------

RUN_SLOW = IN_CI or os.environ.get("REFERRAL_TEST_SLOW") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if RUN_SLOW:
        return
    skip = pytest.mark.skip(reason="slow: runs under CI=true or with REFERRAL_TEST_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
