"""The bundled demo catalogue through the whole stack: every labelled need, stored and replayed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_api.config import Environment, Settings
from referral_api.curation.snapshot import snapshot_from_dirs
from referral_api.server import create_app
from referral_api.service.keys import create_key
from referral_api.store.catalogs import store_snapshot
from referral_api.store.db import Database
from tests.conftest import CATALOG_DIR, RULES_DIR

NEEDS = [
    json.loads(line)
    for line in (Path(__file__).resolve().parents[1] / "data" / "demo_needs.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


@pytest.fixture
def demo(database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with database.session() as session:
        store_snapshot(
            session, snapshot_from_dirs(CATALOG_DIR, RULES_DIR), actor="test", action="load"
        )
        secret = create_key(session, name="demo", scopes=["admin"]).secret
    settings = Settings(env=Environment.TEST, rate_limit_per_minute=100_000)
    app: FastAPI = create_app(settings, database=database, poll=False)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


def test_every_demo_need_is_answered_stored_and_replayed_exactly(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = demo
    winners = 0
    for case in NEEDS:
        body = {"need": case["need"], "constraints": case.get("constraints", {})}
        response = client.post("/v1/recommendations", json=body, headers=auth)
        assert response.status_code == 201, (case["id"], response.text)
        answer = response.json()
        winners += (
            bool(answer["results"]) and answer["results"][0]["offering"]["id"] in case["relevant"]
        )
        replay = client.get(f"/v1/recommendations/{answer['id']}", headers=auth).json()
        assert replay == answer | {"outcome": None}
    assert winners >= len(NEEDS) // 2  # a smoke check that the engine is the real one
    audit = client.get("/v1/insights/audit", headers=auth).json()
    assert audit["checked"] == len(NEEDS)
    assert audit["differing"] == 0, audit["findings"]
