"""Security tests: the API app over the rolled-back test database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from referral_api.store.db import Database
from referral_api.store.models import (
    ApiKey,
    CatalogChange,
    CatalogVersion,
    Outcome,
    RecommendationRecord,
)
from tests.api.conftest import WIDGET_ORIGIN, Keys, app, client, keys, settings
from tests.web.conftest import csrf_of, sign_in


def secret_part(key: str) -> str:
    """The random part of ``rk_<id>_<secret>``: everything after the id. (Splitting at the
    last ``_`` would not do: the secret's own alphabet holds ``_``, so that can leave a
    fragment of a character or two, which any log or hash contains by chance.)"""
    return key.split("_", 2)[2]


#: every table a request can store to (rate-limit windows count refused requests too: left out)
STORED = (RecommendationRecord, Outcome, CatalogVersion, CatalogChange, ApiKey)


def row_counts(database: Database) -> dict[str, int]:
    """Rows per stored table: compared before and after a request that must store nothing."""
    counts = [select(func.count()).select_from(model).scalar_subquery() for model in STORED]
    with database.session(write=False) as session:
        row = session.execute(select(*counts)).one()
    return {model.__tablename__: int(count) for model, count in zip(STORED, row, strict=True)}


@pytest.fixture
def quiet_client(app: FastAPI) -> Iterator[TestClient]:
    """A client that returns server errors as responses (a 500 is a finding, not a crash)."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


__all__ = [
    "WIDGET_ORIGIN",
    "Keys",
    "app",
    "client",
    "csrf_of",
    "keys",
    "quiet_client",
    "row_counts",
    "settings",
    "sign_in",
]
