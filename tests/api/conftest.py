"""An app over the test database (rolled back after each test), the engine, and keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.config import Environment, Settings
from referral_api.server import create_app
from referral_api.service.keys import create_key
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.factories import make_snapshot

WIDGET_ORIGIN = "https://shop.example"
#: rate-limit windows are counted on this clock, so a minute never turns over mid-test
NOW = dt.datetime(2026, 11, 23, 10, 0, 30, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return NOW


@dataclass(frozen=True)
class Keys:
    admin: str
    recommend: str
    widget: str
    advocate: str
    curator: str
    insights: str
    limited: str

    @staticmethod
    def auth(secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def keys(database: Database) -> Keys:
    with database.session() as session:
        store_snapshot(session, make_snapshot(), actor="test", action="load")

        def key(name: str, scopes: list[str], **options: object) -> str:
            return create_key(session, name=name, scopes=scopes, **options).secret  # type: ignore[arg-type]

        return Keys(
            admin=key("admin", ["admin"]),
            recommend=key("server", ["recommend"]),
            widget=key("widget", ["recommend"], publishable=True, origins=[WIDGET_ORIGIN]),
            advocate=key("console", ["advocate"]),
            curator=key("curator", ["curator"]),
            insights=key("analyst", ["insights"]),
            limited=key("tiny", ["recommend"], rate_limit_per_minute=2),
        )


@pytest.fixture
def settings() -> Settings:
    return Settings(env=Environment.TEST, rate_limit_per_minute=100_000)


@pytest.fixture
def app(database: Database, keys: Keys, settings: Settings) -> FastAPI:
    return create_app(settings, database=database, poll=False, clock=fixed_clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
